// End to end: audio redundancy (RFC 2198 RED) through Parley's SFU. Two
// headless Chromium pages join one room through the web client. Chromium
// offers red/48000/2 over its opus; the SFU's answer lists red before opus,
// so the publisher sends RED, and the SFU's subscriber offer lists red too,
// so the other page receives RED and plays it out.
//
// What goes over the wire is read from the encoded frames: getStats() cannot
// tell. Chromium's outbound-rtp codec is the encoder's (opus: RED wraps the
// Opus encoder, AudioSendStream::GetStats reports the send codec's payload
// type), and its inbound-rtp codec is the decoder's (opus: NetEq splits RED
// before decoding), so both say audio/opus while RED flows. An
// RTCRtpScriptTransform on every audio sender and receiver, set up before the
// client's scripts run, counts the frames by RTP payload type and passes them
// on unchanged.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { mediaServerArgs, newUser, poll, runScenario, sleep, useBrowser } from './lib/harness.js';
import { MEDIA_TIMEOUT_MS, joinViaHome, waitJoined } from './lib/room.js';

const PASSWORD = 'correct horse battery';
const ROOM = 'redundant';
const SERVER_ARGS = mediaServerArgs();
const RED_PT = 63; // Chromium's red/48000/2, and the SFU's in its subscriber offer
const OPUS_PT = 111;

const browser = useBrowser();

// The worker of the probe: counts the frames of one sender or receiver by
// payload type and reports them twice a second. Served same-origin (the
// page's CSP allows workers from 'self' only).
const PROBE_PATH = '/e2e-red-probe.js';
const PROBE_WORKER = `onrtctransform = (event) => {
  const { readable, writable, options } = event.transformer;
  const counts = {};
  readable.pipeThrough(new TransformStream({
    transform(frame, controller) {
      const pt = frame.getMetadata().payloadType;
      counts[pt] = (counts[pt] ?? 0) + 1;
      controller.enqueue(frame);
    },
  })).pipeTo(writable);
  setInterval(() => postMessage({ side: options.side, counts }), 500);
};`;

// Runs in the page before its scripts: every audio sender (addTransceiver)
// and audio receiver ('track') gets the probe. window.redProbe.send / .recv:
// frame counts by payload type.
function installProbe(probePath) {
  const probe = (window.redProbe = { send: {}, recv: {} });
  const attach = (senderOrReceiver, side) => {
    const worker = new Worker(probePath);
    worker.onmessage = ({ data }) => { probe[data.side] = data.counts; };
    senderOrReceiver.transform = new RTCRtpScriptTransform(worker, { side });
  };
  const addTransceiver = RTCPeerConnection.prototype.addTransceiver;
  RTCPeerConnection.prototype.addTransceiver = function (trackOrKind, init) {
    const transceiver = addTransceiver.call(this, trackOrKind, init);
    if ((trackOrKind.kind ?? trackOrKind) === 'audio') attach(transceiver.sender, 'send');
    return transceiver;
  };
  const Native = RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    pc.addEventListener('track', (e) => { if (e.track.kind === 'audio') attach(e.receiver, 'recv'); });
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
}

async function withProbe(ctx) {
  await ctx.route(`**${PROBE_PATH}`, (route) => route.fulfill({ contentType: 'text/javascript', body: PROBE_WORKER }));
  await ctx.addInitScript(installProbe, PROBE_PATH);
}

// Frames counted so far on the page's audio sender or receiver.
const frames = (page, side) => page.evaluate((s) => ({ ...window.redProbe?.[s] }), side);

// The subscriber connection's inbound audio, as getStats() has it.
function inboundAudio(page) {
  return page.evaluate(async () => {
    const stats = await window.parleyRoom.subscriberPc.getStats();
    let out = null;
    stats.forEach((r) => {
      if (r.type !== 'inbound-rtp' || (r.kind ?? r.mediaType) !== 'audio') return;
      out = {
        mimeType: stats.get(r.codecId)?.mimeType ?? null,
        packetsReceived: r.packetsReceived ?? 0,
        packetsDiscarded: r.packetsDiscarded ?? 0,
        totalSamplesReceived: r.totalSamplesReceived ?? 0,
        concealedSamples: r.concealedSamples ?? 0,
      };
    });
    return out;
  });
}

