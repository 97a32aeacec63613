// End to end, the harder paths of docs/protocol.md: a reload in the middle of
// a call (reconnect), both users calling each other at once (glare), and a
// call moved to another device of the same user (handoff).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  historyItems, newUser, placeCall, poll, runScenario, useBrowser, waitCallLasted, waitForHistory, waitForMedia, waitForMoreFrames, waitOnline, waitState,
} from './lib/harness.js';

const PASSWORD = 'correct horse battery';
const ALICE = { username: 'alice', password: PASSWORD, displayName: 'Alice' };
const BOB = { username: 'bob', password: PASSWORD, displayName: 'Bob' };

const browser = useBrowser();

const scenario = (t, body, opts) => runScenario(t, browser(), body, opts);

async function connectedVideoCall(alice, bob) {
  await placeCall(alice, 'bob', 'video');
  await bob.getByTestId('accept-video').click();
  await Promise.all([waitState(alice, 'in-call'), waitState(bob, 'in-call')]);
  await Promise.all([waitForMedia(alice), waitForMedia(bob)]);
  return alice.evaluate(() => window.parley.call.id);
}

async function hangUpAndCheckOneCompletedCall(alice, bob, callId) {
  await waitCallLasted(alice, 2);
  await alice.getByTestId('hangup').click();
  await Promise.all([waitState(alice, 'idle'), waitState(bob, 'idle')]);
  for (const page of [alice, bob]) {
    const entry = await waitForHistory(page, (c) => c.callId === callId && c.status === 'completed', 'the completed call');
    assert.ok(entry.duration >= 1, `duration ${entry.duration}`);
    assert.equal((await historyItems(page)).length, 1, 'exactly one call in the history');
  }
}

test('reload mid-call: the call resumes on the same device and media flows again', { timeout: 150_000 }, async (t) => {
  await scenario(t, async ({ session }) => {
    const { page: alice } = await newUser(session, 'alice', ALICE);
    const { page: bob } = await newUser(session, 'bob', BOB);
    const callId = await connectedVideoCall(alice, bob);
    const device = await bob.evaluate(() => window.parley.deviceId);

    await bob.reload();
    await waitOnline(bob);
    assert.equal(await bob.evaluate(() => window.parley.deviceId), device, 'a reload keeps the device id');
    await waitState(bob, 'in-call');
    await bob.getByTestId('in-call').waitFor();
    assert.equal(await bob.evaluate(() => window.parley.call.id), callId, 'the same call resumed');
    assert.equal(await alice.evaluate(() => window.parley.state), 'in-call', 'alice stayed in the call');

    await Promise.all([waitForMedia(bob), waitForMoreFrames(alice, 10)]);
    await hangUpAndCheckOneCompletedCall(alice, bob, callId);
  });
});

test('glare: bob calls alice while her call to him rings — one call, media flows', { timeout: 150_000 }, async (t) => {
  await scenario(t, async ({ session }) => {
    const { page: alice } = await newUser(session, 'alice', ALICE);
    // Bob's WebSocket goes through the test so that his invite can be held
    // until alice's call rings him: the exact crossing the protocol's glare
    // rule describes.
    let holdInvite = false;
    let heldInvite = null;
    const bobReceived = [];
    const { page: bob } = await newUser(session, 'bob', BOB, {
      setup: (ctx) => ctx.routeWebSocket(/\/ws(\?|$)/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((frame) => {
          if (holdInvite && JSON.parse(frame).type === 'call_invite') heldInvite = frame;
          else server.send(frame);
        });
        server.onMessage((frame) => {
          const msg = JSON.parse(frame);
          bobReceived.push(msg);
          ws.send(frame);
          if (msg.type === 'incoming_call' && heldInvite) {
            // Let the page see the ring first, then release bob's invite.
            setTimeout(() => {
              server.send(heldInvite);
              heldInvite = null;
              holdInvite = false;
            }, 200);
          }
        });
      }),
    });

    holdInvite = true;
    assert.equal(await bob.evaluate(() => window.parley.calls().startCall('alice', 'video').then(() => window.parley.state)), 'outgoing');
    await poll(() => heldInvite !== null, { what: "bob's invite" });
    await placeCall(alice, 'bob', 'video');

    await Promise.all([waitState(alice, 'in-call'), waitState(bob, 'in-call')]);
    const connected = await poll(() => bobReceived.find((m) => m.type === 'call_connected'), { what: 'call_connected for bob' });
    assert.equal(connected.glare, true, 'bob joined through the glare rule');
    assert.ok(bobReceived.some((m) => m.type === 'call_initiated' && m.glare === true));
    const aliceCall = await alice.evaluate(() => window.parley.call.id);
    assert.equal(connected.call_id, aliceCall, "alice's call, which reached the server first, won");
    assert.equal(await bob.evaluate(() => window.parley.call.id), aliceCall);
    await Promise.all([waitForMedia(alice), waitForMedia(bob)]);

    await hangUpAndCheckOneCompletedCall(alice, bob, aliceCall);
  });
});

