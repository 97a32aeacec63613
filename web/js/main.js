// Parley web client: boot, sign-in routing and wiring of the parts.

import { Api } from './api.js';
import { Signaling } from './signaling.js';
import { CallManager } from './call.js';
import { Ringtone } from './ringtone.js';
import * as session from './session.js';
import { renderAuth } from './views/auth.js';
import { HomeView } from './views/home.js';
import { CallScreens } from './views/call-screens.js';
import { RoomView } from './views/room.js';
import { MeetingView } from './views/meeting.js';
import { ROOM_RE } from './room.js';
import { meetingFromHash, meetingPath, normalizeMeetingId } from './meeting.js';
import { toast } from './ui.js';

const appRoot = document.getElementById('app');
const overlayRoot = document.getElementById('overlay-root');
const roomRoot = document.getElementById('room-root');
const meetingRoot = document.getElementById('meeting-root');

const ringtone = new Ringtone();
for (const type of ['pointerdown', 'keydown', 'touchstart']) {
  window.addEventListener(type, () => ringtone.unlock(), { capture: true, passive: true });
}

let current = null; // { session, signaling, calls, home, screens, room }
let meetingView = null; // the meeting page (#/meeting/<id>), signed in or not

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

// The group room this tab is in (#/room/<name>), for tests and debugging.
const roomSession = () => current?.room?.session ?? null;
window.parleyRoom = {
  get name() { return current?.room?.name ?? null; },
  get state() { return roomSession()?.state ?? 'none'; },
  get error() { return roomSession()?.error ?? null; },
  get participantId() { return roomSession()?.participantId ?? null; },
  // Everyone in the room, this tab first ({participant_id, display_name,
  // audio_muted, video_muted, screen_sharing, tracks, self}).
  get participants() { return roomSession()?.list() ?? []; },
  get activeSpeaker() { return roomSession()?.activeSpeaker ?? null; },
  get publisherPc() { return roomSession()?.publisherPc ?? null; },
  get subscriberPc() { return roomSession()?.subscriberPc ?? null; },
  get localStream() { return roomSession()?.localStream ?? null; },
  // mid → {participant_id, track_id, kind, source} of the subscriber connection.
  get subscriberTracks() { return Object.fromEntries(roomSession()?.subscriberTracks ?? []); },
  subscribe: (participantId, quality = 'high') => roomSession()?.subscribe(participantId, quality) ?? null,
  unsubscribe: (participantId) => roomSession()?.unsubscribe(participantId) ?? null,
  setMicMuted: (muted) => roomSession()?.setMicMuted(muted),
  setCameraOff: (off) => roomSession()?.setCameraOff(off),
  startScreenShare: (opts) => roomSession()?.startScreenShare(opts) ?? false,
  stopScreenShare: () => roomSession()?.stopScreenShare() ?? false,
  leave: () => current?.room?.leave(),
};

// The meeting this tab is on (#/meeting/<id>), for tests and debugging.
const meetingSession = () => meetingView?.session ?? null;
window.parleyMeeting = {
  // 'none' | 'prejoin' | 'meeting' | 'end'
  get phase() { return meetingView?.phase ?? 'none'; },
  // the meeting's state ('connecting', 'waiting', 'joined', 'left', 'ended',
  // 'removed', 'denied', 'failed'), else the phase
  get state() { return meetingSession()?.state ?? meetingView?.endInfo?.state ?? meetingView?.phase ?? 'none'; },
  get endInfo() { return meetingView?.endInfo ?? null; },
  get meetingId() { return meetingView?.meetingId ?? null; },
  get topic() { return meetingSession()?.topic ?? null; },
  get error() { return meetingSession()?.error ?? null; },
  get participantId() { return meetingSession()?.participantId ?? null; },
  get role() { return meetingSession()?.role ?? null; },
  get isHost() { return meetingSession()?.isHost ?? false; },
  get grants() { return meetingSession()?.grants ?? null; },
  get settings() { return meetingSession()?.settings ?? null; },
  get permissions() { return meetingSession()?.permissions ?? null; },
  get locked() { return meetingSession()?.locked ?? false; },
  // Everyone in the meeting, this tab first (MeetingParticipant + self).
  get participants() { return meetingSession()?.list() ?? []; },
  // Who shares this tab's media room (main room or breakout room).
  get roomParticipants() { return meetingSession()?.roomMembers() ?? []; },
  get waiting() { return meetingSession()?.waiting ?? []; },
  get chat() { return (meetingSession()?.chat ?? []).map((m) => ({ ...m })); },
  get hands() { return (meetingSession()?.hands() ?? []).map((p) => p.participant_id); },
  get breakouts() { return meetingSession()?.breakouts ?? null; },
  get myRoom() { return meetingSession()?.myRoom ?? null; },
  get closingAt() { return meetingSession()?.closingAt ?? null; },
  get layout() { return meetingView?.mode ?? null; },
  get chosenLayout() { return meetingView?.layout ?? null; },
  get page() { return meetingView?.page ?? 0; },
  get pages() { return meetingView?.pages ?? 1; },
  get openPanels() { return meetingView?.openPanels ?? []; },
  get activeSpeaker() { return meetingSession()?.room.activeSpeaker ?? null; },
  get mediaState() { return meetingSession()?.room.state ?? 'none'; },
  get micMuted() { return meetingSession()?.micMuted ?? null; },
  get cameraOff() { return meetingSession()?.cameraOff ?? null; },
  get sharing() { return meetingSession()?.sharing ?? false; },
  get publisherPc() { return meetingSession()?.room.publisherPc ?? null; },
  get subscriberPc() { return meetingSession()?.room.subscriberPc ?? null; },
  get localStream() { return meetingSession()?.room.localStream ?? null; },
  // mid → {participant_id, track_id, kind, source} of the subscriber connection.
  get subscriberTracks() { return Object.fromEntries(meetingSession()?.room.subscriberTracks ?? []); },
  // participant_id → the video quality asked for ('low'|'medium'|'high'|'off').
  get subscriptions() { return meetingView?.subscriptions ?? {}; },
  // participant_id → 1–3 bars (from getStats).
  get networkQuality() { return Object.fromEntries([...(meetingView?.network ?? new Map())].map(([k, v]) => [k, v.bars])); },
  leave: () => meetingSession()?.leave(),
  setMicMuted: (muted) => meetingSession()?.setMicMuted(muted),
  setCameraOff: (off) => meetingSession()?.setCameraOff(off),
  startScreenShare: (opts) => meetingSession()?.startScreenShare(opts) ?? false,
  stopScreenShare: () => meetingSession()?.stopScreenShare() ?? false,
  setLayout: (layout) => meetingView?.setLayout(layout),
  dropConnection: () => meetingSession()?.socket.simulateDrop() ?? false,
};

