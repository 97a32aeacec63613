// End to end through our own TURN server (issue 3, "Interop with a real
// browser"): the 1:1 video call of call.test.js with relay-only ICE
// (`iceTransportPolicy: "relay"`) and nothing but our TURN server in
// ice_servers; getStats() must show a relay–relay selected candidate pair
// while video frames decode — once with TURN over UDP, once over TCP.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import {
  ARTIFACTS, freeUdpTcpPort, newUser, placeCall, poll, recordIceEvents, runScenario, selectedPair, sleep, useBrowser, waitState, withTimeout,
} from './lib/harness.js';

const PASSWORD = 'correct horse battery';
const ALICE = { username: 'alice', password: PASSWORD, displayName: 'Alice' };
const BOB = { username: 'bob', password: PASSWORD, displayName: 'Bob' };
const RELAY_TIMEOUT_MS = 30_000;

const browser = useBrowser();

// Relay-only ICE through the client's hook, plus a record of ICE errors.
async function relayOnly(ctx) {
  await ctx.addInitScript(() => localStorage.setItem('parley.iceTransportPolicy', 'relay'));
  await recordIceEvents(ctx);
}

// Polls until the page decodes video over a relay–relay selected pair whose
// local relay candidate reached our TURN server over `transport`.
async function waitForRelayMedia(page, transport) {
  let last = null;
  try {
    return await poll(async () => {
      last = await selectedPair(page);
      return last.framesDecoded > 0
        && last.local?.candidateType === 'relay'
        && last.remote?.candidateType === 'relay'
        && last.local?.relayProtocol === transport
        ? last : null;
    }, { timeout: RELAY_TIMEOUT_MS, interval: 500, what: `decoded video over a relay–relay pair (TURN/${transport})` });
  } catch (e) {
    let iceErrors = null;
    try { iceErrors = await page.evaluate(() => window.__e2eIce?.errors ?? null); } catch { /* page gone */ }
    e.message += `; last stats ${JSON.stringify(last)}; icecandidateerror events ${JSON.stringify(iceErrors)}`;
    throw e;
  }
}

// The parley_turn_* samples of the server's /metrics, by name{labels}.
async function turnMetrics(port) {
  const res = await withTimeout(fetch(`http://127.0.0.1:${port}/metrics`), 10_000, 'GET /metrics');
  const out = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^(parley_turn_\S+)\s+(\S+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

for (const transport of ['udp', 'tcp']) {
  test(`video call relayed through our TURN server over ${transport.toUpperCase()}: relay–relay pair, frames decode`, { timeout: 150_000 }, async (t) => {
    const turnPort = await freeUdpTcpPort();
    const turnUrl = `turn:127.0.0.1:${turnPort}?transport=${transport}`;
    const serverArgs = [
      '--turn-listen', `127.0.0.1:${turnPort}`,
      '--turn-allow-peer', '127.0.0.0/8', // loopback peers are denied by default
      '--ice-server', turnUrl, // only our TURN server, only this transport
      '--log-level', 'debug',
    ];

    await runScenario(t, browser(), async ({ server, session }) => {
      await poll(() => server.logs.some((l) => l.includes(`listening turn-udp=127.0.0.1:${turnPort} turn-tcp=127.0.0.1:${turnPort}`)),
        { timeout: 10_000, what: 'the TURN listening line' });

      const { page: alice } = await newUser(session, 'alice', ALICE, { setup: relayOnly });
      const { page: bob } = await newUser(session, 'bob', BOB, { setup: relayOnly });

      await placeCall(alice, 'bob', 'video');
      await bob.getByTestId('incoming-call').waitFor({ state: 'visible' });
      await bob.getByTestId('accept-video').click();
      await Promise.all([waitState(alice, 'in-call'), waitState(bob, 'in-call')]);

      const [a, b] = await Promise.all([waitForRelayMedia(alice, transport), waitForRelayMedia(bob, transport)]);
      t.diagnostic(`alice ${JSON.stringify(a)}`);
      t.diagnostic(`bob ${JSON.stringify(b)}`);

      for (const [who, s] of [['alice', a], ['bob', b]]) {
        assert.equal(s.policy, 'relay', `${who}'s RTCPeerConnection uses iceTransportPolicy relay`);
        assert.deepEqual(s.iceServers, [turnUrl], `${who}'s only ICE server is our TURN server over ${transport}`);
        assert.equal(s.local.candidateType, 'relay');
        assert.equal(s.remote.candidateType, 'relay');
        assert.equal(s.local.relayProtocol, transport, `${who}'s relay candidate was allocated over ${transport}`);
        assert.equal(s.local.address, '127.0.0.1', `${who}'s relayed address is on our TURN server`);
        assert.ok(s.framesDecoded > 0);
      }
      // Each side's remote candidate is the other side's relayed address.
      assert.equal(a.remote.port, b.local.port, "alice's peer is bob's relayed port");
      assert.equal(b.remote.port, a.local.port, "bob's peer is alice's relayed port");
      // Nothing but relay candidates was gathered.
      for (const [who, page] of [['alice', alice], ['bob', bob]]) {
        const ice = await page.evaluate(() => window.__e2eIce);
        const gathered = ice.candidates.filter((c) => c.startsWith('candidate:'));
        t.diagnostic(`${who} gathered ${JSON.stringify(gathered)}; icecandidateerror ${JSON.stringify(ice.errors)}`);
        assert.ok(gathered.length > 0, 'candidates were gathered');
        for (const c of gathered) assert.match(c, / typ relay /, `only relay candidates: ${c}`);
      }

      // The server's side: allocations made and media relayed both ways.
      const turn = await turnMetrics(server.port);
      t.diagnostic(`server TURN metrics ${JSON.stringify(turn)}`);
      assert.ok(turn['parley_turn_allocations_created_total'] >= 2, 'our TURN server made the allocations');
      assert.ok(turn['parley_turn_relayed_bytes_total{direction="to_peer"}'] > 0, 'our TURN server relayed to peers');
      assert.ok(turn['parley_turn_relayed_bytes_total{direction="to_client"}'] > 0, 'our TURN server relayed to clients');

      await alice.locator('[data-testid="in-call"].has-remote-video').waitFor();
      await sleep(500); // let the video fade in
      await alice.screenshot({ path: path.join(ARTIFACTS, `relay-${transport}.png`) });

      await alice.getByTestId('hangup').click();
      await Promise.all([waitState(alice, 'idle'), waitState(bob, 'idle')]);
    }, { serverArgs });
  });
}
