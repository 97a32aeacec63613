// End to end: bandwidth probing. The server starts every subscriber's
// downlink estimate at 100 kbit/s (--sfu-start-bitrate): room for audio but
// for none of alice's simulcast layers, so bob's video starts paused. Then
// nothing bob receives can raise the estimate (feedback never lifts it past
// 1.5 × what arrives), and without probing he would never see alice: the
// test fails that way with Room::maybe_probe disabled. With probing the SFU
// sends padding on his RTX stream at twice the estimate, step after step,
// takes what the feedback shows arriving, and bob gets alice's camera at
// full size. The room's snapshot shows the probe's result.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { mediaServerArgs, newUser, poll, registerByApi, runScenario, useBrowser } from './lib/harness.js';
import { joinViaHome, roomInbound, streamOf, waitInbound, waitJoined } from './lib/room.js';

const PASSWORD = 'correct horse battery';
const ROOM = 'probing';
const START_KBPS = 100;
const SERVER_ARGS = mediaServerArgs('--sfu-start-bitrate', String(START_KBPS));

const browser = useBrowser();

async function roomSnapshot(server, token) {
  const res = await fetch(`${server.url}api/v1/rooms/${ROOM}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `GET /api/v1/rooms/${ROOM}`);
  return res.json();
}

test('probe: a subscriber starting at 100 kbit/s sees the full layer because the SFU probes its downlink', { timeout: 150_000 }, async (t) => {
  await runScenario(t, browser(), async ({ server, session }) => {
    const names = ['alice', 'bob'];
    const users = await Promise.all(names.map((n) => newUser(session, n, {
      username: n, password: PASSWORD, displayName: n[0].toUpperCase() + n.slice(1),
    })));
    const [alice, bob] = users.map((u) => u.page);
    await joinViaHome(alice, ROOM);
    await waitJoined(alice, 1);
    await joinViaHome(bob, ROOM);
    await Promise.all([waitJoined(alice, 2), waitJoined(bob, 2)]);
    const aliceId = await alice.evaluate(() => window.parleyRoom.participantId);
    const bobId = await bob.evaluate(() => window.parleyRoom.participantId);
    await bob.evaluate((id) => window.parleyRoom.subscribe(id, 'high'), aliceId);

    const aliceCam = (streams) => streamOf(streams, aliceId, 'video', 'camera');
    const first = await waitInbound(bob, (s) => aliceCam(s)?.framesDecoded > 0, "bob decodes alice's camera", 60_000);
    t.diagnostic(`bob first receives alice at ${aliceCam(first.streams).frameWidth}x${aliceCam(first.streams).frameHeight}`);
    const full = await waitInbound(bob, (s) => aliceCam(s)?.frameWidth >= 640, "bob receives alice's full layer", 90_000);
    t.diagnostic(`bob now receives alice at ${aliceCam(full.streams).frameWidth}x${aliceCam(full.streams).frameHeight}`);

    const token = await registerByApi(server, 'observer');
    let bobEntry = null;
    await poll(async () => {
      const snapshot = await roomSnapshot(server, token);
      bobEntry = snapshot.participants.find((p) => p.participant_id === bobId);
      return bobEntry?.downlink_probe_bps > 0;
    }, { timeout: 10_000, what: "a probe result in bob's downlink" }).catch((e) => {
      e.message += `; bob ${JSON.stringify(bobEntry && { ...bobEntry, subscriptions: undefined, tracks: undefined })}`;
      throw e;
    });
    t.diagnostic(`bob's downlink: estimate ${bobEntry.downlink_estimate_bps}, last probe ${bobEntry.downlink_probe_bps}, acknowledged ${bobEntry.downlink_acknowledged_bps}`);
    assert.ok(bobEntry.downlink_estimate_bps > START_KBPS * 1000 * 1.5,
      `the estimate left its ${START_KBPS} kbit/s start (${bobEntry.downlink_estimate_bps})`);
    const video = bobEntry.subscriptions.find((s) => s.kind === 'video' || s.layer != null);
    t.diagnostic(`bob's video subscription ${JSON.stringify(video)}`);

    // And it keeps decoding at full size.
    const frames = aliceCam((await roomInbound(bob)).streams).framesDecoded;
    await waitInbound(bob, (s) => aliceCam(s)?.frameWidth >= 640 && aliceCam(s).framesDecoded > frames + 10, "the full layer keeps decoding");
  }, { serverArgs: SERVER_ARGS });
});
