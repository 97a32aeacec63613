// End to end: the server's WHIP-style echo endpoint (POST /api/v1/echo,
// RFC 9725) against headless Chromium with a fake camera and microphone. The
// page sends audio and video to the server's media worker (ICE-lite, DTLS-SRTP
// on one UDP port) and must receive both back, decoded; a data channel
// (DCEP over SCTP over DTLS) echoes its text and binary messages.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { blankPage, mediaServerArgs, poll, registerByApi as register, runScenario, useBrowser } from './lib/harness.js';

// The media worker's defaults are what the test needs (127.0.0.1, any port);
// naming them keeps the test honest about its flags.
const SERVER_ARGS = mediaServerArgs();

const browser = useBrowser();

test('echo: audio and video sent to /api/v1/echo come back decoded', { timeout: 120_000 }, async (t) => {
  await runScenario(t, browser(), async ({ server, session }) => {
    const token = await register(server, 'echoer');
    const other = await register(server, 'intruder');
    const page = await blankPage(session, server, 'echo');

    const created = await page.evaluate(async ({ token }) => {
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      window.pc = pc;
      pc.addEventListener('iceconnectionstatechange', () => console.log(`ice ${pc.iceConnectionState}`));
      pc.addEventListener('connectionstatechange', () => console.log(`pc ${pc.connectionState}`));
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
      for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      // Before the offer, so that it has an m=application section.
      window.dc = pc.createDataChannel('echo');
      await pc.setLocalDescription(await pc.createOffer());
      // No trickle (RFC 9725 §4.3.2 allows it; the server does not need it):
      // wait for gathering, then send the whole offer.
      if (pc.iceGatheringState !== 'complete') {
        await new Promise((resolve) => {
          const done = () => pc.iceGatheringState === 'complete' && resolve();
          pc.addEventListener('icegatheringstatechange', done);
          setTimeout(resolve, 5000);
        });
      }
      const res = await fetch('/api/v1/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
        body: pc.localDescription.sdp,
      });
      const answer = await res.text();
      const out = { status: res.status, type: res.headers.get('content-type'), location: res.headers.get('location'), answer };
      if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      return out;
    }, { token });

    assert.equal(created.status, 201, `POST /api/v1/echo: ${created.answer}`);
    assert.match(created.type, /^application\/sdp/);
    assert.match(created.location ?? '', /^\/api\/v1\/echo\/[A-Za-z0-9_]+$/);
    assert.match(created.answer, /a=ice-lite/);
    assert.match(created.answer, /a=setup:passive/);
    assert.match(created.answer, /a=candidate:/);
    assert.match(created.answer, /a=end-of-candidates/);
    assert.match(created.answer, /m=application [1-9]\d* UDP\/DTLS\/SCTP webrtc-datachannel/);
    assert.match(created.answer, /a=sctp-port:5000/);
    assert.match(created.answer, /a=max-message-size:262144/);

    let last = null;
    try {
      await poll(async () => {
        last = await page.evaluate(async () => {
          const out = { pc: window.pc.connectionState, video: null, audio: null };
          (await window.pc.getStats()).forEach((r) => {
            if (r.type !== 'inbound-rtp') return;
            if (r.kind === 'video') out.video = { framesDecoded: r.framesDecoded ?? 0, packetsReceived: r.packetsReceived ?? 0 };
            if (r.kind === 'audio') out.audio = { packetsReceived: r.packetsReceived ?? 0 };
          });
          return out;
        });
        return (last.video?.framesDecoded ?? 0) > 0 && (last.audio?.packetsReceived ?? 0) > 0;
      }, { timeout: 20_000, interval: 500, what: 'echoed audio and video' });
    } catch (e) {
      e.message += `; last stats ${JSON.stringify(last)}`;
      throw e;
    }

    t.diagnostic(`inbound stats: ${JSON.stringify(last)}`);
    // The server's RTCP sender reports reach the browser (remote-outbound-rtp
    // exists only once an SR for the stream was received, RFC 3550 §6.4.1).
    await poll(() => page.evaluate(async () => {
      const kinds = new Set();
      (await window.pc.getStats()).forEach((r) => { if (r.type === 'remote-outbound-rtp') kinds.add(r.kind); });
      return kinds.has('audio') && kinds.has('video');
    }), { timeout: 10_000, interval: 500, what: 'sender reports from the server' });

    // The transport says which ciphers protect it: DTLS 1.2 with an ECDHE-ECDSA
    // suite (our P-256 certificate) and the SRTP profile the answer chose.
    const transport = await page.evaluate(async () => {
      let found = null;
      (await window.pc.getStats()).forEach((r) => {
        if (r.type === 'transport') found = { dtlsState: r.dtlsState, tlsVersion: r.tlsVersion,
          dtlsCipher: r.dtlsCipher, srtpCipher: r.srtpCipher };
      });
      return found;
    });
    t.diagnostic(`transport: ${JSON.stringify(transport)}`);
    assert.equal(transport?.dtlsState, 'connected');
    assert.match(transport.dtlsCipher ?? '', /^TLS_ECDHE_ECDSA_WITH_/);
    assert.match(transport.srtpCipher ?? '', /^SRTP_(AEAD_AES_128_GCM|AES128_CM_SHA1_80)$/);

    // The data channel: what the page sends comes back, text and binary.
    const echoed = await page.evaluate(async () => {
      const dc = window.dc;
      dc.binaryType = 'arraybuffer';
      if (dc.readyState !== 'open') {
        await new Promise((resolve, reject) => {
          dc.addEventListener('open', resolve, { once: true });
          setTimeout(() => reject(new Error(`data channel not open: ${dc.readyState}`)), 10_000);
        });
      }
      const next = () => new Promise((resolve, reject) => {
        dc.addEventListener('message', (e) => resolve(e.data), { once: true });
        setTimeout(() => reject(new Error('no echo within 10 s')), 10_000);
      });
      let p = next();
      dc.send('hello parley');
      const text = await p;
      p = next();
      dc.send(new Uint8Array([0, 1, 2, 127, 128, 255]));
      const bin = await p;
      p = next();
      dc.send('');  // PPID 56 (RFC 8831 §6.6)
      const empty = await p;
      // Closing resets the stream; the server resets its side too (RFC 8831 §6.7).
      const closed = new Promise((resolve, reject) => {
        dc.addEventListener('close', resolve, { once: true });
        setTimeout(() => reject(new Error(`data channel not closed: ${dc.readyState}`)), 10_000);
      });
      dc.close();
      await closed;
      return { text, empty, binary: bin instanceof ArrayBuffer ? Array.from(new Uint8Array(bin)) : String(bin) };
    });
    assert.equal(echoed.text, 'hello parley');
    assert.deepEqual(echoed.binary, [0, 1, 2, 127, 128, 255]);
    assert.equal(echoed.empty, '');

    const url = `http://127.0.0.1:${server.port}${created.location}`;

    // ICE restart the WHIP way (RFC 9725 §4.3.1): the page restarts ICE, PATCHes
    // its new credentials as an SDP fragment (RFC 8840 §9) and applies the
    // server's new ones to its previous answer.
    const restart = await page.evaluate(async ({ token, location, answer }) => {
      const pc = window.pc;
      const statsNow = async () => {
        const stats = await pc.getStats();
        let framesDecoded = 0, pairId = null, localId = null;
        stats.forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') framesDecoded = r.framesDecoded ?? 0;
          if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
        });
        if (pairId) localId = stats.get(pairId)?.localCandidateId ?? null;
        return { framesDecoded, pairId, localId };
      };
      const before = await statsNow();
      pc.restartIce();
      await pc.setLocalDescription(await pc.createOffer());
      if (pc.iceGatheringState !== 'complete') {
        await new Promise((resolve) => {
          const done = () => pc.iceGatheringState === 'complete' && resolve();
          pc.addEventListener('icegatheringstatechange', done);
          setTimeout(resolve, 5000);
        });
      }
      const offer = pc.localDescription.sdp;
      const ufrag = offer.match(/^a=ice-ufrag:(.+)$/m)[1].trim();
      const pwd = offer.match(/^a=ice-pwd:(.+)$/m)[1].trim();
      const mid = offer.match(/^a=mid:(.+)$/m)[1].trim();
      const fragment = `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\na=mid:${mid}\r\n`;
      const res = await fetch(location, {
        method: 'PATCH',
        headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*', authorization: `Bearer ${token}` },
        body: fragment,
      });
      const body = await res.text();
      const out = { status: res.status, type: res.headers.get('content-type'), body, before, offerUfrag: ufrag, offerPwd: pwd };
      if (res.status !== 200) return out;
      const newUfrag = body.match(/^a=ice-ufrag:(.+)$/m)?.[1].trim();
      const newPwd = body.match(/^a=ice-pwd:(.+)$/m)?.[1].trim();
      const candidates = body.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
      // The previous answer with the new credentials and candidates; a new
      // o= version (RFC 3264 §8).
      const lines = answer.split(/\r?\n/).filter((l) => l && !l.startsWith('a=candidate:'));
      const sdp = lines.flatMap((l) => {
        if (l.startsWith('a=ice-ufrag:')) return [`a=ice-ufrag:${newUfrag}`];
        if (l.startsWith('a=ice-pwd:')) return [`a=ice-pwd:${newPwd}`];
        if (l === 'a=end-of-candidates') return [...candidates, l];
        if (l.startsWith('o=')) {
          const f = l.split(' ');
          f[2] = String(BigInt(f[2]) + 1n);
          return [f.join(' ')];
        }
        return [l];
      }).join('\r\n') + '\r\n';
      await pc.setRemoteDescription({ type: 'answer', sdp });
      Object.assign(out, { newUfrag, newPwd, candidates: candidates.length });
      return out;
    }, { token, location: created.location, answer: created.answer });

    t.diagnostic(`PATCH: ${restart.status} ${JSON.stringify(restart.body)}`);
    assert.equal(restart.status, 200, `PATCH (ICE restart): ${restart.body}`);
    assert.match(restart.type ?? '', /^application\/trickle-ice-sdpfrag/);
    assert.match(restart.body, /^a=ice-lite\r?$/m);
    assert.match(restart.body, /^a=mid:\S+\r?$/m);
    assert.match(restart.body, /^a=end-of-candidates\r?$/m);
    assert.ok(restart.candidates > 0, 'the PATCH answer carries our candidate(s)');
    const oldUfrag = created.answer.match(/^a=ice-ufrag:(\S+)/m)[1];
    const oldPwd = created.answer.match(/^a=ice-pwd:(\S+)/m)[1];
    assert.ok(restart.newUfrag && restart.newUfrag !== oldUfrag, `new ufrag ${restart.newUfrag} vs ${oldUfrag}`);
    assert.ok(restart.newPwd && restart.newPwd !== oldPwd, 'new ice-pwd');

    // The browser connects again over the new generation and media carries on.
    let afterRestart = null;
    try {
      await poll(async () => {
        afterRestart = await page.evaluate(async () => {
          const stats = await window.pc.getStats();
          let framesDecoded = 0, pairId = null, localId = null;
          stats.forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') framesDecoded = r.framesDecoded ?? 0;
            if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
          });
          if (pairId) localId = stats.get(pairId)?.localCandidateId ?? null;
          return { ice: window.pc.iceConnectionState, framesDecoded, pairId, localId };
        });
        return ['connected', 'completed'].includes(afterRestart.ice) &&
          afterRestart.localId !== restart.before.localId &&
          afterRestart.framesDecoded > restart.before.framesDecoded + 30;
      }, { timeout: 15_000, interval: 500, what: 'media over the restarted ICE' });
    } catch (e) {
      e.message += `; before ${JSON.stringify(restart.before)}, last ${JSON.stringify(afterRestart)}`;
      throw e;
    }
    t.diagnostic(`after ICE restart: ${JSON.stringify({ before: restart.before, after: afterRestart })}`);
    // Still flowing a moment later (not only the tail of the old path).
    const settled = afterRestart.framesDecoded;
    await poll(() => page.evaluate(async (n) => {
      let f = 0;
      (await window.pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') f = r.framesDecoded ?? 0; });
      return f > n + 20;
    }, settled), { timeout: 15_000, interval: 500, what: 'frames still decoded after the restart' });
    const restartLog = server.logs.find((l) => /ICE restart/.test(l));
    assert.ok(restartLog, 'the server logged the ICE restart');

    // PATCH: owner only, the right type, credentials required; the current
    // credentials again are trickle (204).
    const frag = `a=ice-ufrag:${restart.offerUfrag}\r\na=ice-pwd:${restart.offerPwd}\r\n`;
    const fragType = 'application/trickle-ice-sdpfrag';
    const patch = (headers, body) => fetch(url, { method: 'PATCH', headers, body });
    assert.equal((await patch({ 'content-type': fragType, authorization: `Bearer ${other}` }, frag)).status, 404);
    assert.equal((await patch({ 'content-type': 'application/sdp', authorization: `Bearer ${token}` }, frag)).status, 415);
    assert.equal((await patch({ 'content-type': fragType, authorization: `Bearer ${token}` }, 'a=mid:0\r\n')).status, 400);
    assert.equal((await patch({ 'content-type': fragType, authorization: `Bearer ${token}` }, frag)).status, 204);

    // Only the owner may end it.
    const foreign = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${other}` } });
    assert.equal(foreign.status, 404);
    const del = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.ok([200, 204].includes(del.status), `DELETE: ${del.status}`);
    const again = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.equal(again.status, 404);
    // The server closed DTLS (close_notify): the browser's connection ends.
    await poll(() => page.evaluate(() => ['closed', 'failed', 'disconnected'].includes(window.pc.connectionState)),
      { timeout: 40_000, interval: 500, what: 'the peer connection to close' });
    await page.evaluate(() => window.pc.close());
    const ended = server.logs.find((l) => /echo session \S+ ended/.test(l));
    assert.ok(ended, 'the server logged the end of the session');
    t.diagnostic(ended);
  }, { serverArgs: SERVER_ARGS });
});

// ICE-TCP (RFC 6544): the answer carries a passive TCP host candidate next
// to the UDP one. Chromium only uses TCP when UDP fails, so the page drops
// the UDP candidate from the answer: ICE must run over a TCP connection to
// the media worker, with every packet RFC 4571-framed, and media still flows.
test('echo: media flows over ICE-TCP when the answer has only the TCP candidate', { timeout: 90_000 }, async (t) => {
  await runScenario(t, browser(), async ({ server, session }) => {
    const token = await register(server, 'tcpecho');
    const page = await blankPage(session, server, 'echo-tcp');
    const created = await page.evaluate(async ({ token }) => {
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      window.pc = pc;
      pc.addEventListener('iceconnectionstatechange', () => console.log(`ice ${pc.iceConnectionState}`));
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
      for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      await pc.setLocalDescription(await pc.createOffer());
      if (pc.iceGatheringState !== 'complete') {
        await new Promise((resolve) => {
          const done = () => pc.iceGatheringState === 'complete' && resolve();
          pc.addEventListener('icegatheringstatechange', done);
          setTimeout(resolve, 5000);
        });
      }
      const res = await fetch('/api/v1/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
        body: pc.localDescription.sdp,
      });
      const answer = await res.text();
      const candidates = answer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
      const tcpOnly = answer.split(/\r?\n/)
        .filter((l) => !(l.startsWith('a=candidate:') && / udp /i.test(l))).join('\r\n');
      if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: tcpOnly });
      return { status: res.status, answer, candidates };
    }, { token });

    assert.equal(created.status, 201, `POST /api/v1/echo: ${created.answer}`);
    t.diagnostic(`candidates: ${JSON.stringify(created.candidates)}`);
    const udp = created.candidates.find((l) => / udp /i.test(l));
    const tcp = created.candidates.find((l) => / tcp /i.test(l));
    assert.ok(udp, 'a UDP host candidate');
    assert.match(tcp ?? '', /^a=candidate:\S+ 1 tcp \d+ \S+ \d+ typ host tcptype passive$/);
    // RFC 6544 §4.2: below the UDP one; the same port number.
    assert.ok(Number(tcp.split(' ')[3]) < Number(udp.split(' ')[3]), 'TCP ranks below UDP');
    assert.equal(tcp.split(' ')[5], udp.split(' ')[5]);

    let last = null;
    try {
      await poll(async () => {
        last = await page.evaluate(async () => {
          const stats = await window.pc.getStats();
          const out = { pc: window.pc.connectionState, framesDecoded: 0, audioPackets: 0, pair: null };
          let pairId = null;
          stats.forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') out.framesDecoded = r.framesDecoded ?? 0;
            if (r.type === 'inbound-rtp' && r.kind === 'audio') out.audioPackets = r.packetsReceived ?? 0;
            if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
          });
          const pair = pairId ? stats.get(pairId) : null;
          if (pair) {
            const local = stats.get(pair.localCandidateId);
            const remote = stats.get(pair.remoteCandidateId);
            out.pair = { local: { protocol: local?.protocol, tcpType: local?.tcpType, type: local?.candidateType },
              remote: { protocol: remote?.protocol, type: remote?.candidateType, port: remote?.port } };
          }
          return out;
        });
        return last.framesDecoded > 0 && last.audioPackets > 0;
      }, { timeout: 30_000, interval: 500, what: 'echoed audio and video over ICE-TCP' });
    } catch (e) {
      e.message += `; last stats ${JSON.stringify(last)}`;
      throw e;
    }
    t.diagnostic(`over TCP: ${JSON.stringify(last)}`);
    assert.equal(last.pair?.remote.protocol, 'tcp');
    assert.equal(last.pair?.local.protocol, 'tcp');
    assert.equal(last.pair?.local.tcpType, 'active');
    await page.evaluate(() => window.pc.close());
  }, { serverArgs: SERVER_ARGS });
});

test('echo: token, content type and SDP are checked', { timeout: 60_000 }, async (t) => {
  await runScenario(t, browser(), async ({ server }) => {
    const base = `http://127.0.0.1:${server.port}/api/v1/echo`;
    const token = await register(server, 'checker');
    const sdpHeaders = { 'content-type': 'application/sdp' };

    const noToken = await fetch(base, { method: 'POST', headers: sdpHeaders, body: 'v=0\r\n' });
    assert.equal(noToken.status, 401);

    const auth = { authorization: `Bearer ${token}` };
    const badSdp = await fetch(base, { method: 'POST', headers: { ...sdpHeaders, ...auth }, body: 'this is not SDP' });
    assert.equal(badSdp.status, 400);
    const body = await badSdp.json();
    assert.equal(body.error.code, 'invalid_sdp');
    assert.ok(body.error.message.length > 0);

    const wrongType = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: '{}' });
    assert.equal(wrongType.status, 415);

    const missing = await fetch(`${base}/echo_doesnotexist`, { method: 'DELETE', headers: auth });
    assert.equal(missing.status, 404);
    const missingPatch = await fetch(`${base}/echo_doesnotexist`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', ...auth },
      body: 'a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n',
    });
    assert.equal(missingPatch.status, 404);
  }, { serverArgs: SERVER_ARGS });
});