test('red: Opus with RFC 2198 redundancy goes through the SFU as RED', { timeout: 120_000 }, async (t) => {
  await runScenario(t, browser(), async ({ session }) => {
    const [alice, bob] = (await Promise.all(['alice', 'bob'].map((n) => newUser(session, n, {
      username: n, password: PASSWORD, displayName: n[0].toUpperCase() + n.slice(1),
    }, { setup: withProbe })))).map((u) => u.page);

    await joinViaHome(alice, ROOM);
    await waitJoined(alice, 1);
    await joinViaHome(bob, ROOM);
    await Promise.all([waitJoined(alice, 2), waitJoined(bob, 2)]);

    // SDP: Chromium offers red; the SFU's answer lists it before opus.
    const { offer, answer } = await alice.evaluate(() => ({
      offer: window.parleyRoom.publisherPc.localDescription.sdp,
      answer: window.parleyRoom.publisherPc.remoteDescription.sdp,
    }));
    assert.match(offer, /^a=rtpmap:63 red\/48000\/2\r$/m, 'Chromium offers red');
    assert.match(answer, /^m=audio \d+ [A-Z/]+ 63 111\r$/m, `the SFU answer lists red before opus:\n${answer}`);
    assert.match(answer, /^a=fmtp:63 111\/111\r$/m);
    // The SFU's subscriber offer lists red first too, and Chromium keeps it.
    await poll(() => bob.evaluate(() => window.parleyRoom.subscriberPc?.localDescription?.sdp?.includes('m=audio')),
      { what: "bob's subscriber answer" });
    const sub = await bob.evaluate(() => ({
      offer: window.parleyRoom.subscriberPc.remoteDescription.sdp,
      answer: window.parleyRoom.subscriberPc.localDescription.sdp,
    }));
    assert.match(sub.offer, /^m=audio \d+ [A-Z/]+ 63 111\r$/m, `the subscriber offer lists red before opus:\n${sub.offer}`);
    assert.match(sub.answer, /^a=rtpmap:63 red\/48000\/2\r$/m, `bob's answer keeps red:\n${sub.answer}`);

    // Alice sends RED: every encoded audio frame of her sender has PT 63.
    const sent = await poll(async () => {
      const f = await frames(alice, 'send');
      return (f[RED_PT] ?? 0) > 50 ? f : null;
    }, { timeout: MEDIA_TIMEOUT_MS, what: "alice's audio frames as RED" });
    t.diagnostic(`alice sends frames by payload type ${JSON.stringify(sent)}`);
    assert.equal(sent[OPUS_PT] ?? 0, 0, 'no plain opus from alice');

    // The SFU passes it on as RED: bob receives PT 63 (not opus 111).
    const got = await poll(async () => {
      const f = await frames(bob, 'recv');
      return (f[RED_PT] ?? 0) > 50 ? f : null;
    }, { timeout: MEDIA_TIMEOUT_MS, what: 'bob receives RED frames' });
    t.diagnostic(`bob receives frames by payload type ${JSON.stringify(got)}`);
    assert.equal(got[OPUS_PT] ?? 0, 0, 'no plain opus at bob');

    // And plays it out: packets and samples keep coming, and the redundant
    // copies of packets bob already has are discarded as duplicates (which
    // plain opus would not have).
    const a = await inboundAudio(bob);
    await sleep(2000);
    const b = await inboundAudio(bob);
    t.diagnostic(`bob inbound audio ${JSON.stringify(a)} then ${JSON.stringify(b)} (getStats names the decoder, opus)`);
    assert.ok(b.packetsReceived > a.packetsReceived + 50, `packets keep arriving (${a.packetsReceived} → ${b.packetsReceived})`);
    assert.ok(b.totalSamplesReceived > a.totalSamplesReceived + 48_000,
      `bob plays out audio (${a.totalSamplesReceived} → ${b.totalSamplesReceived} samples)`);
    assert.ok(b.packetsDiscarded - a.packetsDiscarded > (b.packetsReceived - a.packetsReceived) / 2,
      `redundant copies arrive and are discarded as duplicates (${a.packetsDiscarded} → ${b.packetsDiscarded})`);
    const received = await frames(bob, 'recv');
    assert.ok(received[RED_PT] > got[RED_PT] + 50, `RED keeps arriving (${got[RED_PT]} → ${received[RED_PT]} frames)`);
  }, { serverArgs: SERVER_ARGS });
});
