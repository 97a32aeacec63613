// End to end: a meeting through the web client. A registered host
// schedules a meeting with the waiting room on, from the home page, and
// starts it; two guests open the invite link in pages that are not signed
// in, wait in the waiting room and are admitted by the host from the
// participants panel. Then, as the users see it: chat (to everyone and
// privately), a raised hand in the host's list, the host muting a guest
// (whose audio stops reaching the others: getStats), a screen share as the
// large tile, breakout rooms that split the guests and bring them back, and
// the host ending the meeting for everyone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { ARTIFACTS, mediaServerArgs, newUser, poll, runScenario, sleep, useBrowser } from './lib/harness.js';
import { MEDIA_TIMEOUT_MS, streamOf, subscriberInbound, waitInbound as waitSubscriberInbound } from './lib/room.js';

const PASSWORD = 'correct horse battery';
const TOPIC = 'Design review';
const SERVER_ARGS = mediaServerArgs();

const browser = useBrowser();

// ------------------------------------------------------------------ helpers

const meetingInbound = (page) => subscriberInbound(page, 'parleyMeeting');
const waitInbound = (page, pred, what, timeout = MEDIA_TIMEOUT_MS) => waitSubscriberInbound(page, pred, what, timeout, 'parleyMeeting');

// Waits until every one of `others` sends this page decoded video and audio.
function waitMediaFrom(page, others, what) {
  return waitInbound(page, (s) => others.every((id) => streamOf(s, id, 'video', 'camera')?.framesDecoded > 0 && streamOf(s, id, 'audio')?.packetsReceived > 0), what);
}

async function meetingState(page) {
  return page.evaluate(() => {
    const m = window.parleyMeeting;
    return m ? {
      phase: m.phase, state: m.state, role: m.role, id: m.participantId, error: m.error, mediaState: m.mediaState,
      participants: m.participants.map((p) => `${p.display_name}:${p.role}:${p.room_id ?? '-'}`),
      room: m.roomParticipants.map((p) => p.display_name), myRoom: m.myRoom, layout: m.layout,
    } : null;
  }).catch((e) => ({ error: e.message }));
}

// Waits for fn(window.parleyMeeting, arg) to hold on the page.
async function waitMeeting(page, fn, arg, what, timeout = MEDIA_TIMEOUT_MS) {
  try {
    // The page's CSP forbids eval: make the predicate a function here, which
    // Playwright hands to the page as a function.
    // eslint-disable-next-line no-new-func
    const predicate = new Function('a', `const m = window.parleyMeeting; return !!m && (${fn.toString()})(m, a);`);
    await page.waitForFunction(predicate, arg ?? null, { polling: 200, timeout });
  } catch (e) {
    e.message = `${what}: ${e.message}; meeting ${JSON.stringify(await meetingState(page))}`;
    throw e;
  }
}

// A guest: a fresh browser context (nobody signed in) that opens the link.
async function openAsGuest(session, name, link) {
  const ctx = await session.newContext();
  const page = await session.open(ctx, name);
  await page.goto('about:blank');
  await page.goto(link);
  await page.getByTestId('meeting-prejoin').waitFor({ state: 'visible' });
  return page;
}

async function prejoin(page, displayName) {
  const name = page.getByTestId('prejoin-name');
  if (displayName != null) await name.fill(displayName);
  // The preview shows the camera before joining.
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid="prejoin-video"]');
    return v && v.srcObject && v.videoWidth > 0;
  }, null, { polling: 200 });
  await page.getByTestId('prejoin-join').click();
}

async function openPanel(page, button, panel) {
  if (!(await page.getByTestId(panel).isVisible())) await page.getByTestId(button).click();
  await page.getByTestId(panel).waitFor({ state: 'visible' });
}

// Background tabs paint lazily: bring the page to the front first.
async function shot(page, name) {
  await page.bringToFront();
  await sleep(400);
  await page.screenshot({ path: path.join(ARTIFACTS, name) });
}

async function closePanel(page, panel) {
  const el = page.getByTestId(panel);
  if (await el.isVisible()) await el.getByTestId('panel-close').click();
  await el.waitFor({ state: 'hidden' });
}

