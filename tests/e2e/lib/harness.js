// Helpers for the end-to-end tests: start the real server, launch Debian's
// Chromium through playwright-core, drive the web client, collect evidence.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = path.join(E2E_DIR, 'artifacts');
export const SERVER_BIN = path.resolve(E2E_DIR, process.env.PARLEY_BIN ?? '../../build/src/app/parley');
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

const SERVER_START_TIMEOUT_MS = 20_000;
export const UI_TIMEOUT_MS = 20_000;

const live = new Set(); // child processes to kill if the runner exits abruptly
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
});

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Resolves `fn()` once it returns a truthy value; throws the last value (or
// error) after `timeout` ms.
export async function poll(fn, { timeout = UI_TIMEOUT_MS, interval = 250, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      lastErr = undefined;
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastErr ? `last error: ${lastErr.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (${detail})`);
    }
    await sleep(interval);
  }
}

// Bound any promise (e.g. a browser.close() that might wedge).
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

// ------------------------------------------------------------------ server

export async function startServer({ args = [] } = {}) {
  if (!fs.existsSync(SERVER_BIN)) {
    throw new Error(`server binary not found at ${SERVER_BIN}; build it or set PARLEY_BIN`);
  }
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'parley-e2e-'));
  const proc = spawn(SERVER_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const logs = [];
  const waiters = new Set();
  const keep = (stream, tag) => {
    readline.createInterface({ input: stream }).on('line', (line) => {
      logs.push(`${tag} ${line}`);
      if (logs.length > 2000) logs.shift();
      for (const w of waiters) w(line);
    });
  };
  keep(proc.stdout, '[out]');
  keep(proc.stderr, '[err]');

  let onLine;
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`server printed no "listening http=" line within ${SERVER_START_TIMEOUT_MS} ms\n${logs.join('\n')}`));
    }, SERVER_START_TIMEOUT_MS);
    onLine = (line) => {
      const m = /listening http=([0-9.]+):(\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[2]));
      }
    };
    waiters.add(onLine);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Give readline a moment to deliver the last lines.
      setTimeout(() => reject(new Error(`server exited before listening (code ${code}, signal ${signal})\n${logs.join('\n')}`)), 50);
    });
  }).catch(async (e) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    live.delete(proc);
    await fsp.rm(dataDir, { recursive: true, force: true }).catch(() => {});
    throw e;
  });
  waiters.delete(onLine);

  let url = `http://127.0.0.1:${port}/`;
  let proxy = null;
  if (process.env.PARLEY_E2E_WEB_DIR) {
    // Development aid: serve web/ from disk in front of the server, so that
    // client edits can be tested without rebuilding the binary.
    proxy = await startWebProxy(path.resolve(E2E_DIR, process.env.PARLEY_E2E_WEB_DIR), port);
    url = `http://127.0.0.1:${proxy.port}/`;
  }

  return {
    port,
    url,
    logs,
    dataDir,
    async stop() {
      if (proxy) await proxy.close();
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(proc);
      await fsp.rm(dataDir, { recursive: true, force: true }).catch(() => {});
    },
  };
}

const WEB_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

function startWebProxy(webDir, upstreamPort) {
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    const file = path.join(webDir, path.normalize(rel));
    if (file.startsWith(webDir + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': WEB_TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  server.on('upgrade', (req, socket, head) => {
    const up = net.connect(upstreamPort, '127.0.0.1', () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(`${raw}\r\n`);
      if (head?.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    const kill = () => { up.destroy(); socket.destroy(); };
    up.on('error', kill);
    socket.on('error', kill);
  });
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      close: () => new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
    }));
  });
}

// ------------------------------------------------------------------ browser

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection',
      // Let a 640×480 camera send all three simulcast layers (160×120,
      // 320×240, 640×480); by default Chromium allows two at that size.
      '--force-fieldtrials=WebRTC-LegacySimulcastLayerLimit/Disabled/',
      // getDisplayMedia without a picker: the whole (fake) screen.
      '--auto-select-desktop-capture-source=Entire screen',
    ],
    timeout: 60_000,
  });
}

