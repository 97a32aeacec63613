// Meetings: the client side of docs/protocol.md ("Meetings"). A meeting
// has its own WebSocket, opened with the join token that
// POST /api/v1/meetings/{id}/join hands out (guests have no other token),
// on which this page sends `meeting_join` and then talks both the meeting's
// messages (chat, hands, reactions, host controls, waiting room, breakout
// rooms) and, through a RoomSession (room.js), the SFU's media messages.
//
// States: 'connecting' | 'waiting' | 'joined' | 'reconnecting'
//       | 'left' | 'ended' | 'removed' | 'denied' | 'failed'
//
// Events (on MeetingSession):
//   'state'         the state changed (detail: state)
//   'participants'  the meeting's participants or the media room changed
//   'media'         a local or remote track came or went (from the room)
//   'speaker'       the active speaker changed
//   'chat'          a chat message arrived (detail: ChatMessage)
//   'reaction'      someone reacted (detail: {participant_id, emoji})
//   'waiting'       the waiting list changed (hosts)
//   'permissions'   the meeting's permissions, lock, or our grants changed
//   'breakouts'     breakout rooms changed, we moved, or they are closing
//   'broadcast'     the host's message to every breakout room (detail)
//   'toast'         something to tell the user (detail: {message, kind})

import { webSocketUrl } from './signaling.js';
import { RoomSession, SOURCES, participantName } from './room.js';

export const MEETING_ID_RE = /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/;
export const REACTIONS = ['👍', '👏', '❤️', '😂', '😮', '🎉'];
export const HOST_ROLES = new Set(['host', 'cohost']);
export const ROLE_LABEL = { host: 'Host', cohost: 'Co-host', panelist: 'Panelist', participant: '', attendee: 'Attendee' };

const MAX_SOCKET_FAILURES = 6;
const MAX_BACKOFF_MS = 10_000;
const TERMINAL = new Set(['left', 'ended', 'removed', 'denied', 'failed']);

const ERROR_TEXT = {
  invalid_token: 'Your invitation to this meeting is no longer valid. Join again.',
  meeting_not_found: 'This meeting does not exist any more.',
  meeting_locked: 'The host has locked this meeting.',
  meeting_full: 'This meeting is full.',
  removed: 'You were removed from this meeting.',
  already_in_meeting: 'This page is already in a meeting.',
  not_allowed: 'Only the host can do that.',
  not_in_meeting: 'You are not in the meeting any more.',
};

export const END_TEXT = {
  ended: 'The host ended the meeting for everyone.',
  deleted: 'The host deleted this meeting.',
  expired: 'The meeting reached its end.',
};

// "abc-defg-hij", "ABC DEFG HIJ", "abcdefghij" → "abc-defg-hij"; else null.
export function normalizeMeetingId(text) {
  const letters = String(text ?? '').toLowerCase().replace(/[\s-]+/g, '');
  if (!/^[a-z]{10}$/.test(letters)) return null;
  return `${letters.slice(0, 3)}-${letters.slice(3, 7)}-${letters.slice(7)}`;
}

// A code or a whole link (…#/meeting/<id>?pwd=…) → {id, pwd}; else null.
export function parseMeetingInput(text) {
  const s = String(text ?? '').trim();
  if (!s) return null;
  const m = /#\/meeting\/([^/?#\s]+)(?:\?([^#\s]*))?/.exec(s);
  if (m) {
    let raw = m[1];
    try { raw = decodeURIComponent(raw); } catch { /* keep */ }
    const id = normalizeMeetingId(raw);
    if (!id) return null;
    const pwd = new URLSearchParams(m[2] ?? '').get('pwd') || null;
    return { id, pwd };
  }
  const id = normalizeMeetingId(s);
  return id ? { id, pwd: null } : null;
}

// '#/meeting/<id>?pwd=…' → {id (as written), pwd}; anything else → null.
export function meetingFromHash(hash = location.hash) {
  const m = /^#\/meeting\/([^/?#]+)\/?(?:\?(.*))?$/.exec(hash);
  if (!m) return null;
  let id = m[1];
  try { id = decodeURIComponent(id); } catch { /* keep */ }
  const pwd = new URLSearchParams(m[2] ?? '').get('pwd') || null;
  return { id, pwd };
}

export function meetingPath(id, pwd = null) {
  return `#/meeting/${encodeURIComponent(id)}${pwd ? `?${new URLSearchParams({ pwd })}` : ''}`;
}