const chatTexts = (page) => page.locator('[data-testid="chat-panel"] [data-testid="chat-text"]').allTextContents();

async function waitChat(page, text) {
  await page.locator('[data-testid="chat-panel"] [data-testid="chat-message"]', { hasText: text }).first().waitFor({ state: 'visible' });
}

function item(page, testid, id) {
  return page.locator(`[data-testid="${testid}"][data-participant-id="${id}"]`);
}

// Audio packets from `id` stop increasing at the page while `other`'s keep
// flowing.
async function audioStops(page, id, other, what) {
  let before = null;
  let after = null;
  await poll(async () => {
    before = await meetingInbound(page);
    await sleep(1500);
    after = await meetingInbound(page);
    const a0 = streamOf(before.streams, id, 'audio')?.packetsReceived;
    const a1 = streamOf(after.streams, id, 'audio')?.packetsReceived;
    return before.pcId === after.pcId && a0 != null && a0 === a1;
  }, { timeout: 15_000, interval: 0, what }).catch((e) => {
    e.message += `; before ${JSON.stringify(before?.streams)} after ${JSON.stringify(after?.streams)}`;
    throw e;
  });
  const o0 = streamOf(before.streams, other, 'audio')?.packetsReceived ?? 0;
  const o1 = streamOf(after.streams, other, 'audio')?.packetsReceived ?? 0;
  assert.ok(o1 > o0 + 20, `${what}: the other audio keeps flowing (${o0} → ${o1})`);
  return streamOf(after.streams, id, 'audio').packetsReceived;
}

// ------------------------------------------------------------------ the test

