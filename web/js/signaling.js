// The signaling WebSocket (docs/protocol.md): connects with the token in the
// query string, registers this tab as a device, reconnects with backoff, and
// hands every server message to listeners as a 'message' event.
//
// Events: 'status' (detail: status), 'registered' (detail: the message),
//         'message' (detail: the message)
// Status: 'connecting' | 'online' | 'offline' | 'replaced' | 'closed'

const REGISTER_TIMEOUT_MS = 10000;
const MAX_BACKOFF_MS = 15000;

// Opt-in message trace: localStorage.setItem('parley.debug', '1')
function tracing() {
  try { return localStorage.getItem('parley.debug') === '1'; } catch { return false; }
}

function trace(dir, msg) {
  const text = JSON.stringify(msg, (k, v) => (typeof v === 'string' && v.length > 80 && /sdp|candidate/.test(k) ? `${v.slice(0, 40)}…(${v.length})` : v));
  console.debug(`[ws ${dir}] ${text}`);
}

export function webSocketUrl(token) {
  const url = new URL('ws', document.baseURI);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.host = location.host;
  url.search = new URLSearchParams({ token }).toString();
  return url.toString();
}

export class Signaling extends EventTarget {
  #token;
  #ws = null;
  #ref = 0;
  #attempt = 0;
  #retryTimer = null;
  #registerTimer = null;
  #queue = [];
  #stopped = false;
  #onWake;

  constructor({ token, deviceId, deviceName }) {
    super();
    this.#token = token;
    this.deviceId = deviceId;
    this.deviceName = deviceName;
    this.status = 'offline';
    this.consecutiveFailures = 0;
    this.trace = tracing();
    this.#onWake = () => {
      if (this.#stopped || this.status === 'replaced') return;
      if (document.visibilityState === 'visible' && !this.#ws) this.reconnectNow();
    };
  }

  get online() {
    return this.status === 'online';
  }

  connect() {
    this.#stopped = false;
    window.addEventListener('online', this.#onWake);
    document.addEventListener('visibilitychange', this.#onWake);
    this.#open();
  }

  // Take the device back after another connection with the same device id
  // replaced this one, or skip the backoff wait.
  reconnectNow() {
    if (this.#stopped) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#attempt = 0;
    if (this.#ws) return;
    this.#open();
  }

  // Drop the connection as a network failure would (debugging and tests).
  simulateDrop() {
    const ws = this.#ws;
    if (!ws) return false;
    this.#ws = null;
    ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
    try { ws.close(4002, 'simulated drop'); } catch { /* ignore */ }
    clearTimeout(this.#registerTimer);
    this.consecutiveFailures = 0;
    this.#setStatus('offline');
    this.#scheduleReconnect();
    return true;
  }

  close() {
    this.#stopped = true;
    window.removeEventListener('online', this.#onWake);
    document.removeEventListener('visibilitychange', this.#onWake);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#registerTimer);
    this.#queue = [];
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      try { ws.close(1000, 'bye'); } catch { /* already closed */ }
    }
    this.#setStatus('closed');
  }

  // Sends `msg` with a fresh `ref` and returns the ref, or null when offline.
  // With queue: true a message that cannot go now is sent after the next
  // successful register (used for hang-up style control messages).
  send(msg, { queue = false } = {}) {
    const out = { ...msg, ref: ++this.#ref };
    if (this.status === 'online' && this.#ws?.readyState === WebSocket.OPEN) {
      if (this.trace) trace('->', out);
      this.#ws.send(JSON.stringify(out));
      return out.ref;
    }
    if (queue) {
      this.#queue.push(out);
      if (this.#queue.length > 50) this.#queue.shift();
      return out.ref;
    }
    return null;
  }

  #setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }

  #open() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#setStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(webSocketUrl(this.#token));
    } catch (e) {
      console.warn('[parley] websocket', e);
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({
        type: 'register',
        device_id: this.deviceId,
        device_name: this.deviceName,
        ref: ++this.#ref,
      }));
      clearTimeout(this.#registerTimer);
      this.#registerTimer = setTimeout(() => {
        console.warn('[parley] no answer to register; reconnecting');
        try { ws.close(4001, 'register timeout'); } catch { /* ignore */ }
      }, REGISTER_TIMEOUT_MS);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        console.warn('[parley] bad frame', ev.data);
        return;
      }
      if (!msg || typeof msg.type !== 'string') return;
      if (this.trace) trace('<-', msg);
      if (msg.type === 'registered') {
        clearTimeout(this.#registerTimer);
        this.#attempt = 0;
        this.consecutiveFailures = 0;
        this.#setStatus('online');
        this.dispatchEvent(new CustomEvent('registered', { detail: msg }));
        const queued = this.#queue.splice(0);
        for (const m of queued) ws.send(JSON.stringify(m));
      }
      this.dispatchEvent(new CustomEvent('message', { detail: msg }));
    };
    ws.onerror = () => { /* onclose follows */ };
    ws.onclose = (ev) => {
      clearTimeout(this.#registerTimer);
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (this.#stopped) return;
      if (ev.code === 4000) {
        // Another connection took over this device id.
        this.#setStatus('replaced');
        return;
      }
      if (this.status !== 'online') this.consecutiveFailures += 1;
      this.#setStatus('offline');
      this.#scheduleReconnect();
    };
  }

  #scheduleReconnect() {
    if (this.#stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.#attempt);
    const delay = Math.round(base * (0.6 + Math.random() * 0.4));
    this.#attempt = Math.min(this.#attempt + 1, 10);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
    this.dispatchEvent(new CustomEvent('retry', { detail: { delay, failures: this.consecutiveFailures } }));
  }
}
