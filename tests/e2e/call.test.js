// End to end: the real server binary, Debian's Chromium with fake camera and
// microphone, and the web client the server serves. Run with `node --test`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import {
  ARTIFACTS, placeCall, runScenario, signUp, sleep, useBrowser, waitCallLasted, waitForHistory, waitForMedia, waitOnline, waitState,
} from './lib/harness.js';

const PASSWORD = 'correct horse battery';

const browser = useBrowser();

const scenario = (t, body, opts) => runScenario(t, browser(), body, opts);

test('video call: rings every device of the callee, first answer wins, media flows, history records it', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ session }) => {
    const aliceCtx = await session.newContext();
    const bobCtx = await session.newContext();

    const alice = await session.open(aliceCtx, 'alice');
    await signUp(alice, { username: 'alice', password: PASSWORD, displayName: 'Alice' });

    const bob1 = await session.open(bobCtx, 'bob-tab1');
    await signUp(bob1, { username: 'bob', password: PASSWORD, displayName: 'Bob' });
    // The second tab shares the context's localStorage, so it is signed in,
    // but has its own sessionStorage, so it is a second device.
    const bob2 = await session.open(bobCtx, 'bob-tab2');
    await bob2.getByTestId('callee-input').waitFor();

    await Promise.all([waitOnline(alice), waitOnline(bob1), waitOnline(bob2)]);
    const [dev1, dev2] = await Promise.all([bob1, bob2].map((p) => p.evaluate(() => window.parley.deviceId)));
    assert.ok(dev1 && dev2, 'both tabs have a device id');
    assert.notEqual(dev1, dev2, "bob's two tabs are two devices");

    // alice video-calls bob
    await placeCall(alice, 'bob', 'video');
    await alice.getByTestId('outgoing-call').waitFor({ state: 'visible' });

    // both of bob's tabs ring
    for (const bob of [bob1, bob2]) {
      await bob.getByTestId('incoming-call').waitFor({ state: 'visible' });
      await bob.waitForFunction(() => window.parley.ringing === true && window.parley.state === 'incoming', null, { polling: 100 });
      await assert.doesNotReject(bob.getByTestId('incoming-caller').filter({ hasText: 'Alice' }).waitFor());
    }
    await alice.getByTestId('outgoing-status').filter({ hasText: 'Ringing' }).waitFor();

    // bob answers in the first tab; the second stops ringing
    await bob1.getByTestId('accept-video').click();
    await bob1.getByTestId('in-call').waitFor({ state: 'visible' });
    await bob2.getByTestId('incoming-call').waitFor({ state: 'detached' });
    await bob2.waitForFunction(() => window.parley.ringing === false && window.parley.state === 'idle', null, { polling: 100 });
    assert.equal(await bob1.evaluate(() => window.parley.ringing), false, 'the answering tab stopped ringing');
    await bob2.getByTestId('toast').filter({ hasText: 'Answered on another device' }).waitFor();

    await alice.getByTestId('in-call').waitFor({ state: 'visible' });
    await waitState(alice, 'in-call');

    // media flows both ways
    const [aliceStats, bobStats] = await Promise.all([
      waitForMedia(alice, { video: true, timeout: 20_000 }),
      waitForMedia(bob1, { video: true, timeout: 20_000 }),
    ]);
    t.diagnostic(`alice inbound ${JSON.stringify(aliceStats)}`);
    t.diagnostic(`bob inbound ${JSON.stringify(bobStats)}`);

    // evidence: alice's in-call view with bob's video
    await alice.locator('[data-testid="in-call"].has-remote-video').waitFor();
    await alice.waitForFunction(() => /^\d\d:\d\d$/.test(document.querySelector('[data-testid="call-duration"]')?.textContent ?? ''));
    await sleep(500); // let the video fade in
    await alice.screenshot({ path: path.join(ARTIFACTS, 'in-call.png') });

    // the call must last at least a second before hanging up
    await waitCallLasted(alice, 2);

    await alice.getByTestId('hangup').click();
    await waitState(alice, 'idle');
    await waitState(bob1, 'idle');
    await bob1.getByTestId('in-call').waitFor({ state: 'detached' });

    const aliceEntry = await waitForHistory(alice, (c) => c.peer === 'bob' && c.status === 'completed', "alice's completed call");
    assert.equal(aliceEntry.direction, 'outgoing');
    assert.equal(aliceEntry.type, 'video');
    assert.ok(aliceEntry.duration >= 1, `alice's entry lasted ${aliceEntry.duration} s`);

    const bobEntry = await waitForHistory(bob1, (c) => c.peer === 'alice' && c.status === 'completed', "bob's completed call");
    assert.equal(bobEntry.direction, 'incoming');
    assert.ok(bobEntry.duration >= 1, `bob's entry lasted ${bobEntry.duration} s`);
    assert.equal(bobEntry.callId, aliceEntry.callId, 'both histories hold the same call');

    // the tab that did not answer sees it too
    await waitForHistory(bob2, (c) => c.callId === aliceEntry.callId && c.status === 'completed', "bob's other tab");
  });
});

test('voice call declined: declined in the caller history, declined or missed for the callee', { timeout: 120_000 }, async (t) => {
  await scenario(t, async ({ session }) => {
    const alice = await session.open(await session.newContext(), 'alice');
    await signUp(alice, { username: 'alice', password: PASSWORD, displayName: 'Alice' });
    const bob = await session.open(await session.newContext(), 'bob');
    await signUp(bob, { username: 'bob', password: PASSWORD, displayName: 'Bob' });
    await Promise.all([waitOnline(alice), waitOnline(bob)]);

    await placeCall(alice, 'bob', 'voice');
    await alice.getByTestId('outgoing-call').waitFor({ state: 'visible' });
    await bob.getByTestId('incoming-call').waitFor({ state: 'visible' });
    await bob.waitForFunction(() => window.parley.ringing === true, null, { polling: 100 });
    assert.equal(await bob.getByTestId('accept-video').count(), 0, 'a voice call offers no video answer');
    assert.equal(await bob.getByTestId('accept-voice').count(), 1);

    await bob.getByTestId('decline').click();
    await bob.getByTestId('incoming-call').waitFor({ state: 'detached' });
    assert.equal(await bob.evaluate(() => window.parley.ringing), false);

    await waitState(alice, 'idle');
    await alice.getByTestId('toast').filter({ hasText: /declined/i }).waitFor();

    const aliceEntry = await waitForHistory(alice, (c) => c.peer === 'bob', "alice's history entry");
    assert.equal(aliceEntry.status, 'declined');
    assert.equal(aliceEntry.type, 'voice');
    assert.equal(aliceEntry.direction, 'outgoing');
    assert.equal(aliceEntry.duration, 0);

    const bobEntry = await waitForHistory(bob, (c) => c.peer === 'alice', "bob's history entry");
    assert.ok(['declined', 'missed'].includes(bobEntry.status), `bob sees ${bobEntry.status}`);
    assert.equal(bobEntry.direction, 'incoming');
    assert.equal(bobEntry.callId, aliceEntry.callId);
  });
});
