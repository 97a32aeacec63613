// Parley web client: boot, sign-in routing and wiring of the parts.

import { Api } from './api.js';
import { Signaling } from './signaling.js';
import { CallManager } from './call.js';
import { Ringtone } from './ringtone.js';
import * as session from './session.js';
import { renderAuth } from './views/auth.js';
import { HomeView } from './views/home.js';
import { CallScreens } from './views/call-screens.js';
import { toast } from './ui.js';

const appRoot = document.getElementById('app');
const overlayRoot = document.getElementById('overlay-root');

const ringtone = new Ringtone();
for (const type of ['pointerdown', 'keydown', 'touchstart']) {
  window.addEventListener(type, () => ringtone.unlock(), { capture: true, passive: true });
}

let current = null; // { session, signaling, calls, home, screens }

const api = new Api({
  getToken: () => current?.session.token ?? session.loadSession()?.token ?? null,
  onUnauthorized: () => {
    if (current) signOut('Your session has expired. Please sign in again.');
  },
});

// Test and debugging hooks.
window.parley = {
  get state() { return current ? current.calls.state : 'signed-out'; },
  get pc() { return current?.calls.pc ?? null; },
  get ringing() { return ringtone.playing; },
  get ringtoneAudible() { return ringtone.audible; },
  get connection() { return current?.signaling.status ?? 'offline'; },
  get deviceId() { return current?.signaling.deviceId ?? null; },
  get user() { return current?.session.user ?? null; },
  get call() {
    const c = current?.calls.call;
    return c ? { id: c.id, role: c.role, type: c.type, peer: c.peer, status: c.status, answeredAt: c.answeredAt, mediaState: c.mediaState } : null;
  },
  get localStream() { return current?.calls.localStream ?? null; },
  get remoteStream() { return current?.calls.remoteStream ?? null; },
  calls: () => current?.calls ?? null,
  debug: {
    dropConnection: () => current?.signaling.simulateDrop() ?? false,
  },
};

function showAuth(notice = null) {
  const last = session.lastUsername();
  renderAuth(appRoot, {
    api,
    notice,
    initialMode: last ? 'login' : 'signup',
    lastUsername: last,
    onSignedIn: (res) => startApp(session.saveSession(res)),
  });
}

async function startApp(s) {
  stopApp();
  const deviceId = await session.claimDeviceId();
  const signaling = new Signaling({ token: s.token, deviceId, deviceName: session.deviceName() });
  const calls = new CallManager({ signaling, api, ringtone, me: s.user });
  const home = new HomeView(appRoot, { api, calls, signaling, user: s.user, onSignOut: () => signOut() });
  const screens = new CallScreens(overlayRoot, { calls, ringtone });
  current = { session: s, signaling, calls, home, screens };
  calls.addEventListener('toast', (e) => toast(e.detail.message, { kind: e.detail.kind }));
  signaling.addEventListener('retry', async (e) => {
    // A WebSocket that keeps failing before it ever registers may mean the
    // token is no longer valid: ask the REST API, which says so clearly.
    if (e.detail.failures >= 2 && current?.signaling === signaling) {
      try { await api.me(); } catch { /* a 401 signs out via onUnauthorized */ }
    }
  });
  signaling.connect();
  api.me().then((me) => {
    if (current?.session !== s || !me) return;
    const updated = session.updateUser({ user_id: me.user_id, username: me.username, display_name: me.display_name });
    if (updated) {
      current.session = updated;
      home.setUser(updated.user);
    }
  }).catch(() => { /* offline: keep the cached profile */ });
}

function stopApp() {
  if (!current) return;
  const c = current;
  current = null;
  c.calls.destroy();
  c.screens.destroy();
  c.home.destroy();
  // Give a queued hang-up a moment to leave before the socket closes.
  setTimeout(() => c.signaling.close(), 150);
}

function signOut(notice = null) {
  stopApp();
  session.clearSession();
  showAuth(notice);
}

// Another tab signed in or out: follow it.
window.addEventListener('storage', (e) => {
  if (e.key !== 'parley.session') return;
  const s = session.loadSession();
  if (!s && current) {
    stopApp();
    showAuth('You signed out in another tab.');
  } else if (s && (!current || current.session.token !== s.token)) {
    if (!current || current.calls.state === 'idle') startApp(s);
  }
});

const existing = session.loadSession();
if (existing) startApp(existing);
else showAuth();