// The link to share: this page's own address, so that it works behind any
// proxy or path prefix the inviter uses.
export function meetingLink(id, pwd = null) {
  return `${location.origin}${location.pathname}${meetingPath(id, pwd)}`;
}

// "abc-defg-hij" as it is read aloud.
export function formatMeetingId(id) {
  return String(id ?? '');
}

export function roleLabel(role) {
  return ROLE_LABEL[role] ?? '';
}

// Opt-in message trace, as the signaling connection does.
function tracing() {
  try { return localStorage.getItem('parley.debug') === '1'; } catch { return false; }
}

function trace(dir, msg) {
  const text = JSON.stringify(msg, (k, v) => (typeof v === 'string' && v.length > 80 && /sdp|candidate|token/.test(k) ? `${v.slice(0, 24)}…(${v.length})` : v));
  console.debug(`[meeting ${dir}] ${text}`);
}

// The meeting's WebSocket: /ws?token=<join token>, no `register`; reconnects
// with backoff until closed or until it keeps failing before it ever opens.
// Events: 'status' (detail), 'open', 'message' (detail), 'gaveup'.
// Status: 'connecting' | 'online' | 'offline' | 'closed'
export class MeetingSocket extends EventTarget {
  #token;
  #ws = null;
  #ref = 0;
  #attempt = 0;
  #timer = null;
  #stopped = true;
  status = 'offline';
  failures = 0;
  trace = tracing();

  constructor(token) {
    super();
    this.#token = token;
  }

  get online() {
    return this.status === 'online';
  }

  connect() {
    this.#stopped = false;
    this.#open();
  }

  close() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      try { ws.close(1000, 'bye'); } catch { /* already closed */ }
    }
    this.#setStatus('closed');
  }

  // Drop the connection as a network failure would (debugging and tests).
  simulateDrop() {
    const ws = this.#ws;
    if (!ws) return false;
    try { ws.close(4002, 'simulated drop'); } catch { /* ignore */ }
    return true;
  }

  send(msg) {
    const out = { ...msg, ref: ++this.#ref };
    if (this.status !== 'online' || this.#ws?.readyState !== WebSocket.OPEN) return null;
    if (this.trace) trace('->', out);
    this.#ws.send(JSON.stringify(out));
    return out.ref;
  }

  #setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }

  #open() {
    clearTimeout(this.#timer);
    this.#setStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(webSocketUrl(this.#token));
    } catch (e) {
      console.warn('[parley] meeting websocket', e);
      this.#retry();
      return;
    }
    this.#ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.#attempt = 0;
      this.failures = 0;
      this.#setStatus('online');
      this.dispatchEvent(new Event('open'));
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (!msg || typeof msg.type !== 'string') return;
      if (this.trace) trace('<-', msg);
      this.dispatchEvent(new CustomEvent('message', { detail: msg }));
    };
    ws.onerror = () => { /* onclose follows */ };
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (this.#stopped) return;
      console.warn(`[parley] meeting socket closed ${ev.code} ${ev.reason}`);
      if (!opened) this.failures += 1;
      this.#setStatus('offline');
      if (this.failures >= MAX_SOCKET_FAILURES) {
        this.#stopped = true;
        this.#setStatus('closed');
        this.dispatchEvent(new Event('gaveup'));
        return;
      }
      this.#retry();
    };
  }

  #retry() {
    if (this.#stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, 400 * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 8);
    this.#timer = setTimeout(() => this.#open(), Math.round(base * (0.6 + Math.random() * 0.4)));
  }
}

export class MeetingSession extends EventTarget {
  state = 'connecting';
  error = null; // {code, message}
  endReason = null;
  meetingId;
  topic;
  password;
  grants;
  settings;
  meeting = null; // the `meeting` of meeting_joined
  you = null; // my MeetingParticipant (also in participants)
  participants = new Map(); // participant_id → MeetingParticipant
  chat = []; // ChatMessage, oldest first (plus {pending: true} ones of ours)
  permissions = { screen_share: 'all', allow_unmute: true, chat: 'all', locked: false };
  waiting = []; // [{participant_id, display_name, since}] (hosts)
  breakouts = { rooms: [], open: false };
  myRoom = null; // {room_id, name} while in a breakout room
  closingAt = null; // ms timestamp when breakout rooms close
  lastBroadcast = null; // {text, from, at}
  handsRaisedAt = new Map(); // participant_id → ms, for the order of hands
  endedByMe = false;
  joinedAt = null;
  room; // RoomSession: the media
  socket;

  #refs = new Map(); // ref → {kind, ...}
  #cleanups = [];
  #everJoined = false;
  #lastAudioChange = 0;
  #myReactions = []; // [{emoji, at}] sent, to skip their echo
  #endTimer = null;

