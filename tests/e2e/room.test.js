// End to end: a group room through Parley's own SFU. Four headless Chromium
// pages (each its own browser context, fake camera 640×480 and microphone)
// join one room through the web client; each publishes its camera in three
// simulcast layers (q 160×120, h 320×240, f 640×480) and its microphone, and
// receives the other three through the subscriber connection. Then: a
// subscriber asks for one participant's low layer and gets it, and the full
// one back; a muted microphone stops reaching the others, who see it muted;
// a shared screen arrives at the others as a track of its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { ARTIFACTS, mediaServerArgs, newUser, poll, runScenario, sleep, useBrowser } from './lib/harness.js';
import {
  MEDIA_TIMEOUT_MS, audibleAudios, decodedVideos, joinViaHome, publisherLayers, roomInbound, streamOf, waitInbound, waitJoined,
} from './lib/room.js';

const PASSWORD = 'correct horse battery';
const ROOM = 'standup';
const SERVER_ARGS = mediaServerArgs();

const browser = useBrowser();

test('room: four participants through the SFU with simulcast, layer choice, mute and screen share', { timeout: 180_000 }, async (t) => {
  await runScenario(t, browser(), async ({ server, session }) => {
    const names = ['alice', 'bob', 'carol', 'dave'];
    const users = await Promise.all(names.map((n) => newUser(session, n, {
      username: n, password: PASSWORD, displayName: n[0].toUpperCase() + n.slice(1),
    })));
    const pages = Object.fromEntries(names.map((n, i) => [n, users[i].page]));
    const { alice, bob, carol, dave } = pages;

    // Three join from the home screen's room field, one by opening the room
    // link in a fresh load.
    await joinViaHome(alice, ROOM);
    await waitJoined(alice, 1);
    await Promise.all([joinViaHome(bob, ROOM), joinViaHome(carol, ROOM)]);
    await dave.goto('about:blank');
    await dave.goto(`${server.url}#/room/${ROOM}`);
    await dave.getByTestId('room').waitFor({ state: 'visible' });
    await Promise.all(names.map((n) => waitJoined(pages[n], 4)));

    const ids = {};
    for (const n of names) ids[n] = await pages[n].evaluate(() => window.parleyRoom.participantId);
    t.diagnostic(`participant ids ${JSON.stringify(ids)}`);
    assert.equal(new Set(Object.values(ids)).size, 4, 'four distinct participants');
    const seen = await alice.evaluate(() => window.parleyRoom.participants.map((p) => ({ id: p.participant_id, name: p.display_name })));
    assert.deepEqual(seen.map((p) => p.name).sort(), ['Alice', 'Bob', 'Carol', 'Dave']);

    // Everyone decodes the other three cameras and hears the other three
    // microphones, each mapped to the right participant.
    await Promise.all(names.map(async (n) => {
      const others = names.filter((o) => o !== n).map((o) => ids[o]);
      const got = await waitInbound(pages[n], (streams) => decodedVideos(streams).length >= 3 && audibleAudios(streams).length >= 3
        && others.every((id) => streamOf(streams, id, 'video', 'camera')?.framesDecoded > 0 && streamOf(streams, id, 'audio')?.packetsReceived > 0),
      `${n}: three decoded videos and three audios`);
      t.diagnostic(`${n} inbound ${JSON.stringify(got.streams)}`);
    }));
    for (const n of names) t.diagnostic(`${n} publishes ${JSON.stringify(await publisherLayers(pages[n]))}`);

    // The gallery shows four tiles with video on alice's page.
    await alice.locator('[data-testid="room-grid"] [data-testid="room-tile"]').nth(3).waitFor();
    assert.equal(await alice.locator('[data-testid="room-grid"] [data-testid="room-tile"]').count(), 4);
    await alice.locator('[data-testid="room-tile"].has-frames').nth(3).waitFor({ timeout: MEDIA_TIMEOUT_MS });
    // The active speaker (from the audio-level extension) is highlighted.
    await alice.locator('[data-testid="room-tile"].speaking').first().waitFor();
    const speaker = await alice.evaluate(() => window.parleyRoom.activeSpeaker);
    assert.ok(Object.values(ids).includes(speaker), `active speaker ${speaker} is one of the four`);
    await alice.screenshot({ path: path.join(ARTIFACTS, 'room-gallery.png') });

    // Layer choice: alice asks for bob's low layer and gets the smallest
    // (a quarter of the full width), then the full one again.
    const bobCam = (streams) => streamOf(streams, ids.bob, 'video', 'camera');
    const full = await waitInbound(alice, (s) => bobCam(s)?.frameWidth >= 640, "alice receives bob's full layer");
    const fullWidth = bobCam(full.streams).frameWidth;
    await alice.evaluate((id) => window.parleyRoom.subscribe(id, 'low'), ids.bob);
    const low = await waitInbound(alice, (s) => bobCam(s)?.frameWidth > 0 && bobCam(s).frameWidth <= fullWidth / 4, "bob's low layer at alice");
    t.diagnostic(`bob at alice: full ${fullWidth}, low ${bobCam(low.streams).frameWidth}x${bobCam(low.streams).frameHeight}`);
    await alice.evaluate((id) => window.parleyRoom.subscribe(id, 'high'), ids.bob);
    const high = await waitInbound(alice, (s) => bobCam(s)?.frameWidth === fullWidth, "bob's full layer at alice again");
    const framesAtHigh = bobCam(high.streams).framesDecoded;
    await waitInbound(alice, (s) => bobCam(s)?.framesDecoded > framesAtHigh + 10, "bob's full layer keeps decoding");

    // Mute: carol turns her microphone off; the others see it and stop
    // receiving her audio while bob's keeps flowing.
    await carol.getByTestId('room-toggle-mic').click();
    assert.equal(await carol.getByTestId('room-toggle-mic').getAttribute('aria-pressed'), 'true');
    const listeners = ['alice', 'bob', 'dave'];
    await Promise.all(listeners.map((n) => pages[n]
      .locator(`[data-testid="room-tile"][data-participant-id="${ids.carol}"][data-audio-muted="true"]`).waitFor()));
    for (const n of listeners) {
      const p = await pages[n].evaluate((id) => window.parleyRoom.participants.find((x) => x.participant_id === id), ids.carol);
      assert.equal(p?.audio_muted, true, `${n} has carol muted in the participant list`);
    }
    await Promise.all(listeners.map(async (n) => {
      const page = pages[n];
      let before = null;
      let after = null;
      await poll(async () => {
        before = await roomInbound(page);
        await sleep(1500);
        after = await roomInbound(page);
        const c0 = streamOf(before.streams, ids.carol, 'audio')?.packetsReceived;
        const c1 = streamOf(after.streams, ids.carol, 'audio')?.packetsReceived;
        return c0 != null && c0 === c1;
      }, { timeout: 12_000, interval: 0, what: `${n}: carol's audio stops` }).catch((e) => {
        e.message += `; before ${JSON.stringify(before?.streams)} after ${JSON.stringify(after?.streams)}`;
        throw e;
      });
      const other = n === 'bob' ? ids.alice : ids.bob;
      const o0 = streamOf(before.streams, other, 'audio').packetsReceived;
      const o1 = streamOf(after.streams, other, 'audio').packetsReceived;
      assert.ok(o1 > o0 + 20, `${n}: the others' audio keeps flowing (${o0} → ${o1})`);
      t.diagnostic(`${n}: carol's audio stays at ${streamOf(after.streams, ids.carol, 'audio').packetsReceived} packets while muted`);
    }));
    // Unmuted, her audio comes back.
    const mutedAt = streamOf((await roomInbound(alice)).streams, ids.carol, 'audio').packetsReceived;
    await carol.getByTestId('room-toggle-mic').click();
    await alice.locator(`[data-testid="room-tile"][data-participant-id="${ids.carol}"][data-audio-muted="false"]`).waitFor();
    await waitInbound(alice, (s) => streamOf(s, ids.carol, 'audio')?.packetsReceived > mutedAt + 20, "carol's audio at alice after unmute");

    // Screen share: dave presents; the others receive it as a fourth video
    // (getDisplayMedia picks the fake "Entire screen" by the harness's flag).
    await dave.getByTestId('room-share-screen').click();
    await dave.waitForFunction(() => window.parleyRoom.participants[0].screen_sharing === true, null, { polling: 200 });
    const viewers = ['alice', 'bob', 'carol'];
    await Promise.all(viewers.map((n) => waitInbound(pages[n], (s) => decodedVideos(s).length >= 4
      && streamOf(s, ids.dave, 'video', 'screen')?.framesDecoded > 0 && streamOf(s, ids.dave, 'video', 'camera')?.framesDecoded > 0,
    `${n}: dave's screen as its own track`)));
    await alice.locator(`[data-testid="room-spotlight"] [data-testid="screen-tile"][data-participant-id="${ids.dave}"].has-frames`).waitFor({ timeout: MEDIA_TIMEOUT_MS });
    const sharing = await alice.evaluate((id) => window.parleyRoom.participants.find((p) => p.participant_id === id)?.screen_sharing, ids.dave);
    assert.equal(sharing, true, 'alice sees dave presenting');
    const screenAtAlice = streamOf((await roomInbound(alice)).streams, ids.dave, 'video', 'screen');
    t.diagnostic(`dave's screen at alice ${JSON.stringify(screenAtAlice)}`);
    await sleep(300);
    await alice.screenshot({ path: path.join(ARTIFACTS, 'room.png') });

    // Dave stops; the screen tile goes away everywhere.
    await dave.getByTestId('room-share-screen').click();
    await Promise.all(viewers.map((n) => pages[n].locator('[data-testid="screen-tile"]').waitFor({ state: 'detached' })));

    // Bob leaves; the others see three.
    await bob.getByTestId('room-leave').click();
    await bob.getByTestId('room').waitFor({ state: 'detached' });
    await bob.getByTestId('room-input').waitFor({ state: 'visible' });
    await Promise.all(['alice', 'carol', 'dave'].map((n) => pages[n].waitForFunction(
      (id) => window.parleyRoom.participants.length === 3 && !window.parleyRoom.participants.some((p) => p.participant_id === id),
      ids.bob, { polling: 200 })));
  }, { serverArgs: SERVER_ARGS });
});