test('meeting: waiting room, chat, hand, host mute, screen share, breakout rooms, end for all', { timeout: 300_000 }, async (t) => {
  await runScenario(t, browser(), async ({ session }) => {
    // --- the host schedules a meeting with the waiting room on
    const { page: host } = await newUser(session, 'host', { username: 'hana', password: PASSWORD, displayName: 'Hana Host' });
    await host.getByTestId('meeting-schedule').click();
    const dialog = host.getByTestId('schedule-dialog');
    await dialog.waitFor({ state: 'visible' });
    await host.getByTestId('schedule-topic').fill(TOPIC);
    await dialog.locator('label.switch-row', { has: host.getByTestId('schedule-waiting-room') }).click();
    assert.equal(await host.getByTestId('schedule-waiting-room').isChecked(), true, 'waiting room switched on');
    await host.getByTestId('schedule-submit').click();
    await dialog.waitFor({ state: 'detached' });
    const listed = host.locator('[data-testid="meeting-item"]', { hasText: TOPIC });
    await listed.waitFor({ state: 'visible' });
    await listed.getByText('Waiting room').waitFor();
    await shot(host, 'meeting-home.png');
    const meetingId = await listed.getAttribute('data-meeting-id');
    const link = await listed.getAttribute('data-join-url');
    assert.match(meetingId, /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/, 'a Meet-style meeting code');
    assert.ok(link.includes(`#/meeting/${meetingId}`), `the invite link names the meeting (${link})`);
    t.diagnostic(`meeting ${meetingId}, link ${link}`);

    // --- the host starts it (pre-join screen, then in as host)
    await listed.getByTestId('meeting-start').click();
    await host.getByTestId('meeting-prejoin').waitFor({ state: 'visible' });
    assert.equal(await host.getByTestId('prejoin-name').inputValue(), 'Hana Host');
    await prejoin(host, null);
    await waitMeeting(host, (m) => m.state === 'joined' && m.role === 'host' && m.mediaState === 'joined', null, 'host in the meeting');
    await host.getByTestId('meeting-topic').filter({ hasText: TOPIC }).waitFor();
    const ids = { host: await host.evaluate(() => window.parleyMeeting.participantId) };

    // --- guest 1 opens the link without an account and waits
    const gus = await openAsGuest(session, 'gus', link);
    assert.equal(await gus.getByTestId('prejoin-name').inputValue(), '', 'a guest starts without a name');
    await gus.getByTestId('prejoin-name').fill('Gus Guest');
    await gus.waitForFunction(() => document.querySelector('[data-testid="prejoin-video"]')?.videoWidth > 0, null, { polling: 200 });
    await shot(gus, 'meeting-prejoin.png');
    await prejoin(gus, 'Gus Guest');
    await gus.getByTestId('meeting-waiting').waitFor({ state: 'visible' });
    await waitMeeting(gus, (m) => m.state === 'waiting', null, 'gus waits');
    await gus.getByTestId('meeting-waiting').getByText('Waiting for the host').waitFor();
    await shot(gus, 'meeting-waiting.png');

    // The host sees him waiting and admits him from the participants panel.
    await host.getByTestId('waiting-popup').getByText('Gus Guest is waiting').waitFor();
    await openPanel(host, 'meeting-participants-btn', 'participants-panel');
    const waitingGus = host.locator('[data-testid="waiting-item"]', { hasText: 'Gus Guest' });
    await waitingGus.waitFor({ state: 'visible' });
    await waitingGus.getByTestId('waiting-admit').click();
    await waitMeeting(gus, (m) => m.state === 'joined' && m.mediaState === 'joined', null, 'gus admitted');
    await gus.getByTestId('meeting-waiting').waitFor({ state: 'hidden' });
    ids.gus = await gus.evaluate(() => window.parleyMeeting.participantId);

    // --- guest 2 the same way; the host admits everyone waiting
    const wendy = await openAsGuest(session, 'wendy', link);
    await prejoin(wendy, 'Wendy Guest');
    await waitMeeting(wendy, (m) => m.state === 'waiting', null, 'wendy waits');
    await host.locator('[data-testid="waiting-item"]', { hasText: 'Wendy Guest' }).waitFor({ state: 'visible' });
    await host.getByTestId('waiting-admit-all').click();
    await waitMeeting(wendy, (m) => m.state === 'joined' && m.mediaState === 'joined', null, 'wendy admitted');
    ids.wendy = await wendy.evaluate(() => window.parleyMeeting.participantId);
    t.diagnostic(`participant ids ${JSON.stringify(ids)}`);
    assert.equal(new Set(Object.values(ids)).size, 3, 'three distinct participants');

    const pages = { host, gus, wendy };
    const names = Object.keys(pages);
    await Promise.all(names.map((n) => waitMeeting(pages[n], (m) => m.participants.length === 3 && m.roomParticipants.length === 3, null, `${n} sees three`)));
    const roles = await host.evaluate(() => Object.fromEntries(window.parleyMeeting.participants.map((p) => [p.display_name, p.role])));
    assert.deepEqual(roles, { 'Hana Host': 'host', 'Gus Guest': 'participant', 'Wendy Guest': 'participant' });
    await host.locator('[data-testid="participant-item"][data-role="host"]', { hasText: 'Hana Host' }).waitFor();

    // Everyone decodes the other two cameras and hears the other two
    // microphones.
    await Promise.all(names.map((n) => waitMediaFrom(pages[n], names.filter((o) => o !== n).map((o) => ids[o]), `${n}: media from the other two`)));

    // --- gallery: three tiles with video, a network indicator on each
    await closePanel(host, 'participants-panel');
    await host.locator('[data-testid="meeting-grid"] [data-testid="meeting-tile"].has-frames').nth(2).waitFor({ timeout: MEDIA_TIMEOUT_MS });
    assert.equal(await host.locator('[data-testid="meeting-grid"] [data-testid="meeting-tile"]').count(), 3);
    assert.equal(await host.evaluate(() => window.parleyMeeting.layout), 'gallery');
    await host.locator(`[data-testid="meeting-tile"][data-participant-id="${ids.gus}"][data-network]`).waitFor({ timeout: MEDIA_TIMEOUT_MS });
    const bars = await host.evaluate(() => window.parleyMeeting.networkQuality);
    t.diagnostic(`network quality at the host ${JSON.stringify(bars)}`);
    assert.ok(bars[ids.gus] >= 1 && bars[ids.gus] <= 3, 'one to three bars for gus');
    // Visible tiles are subscribed (none off).
    const subs = await host.evaluate(() => window.parleyMeeting.subscriptions);
    assert.ok(Object.values(subs).every((q) => q !== 'off'), `every visible tile subscribed ${JSON.stringify(subs)}`);
    await shot(host, 'meeting-gallery.png');

    // --- chat: everyone sees a message to everyone; a private one only its two
    await openPanel(gus, 'meeting-chat-btn', 'chat-panel');
    await gus.getByTestId('chat-input').fill('Hello from Gus');
    await gus.getByTestId('chat-input').press('Enter');
    await openPanel(host, 'meeting-chat-btn', 'chat-panel');
    await openPanel(wendy, 'meeting-chat-btn', 'chat-panel');
    await Promise.all(names.map((n) => waitChat(pages[n], 'Hello from Gus')));
    await host.getByTestId('chat-input').fill('Welcome, both of you');
    await host.getByTestId('chat-send').click();
    await Promise.all(names.map((n) => waitChat(pages[n], 'Welcome, both of you')));
    await wendy.getByTestId('chat-to').selectOption(ids.host);
    await wendy.getByTestId('chat-input').fill('A word in private');
    await wendy.getByTestId('chat-input').press('Enter');
    await waitChat(host, 'A word in private');
    assert.equal(await host.locator('[data-testid="chat-message"][data-private="true"]', { hasText: 'A word in private' }).count(), 1, 'marked private at the host');
    await waitChat(wendy, 'A word in private');
    await sleep(1000);
    assert.ok(!(await chatTexts(gus)).includes('A word in private'), 'gus does not see the private message');
    t.diagnostic(`chat at gus: ${JSON.stringify(await chatTexts(gus))}`);

    // --- a raised hand shows in the host's participant list
    await wendy.getByTestId('meeting-hand').click();
    await openPanel(host, 'meeting-participants-btn', 'participants-panel');
    const wendyRow = item(host, 'participant-item', ids.wendy);
    await wendyRow.getByTestId('p-hand').waitFor({ state: 'visible' });
    assert.equal(await wendyRow.getAttribute('data-hand-raised'), 'true');
    await host.locator(`[data-testid="meeting-tile"][data-participant-id="${ids.wendy}"] [data-testid="tile-hand"]`).waitFor({ state: 'visible' });
    // The host lowers it.
    await wendyRow.getByTestId('p-more').click();
    await host.getByTestId('p-action-lower-hand').click();
    await wendy.waitForFunction(() => document.querySelector('[data-testid="meeting-hand"]').getAttribute('aria-pressed') === 'false', null, { polling: 200 });
    await wendyRow.getByTestId('p-hand').waitFor({ state: 'detached' });

    // --- the host mutes gus; his audio stops reaching the others
    const gusRow = item(host, 'participant-item', ids.gus);
    assert.equal(await gusRow.getAttribute('data-audio-muted'), 'false');
    await gusRow.getByTestId('p-more').click();
    await host.getByTestId('p-action-mute').click();
    await gus.waitForFunction(() => document.querySelector('[data-testid="meeting-mic"]').getAttribute('aria-pressed') === 'true', null, { polling: 200 });
    await gus.locator('[data-testid="toast"]', { hasText: 'muted your microphone' }).first().waitFor();
    assert.equal(await gus.evaluate(() => window.parleyMeeting.localStream.getAudioTracks()[0].enabled), false, "gus's microphone track is off");
    await host.locator(`[data-testid="participant-item"][data-participant-id="${ids.gus}"][data-audio-muted="true"]`).waitFor();
    await wendy.locator(`[data-testid="meeting-tile"][data-participant-id="${ids.gus}"][data-audio-muted="true"]`).waitFor();
    const mutedAtHost = await audioStops(host, ids.gus, ids.wendy, "host: gus's audio stops");
    await audioStops(wendy, ids.gus, ids.host, "wendy: gus's audio stops");
    t.diagnostic(`gus's audio at the host stays at ${mutedAtHost} packets`);
    // He unmutes himself (allowed) and is heard again.
    await gus.getByTestId('meeting-mic').click();
    await waitInbound(host, (s) => streamOf(s, ids.gus, 'audio')?.packetsReceived > mutedAtHost + 20, "gus's audio at the host after unmuting");

    // --- speaker view, then a screen share as the large tile
    await closePanel(host, 'participants-panel');
    await closePanel(host, 'chat-panel');
    await host.getByTestId('meeting-layout-btn').click();
    await host.getByTestId('layout-speaker').click();
    await waitMeeting(host, (m) => m.layout === 'speaker', null, 'speaker layout');
    await host.locator('[data-testid="meeting-spotlight"] [data-testid="meeting-tile"]').waitFor();
    assert.equal(await host.locator('[data-testid="meeting-strip"] [data-testid="meeting-tile"]').count(), 2, 'the other two in the strip');

    await wendy.getByTestId('meeting-share').click();
    await waitMeeting(wendy, (m) => m.sharing === true, null, 'wendy shares');
    for (const n of ['host', 'gus']) {
      await pages[n].locator(`[data-testid="meeting-spotlight"] [data-testid="screen-tile"][data-participant-id="${ids.wendy}"].has-frames`).waitFor({ timeout: MEDIA_TIMEOUT_MS });
      await waitMeeting(pages[n], (m) => m.layout === 'share', null, `${n}: share layout`);
      await waitInbound(pages[n], (s) => streamOf(s, ids.wendy, 'video', 'screen')?.framesDecoded > 0, `${n}: wendy's screen decodes`);
    }
    const spot = await host.locator('[data-testid="meeting-spotlight"] [data-testid="screen-tile"]').boundingBox();
    const stripTile = await host.locator('[data-testid="meeting-strip"] [data-testid="meeting-tile"]').first().boundingBox();
    assert.ok(spot.width > stripTile.width * 2, `the share is the large tile (${spot.width} vs ${stripTile.width})`);
    await shot(host, 'meeting-speaker-share.png');
    await wendy.getByTestId('meeting-share').click();
    await Promise.all(['host', 'gus'].map((n) => pages[n].locator('[data-testid="screen-tile"]').waitFor({ state: 'detached' })));
    await waitMeeting(host, (m) => m.layout === 'speaker', null, 'back to speaker view');

    // --- panels: participants and chat side by side
    await openPanel(host, 'meeting-participants-btn', 'participants-panel');
    await openPanel(host, 'meeting-chat-btn', 'chat-panel');
    await host.getByTestId('meeting-layout-btn').click();
    await host.getByTestId('layout-gallery').click();
    await shot(host, 'meeting-panels.png');
    await closePanel(host, 'participants-panel');
    await closePanel(host, 'chat-panel');

    // --- breakout rooms: two rooms, one guest each, then back together
    await host.getByTestId('meeting-breakouts-btn').click();
    await host.getByTestId('breakouts-panel').waitFor({ state: 'visible' });
    await host.getByTestId('breakout-count').fill('2');
    await host.getByTestId('breakout-assign-auto').check();
    await host.getByTestId('breakout-create').click();
    await host.locator('[data-testid="breakout-room"][data-count="1"]').nth(1).waitFor();
    await host.getByTestId('breakout-open').click();
    await Promise.all(['gus', 'wendy'].map((n) => waitMeeting(pages[n], (m) => !!m.myRoom && m.mediaState === 'joined' && m.roomParticipants.length === 1, null, `${n} alone in a breakout room`)));
    const rooms = {};
    for (const n of ['gus', 'wendy']) {
      rooms[n] = await pages[n].evaluate(() => window.parleyMeeting.myRoom);
      await pages[n].getByTestId('breakout-banner').waitFor({ state: 'visible' });
      assert.equal(await pages[n].getByTestId('breakout-room-name').textContent(), `You are in ${rooms[n].name}`);
    }
    t.diagnostic(`breakout rooms ${JSON.stringify(rooms)}`);
    assert.notEqual(rooms.gus.room_id, rooms.wendy.room_id, 'the guests are in different rooms');
    await waitMeeting(host, (m) => !m.myRoom && m.roomParticipants.length === 1, null, 'the host alone in the main room');
    // Each guest's connections were set up again, alone: no one else's media.
    for (const n of ['gus', 'wendy']) {
      await pages[n].waitForFunction(() => window.parleyMeeting.publisherPc?.connectionState === 'connected', null, { polling: 200 });
      const inbound = await meetingInbound(pages[n]);
      assert.ok(!inbound.streams.some((s) => s.packetsReceived > 0), `${n} receives nobody in a room of one (${JSON.stringify(inbound.streams)})`);
    }
    // A message from the host reaches every room.
    await host.getByTestId('breakout-broadcast-input').fill('Two minutes left');
    await host.getByTestId('breakout-broadcast-send').click();
    await Promise.all(['gus', 'wendy'].map((n) => pages[n].getByTestId('breakout-broadcast').filter({ hasText: 'Two minutes left' }).waitFor()));
    await shot(host, 'meeting-breakouts-host.png');
    await shot(gus, 'meeting-breakouts-guest.png');
    // Close with a countdown: the guests see it, then come back.
    await host.getByTestId('breakout-countdown-select').selectOption('5');
    await host.getByTestId('breakout-close').click();
    await Promise.all(['gus', 'wendy'].map((n) => pages[n].getByTestId('breakout-countdown').filter({ hasText: 'Back to the main room in' }).waitFor()));
    await Promise.all(names.map((n) => waitMeeting(pages[n], (m) => !m.myRoom && m.mediaState === 'joined' && m.roomParticipants.length === 3, null, `${n} back in the main room`, 40_000)));
    for (const n of ['gus', 'wendy']) await pages[n].getByTestId('breakout-banner').waitFor({ state: 'hidden' });
    await Promise.all(names.map((n) => waitMediaFrom(pages[n], names.filter((o) => o !== n).map((o) => ids[o]), `${n}: media from the other two after the breakout`)));

    // --- the host ends the meeting for everyone
    await host.getByTestId('meeting-leave').click();
    await host.getByTestId('meeting-end-all').click();
    for (const n of names) {
      await pages[n].locator('[data-testid="meeting-end-screen"]').waitFor({ state: 'visible' });
    }
    await shot(gus, 'meeting-ended.png');
    for (const n of ['gus', 'wendy']) {
      assert.equal(await pages[n].getByTestId('meeting-end-screen').getAttribute('data-reason'), 'ended');
      await pages[n].getByTestId('meeting-end-title').filter({ hasText: 'The meeting has ended' }).waitFor();
    }
  }, { serverArgs: SERVER_ARGS });
});