test('simultaneous calls: both press call at the same instant — they end up in one call', { timeout: 150_000 }, async (t) => {
  await scenario(t, async ({ session }) => {
    const { page: alice } = await newUser(session, 'alice', ALICE);
    const { page: bob } = await newUser(session, 'bob', BOB);

    // Start both calls at the same wall-clock instant (the pages share the
    // machine's clock).
    const at = Date.now() + 400;
    const callAt = (page, callee) => page.evaluate(([when, who]) => new Promise((resolve) => {
      setTimeout(() => resolve(window.parley.calls().startCall(who, 'video')), Math.max(0, when - Date.now()));
    }), [at, callee]);
    await Promise.all([callAt(alice, 'bob'), callAt(bob, 'alice')]);

    await Promise.all([waitState(alice, 'in-call'), waitState(bob, 'in-call')]);
    const [aliceCall, bobCall] = await Promise.all([alice, bob].map((p) => p.evaluate(() => window.parley.call.id)));
    assert.equal(aliceCall, bobCall, 'one call between them');
    await Promise.all([waitForMedia(alice), waitForMedia(bob)]);
    assert.equal(await alice.getByTestId('incoming-call').count(), 0);
    assert.equal(await bob.getByTestId('incoming-call').count(), 0);

    await alice.getByTestId('hangup').click();
    await Promise.all([waitState(alice, 'idle'), waitState(bob, 'idle')]);
    for (const page of [alice, bob]) {
      await waitForHistory(page, (c) => c.callId === aliceCall && c.status === 'completed', 'the completed call');
    }
  });
});

test('handoff: bob moves the call to his other tab and media follows', { timeout: 150_000 }, async (t) => {
  await scenario(t, async ({ session }) => {
    const { page: alice } = await newUser(session, 'alice', ALICE);
    const { ctx: bobCtx, page: bob1 } = await newUser(session, 'bob-tab1', BOB);
    const bob2 = await session.open(bobCtx, 'bob-tab2');
    await waitOnline(bob2);

    const callId = await connectedVideoCall(alice, bob1);
    await bob2.getByTestId('incoming-call').waitFor({ state: 'detached' });

    // bob2 saw the call answered elsewhere and offers to take it over
    await bob2.getByTestId('handoff').click();
    await waitState(bob2, 'in-call');
    await waitState(bob1, 'idle');
    await bob1.getByTestId('toast').filter({ hasText: 'moved' }).waitFor();
    assert.equal(await bob2.evaluate(() => window.parley.call.id), callId);

    await Promise.all([waitForMedia(bob2), waitForMoreFrames(alice, 10)]);
    await alice.getByTestId('hangup').click();
    await Promise.all([waitState(alice, 'idle'), waitState(bob2, 'idle')]);
    const entry = await waitForHistory(alice, (c) => c.callId === callId, "alice's entry");
    assert.equal(entry.status, 'completed');
  });
});
