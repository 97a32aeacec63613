// End to end: WHIP (RFC 9725) publishes into an SFU room and WHEP
// (draft-ietf-wish-whep) watches it, from two Chromium pages that use only
// fetch + RTCPeerConnection, as OBS or GStreamer would: no WebSocket, no SDK.
// The publisher shows up in GET /api/v1/rooms/{room}; the viewer decodes its
// video and receives its audio; DELETE on the Location ends each session.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { blankPage, mediaServerArgs, poll, registerByApi as register, runScenario, useBrowser } from './lib/harness.js';

const SERVER_ARGS = mediaServerArgs();

const browser = useBrowser();

// Offer `directions` ({audio, video}), POST it to `url`, apply the answer.
async function negotiate(page, { url, token, send }) {
  return page.evaluate(async ({ url, token, send }) => {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    if (send) {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
      for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    } else {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
    await pc.setLocalDescription(await pc.createOffer());
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
      body: pc.localDescription.sdp,
    });
    const answer = await res.text();
    if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return { status: res.status, location: res.headers.get('location'), answer };
  }, { url, token, send });
}

test('WHIP publishes into a room and WHEP watches it', { timeout: 120_000 }, async (t) => {
  await runScenario(t, browser(), async ({ server, session }) => {
    const base = `http://127.0.0.1:${server.port}`;
    const alice = await register(server, 'obs');
    const bob = await register(server, 'viewer');

    // Without a token, nothing.
    const anonymous = await fetch(`${base}/whip/studio`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0' });
    assert.equal(anonymous.status, 401);

    const publisher = await blankPage(session, server, 'whip');
    const published = await negotiate(publisher, { url: '/whip/studio', token: alice, send: true });
    assert.equal(published.status, 201, `POST /whip/studio: ${published.answer}`);
    assert.match(published.location ?? '', /^\/whip\/studio\/p_[a-z0-9]+$/);
    assert.match(published.answer, /a=recvonly/);
    const participant = published.location.split('/').pop();

    // The publisher is a participant of the room like any other.
    const room = await poll(async () => {
      const res = await fetch(`${base}/api/v1/rooms/studio`, { headers: { authorization: `Bearer ${bob}` } });
      if (res.status !== 200) return null;
      const body = await res.json();
      const p = body.participants.find((x) => x.participant_id === participant);
      return p && p.tracks.length === 2 && p.connected.publisher ? body : null;
    }, { timeout: 15_000, what: 'the WHIP publisher in GET /api/v1/rooms/studio' });
    t.diagnostic(`room: ${JSON.stringify(room).slice(0, 400)}`);

    // WHEP of a room or participant that does not exist: 404.
    const missing = await fetch(`${base}/whep/nowhere/${participant}`, {
      method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${bob}` }, body: 'v=0',
    });
    assert.equal(missing.status, 404);

    const viewer = await blankPage(session, server, 'whep');
    const watched = await negotiate(viewer, { url: `/whep/studio/${participant}`, token: bob, send: false });
    assert.equal(watched.status, 201, `POST /whep: ${watched.answer}`);
    assert.match(watched.answer, /a=sendonly/);

    let last = null;
    try {
      await poll(async () => {
        last = await viewer.evaluate(async () => {
          const out = { video: null, audio: null };
          (await window.pc.getStats()).forEach((r) => {
            if (r.type !== 'inbound-rtp') return;
            if (r.kind === 'video') out.video = { framesDecoded: r.framesDecoded ?? 0, frameWidth: r.frameWidth };
            if (r.kind === 'audio') out.audio = { packetsReceived: r.packetsReceived ?? 0 };
          });
          return out;
        });
        return (last.video?.framesDecoded ?? 0) > 5 && (last.audio?.packetsReceived ?? 0) > 20;
      }, { timeout: 20_000, interval: 500, what: 'the publisher\'s audio and video at the WHEP viewer' });
    } catch (e) {
      e.message += `; last stats ${JSON.stringify(last)}`;
      throw e;
    }
    t.diagnostic(`viewer: ${JSON.stringify(last)}`);

    // Only the session's owner may end it; then it is gone.
    const stranger = await fetch(`${base}${published.location}`, { method: 'DELETE', headers: { authorization: `Bearer ${bob}` } });
    assert.equal(stranger.status, 404);
    const ended = await fetch(`${base}${published.location}`, { method: 'DELETE', headers: { authorization: `Bearer ${alice}` } });
    assert.equal(ended.status, 204);
    const after = await fetch(`${base}/api/v1/rooms/studio`, { headers: { authorization: `Bearer ${bob}` } });
    const body = after.status === 200 ? await after.json() : { participants: [] };
    assert.ok(!body.participants.some((p) => p.participant_id === participant), 'the publisher left the room');
    const viewerEnded = await fetch(`${base}${watched.location}`, { method: 'DELETE', headers: { authorization: `Bearer ${bob}` } });
    assert.equal(viewerEnded.status, 204);
  }, { serverArgs: SERVER_ARGS });
});