test('meeting: join by code, a password asked for and checked, host succession, an instant meeting', { timeout: 150_000 }, async (t) => {
  await runScenario(t, browser(), async ({ session }) => {
    // The host schedules a meeting with a password (and no waiting room).
    const { page: host } = await newUser(session, 'host', { username: 'ivan', password: PASSWORD, displayName: 'Ivan Host' });
    await host.getByTestId('meeting-schedule').click();
    await host.getByTestId('schedule-topic').fill('Budget');
    await host.getByTestId('schedule-password').fill('s3cret-pw');
    await host.getByTestId('schedule-submit').click();
    const listed = host.locator('[data-testid="meeting-item"]', { hasText: 'Budget' });
    await listed.getByText('Password').waitFor();
    const code = await listed.getByTestId('meeting-item-code').textContent();
    assert.ok((await listed.getAttribute('data-join-url')).includes('pwd=s3cret-pw'), 'the invite link carries the password');

    // A bad code is refused on the spot; the real one opens the pre-join
    // screen, and the meeting's creator needs no password.
    await host.getByTestId('meeting-code-input').fill('not a code');
    await host.getByTestId('meeting-code-join').click();
    await host.getByTestId('meeting-code-hint').filter({ hasText: 'not a meeting code' }).waitFor();
    await host.getByTestId('meeting-code-input').fill(code.toUpperCase().replace(/-/g, ' '));
    await host.getByTestId('meeting-code-join').click();
    await host.getByTestId('meeting-prejoin').waitFor();
    await prejoin(host, null);
    await waitMeeting(host, (m) => m.state === 'joined' && m.role === 'host' && m.topic === 'Budget', null, 'host in the meeting');

    // A guest types the bare code on the sign-in page: the password is asked
    // for, a wrong one gets the server's answer, the right one lets her in.
    const ctx = await session.newContext();
    const guest = await session.open(ctx, 'guest');
    await guest.getByTestId('guest-meeting-code').fill(code);
    await guest.getByTestId('guest-meeting-join').click();
    await guest.getByTestId('meeting-prejoin').waitFor();
    await guest.getByTestId('prejoin-name').fill('Gina Guest');
    await guest.getByTestId('prejoin-join').click();
    await guest.getByTestId('prejoin-password').waitFor({ state: 'visible' });
    await guest.getByTestId('prejoin-notice').filter({ hasText: 'has a password' }).waitFor();
    await guest.getByTestId('prejoin-password').fill('guess');
    await guest.getByTestId('prejoin-join').click();
    const error = guest.getByTestId('prejoin-error');
    await error.waitFor({ state: 'visible' });
    t.diagnostic(`wrong password: ${await error.textContent()}`);
    assert.match(await error.textContent(), /password is wrong/i, "the server's message");
    await guest.getByTestId('prejoin-password').fill('s3cret-pw');
    await guest.getByTestId('prejoin-join').click();
    await waitMeeting(guest, (m) => m.state === 'joined' && m.role === 'participant' && m.participants.length === 2, null, 'guest in the meeting');
    await waitMediaFrom(host, [await guest.evaluate(() => window.parleyMeeting.participantId)], 'host: media from the guest');

    // The host leaves (not ending it): the guest becomes the host.
    await host.getByTestId('meeting-leave').click();
    await host.getByTestId('meeting-leave-only').click();
    await host.getByTestId('meeting-end-screen').waitFor();
    assert.equal(await host.getByTestId('meeting-end-screen').getAttribute('data-reason'), 'left');
    await waitMeeting(guest, (m) => m.role === 'host' && m.participants.length === 1, null, 'the guest succeeds as host');
    await guest.locator('[data-testid="toast"]', { hasText: 'You are now the host' }).first().waitFor();
    await guest.getByTestId('meeting-breakouts-btn').waitFor({ state: 'visible' });

    // Back home, the host starts an instant meeting and is its host.
    await host.getByTestId('end-home').click();
    await host.getByTestId('meeting-new').click();
    await host.getByTestId('meeting-prejoin').waitFor();
    await prejoin(host, null);
    await waitMeeting(host, (m) => m.state === 'joined' && m.role === 'host', null, 'host of the instant meeting');
    const instant = await host.evaluate(() => ({ id: window.parleyMeeting.meetingId, topic: window.parleyMeeting.topic }));
    t.diagnostic(`instant meeting ${JSON.stringify(instant)}`);
    assert.notEqual(instant.id, code, 'a new meeting');
    assert.match(instant.id, /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
  }, { serverArgs: SERVER_ARGS });
});

test('meeting: host controls — lock, permissions, mute all, co-host, remove', { timeout: 150_000 }, async (t) => {
  await runScenario(t, browser(), async ({ session }) => {
    const { page: host } = await newUser(session, 'host', { username: 'hugo', password: PASSWORD, displayName: 'Hugo Host' });
    await host.getByTestId('meeting-new').click();
    await host.getByTestId('meeting-prejoin').waitFor();
    await prejoin(host, null);
    await waitMeeting(host, (m) => m.state === 'joined' && m.role === 'host', null, 'host in the meeting');
    const id = await host.evaluate(() => window.parleyMeeting.meetingId);
    await host.getByTestId('meeting-invite').click();
    const link = await host.getByTestId('invite-link').inputValue();
    assert.ok(link.endsWith(`#/meeting/${id}`), `the invite link (${link})`);
    await host.keyboard.press('Escape');

    const pat = await openAsGuest(session, 'pat', link);
    await prejoin(pat, 'Pat Guest');
    await waitMeeting(pat, (m) => m.state === 'joined' && m.participants.length === 2, null, 'pat in the meeting');
    const patId = await pat.evaluate(() => window.parleyMeeting.participantId);
    await openPanel(host, 'meeting-participants-btn', 'participants-panel');

    // Lock: everyone sees it, and a newcomer is turned away.
    await host.getByTestId('lock-toggle').click();
    await pat.getByTestId('meeting-locked').waitFor({ state: 'visible' });
    const late = await openAsGuest(session, 'late', link);
    await late.getByTestId('prejoin-name').fill('Late Larry');
    await late.getByTestId('prejoin-join').click();
    await late.getByTestId('prejoin-error').filter({ hasText: /lock/i }).waitFor();
    t.diagnostic(`locked: ${await late.getByTestId('prejoin-error').textContent()}`);
    await host.getByTestId('lock-toggle').click();
    await pat.getByTestId('meeting-locked').waitFor({ state: 'hidden' });

    // Permissions: chat and screen sharing for hosts only, then back.
    await host.getByTestId('permissions-btn').click();
    await host.getByTestId('permissions-menu').locator('label.switch-row', { has: host.getByTestId('perm-chat') }).click();
    await host.getByTestId('permissions-menu').locator('label.switch-row', { has: host.getByTestId('perm-screen-share') }).click();
    await host.keyboard.press('Escape');
    await openPanel(pat, 'meeting-chat-btn', 'chat-panel');
    await pat.getByTestId('chat-panel').getByText('Only the host can send messages').waitFor();
    await pat.waitForFunction(() => document.querySelector('[data-testid="meeting-share"]').disabled, null, { polling: 200 });
    await waitMeeting(pat, (m) => m.permissions.chat === 'host' && !m.grants.can_chat, null, 'pat may not chat');
    await host.getByTestId('permissions-btn').click();
    await host.getByTestId('permissions-menu').locator('label.switch-row', { has: host.getByTestId('perm-chat') }).click();
    await host.getByTestId('permissions-menu').locator('label.switch-row', { has: host.getByTestId('perm-screen-share') }).click();
    await host.keyboard.press('Escape');
    await pat.getByTestId('chat-input').waitFor({ state: 'visible' });
    await pat.waitForFunction(() => !document.querySelector('[data-testid="meeting-share"]').disabled, null, { polling: 200 });

    // Mute all without letting people unmute: pat cannot unmute until the
    // host allows it.
    await host.getByTestId('mute-all').click();
    await host.getByTestId('mute-all-allow').uncheck();
    await host.getByTestId('confirm-ok').click();
    await waitMeeting(pat, (m) => m.micMuted === true && m.permissions.allow_unmute === false, null, 'pat muted, unmuting not allowed');
    await pat.getByTestId('meeting-mic').click();
    await pat.locator('[data-testid="toast"]', { hasText: /not allowed|unmute/i }).first().waitFor();
    assert.equal(await pat.evaluate(() => window.parleyMeeting.micMuted), true, 'still muted');
    await host.getByTestId('permissions-btn').click();
    await host.getByTestId('permissions-menu').locator('label.switch-row', { has: host.getByTestId('perm-unmute') }).click();
    await host.keyboard.press('Escape');
    await waitMeeting(pat, (m) => m.permissions.allow_unmute === true, null, 'unmuting allowed again');
    await pat.getByTestId('meeting-mic').click();
    await waitMeeting(pat, (m) => m.micMuted === false, null, 'pat unmuted');
    await item(host, 'participant-item', patId).and(host.locator('[data-audio-muted="false"]')).waitFor();

    // Co-host: pat gets the host tools, then loses them.
    await item(host, 'participant-item', patId).getByTestId('p-more').click();
    await host.getByTestId('p-action-cohost').click();
    await waitMeeting(pat, (m) => m.role === 'cohost' && m.isHost, null, 'pat is co-host');
    await pat.getByTestId('meeting-breakouts-btn').waitFor({ state: 'visible' });
    await item(host, 'participant-item', patId).getByTestId('p-role').filter({ hasText: 'Co-host' }).waitFor();
    await item(host, 'participant-item', patId).getByTestId('p-more').click();
    await host.getByTestId('p-action-cohost').click();
    await waitMeeting(pat, (m) => m.role === 'participant' && !m.isHost, null, 'pat is a participant again');

    // Remove: pat is out and cannot come back.
    await item(host, 'participant-item', patId).getByTestId('p-more').click();
    await host.getByTestId('p-action-remove').click();
    await host.getByTestId('confirm-ok').click();
    await pat.getByTestId('meeting-end-screen').waitFor();
    assert.equal(await pat.getByTestId('meeting-end-screen').getAttribute('data-reason'), 'removed');
    await waitMeeting(host, (m) => m.participants.length === 1, null, 'host alone');
    assert.equal(await pat.getByTestId('end-rejoin').count(), 0, 'no way back offered');
  }, { serverArgs: SERVER_ARGS });
});