// One Chromium for all the tests of a file: launched before the first and
// closed after the last. Call at the top level of a test file; the returned
// function gives the browser once the tests run.
export function useBrowser() {
  let browser = null;
  before(async () => {
    await fsp.mkdir(ARTIFACTS, { recursive: true });
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await withTimeout(browser.close(), 20_000, 'browser close').catch(() => {});
  });
  return () => browser;
}

// Server flags for tests of media through the server: media on an
// ephemeral port, no TURN listener, PARLEY_E2E_LOG_LEVEL when it is set,
// then `extra`.
export function mediaServerArgs(...extra) {
  return [
    '--media-listen', '127.0.0.1:0',
    '--turn-listen', 'off',
    ...(process.env.PARLEY_E2E_LOG_LEVEL ? ['--log-level', process.env.PARLEY_E2E_LOG_LEVEL] : []),
    ...extra,
  ];
}

// Keeps every page of a test with its console output, for failure reports.
export class Session {
  constructor(browser, baseURL) {
    this.browser = browser;
    this.baseURL = baseURL;
    this.contexts = [];
    this.pages = []; // {name, page, logs}
  }

  async newContext() {
    const ctx = await this.browser.newContext({
      viewport: { width: 1280, height: 720 },
      permissions: ['camera', 'microphone'],
    });
    ctx.setDefaultTimeout(UI_TIMEOUT_MS);
    // The client logs its signaling messages, for the failure report.
    await ctx.addInitScript(() => localStorage.setItem('parley.debug', '1'));
    this.contexts.push(ctx);
    return ctx;
  }

  async open(ctx, name) {
    const page = await ctx.newPage();
    const logs = [];
    const push = (line) => {
      logs.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
      if (logs.length > 400) logs.shift();
    };
    page.on('console', (m) => push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => push(`[pageerror] ${e.message}`));
    page.on('crash', () => push('[crash] page crashed'));
    this.pages.push({ name, page, logs });
    await page.goto(this.baseURL);
    return page;
  }

  async report(testName, server) {
    await fsp.mkdir(ARTIFACTS, { recursive: true });
    const slug = testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 40);
    const lines = [];
    for (const { name, page, logs } of this.pages) {
      const shot = path.join(ARTIFACTS, `failure-${slug}-${name}.png`);
      try {
        await withTimeout(page.screenshot({ path: shot }), 10_000, 'screenshot');
        lines.push(`screenshot: ${path.relative(process.cwd(), shot)}`);
      } catch { /* the page may be gone */ }
      let state = '';
      try {
        state = JSON.stringify(await withTimeout(page.evaluate(() => ({
          state: window.parley?.state, ringing: window.parley?.ringing, connection: window.parley?.connection,
          call: window.parley?.call, pc: window.parley?.pc?.connectionState ?? null,
        })), 5000, 'evaluate'));
      } catch { /* ignore */ }
      lines.push(`--- ${name} ${state}`, ...logs.slice(-80));
    }
    if (server) lines.push('--- server (last 80 lines)', ...server.logs.slice(-80));
    return lines.join('\n');
  }

  async close() {
    for (const ctx of this.contexts) {
      await withTimeout(ctx.close(), 15_000, 'context close').catch(() => {});
    }
  }
}

// Runs `body` against a fresh server and browser session; on failure the
// error carries screenshots, page consoles and the server log.
export async function runScenario(t, browser, body, { serverArgs = [] } = {}) {
  const server = await startServer({ args: serverArgs });
  const session = new Session(browser, server.url);
  try {
    await body({ server, session });
  } catch (e) {
    let report = '';
    try {
      report = await withTimeout(session.report(t.name, server), 30_000, 'failure report');
    } catch (re) {
      report = `(no report: ${re.message})`;
    }
    e.message += `\n\n==== diagnostics ====\n${report}`;
    throw e;
  } finally {
    await session.close();
    await server.stop();
  }
}

// ------------------------------------------------------------------ client actions

export async function signUp(page, { username, password, displayName }) {
  await page.getByTestId('show-signup').click();
  await page.getByTestId('signup-display-name').fill(displayName);
  await page.getByTestId('signup-username').fill(username);
  await page.getByTestId('signup-password').fill(password);
  await page.getByTestId('signup-submit').click();
  await page.getByTestId('callee-input').waitFor({ state: 'visible' });
}