  constructor({ join, displayName, user = null, localStream = null, audioMuted = false, videoMuted = false, password = null }) {
    super();
    this.meetingId = join.meeting_id;
    this.topic = join.topic || 'Meeting';
    this.password = password;
    this.grants = join.grants ?? {};
    this.settings = join.settings ?? {};
    this.displayName = displayName;
    this.user = user;
    this.joinToken = join.join_token;
    const publish = this.grants.can_publish !== false;
    if (!publish) {
      for (const t of localStream?.getTracks() ?? []) t.stop();
      localStream = null;
    }
    this.socket = new MeetingSocket(join.join_token);
    this.room = new RoomSession({
      signaling: this.socket,
      user,
      room: join.meeting_id,
      displayName,
      managed: false,
      localStream,
      audioMuted,
      videoMuted,
      publish,
      sources: this.grants.can_publish_sources ?? SOURCES,
      announce: false,
      iceServers: join.ice_servers ?? [],
    });
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.#cleanups.push(() => target.removeEventListener(type, fn));
    };
    // Closing the tab is leaving; only a dropped network keeps the place
    // for the server's reconnect grace.
    on(window, 'pagehide', () => this.leave());
    on(this.socket, 'open', () => this.#sendJoin());
    on(this.socket, 'message', (e) => this.#onMessage(e.detail));
    on(this.socket, 'status', () => this.#onSocketStatus());
    on(this.socket, 'gaveup', () => this.#fail({ code: 'network', message: 'Cannot reach the server.' }));
    for (const type of ['participants', 'media', 'speaker']) on(this.room, type, () => this.#emit(type));
    on(this.room, 'state', () => this.#emit('participants'));
    on(this.room, 'toast', (e) => this.dispatchEvent(new CustomEvent('toast', { detail: e.detail })));
    on(this.room, 'refused', (e) => this.#onRefused(e.detail));
    this.socket.connect();
  }

  // ------------------------------------------------------------ who we are

  get participantId() { return this.you?.participant_id ?? this.room.participantId ?? null; }
  get role() { return this.you?.role ?? (this.grants.is_host ? 'host' : 'participant'); }
  get isHost() { return HOST_ROLES.has(this.role); }
  get isMainHost() { return this.role === 'host'; }
  get webinar() { return !!(this.meeting?.settings?.webinar ?? this.settings.webinar); }
  get locked() { return !!this.permissions.locked; }
  get terminal() { return TERMINAL.has(this.state); }

  get micMuted() { return this.room.micMuted; }
  get cameraOff() { return this.room.cameraOff; }
  get sharing() { return this.room.sharing; }
  get handRaised() { return !!this.you?.hand_raised; }

  get canUnmute() { return this.isHost || this.permissions.allow_unmute !== false; }
  get canShareScreen() {
    return this.room.mayPublish('screen') && (this.isHost || this.permissions.screen_share !== 'host');
  }
  get canChat() {
    return this.grants.can_chat !== false && (this.isHost || this.permissions.chat !== 'host');
  }

  // Everyone in the meeting, this page first, then by join time.
  list() {
    const me = this.participantId;
    const all = [...this.participants.values()].map((p) => this.#withMedia(p, p.participant_id === me));
    return all.sort((a, b) => (a.self ? -1 : b.self ? 1 : (a.joined_at ?? 0) - (b.joined_at ?? 0)));
  }

  // Who shares our media room (main room or our breakout room), this page
  // first: the SFU says who is there, the meeting says who they are.
  roomMembers() {
    const out = [];
    const me = this.participantId;
    const mine = this.participants.get(me) ?? this.you;
    // A webinar attendee only watches: no tile of their own.
    if (!(this.webinar && !this.room.canPublish)) {
      out.push(this.#withMedia({ ...(mine ?? {}), participant_id: me, display_name: mine?.display_name ?? this.displayName }, true));
    }
    for (const [id, sp] of this.room.participants) {
      if (id === me) continue;
      const mp = this.participants.get(id);
      const p = { ...sp, ...(mp ?? {}) };
      // The SFU's word on media state is the freshest.
      p.audio_muted = !!(sp.audio_muted ?? mp?.audio_muted);
      p.video_muted = !!(sp.video_muted ?? mp?.video_muted);
      p.screen_sharing = !!(sp.screen_sharing ?? mp?.screen_sharing);
      // In a webinar attendees only watch: no tile.
      if (this.webinar && p.role === 'attendee' && !(sp.tracks ?? []).length) continue;
      out.push({ ...p, self: false });
    }
    return out;
  }

  #withMedia(p, self) {
    if (!self) return { ...p, self: false };
    const r = this.room;
    return { ...p, self: true, audio_muted: r.micMuted, video_muted: r.cameraOff, screen_sharing: r.sharing, hand_raised: !!this.you?.hand_raised, role: this.role };
  }

  // Raised hands, first raised first.
  hands() {
    return [...this.participants.values()].filter((p) => p.hand_raised)
      .sort((a, b) => (this.handsRaisedAt.get(a.participant_id) ?? 0) - (this.handsRaisedAt.get(b.participant_id) ?? 0));
  }

  nameOf(id) {
    if (id && id === this.participantId) return 'You';
    return participantName(this.participants.get(id) ?? this.room.participants.get(id));
  }

  // ------------------------------------------------------------ media

  toggleMic() { this.setMicMuted(!this.room.micMuted); }

  setMicMuted(muted) {
    if (!muted && this.room.micMuted && !this.canUnmute) {
      this.#toast('The host has not allowed participants to unmute', 'warn');
      return;
    }
    this.#lastAudioChange = Date.now();
    this.room.setMicMuted(muted);
  }

  toggleCamera() { this.room.toggleCamera(); }

  setCameraOff(off) { this.room.setCameraOff(off); }

  async startScreenShare(opts) {
    if (!this.canShareScreen) {
      this.#toast('Only the host can share the screen in this meeting', 'warn');
      return false;
    }
    return this.room.startScreenShare(opts);
  }

  stopScreenShare() { return this.room.stopScreenShare(); }

  // ------------------------------------------------------------ meeting actions

  sendChat(text, to = null) {
    const body = String(text ?? '').trim();
    if (!body) return false;
    if (new TextEncoder().encode(body).length > 4096) {
      this.#toast('That message is too long (4096 bytes at most)', 'warn');
      return false;
    }
    if (!this.canChat) {
      this.#toast('Only the host can chat in this meeting', 'warn');
      return false;
    }
    const msg = { type: 'chat', text: body };
    if (to) msg.to = to;
    const ref = this.#send(msg, { kind: 'chat' });
    if (ref == null) {
      this.#toast('Not connected — the message was not sent', 'error');
      return false;
    }
    // Shown at once; the server's copy replaces it.
    const local = { id: `local-${ref}`, from: this.participantId, from_name: this.displayName, to, text: body, sent_at: Date.now() / 1000, pending: true, ref };
    this.chat.push(local);
    this.dispatchEvent(new CustomEvent('chat', { detail: local }));
    // A server that does not echo our own messages: it is sent all the same.
    setTimeout(() => {
      if (!local.pending) return;
      local.pending = false;
      this.dispatchEvent(new CustomEvent('chat', { detail: null }));
    }, 5000);
    return true;
  }

  react(emoji) {
    if (!REACTIONS.includes(emoji)) return;
    if (this.#send({ type: 'reaction', emoji }, { kind: 'reaction' }) == null) return;
    this.#myReactions.push({ emoji, at: Date.now() });
    this.dispatchEvent(new CustomEvent('reaction', { detail: { participant_id: this.participantId, emoji } }));
  }

  setHand(raised) {
    raised = !!raised;
    if (this.#send({ type: 'hand', raised }, { kind: 'hand' }) == null) return;
    if (this.you) this.#upsert({ ...this.you, hand_raised: raised });
  }

  toggleHand() { this.setHand(!this.handRaised); }

  lowerHand(participantId) {
    if (participantId === this.participantId) return this.setHand(false);
    this.#hostSend({ type: 'hand', raised: false, participant_id: participantId });
  }

  mute(participantId) { this.#hostSend({ type: 'mute', participant_id: participantId }); }
  muteAll(allowUnmute = true) { this.#hostSend({ type: 'mute_all', allow_unmute: !!allowUnmute }); }
  remove(participantId) { this.#hostSend({ type: 'remove', participant_id: participantId }); }
  setRole(participantId, role) { this.#hostSend({ type: 'set_role', participant_id: participantId, role }); }
  lock(locked) { this.#hostSend({ type: 'lock', locked: !!locked }); }
  admit(participantId) { this.#hostSend({ type: 'admit', participant_id: participantId }); }
  deny(participantId) { this.#hostSend({ type: 'deny', participant_id: participantId }); }
  admitAll() { this.#hostSend({ type: 'admit_all' }); }
  setPermissions(perms) { this.#hostSend({ type: 'set_permissions', ...perms }); }
  breakoutCreate(rooms, assign = 'auto') { this.#hostSend({ type: 'breakout_create', rooms, assign }); }
  breakoutAssign(participantId, roomId) { this.#hostSend({ type: 'breakout_assign', participant_id: participantId, room_id: roomId ?? null }); }
  breakoutOpen() { this.#hostSend({ type: 'breakout_open' }); }
  breakoutBroadcast(text) {
    const body = String(text ?? '').trim();
    if (body) this.#hostSend({ type: 'breakout_broadcast', text: body });
    return !!body;
  }
  breakoutClose(countdown = 10) { this.#hostSend({ type: 'breakout_close', countdown: Number(countdown) }); }

  endForAll() {
    if (this.#hostSend({ type: 'end_meeting' }) == null) return this.leave();
    this.endedByMe = true;
    // The server answers with meeting_ended; leave anyway if it does not.
    clearTimeout(this.#endTimer);
    this.#endTimer = setTimeout(() => { if (!this.terminal) this.#finish('ended', { reason: 'ended' }); }, 4000);
    return undefined;
  }

  leave() {
    if (this.terminal) return;
    if (this.state !== 'connecting') this.#send({ type: 'meeting_leave' });
    this.#finish('left');
  }

  destroy() {
    this.leave();
    clearTimeout(this.#endTimer);
    this.room.destroy();
    for (const fn of this.#cleanups) fn();
    this.#cleanups = [];
    this.socket.close();
  }

  // ------------------------------------------------------------ protocol

  #sendJoin() {
    if (this.terminal) return;
    this.#send({ type: 'meeting_join', join_token: this.joinToken }, { kind: 'meeting_join' });
  }

  #onSocketStatus() {
    if (this.terminal) return;
    if (!this.socket.online && (this.state === 'joined' || this.state === 'waiting')) this.#setState('reconnecting');
  }

  #onMessage(m) {
    if (this.terminal) return;
    switch (m.type) {
      case 'meeting_joined': return this.#onJoined(m);
      case 'waiting': return this.#onWaiting(m);
      case 'denied': return this.#finish('denied');
      case 'participant_update': return this.#upsert(m.participant, { announce: true });
      case 'participant_gone': return this.#onGone(m);
      case 'waiting_list': return this.#onWaitingList(m.waiting ?? []);
      case 'chat': return this.#onChat(m.message);
      case 'reaction': return this.#onReaction(m);
      case 'muted_by_host': return this.#onMutedByHost(m);
      case 'permissions': return this.#onPermissions(m);
      case 'role': return this.#onRole(m);
      case 'grants': return this.#onGrants(m);
      case 'removed': return this.#finish('removed');
      case 'meeting_ended': return this.#finish('ended', m);
      case 'breakouts': return this.#onBreakouts(m);
      case 'breakout_moved': return this.#onMoved(m);
      case 'breakout_message':
        this.lastBroadcast = { text: String(m.text ?? ''), from: m.from ?? null, at: Date.now() };
        this.dispatchEvent(new CustomEvent('broadcast', { detail: this.lastBroadcast }));
        return undefined;
      case 'breakout_closing':
        this.closingAt = Date.now() + Math.max(0, Number(m.seconds) || 0) * 1000;
        this.#emit('breakouts');
        return undefined;
      case 'error': return this.#onError(m);
      default: return undefined;
    }
  }

  #onWaiting(m) {
    if (m.meeting?.topic) this.topic = m.meeting.topic;
    if (this.#everJoined) {
      // Back through the waiting room after a lost connection: what we knew
      // of the meeting is stale until we are let in again.
      this.you = null;
      this.participants.clear();
      this.waiting = [];
      this.handsRaisedAt.clear();
      this.myRoom = null;
      this.closingAt = null;
      this.#toast('You were disconnected. The host needs to let you in again.', 'warn', 'waiting');
      this.#emit('participants');
      this.#emit('waiting');
    }
    this.#setState('waiting');
  }

  #onJoined(m) {
    const first = !this.#everJoined;
    this.#everJoined = true;
    this.meeting = m.meeting ?? this.meeting;
    if (this.meeting?.topic) this.topic = this.meeting.topic;
    if (this.meeting?.settings) this.settings = { ...this.settings, ...this.meeting.settings };
    this.participants.clear();
    for (const p of m.participants ?? []) if (p?.participant_id) this.participants.set(p.participant_id, p);
    if (m.you?.participant_id) {
      const { grants, ...you } = m.you;
      this.you = { ...(this.participants.get(you.participant_id) ?? {}), ...you };
      this.participants.set(this.you.participant_id, this.you);
      // What we may do now (the token's grants narrowed by role and the
      // meeting's permissions), before the media room's `joined` arrives.
      if (grants) this.#applyGrants(grants);
    }
    for (const p of this.participants.values()) if (p.hand_raised) this.handsRaisedAt.set(p.participant_id, Date.now());
    if (m.permissions) this.permissions = { ...this.permissions, ...m.permissions };
    const history = (m.chat ?? []).filter((c) => c && c.id != null);
    const pending = this.chat.filter((c) => c.pending);
    this.chat = [...history, ...pending];
    if (m.breakouts) this.breakouts = { rooms: m.breakouts.rooms ?? [], open: !!m.breakouts.open };
    const roomId = this.you?.room_id ?? null;
    this.myRoom = roomId ? { room_id: roomId, name: this.#breakoutName(roomId) } : null;
    // Joined muted (the meeting mutes on entry): the microphone too.
    if (this.you?.audio_muted && !this.room.micMuted) this.room.forceMute();
    this.joinedAt ??= Date.now();
    const wasWaiting = this.state === 'waiting';
    this.#setState('joined');
    if (wasWaiting) this.#toast('The host let you in', 'success');
    else if (first && this.you?.audio_muted && this.settings.mute_on_entry && !this.isHost) this.#toast('You joined muted', 'info');
    this.#emit('participants');
    this.#emit('permissions');
    this.#emit('breakouts');
    this.#emit('waiting');
    this.dispatchEvent(new CustomEvent('chat', { detail: null }));
  }

  #upsert(p, { announce = false } = {}) {
    if (!p?.participant_id) return;
    const id = p.participant_id;
    const old = this.participants.get(id);
    const next = { ...(old ?? {}), ...p };
    this.participants.set(id, next);
    const mine = id === this.participantId;
    if (mine) {
      this.you = next;
      // The server muted us (e.g. mute all) while our microphone was on.
      if (next.audio_muted && !old?.audio_muted && !this.room.micMuted && Date.now() - this.#lastAudioChange > 2000) this.room.forceMute();
      const roomId = next.room_id ?? null;
      if ((this.myRoom?.room_id ?? null) !== roomId) this.myRoom = roomId ? { room_id: roomId, name: this.#breakoutName(roomId) } : null;
    }
    if (next.hand_raised && !old?.hand_raised) {
      this.handsRaisedAt.set(id, Date.now());
      if (announce && !mine && old && this.isHost) this.#toast(`${participantName(next)} raised their hand`, 'info', 'hand');
    } else if (!next.hand_raised) {
      this.handsRaisedAt.delete(id);
      if (announce && mine && old?.hand_raised && p.hand_raised === false && this.#handLoweredByHost) {
        this.#toast('The host lowered your hand', 'info');
      }
    }
    if (announce && !old && !mine && this.state === 'joined') this.#toast(`${participantName(next)} joined`, 'info', 'join');
    if (old && old.role && next.role && old.role !== next.role) this.#afterRoleChange(id, old.role, next.role);
    this.#emit('participants');
  }

  get #handLoweredByHost() {
    // Our own lowering comes back too; only call it the host's when we did
    // not just lower it ourselves.
    return Date.now() - (this.#lastHandAction ?? 0) > 2000;
  }

  #lastHandAction = 0;

  #onGone(m) {
    const id = m.participant_id;
    const p = this.participants.get(id);
    const reason = String(m.reason ?? 'left');
    // A move between the main room and a breakout room is not a departure.
    if (/^(moved|breakout)/.test(reason)) {
      this.#emit('participants');
      return;
    }
    if (!p) return;
    this.participants.delete(id);
    this.handsRaisedAt.delete(id);
    if (id !== this.participantId) {
      const name = participantName(p);
      this.#toast(reason === 'removed' ? `${name} was removed from the meeting` : `${name} left the meeting`, 'info', 'leave');
    }
    this.#emit('participants');
  }

  #onWaitingList(list) {
    const before = new Set(this.waiting.map((w) => w.participant_id));
    this.waiting = list.filter((w) => w?.participant_id);
    const fresh = this.waiting.filter((w) => !before.has(w.participant_id));
    if (fresh.length && this.isHost && this.state === 'joined') {
      this.#toast(fresh.length === 1 ? `${participantName(fresh[0])} is waiting to join` : `${fresh.length} people are waiting to join`, 'info', 'waiting');
    }
    this.#emit('waiting');
  }

  #onChat(msg) {
    if (!msg || msg.text == null) return;
    if (msg.id != null && this.chat.some((c) => c.id === msg.id)) return;
    const mine = msg.from != null && msg.from === this.participantId;
    if (mine) {
      const i = this.chat.findIndex((c) => String(c.id).startsWith('local-') && c.text === msg.text && (c.to ?? null) === (msg.to ?? null));
      if (i >= 0) {
        this.chat[i] = msg;
        this.dispatchEvent(new CustomEvent('chat', { detail: null }));
        return;
      }
    }
    this.chat.push(msg);
    if (this.chat.length > 500) this.chat.splice(0, this.chat.length - 500);
    this.dispatchEvent(new CustomEvent('chat', { detail: msg }));
  }

  #onReaction(m) {
    if (!m.participant_id || !m.emoji) return;
    if (m.participant_id === this.participantId) {
      const now = Date.now();
      this.#myReactions = this.#myReactions.filter((r) => now - r.at < 5000);
      const i = this.#myReactions.findIndex((r) => r.emoji === m.emoji);
      if (i >= 0) {
        this.#myReactions.splice(i, 1);
        return; // shown when sent
      }
    }
    this.dispatchEvent(new CustomEvent('reaction', { detail: { participant_id: m.participant_id, emoji: m.emoji } }));
  }

  #onMutedByHost(m) {
    if ((m.kind ?? 'audio') !== 'audio') return;
    this.room.forceMute();
    if (this.you) this.you = { ...this.you, audio_muted: true };
    this.#toast(this.canUnmute ? 'The host muted your microphone' : 'The host muted everyone. You can unmute when the host allows it.', 'warn', 'muted');
    this.#emit('participants');
  }

  #onPermissions(m) {
    const old = this.permissions;
    const next = { ...old };
    for (const k of ['screen_share', 'allow_unmute', 'chat', 'locked']) if (m[k] !== undefined) next[k] = m[k];
    this.permissions = next;
    if (this.state === 'joined') {
      if (!!old.locked !== !!next.locked) this.#toast(next.locked ? 'The meeting is locked: nobody new can join' : 'The meeting is unlocked', 'info');
      if (!this.isHost) {
        if (old.allow_unmute === false && next.allow_unmute !== false) this.#toast('The host allowed everyone to unmute', 'info');
        if (old.screen_share !== next.screen_share) this.#toast(next.screen_share === 'host' ? 'Only the host can share the screen now' : 'Everyone can share the screen now', 'info');
        if (old.chat !== next.chat) this.#toast(next.chat === 'host' ? 'Only the host can chat now' : 'Everyone can chat now', 'info');
        if (next.screen_share === 'host' && this.room.sharing) this.room.stopScreenShare();
      }
    }
    this.#emit('permissions');
    this.#emit('participants');
  }

  #onRole(m) {
    const id = m.participant_id;
    const p = this.participants.get(id);
    if (!p || !m.role) return;
    if (p.role !== m.role) {
      const oldRole = p.role;
      this.participants.set(id, { ...p, role: m.role });
      if (id === this.participantId) this.you = this.participants.get(id);
      this.#afterRoleChange(id, oldRole, m.role);
    }
    this.#emit('participants');
    this.#emit('permissions');
  }

  #afterRoleChange(id, oldRole, newRole) {
    if (id === this.participantId) {
      const wasHost = HOST_ROLES.has(oldRole);
      const text = {
        host: 'You are now the host',
        cohost: 'You are now a co-host',
        panelist: 'You are now a panelist',
        participant: wasHost ? 'You are no longer a host' : null,
        attendee: 'You are now an attendee',
      }[newRole];
      if (text) this.#toast(text, 'success', 'role');
      // (What the new role may publish comes in a `grants` message.)
      this.#emit('permissions');
    } else if (newRole === 'host') {
      this.#toast(`${participantName(this.participants.get(id))} is now the host`, 'info', 'role');
    }
  }

  #onGrants(m) {
    if (m.role && this.you && m.role !== this.you.role) this.#onRole({ participant_id: this.participantId, role: m.role });
    if (m.grants) this.#applyGrants(m.grants);
    this.#emit('permissions');
    this.#emit('participants');
  }

  #applyGrants(grants) {
    const had = this.room.sharing;
    this.grants = { ...this.grants, ...grants };
    const publish = this.grants.can_publish !== false;
    const sources = this.grants.can_publish_sources ?? SOURCES;
    const same = publish === this.room.canPublish && SOURCES.every((src) => sources.includes(src) === this.room.mayPublish(src) || !publish);
    if (!same) this.room.setPublishing({ publish, sources });
    if (had && !this.room.mayPublish('screen') && this.state === 'joined') this.#toast('Your screen share was stopped: only the host can share now', 'warn');
  }

  #onBreakouts(m) {
    this.breakouts = { rooms: Array.isArray(m.rooms) ? m.rooms : [], open: !!m.open };
    if (!this.breakouts.open) this.closingAt = null;
    if (this.myRoom) this.myRoom = { ...this.myRoom, name: this.#breakoutName(this.myRoom.room_id) || this.myRoom.name };
    this.#emit('breakouts');
  }

  #onMoved(m) {
    const roomId = m.room_id ?? null;
    const before = this.myRoom?.room_id ?? null;
    this.myRoom = roomId ? { room_id: roomId, name: m.name || this.#breakoutName(roomId) || 'Breakout room' } : null;
    if (this.you) {
      this.you = { ...this.you, room_id: roomId };
      this.participants.set(this.you.participant_id, this.you);
    }
    if (!roomId) this.closingAt = null;
    this.room.prepareMove();
    if (roomId) this.#toast(`You moved to ${this.myRoom.name}`, 'info', 'moved');
    else if (before) this.#toast('You are back in the main room', 'info', 'moved');
    this.#emit('breakouts');
    this.#emit('participants');
  }

  #breakoutName(roomId) {
    return this.breakouts.rooms.find((r) => r.room_id === roomId)?.name ?? null;
  }

  #onError(m) {
    const ctx = m.ref != null ? this.#refs.get(m.ref) : null;
    if (!ctx) return;
    this.#refs.delete(m.ref);
    const text = ERROR_TEXT[m.code] && m.code !== 'invalid_field' ? ERROR_TEXT[m.code] : (m.message || ERROR_TEXT[m.code] || m.code);
    console.warn('[parley] meeting error', ctx.kind, m.code, m.message);
    switch (ctx.kind) {
      case 'meeting_join':
        this.#fail({ code: m.code, message: ERROR_TEXT[m.code] ?? (m.message || 'Could not join the meeting') });
        return;
      case 'chat': {
        const i = this.chat.findIndex((c) => c.ref === m.ref && c.pending);
        if (i >= 0) this.chat.splice(i, 1);
        this.dispatchEvent(new CustomEvent('chat', { detail: null }));
        this.#toast(`Message not sent: ${text}`, 'error');
        return;
      }
      case 'hand':
        if (this.you) this.#upsert({ ...this.you, hand_raised: false });
        this.#toast(text, 'warn');
        return;
      default:
        this.#toast(text, m.code === 'not_allowed' ? 'warn' : 'error');
    }
  }

  #onRefused({ kind, message }) {
    if (kind === 'audio-state') this.#toast(message || 'The host has not allowed participants to unmute', 'warn');
    else if (kind === 'screen-share') this.#toast(message || 'You cannot share your screen now', 'warn');
  }

  #fail(err) {
    if (this.terminal) return;
    this.error = err;
    this.#finish('failed');
  }

  #finish(state, m = {}) {
    if (this.terminal) return;
    clearTimeout(this.#endTimer);
    if (state === 'ended') this.endReason = m.reason ?? 'ended';
    if (state === 'removed') this.#toast('The host removed you from the meeting', 'warn', 'removed');
    else if (state === 'ended' && !this.endedByMe) this.#toast(END_TEXT[this.endReason] ?? END_TEXT.ended, 'info', 'ended');
    else if (state === 'denied') this.#toast('The host did not let you in', 'warn', 'denied');
    this.room.leave();
    // Let a last message (meeting_leave) leave first.
    const socket = this.socket;
    setTimeout(() => socket.close(), 150);
    this.#setState(state);
    this.#emit('participants');
  }

  // ------------------------------------------------------------ plumbing

  #hostSend(msg) {
    if (msg.type === 'hand') this.#lastHandAction = 0;
    return this.#send(msg, { kind: msg.type });
  }

  #send(msg, ctx = null) {
    if (msg.type === 'hand' && !msg.participant_id) this.#lastHandAction = Date.now();
    const ref = this.socket.send(msg);
    if (ref != null && ctx) {
      this.#refs.set(ref, ctx);
      if (this.#refs.size > 200) this.#refs.delete(this.#refs.keys().next().value);
    }
    return ref;
  }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  #emit(type) {
    this.dispatchEvent(new Event(type));
  }

  #toast(message, kind = 'info', tag = null) {
    this.dispatchEvent(new CustomEvent('toast', { detail: { message, kind, tag } }));
  }
}