function currentUser() {
  return current?.session.user ?? session.loadSession()?.user ?? null;
}

// Mounts or unmounts the meeting view to match the address. Meetings do
// not need a signed-in user: guests join by link.
function routeMeeting() {
  const m = meetingFromHash();
  const id = m ? normalizeMeetingId(m.id) ?? m.id : null;
  if (meetingView && meetingView.meetingId === id) return;
  if (meetingView) {
    meetingView.destroy();
    meetingView = null;
  }
  if (m) {
    meetingView = new MeetingView(meetingRoot, {
      api,
      getUser: currentUser,
      meetingId: m.id,
      password: m.pwd,
      onExit: () => goHome(),
      onToast: (message, kind) => toast(message, { kind }),
    });
  }
  // The page behind the meeting takes no focus or clicks.
  appRoot.inert = !!meetingView;
}

export function roomPath(name) {
  return `#/room/${encodeURIComponent(name)}`;
}

// '#/room/<name>' → name (valid or not), anything else → null.
function roomFromHash() {
  const m = /^#\/room\/([^/?#]+)\/?$/.exec(location.hash);
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch { return m[1]; }
}

function goHome() {
  if (location.hash) history.pushState(null, '', location.pathname + location.search);
  routeMeeting();
  route();
}

// Mounts or unmounts the room view to match the address.
function route() {
  if (!current) return;
  let name = roomFromHash();
  if (name != null && !ROOM_RE.test(name)) {
    toast('Room names are 1–64 characters of A–Z, a–z, 0–9, _ . : -', { kind: 'warn' });
    history.replaceState(null, '', location.pathname + location.search);
    name = null;
  }
  if (current.room && current.room.name === name) return;
  if (current.room) {
    current.room.destroy();
    current.room = null;
  }
  if (name) {
    current.room = new RoomView(roomRoot, {
      signaling: current.signaling,
      user: current.session.user,
      room: name,
      onLeave: () => goHome(),
      onToast: (message, kind) => toast(message, { kind }),
    });
  }
}

window.addEventListener('hashchange', () => {
  routeMeeting();
  route();
});

function showAuth(notice = null) {
  const last = session.lastUsername();
  renderAuth(appRoot, {
    api,
    notice,
    initialMode: last ? 'login' : 'signup',
    lastUsername: last,
    onSignedIn: (res) => startApp(session.saveSession(res)),
    onJoinMeeting: (id, pwd) => { location.hash = meetingPath(id, pwd); },
  });
}

async function startApp(s) {
  stopApp();
  const deviceId = await session.claimDeviceId();
  const signaling = new Signaling({ token: s.token, deviceId, deviceName: session.deviceName() });
  const calls = new CallManager({ signaling, api, ringtone, me: s.user });
  const home = new HomeView(appRoot, {
    api, calls, signaling, user: s.user, onSignOut: () => signOut(),
    onJoinRoom: (name) => { location.hash = roomPath(name); },
    onOpenMeeting: (id, pwd) => { location.hash = meetingPath(id, pwd); },
  });
  const screens = new CallScreens(overlayRoot, { calls, ringtone });
  current = { session: s, signaling, calls, home, screens, room: null };
  calls.addEventListener('toast', (e) => toast(e.detail.message, { kind: e.detail.kind }));
  signaling.addEventListener('retry', async (e) => {
    // A WebSocket that keeps failing before it ever registers may mean the
    // token is no longer valid: ask the REST API, which says so clearly.
    if (e.detail.failures >= 2 && current?.signaling === signaling) {
      try { await api.me(); } catch { /* a 401 signs out via onUnauthorized */ }
    }
  });
  signaling.connect();
  route();
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
  c.room?.destroy();
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
    if (!current || (current.calls.state === 'idle' && !current.room)) startApp(s);
  }
});

const existing = session.loadSession();
if (existing) startApp(existing);
else showAuth();
routeMeeting();