export async function signIn(page, { username, password }) {
  await page.getByTestId('show-login').click();
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('callee-input').waitFor({ state: 'visible' });
}

// A new browser context with one signed-up user in one tab.
export async function newUser(session, name, { username, password, displayName }, { setup = null } = {}) {
  const ctx = await session.newContext();
  if (setup) await setup(ctx);
  const page = await session.open(ctx, name);
  await signUp(page, { username, password, displayName });
  await waitOnline(page);
  return { ctx, page };
}

export async function waitOnline(page) {
  await page.waitForFunction(() => window.parley?.connection === 'online', null, { timeout: UI_TIMEOUT_MS, polling: 100 });
}

export async function waitState(page, state, timeout = UI_TIMEOUT_MS) {
  await page.waitForFunction((s) => window.parley?.state === s, state, { timeout, polling: 100 });
}

export async function placeCall(page, username, type = 'video') {
  await page.getByTestId('callee-input').fill(username);
  await page.getByTestId(type === 'voice' ? 'call-voice' : 'call-video').click();
}

// The inbound RTP figures of the page's current RTCPeerConnection.
export function inboundStats(page) {
  return page.evaluate(async () => {
    const pc = window.parley?.pc;
    if (!pc) return { pc: null };
    pc.__e2eId ??= Math.random().toString(36).slice(2);
    const out = { pc: pc.connectionState, pcId: pc.__e2eId, video: null, audio: null };
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      const kind = r.kind ?? r.mediaType;
      if (kind === 'video') {
        const v = { framesDecoded: r.framesDecoded ?? 0, packetsReceived: r.packetsReceived ?? 0 };
        if (!out.video || v.framesDecoded > out.video.framesDecoded) out.video = v;
      } else if (kind === 'audio') {
        const a = { packetsReceived: r.packetsReceived ?? 0 };
        if (!out.audio || a.packetsReceived > out.audio.packetsReceived) out.audio = a;
      }
    });
    return out;
  });
}

// Waits until the page decodes `more` new video frames (counting from zero
// again if the page rebuilt its RTCPeerConnection meanwhile).
export async function waitForMoreFrames(page, more = 10, timeout = 20_000) {
  const first = await inboundStats(page);
  return poll(async () => {
    const now = await inboundStats(page);
    const base = now.pcId === first.pcId ? first.video?.framesDecoded ?? 0 : 0;
    return (now.video?.framesDecoded ?? 0) >= base + more;
  }, { timeout, interval: 300, what: `${more} more decoded frames` });
}

// Waits for decoded video and received audio on the page's connection.
export async function waitForMedia(page, { video = true, timeout = 20_000 } = {}) {
  let last = null;
  try {
    return await poll(async () => {
      last = await inboundStats(page);
      const audioOk = (last.audio?.packetsReceived ?? 0) > 0;
      const videoOk = !video || (last.video?.framesDecoded ?? 0) > 0;
      return audioOk && videoOk ? last : null;
    }, { timeout, interval: 500, what: 'inbound media' });
  } catch (e) {
    e.message += `; last stats ${JSON.stringify(last)}`;
    throw e;
  }
}

// The entries of the history list, as rendered.
// Waits until the in-call timer shows at least `seconds`. History durations
// are whole seconds, so a call hung up sooner may rightly last 0 s.
export async function waitCallLasted(page, seconds) {
  await page.waitForFunction((min) => {
    const t = document.querySelector('[data-testid="call-duration"]')?.textContent ?? '';
    const [m, s] = t.split(':').map(Number);
    return m * 60 + s >= min;
  }, seconds, { polling: 200, timeout: UI_TIMEOUT_MS });
}

export function historyItems(page) {
  return page.getByTestId('history-item').evaluateAll((els) => els.map((el) => ({
    callId: el.dataset.callId,
    status: el.dataset.status,
    duration: Number(el.dataset.duration),
    direction: el.dataset.direction,
    type: el.dataset.callType,
    peer: el.dataset.peer,
  })));
}

export async function waitForHistory(page, predicate, what) {
  let items = [];
  try {
    return await poll(async () => {
      items = await historyItems(page);
      return items.find(predicate) ?? null;
    }, { timeout: UI_TIMEOUT_MS, interval: 300, what });
  } catch (e) {
    e.message += `; history ${JSON.stringify(items)}`;
    throw e;
  }
}

// ------------------------------------------------------------------ TURN relay

// A port that is free on 127.0.0.1 for both UDP and TCP right now, for
// `--turn-listen` (so the `--ice-server` URL can name it before the start).
export async function freeUdpTcpPort() {
  const dgram = await import('node:dgram');
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = net.createServer();
    const port = await new Promise((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, '127.0.0.1', () => resolve(tcp.address().port));
    });
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) await new Promise((r) => udp.close(r));
    await new Promise((r) => tcp.close(r));
    if (ok) return port;
  }
  throw new Error('no port free for both UDP and TCP on 127.0.0.1');
}

// Context init script: record the ICE events of every RTCPeerConnection the
// page makes (icecandidateerror: errorCode/errorText/url; gathered local
// candidates) in window.__e2eIce and the console, for failure reports.
export function recordIceEvents(ctx) {
  return ctx.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const rec = { errors: [], candidates: [] };
    window.__e2eIce = rec;
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('icecandidateerror', (e) => {
          const x = { url: e.url, errorCode: e.errorCode, errorText: e.errorText, address: e.address, port: e.port };
          rec.errors.push(x);
          console.warn(`[e2e] icecandidateerror ${JSON.stringify(x)}`);
        });
        this.addEventListener('icecandidate', (e) => {
          const c = e.candidate?.candidate || '(end of candidates)';
          rec.candidates.push(c);
          console.log(`[e2e] local candidate ${c}`);
        });
        this.addEventListener('iceconnectionstatechange', () => console.log(`[e2e] iceConnectionState ${this.iceConnectionState}`));
      }
    };
  });
}

// The selected ICE candidate pair of the page's RTCPeerConnection (from the
// transport's selectedCandidatePairId, else the selected / nominated and
// succeeded pair), its two candidates, and the decoded inbound video frames.
export function selectedPair(page) {
  return page.evaluate(async () => {
    const pc = window.parley?.pc;
    if (!pc) return { pc: null };
    const stats = await pc.getStats();
    const all = [...stats.values()];
    const cfg = pc.getConfiguration();
    const out = {
      pc: pc.connectionState,
      ice: pc.iceConnectionState,
      policy: cfg.iceTransportPolicy,
      iceServers: (cfg.iceServers ?? []).flatMap((s) => [].concat(s.urls)),
      framesDecoded: 0,
      pair: null,
      local: null,
      remote: null,
    };
    for (const r of all) {
      if (r.type === 'inbound-rtp' && (r.kind ?? r.mediaType) === 'video') {
        out.framesDecoded = Math.max(out.framesDecoded, r.framesDecoded ?? 0);
      }
    }
    const transport = all.find((r) => r.type === 'transport' && r.selectedCandidatePairId);
    const pair = (transport && stats.get(transport.selectedCandidatePairId))
      ?? all.find((r) => r.type === 'candidate-pair' && r.selected)
      ?? all.find((r) => r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded');
    if (!pair) return out;
    const cand = (id) => {
      const c = stats.get(id);
      return c ? {
        candidateType: c.candidateType, protocol: c.protocol, relayProtocol: c.relayProtocol ?? null,
        address: c.address ?? c.ip, port: c.port, url: c.url ?? null,
      } : null;
    };
    out.pair = {
      id: pair.id, state: pair.state, nominated: pair.nominated,
      bytesSent: pair.bytesSent, bytesReceived: pair.bytesReceived,
      via: transport ? 'transport.selectedCandidatePairId' : 'candidate-pair',
    };
    out.local = cand(pair.localCandidateId);
    out.remote = cand(pair.remoteCandidateId);
    return out;
  });
}

// A user made over the REST API (no page needed); returns its token.
export async function registerByApi(server, username, password = 'correct horse battery') {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, display_name: username }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${text}`);
  return JSON.parse(text).token;
}

// A same-origin page without the web client's own scripts, for tests that
// drive RTCPeerConnection and fetch themselves.
export async function blankPage(session, server, name) {
  const ctx = await session.newContext();
  const page = await ctx.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  session.pages.push({ name, page, logs });
  await page.goto(`http://127.0.0.1:${server.port}/health`);
  return page;
}
