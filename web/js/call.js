// 1:1 calls: the client side of the call protocol in docs/protocol.md and the
// RTCPeerConnection that carries the media.
//
// States: 'idle' | 'outgoing' | 'incoming' | 'in-call'
//
// Events (all on this EventTarget):
//   'state'     the state changed (detail: state)
//   'update'    something about the current call changed (status, peer, mic…)
//   'media'     the local or remote MediaStream changed
//   'elsewhere' the "call active on another device of yours" info changed
//   'ended'     a call this device knew about ended (detail: {call_id, reason})
//   'toast'     something to tell the user (detail: {message, kind})

import { clock } from './format.js';

export const USERNAME_RE = /^[a-z0-9_.-]{3,32}$/;

const AUDIO_CONSTRAINTS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
const VIDEO_CONSTRAINTS = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30, max: 30 },
  facingMode: 'user',
};

export function peerName(peer) {
  return peer?.display_name || peer?.username || 'Unknown';
}

// Relay-only ICE, for tests and for users on networks where only TURN gets
// through: open the page once with ?relay=1 (remembered; ?relay=0 forgets) or
// set localStorage 'parley.iceTransportPolicy' to 'relay'.
function iceTransportPolicy() {
  try {
    const q = new URLSearchParams(location.search).get('relay');
    if (q === '1') localStorage.setItem('parley.iceTransportPolicy', 'relay');
    else if (q === '0') localStorage.removeItem('parley.iceTransportPolicy');
    return localStorage.getItem('parley.iceTransportPolicy') === 'relay' ? 'relay' : 'all';
  } catch {
    return 'all';
  }
}

function fingerprintOf(sdp) {
  return /^a=fingerprint:(.+)$/m.exec(sdp ?? '')?.[1]?.trim() ?? null;
}

function endMessage(reason, call, duration) {
  const name = peerName(call?.peer);
  const caller = call?.role === 'caller';
  switch (reason) {
    case 'declined': return { message: caller ? `${name} declined the call` : 'Call declined', kind: 'warn' };
    case 'busy': return { message: `${name} is busy on another call`, kind: 'warn' };
    case 'no_answer': return caller
      ? { message: 'No answer', kind: 'warn' }
      : { message: `Missed call from ${name}`, kind: 'warn' };
    case 'cancelled': return caller
      ? { message: 'Call cancelled', kind: 'info' }
      : { message: `Missed call from ${name}`, kind: 'warn' };
    case 'completed': return { message: `Call ended · ${clock(duration)}`, kind: 'info' };
    case 'connection_lost': return { message: 'Call dropped — the connection was lost', kind: 'error' };
    case 'handed_off': return { message: 'Call moved to your other device', kind: 'info' };
    case 'failed': return { message: 'Call failed', kind: 'error' };
    default: return { message: 'Call ended', kind: 'info' };
  }
}

function inviteErrorMessage(err, username) {
  switch (err.code) {
    case 'user_not_found': return `There is no user named “${username}”`;
    case 'invalid_callee': return "You can't call yourself";
    case 'invalid_state': return err.message ? `Can't place the call: ${err.message}` : "Can't place the call right now";
    case 'not_registered': return 'Still connecting — try again in a moment';
    case 'rate_limited': return 'Too many requests — slow down a little';
    default: return `Call failed: ${err.message || err.code}`;
  }
}

export class CallManager extends EventTarget {
  state = 'idle';
  call = null; // the call this device is presenting or in
  pc = null;
  localStream = null;
  remoteStream = null;
  elsewhere = null; // {call_id, call_type, peer, role}: answered on another device of mine

  #sig;
  #api;
  #ring;
  #me;
  #chain = Promise.resolve();
  #known = new Map(); // call_id → {call_type, peer, role}
  #pendingIncoming = new Map(); // call_id → incoming_call not presented (this tab was busy)
  #refs = new Map(); // ref → what the message was, for error routing
  #abandoned = new Set(); // idempotency keys of calls cancelled before call_initiated
  #localCandidates = [];
  #remoteCandidates = [];
  #makingOffer = false;
  #ice = { servers: null, fetchedAt: 0, ttl: 0 };
  #disconnectTimer = null;
  #resumeCheck = null;
  #crossCall = null; // {username, video, until}: our call to them ended busy while they called us
  #cleanups = [];
  #destroyed = false;

  constructor({ signaling, api, ringtone, me }) {
    super();
    this.#sig = signaling;
    this.#api = api;
    this.#ring = ringtone;
    this.#me = me;
    const onMessage = (e) => this.#enqueue(e.detail);
    const onRegistered = (e) => this.#onRegistered(e.detail);
    signaling.addEventListener('message', onMessage);
    signaling.addEventListener('registered', onRegistered);
    this.#cleanups.push(() => {
      signaling.removeEventListener('message', onMessage);
      signaling.removeEventListener('registered', onRegistered);
    });
  }

  destroy() {
    if (this.#destroyed) return;
    if (this.state === 'in-call') this.hangup();
    else if (this.state === 'outgoing') this.cancel();
    else if (this.state === 'incoming') this.#teardown({ silent: true });
    this.#destroyed = true;
    for (const fn of this.#cleanups) fn();
  }

  // ------------------------------------------------------------ user actions

  async startCall(rawUsername, callType = 'video') {
    const username = String(rawUsername ?? '').trim().replace(/^@/, '').toLowerCase();
    // Calling the person who is ringing us right now means answering them.
    if (this.state === 'incoming' && this.call?.peer?.username === username) return this.accept(callType !== 'voice');
    if (this.state !== 'idle') return false;
    if (!USERNAME_RE.test(username)) {
      this.#toast('Enter a username: 3–32 characters of a–z, 0–9, _ . -', 'warn');
      return false;
    }
    if (username === this.#me.username) {
      this.#toast("You can't call yourself", 'warn');
      return false;
    }
    if (!this.#sig.online) {
      this.#toast('Not connected to the server yet — try again in a moment', 'warn');
      return false;
    }
    const type = callType === 'voice' ? 'voice' : 'video';
    const call = this.#newCall({
      role: 'caller',
      type,
      peer: { username, display_name: username },
      status: 'calling',
      key: crypto.randomUUID(),
    });
    this.call = call;
    this.#setState('outgoing');

    // Look the callee up (a clean error, and the display name) while the
    // camera starts.
    const lookup = this.#api.user(username).then(
      (u) => {
        if (this.call === call && u) {
          call.peer = { user_id: u.user_id, username: u.username, display_name: u.display_name || u.username };
          call.peerOnline = u.online;
          this.#update();
        }
        return true;
      },
      (e) => (e.status === 404 ? false : true),
    );
    let stream;
    try {
      [stream] = await Promise.all([this.#getMedia(type === 'video'), this.#iceServers()]);
    } catch (e) {
      if (this.call === call) {
        this.#teardown({ silent: true });
        this.#toast(this.#mediaErrorMessage(e), 'error');
      }
      return false;
    }
    if (this.call !== call) {
      stream.getTracks().forEach((t) => t.stop());
      return false;
    }
    this.localStream = stream;
    this.#emit('media');
    if (!(await lookup)) {
      if (this.call === call) {
        this.#teardown({ silent: true });
        this.#toast(`There is no user named “${username}”`, 'warn');
      }
      return false;
    }
    if (this.call !== call) return false;

    const pc = this.#newPeerConnection();
    this.#attachLocalTracks(pc);
    this.#ensureReceivers(pc, type);
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
    } catch (e) {
      console.error('[parley] createOffer', e);
      if (this.call === call) {
        this.#teardown({ silent: true });
        this.#toast('Could not start the call (WebRTC error)', 'error');
      }
      return false;
    }
    if (this.call !== call) return false;
    call.invite = {
      type: 'call_invite',
      callee: username,
      call_type: type,
      idempotency_key: call.key,
      sdp_offer: pc.localDescription.sdp,
    };
    this.#sendInvite(call);
    return true;
  }

  cancel() {
    const call = this.call;
    if (this.state !== 'outgoing' || !call) return;
    if (call.id) this.#send({ type: 'call_cancel', call_id: call.id }, { kind: 'cancel' }, { queue: true });
    else if (call.invite) this.#abandoned.add(call.key);
    this.#teardown({ silent: true });
  }

  async accept(withVideo = true) {
    const call = this.call;
    if (this.state !== 'incoming' || !call || call.accepting) return false;
    call.accepting = true;
    this.#ring.stop();
    call.status = 'connecting';
    call.holdCandidates = true; // until call_connected: we are not the chosen device yet
    this.#setState('in-call');
    const video = withVideo && call.type === 'video';
    call.sendVideo = video;
    try {
      const [stream] = await Promise.all([this.#getMedia(video), this.#iceServers()]);
      if (this.call !== call) {
        stream.getTracks().forEach((t) => t.stop());
        return false;
      }
      this.localStream = stream;
      this.#emit('media');
      const pc = this.#newPeerConnection();
      await pc.setRemoteDescription({ type: 'offer', sdp: call.offer });
      this.#attachLocalTracks(pc);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      if (this.call !== call) return false;
      this.#send(
        { type: 'call_accept', call_id: call.id, sdp_answer: pc.localDescription.sdp },
        { kind: 'accept', callId: call.id },
      );
      call.acceptSent = true;
      await this.#flushRemoteCandidates();
      return true;
    } catch (e) {
      console.error('[parley] accept', e);
      if (this.call === call) {
        this.#send({ type: 'call_decline', call_id: call.id }, { kind: 'decline' });
        this.#teardown({ silent: true });
        this.#toast(e?.name === 'NotAllowedError' || e?.name === 'NotFoundError'
          ? this.#mediaErrorMessage(e) : 'Could not answer the call', 'error');
      }
      return false;
    }
  }

  decline() {
    const call = this.call;
    if (this.state !== 'incoming' || !call) return;
    this.#send({ type: 'call_decline', call_id: call.id }, { kind: 'decline' }, { queue: true });
    this.#teardown({ silent: true });
  }

  hangup() {
    const call = this.call;
    if (this.state !== 'in-call' || !call) return;
    if (call.role === 'callee' && call.accepting && !call.acceptSent) {
      // Hung up while still answering: the call has not been accepted yet.
      this.#send({ type: 'call_decline', call_id: call.id }, { kind: 'decline' }, { queue: true });
      this.#teardown({ silent: true });
      return;
    }
    this.#send({ type: 'call_end', call_id: call.id }, { kind: 'end' }, { queue: true });
    const secs = call.answeredAt ? (Date.now() - call.answeredAt) / 1000 : 0;
    this.#teardown({ silent: true });
    this.#toast(`Call ended · ${clock(secs)}`, 'info');
  }

  toggleMic() {
    const call = this.call;
    if (!call) return;
    call.micMuted = !call.micMuted;
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = !call.micMuted;
    this.#update();
  }

  async toggleCamera() {
    const call = this.call;
    if (!call || !this.pc) return;
    const track = this.localStream?.getVideoTracks()[0];
    if (!track) {
      this.#toast('No camera in this call', 'warn');
      return;
    }
    call.cameraOff = !call.cameraOff;
    track.enabled = !call.cameraOff;
    const sender = this.pc.getSenders().find((s) => s.track === track || (s.track === null && s.__parleyVideo));
    if (sender) {
      sender.__parleyVideo = true;
      try { await sender.replaceTrack(call.cameraOff ? null : track); } catch (e) { console.warn(e); }
    }
    this.#update();
    this.#emit('media');
  }

  // Take over the call that is active on another device of this user.
  moveCallHere() {
    const info = this.elsewhere;
    if (!info || this.state !== 'idle') return;
    if (!this.#sig.online) {
      this.#toast('Not connected to the server', 'warn');
      return;
    }
    info.moving = true;
    this.#send({ type: 'call_handoff', call_id: info.call_id }, { kind: 'handoff', callId: info.call_id });
    this.#emit('elsewhere');
  }

  // ------------------------------------------------------------ messages

  #enqueue(msg) {
    // Handle server messages one at a time, in order: an answer must be set
    // before the candidates that follow it are added.
    this.#chain = this.#chain
      .then(() => this.#dispatch(msg))
      .catch((e) => console.error('[parley] handling', msg?.type, e));
  }

  async #dispatch(m) {
    if (this.#destroyed) return;
    switch (m.type) {
      case 'incoming_call': return this.#onIncoming(m);
      case 'call_initiated': return this.#onInitiated(m);
      case 'call_ringing': return this.#onRinging(m);
      case 'call_accepted': return this.#onAccepted(m);
      case 'call_connected': return this.#onConnected(m);
      case 'call_answered_elsewhere': return this.#onAnsweredElsewhere(m);
      case 'call_ended': return this.#onEnded(m);
      case 'sdp_offer': return this.#onOffer(m);
      case 'sdp_answer': return this.#onAnswer(m);
      case 'ice_candidate': return this.#onCandidate(m);
      case 'call_state': return this.#onCallState(m);
      case 'peer_disconnected': return this.#onPeerLink(m, 'away');
      case 'peer_reconnected': return this.#onPeerLink(m, null);
      case 'call_handed_off': return this.#onHandedOff(m);
      case 'error': return this.#onError(m);
      default: return undefined;
    }
  }

  #onRegistered(m) {
    // An invite that went out on a connection that died before the server
    // answered: send it again; the idempotency key makes that safe.
    const call = this.call;
    if (call && this.state === 'outgoing' && !call.id && call.invite) this.#sendInvite(call);
    // A call we think is live (or ringing out) that the server did not
    // resume has ended while we were away — unless a call_state for it shows
    // up right after.
    clearTimeout(this.#resumeCheck);
    const resumed = Array.isArray(m.resumed_calls) ? m.resumed_calls : null;
    if (call?.id && resumed && (this.state === 'in-call' || this.state === 'outgoing') && !resumed.includes(call.id)) {
      this.#resumeCheck = setTimeout(() => {
        if (this.call === call && !call.resumedAt) {
          this.#teardown({ silent: true });
          this.#toast('The call ended while you were offline', 'warn');
        }
      }, 3000);
    } else if (call?.id && this.state === 'incoming') {
      // The server rings a reconnecting device again for every call that
      // still rings; no ring means the call is over.
      call.awaitingReRing = true;
      this.#resumeCheck = setTimeout(() => {
        if (this.call === call && this.state === 'incoming' && call.awaitingReRing) {
          this.#teardown({ silent: true });
          this.#toast(`Missed call from ${peerName(call.peer)}`, 'warn');
        }
      }, 3000);
    }
  }

  #onIncoming(m) {
    if (!m.call_id) return;
    this.#remember(m.call_id, { call_type: m.call_type, peer: m.caller, role: 'callee' });
    if (this.call?.id === m.call_id) {
      this.call.awaitingReRing = false; // re-ring after a reconnect
      return;
    }
    if (this.state !== 'idle') {
      // Busy on this tab (or a glare in the making): keep it, the server decides.
      this.#pendingIncoming.set(m.call_id, m);
      return;
    }
    this.#present(m);
    this.#answerCrossCall();
  }

  // We called X and X called us at the same moment, and the server ended our
  // call as busy instead of merging the two (glare): X's call is the one we
  // wanted anyway, so answer it.
  #answerCrossCall() {
    const cross = this.#crossCall;
    const call = this.call;
    if (!cross || this.state !== 'incoming' || !call) return;
    if (Date.now() > cross.until || call.peer?.username !== cross.username) return;
    this.#crossCall = null;
    this.#toast(`${peerName(call.peer)} was calling you too — connecting`, 'info');
    this.accept(cross.video);
  }

  #present(m) {
    if (!m.sdp_offer) {
      console.warn('[parley] incoming call without an offer', m.call_id);
      return;
    }
    this.call = this.#newCall({
      id: m.call_id,
      role: 'callee',
      type: m.call_type === 'voice' ? 'voice' : 'video',
      peer: m.caller ?? { username: 'unknown' },
      offer: m.sdp_offer,
      status: 'incoming',
    });
    this.#setState('incoming');
    this.#ring.startRing();
  }

  #onInitiated(m) {
    // An invite cancelled before the server named its call: cancel it now.
    // (call_initiated answers come back in the order the invites went out.)
    if (this.#abandoned.size && !m.deduplicated && !m.glare) {
      const key = this.#abandoned.values().next().value;
      this.#abandoned.delete(key);
      this.#send({ type: 'call_cancel', call_id: m.call_id }, { kind: 'cancel' });
      return;
    }
    const call = this.call;
    if (!call || this.state !== 'outgoing' || call.role !== 'caller' || call.id) return;
    call.id = m.call_id;
    call.inviteUnsent = false;
    if (m.glare) {
      // Our invite became the acceptance of their call; call_connected with
      // their offer follows. This offer is about to be discarded.
      call.glare = true;
      call.status = 'connecting';
      this.#localCandidates = [];
      this.#update();
      return;
    }
    this.#remember(m.call_id, { call_type: call.type, peer: call.peer, role: 'caller' });
    this.#flushLocalCandidates();
    this.#update();
  }

  #onRinging(m) {
    const call = this.call;
    if (!call || call.id !== m.call_id || this.state !== 'outgoing') return;
    call.status = 'ringing';
    this.#ring.startRingback();
    this.#update();
  }

  async #onAccepted(m) {
    const call = this.call;
    if (!call || call.id !== m.call_id || call.role !== 'caller') return;
    call.remoteDevice = m.device_id ?? null;
    this.#enterCall();
    if (m.sdp_answer && this.pc) {
      try {
        await this.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp_answer });
        await this.#flushRemoteCandidates();
      } catch (e) {
        console.error('[parley] remote answer', e);
        this.#fail('The call could not be connected');
      }
    }
    // sdp_answer null: the glare case; the answer comes as an sdp_answer message.
  }

  async #onConnected(m) {
    if (m.glare) return this.#onGlareConnected(m);
    if (m.handoff) return this.#onHandoffConnected(m);
    const call = this.call;
    if (!call || call.id !== m.call_id) return;
    call.holdCandidates = false;
    this.#enterCall();
    this.#flushLocalCandidates();
  }

  // Both invited each other: our invite became the acceptance of the other
  // call. Drop our own offer and answer theirs.
  async #onGlareConnected(m) {
    const known = this.#known.get(m.call_id);
    const pending = this.#pendingIncoming.get(m.call_id);
    this.#pendingIncoming.delete(m.call_id);
    let call = this.call;
    if (!call) {
      call = this.#newCall({ role: 'callee', type: 'video', peer: known?.peer ?? { username: 'unknown' } });
      this.call = call;
    }
    call.id = m.call_id;
    call.role = 'callee';
    call.glare = true;
    call.holdCandidates = false;
    const offer = m.sdp_offer ?? pending?.sdp_offer;
    const offerHasVideo = /^m=video /m.test(offer ?? '');
    call.type = known?.call_type ?? pending?.call_type ?? (offerHasVideo ? 'video' : 'voice');
    if (known?.peer || pending?.caller) call.peer = known?.peer ?? pending.caller;
    this.#enterCall();
    if (!offer) {
      console.warn('[parley] glare without an offer');
      return;
    }
    try {
      if (!this.localStream) {
        this.localStream = await this.#getMedia(call.type === 'video');
        this.#emit('media');
      }
      if (this.call !== call) return;
      const pc = this.#newPeerConnection();
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      this.#attachLocalTracks(pc);
      await pc.setLocalDescription(await pc.createAnswer());
      if (this.call !== call) return;
      this.#send({ type: 'sdp_answer', call_id: call.id, sdp: pc.localDescription.sdp }, { kind: 'answer' });
      await this.#flushRemoteCandidates();
    } catch (e) {
      console.error('[parley] glare answer', e);
      this.#fail('The call could not be connected');
    }
  }

  // The call moved to this device: build a connection and offer.
  async #onHandoffConnected(m) {
    const info = (this.elsewhere?.call_id === m.call_id ? this.elsewhere : null) ?? this.#known.get(m.call_id) ?? {};
    if (this.call && this.call.id !== m.call_id) this.#teardown({ silent: true });
    const type = (m.call_type ?? info.call_type) === 'voice' ? 'voice' : 'video';
    const call = this.#newCall({
      id: m.call_id,
      role: m.role ?? info.role ?? 'callee',
      type,
      peer: m.peer ?? info.peer ?? { username: 'unknown' },
      answeredAt: info.answeredAt ?? Date.now(),
      status: 'connecting',
    });
    this.call = call;
    this.elsewhere = null;
    this.#emit('elsewhere');
    this.#enterCall();
    await this.#restartMedia(call, false);
  }

  #onAnsweredElsewhere(m) {
    this.#pendingIncoming.delete(m.call_id);
    const known = this.#known.get(m.call_id);
    if (known?.role === 'callee') {
      this.elsewhere = { call_id: m.call_id, ...known, answeredAt: Date.now() };
      this.#emit('elsewhere');
    }
    const call = this.call;
    if (call && call.id === m.call_id && call.role === 'callee' && this.state !== 'idle') {
      this.#teardown({ silent: true });
      this.#toast('Answered on another device', 'info');
    }
  }

  #onEnded(m) {
    this.#pendingIncoming.delete(m.call_id);
    this.#known.delete(m.call_id);
    if (this.elsewhere?.call_id === m.call_id) {
      this.elsewhere = null;
      this.#emit('elsewhere');
    }
    const call = this.call;
    const mine = call && (call.id === m.call_id
      || (this.state === 'outgoing' && !call.id && m.reason === 'busy'));
    if (mine) {
      const cross = m.reason === 'busy' && call.role === 'caller'
        ? { username: call.peer?.username, video: call.type === 'video', until: Date.now() + 1500 }
        : null;
      const theyRing = cross && [...this.#pendingIncoming.values()].some((p) => p.caller?.username === cross.username);
      this.#crossCall = cross;
      if (!theyRing) {
        const { message, kind } = endMessage(m.reason, call, m.duration_seconds);
        if (cross) {
          // Hold the busy notice briefly: their call to us may be on its way.
          setTimeout(() => { if (this.#crossCall === cross) { this.#crossCall = null; this.#toast(message, kind); } }, 1500);
        } else {
          this.#toast(message, kind);
        }
      }
      this.#teardown({ silent: true, reason: m.reason });
      this.#answerCrossCall();
    }
    this.#emit('ended', { call_id: m.call_id, reason: m.reason });
  }

  async #onOffer(m) {
    const call = this.call;
    if (!call || call.id !== m.call_id || !m.sdp) return;
    if (this.state !== 'in-call') return;
    let pc = this.pc;
    // A new peer connection on the other side (reload, handoff): its DTLS
    // identity changed, so ours must be rebuilt too.
    const remoteFp = pc?.remoteDescription ? fingerprintOf(pc.remoteDescription.sdp) : null;
    const changedPeer = remoteFp && remoteFp !== fingerprintOf(m.sdp);
    const changedDevice = m.from_device && call.remoteDevice && m.from_device !== call.remoteDevice;
    if (m.from_device) call.remoteDevice = m.from_device;
    try {
      if (!pc || pc.connectionState === 'closed' || changedPeer || changedDevice) {
        if (!this.localStream) {
          this.localStream = await this.#getMedia(call.type === 'video' && call.sendVideo !== false).catch(() => null);
          this.#emit('media');
        }
        if (this.call !== call) return;
        pc = this.#newPeerConnection();
      }
      const collision = this.#makingOffer || pc.signalingState !== 'stable';
      const polite = call.role === 'callee';
      if (collision && !polite) return; // ours wins; they will answer it
      await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp }); // implicit rollback if needed
      this.#attachLocalTracks(pc);
      await pc.setLocalDescription(await pc.createAnswer());
      if (this.call !== call || this.pc !== pc) return;
      this.#send({ type: 'sdp_answer', call_id: call.id, sdp: pc.localDescription.sdp }, { kind: 'answer' });
      await this.#flushRemoteCandidates();
      call.peerStatus = null;
      this.#update();
    } catch (e) {
      console.error('[parley] renegotiation', e);
    }
  }

  async #onAnswer(m) {
    const call = this.call;
    const pc = this.pc;
    if (!call || call.id !== m.call_id || !pc || !m.sdp) return;
    if (m.from_device) call.remoteDevice = m.from_device;
    if (pc.signalingState !== 'have-local-offer') return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
      if (call.glare && this.state === 'outgoing') this.#enterCall();
      await this.#flushRemoteCandidates();
    } catch (e) {
      console.error('[parley] remote answer', e);
    }
  }

  async #onCandidate(m) {
    const call = this.call;
    if (!call || call.id !== m.call_id || !m.candidate) return;
    const c = m.candidate;
    const init = {
      candidate: c.candidate ?? '',
      sdpMid: c.sdpMid ?? null,
      sdpMLineIndex: c.sdpMLineIndex ?? null,
    };
    if (c.usernameFragment) init.usernameFragment = c.usernameFragment;
    await this.#addRemoteCandidate(init);
  }

  // After a reload or reconnect: the server says this device is in a call.
  async #onCallState(m) {
    if (m.state === 'ringing') {
      if (this.call?.id === m.call_id) this.call.resumedAt = Date.now();
      if (m.role === 'caller' && this.call?.id !== m.call_id) {
        // We lost the offer this call was placed with; it cannot be answered
        // meaningfully any more.
        this.#send({ type: 'call_cancel', call_id: m.call_id }, { kind: 'cancel' });
      }
      return;
    }
    if (m.state !== 'active') return;
    this.#remember(m.call_id, { call_type: m.call_type, peer: m.peer, role: m.role });
    let call = this.call;
    if (call && call.id === m.call_id && this.state === 'in-call' && this.pc && this.pc.connectionState !== 'closed') {
      // Only the WebSocket dropped; the media may still flow. Restart ICE.
      call.resumedAt = Date.now();
      if (m.peer) call.peer = m.peer;
      this.#update();
      await this.#restartMedia(call, true);
      return;
    }
    if (call) this.#teardown({ silent: true });
    call = this.#newCall({
      id: m.call_id,
      role: m.role === 'caller' ? 'caller' : 'callee',
      type: m.call_type === 'voice' ? 'voice' : 'video',
      peer: m.peer ?? { username: 'unknown' },
      answeredAt: m.answered_at ? m.answered_at * 1000 : Date.now(),
      status: 'connecting',
    });
    call.resumedAt = Date.now();
    this.call = call;
    this.#enterCall();
    await this.#restartMedia(call, false);
  }

  #onPeerLink(m, status) {
    const call = this.call;
    if (!call || call.id !== m.call_id) return;
    call.peerStatus = status;
    this.#update();
  }

  #onHandedOff(m) {
    const call = this.call;
    if (!call || call.id !== m.call_id) return;
    call.remoteDevice = m.device_id ?? null;
    call.peerStatus = 'moving';
    this.#update();
  }

  #onError(m) {
    const ctx = m.ref != null ? this.#refs.get(m.ref) : null;
    if (ctx) this.#refs.delete(m.ref);
    const call = this.call;
    switch (ctx?.kind) {
      case 'invite':
        this.#abandoned.delete(ctx.key);
        if (call && call.key === ctx.key && !call.id && this.state === 'outgoing') {
          this.#teardown({ silent: true });
          this.#toast(inviteErrorMessage(m, call.peer.username), m.code === 'user_not_found' ? 'warn' : 'error');
        }
        return;
      case 'accept':
        if (call && call.id === ctx.callId) {
          this.#teardown({ silent: true });
          if (m.code === 'already_answered') this.#toast('Answered on another device', 'info');
          else if (m.code === 'call_not_found') this.#toast('The call has already ended', 'warn');
          else this.#toast(`Could not answer: ${m.message || m.code}`, 'error');
        }
        return;
      case 'handoff':
        if (this.elsewhere) this.elsewhere.moving = false;
        this.#emit('elsewhere');
        this.#toast(`Could not move the call here: ${m.message || m.code}`, 'error');
        return;
      case 'candidate':
      case 'cancel':
      case 'decline':
      case 'end':
        // Races with the call ending (e.g. busy right after call_initiated): harmless.
        if (m.code !== 'call_not_found') console.warn('[parley] server error', m.code, m.message, ctx.kind);
        return;
      default:
        if (m.code === 'call_not_found' && call?.id && ctx?.callId === call.id) this.#teardown({ silent: true });
        console.warn('[parley] server error', m.code, m.message, ctx?.kind ?? '');
    }
  }

  // ------------------------------------------------------------ media plumbing

  #newCall(fields) {
    return {
      id: null,
      role: 'caller',
      type: 'video',
      peer: null,
      status: '',
      answeredAt: null,
      remoteDevice: null,
      micMuted: false,
      cameraOff: false,
      peerStatus: null, // 'away' | 'moving' | null
      mediaState: 'new',
      ...fields,
    };
  }

  #remember(callId, info) {
    this.#known.set(callId, { ...this.#known.get(callId), ...info });
    if (this.#known.size > 50) this.#known.delete(this.#known.keys().next().value);
  }

  #sendInvite(call) {
    const ref = this.#send(call.invite, { kind: 'invite', key: call.key });
    if (ref == null) call.inviteUnsent = true;
  }

  #send(msg, ctx = null, opts = {}) {
    const ref = this.#sig.send(msg, opts);
    if (ref != null && ctx) {
      this.#refs.set(ref, ctx);
      if (this.#refs.size > 200) this.#refs.delete(this.#refs.keys().next().value);
    }
    return ref;
  }

  async #iceServers() {
    const now = Date.now();
    const fresh = this.#ice.servers && now - this.#ice.fetchedAt < Math.max(60, this.#ice.ttl / 2) * 1000;
    if (fresh) return this.#ice.servers;
    try {
      const res = await this.#api.iceServers();
      const servers = (res?.ice_servers ?? []).filter((s) => s && s.urls);
      this.#ice = { servers, fetchedAt: now, ttl: Number(res?.ttl) || 3600 };
    } catch (e) {
      console.warn('[parley] ice servers unavailable, using host candidates only', e);
      if (!this.#ice.servers) this.#ice = { servers: [], fetchedAt: now, ttl: 120 };
    }
    return this.#ice.servers;
  }

  async #getMedia(video) {
    if (!navigator.mediaDevices?.getUserMedia) {
      const err = new Error('Calls need a secure page (HTTPS or localhost)');
      err.name = 'InsecureContext';
      throw err;
    }
    if (video) {
      try {
        return await navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS, video: VIDEO_CONSTRAINTS });
      } catch (e) {
        if (e?.name === 'NotAllowedError') throw e;
        console.warn('[parley] camera unavailable', e);
        this.#toast('Camera unavailable — continuing with audio only', 'warn');
      }
    }
    return navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS, video: false });
  }

  #mediaErrorMessage(e) {
    if (e?.name === 'NotAllowedError') return 'Microphone/camera access was blocked. Allow it in the address bar and try again.';
    if (e?.name === 'NotFoundError') return 'No microphone found on this device';
    if (e?.name === 'NotReadableError') return 'Your microphone or camera is in use by another app';
    if (e?.name === 'InsecureContext') return e.message;
    return `Could not start the call: ${e?.message || e}`;
  }

  #newPeerConnection() {
    this.#closePeerConnection();
    const pc = new RTCPeerConnection({
      iceServers: this.#ice.servers ?? [],
      iceTransportPolicy: iceTransportPolicy(),
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    this.pc = pc;
    this.remoteStream = new MediaStream();
    this.#localCandidates = [];
    this.#remoteCandidates = [];
    pc.onicecandidate = (e) => {
      if (pc !== this.pc || !e.candidate || !e.candidate.candidate) return;
      this.#onLocalCandidate(e.candidate);
    };
    pc.ontrack = (e) => {
      if (pc !== this.pc) return;
      const stream = this.remoteStream;
      if (!stream.getTracks().includes(e.track)) stream.addTrack(e.track);
      e.track.addEventListener('ended', () => {
        if (pc === this.pc) this.#emit('media');
      });
      this.#emit('media');
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      this.#onConnectionState(pc);
    };
    this.#emit('media');
    return pc;
  }

  #closePeerConnection() {
    clearTimeout(this.#disconnectTimer);
    const pc = this.pc;
    this.pc = null;
    if (pc) {
      pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = null;
      try { pc.close(); } catch { /* already closed */ }
    }
    this.remoteStream = null;
    this.#makingOffer = false;
  }

  #attachLocalTracks(pc) {
    const stream = this.localStream;
    if (!stream) return;
    for (const track of stream.getTracks()) {
      if (pc.getSenders().some((s) => s.track === track)) continue;
      const sender = pc.addTrack(track, stream);
      if (track.kind === 'video') {
        sender.__parleyVideo = true;
        if (this.call?.cameraOff) sender.replaceTrack(null).catch(() => {});
      }
    }
  }

  // Make sure an offer can receive what the call type implies even when we
  // have nothing to send of that kind (no camera).
  #ensureReceivers(pc, type) {
    const kinds = pc.getTransceivers().map((t) => t.receiver.track.kind);
    if (!kinds.includes('audio')) pc.addTransceiver('audio', { direction: 'recvonly' });
    if (type === 'video' && !kinds.includes('video')) pc.addTransceiver('video', { direction: 'recvonly' });
  }

  // A fresh RTCPeerConnection (fresh = true: ours is gone, e.g. after a
  // reload or a handoff) or an ICE restart on the current one, then an offer.
  async #restartMedia(call, iceRestartOnly) {
    try {
      if (iceRestartOnly && this.pc) {
        await this.#makeOffer({ iceRestart: true });
        return;
      }
      await this.#iceServers();
      if (!this.localStream) {
        try {
          this.localStream = await this.#getMedia(call.type === 'video');
        } catch (e) {
          this.#toast(this.#mediaErrorMessage(e), 'error');
        }
        this.#emit('media');
      }
      if (this.call !== call) return;
      const pc = this.#newPeerConnection();
      this.#attachLocalTracks(pc);
      this.#ensureReceivers(pc, call.type);
      await this.#makeOffer({ iceRestart: true });
    } catch (e) {
      console.error('[parley] restart', e);
    }
  }

  async #makeOffer({ iceRestart = false } = {}) {
    const pc = this.pc;
    const call = this.call;
    if (!pc || !call?.id) return;
    this.#makingOffer = true;
    try {
      const offer = await pc.createOffer({ iceRestart });
      if (pc !== this.pc) return;
      await pc.setLocalDescription(offer);
      this.#send({ type: 'sdp_offer', call_id: call.id, sdp: pc.localDescription.sdp }, { kind: 'offer', callId: call.id });
    } finally {
      if (pc === this.pc) this.#makingOffer = false;
    }
  }

  #onLocalCandidate(cand) {
    const call = this.call;
    if (!call) return;
    const c = { candidate: cand.candidate, sdpMid: cand.sdpMid, sdpMLineIndex: cand.sdpMLineIndex };
    if (!call.id || call.holdCandidates) {
      this.#localCandidates.push(c);
      return;
    }
    this.#send({ type: 'ice_candidate', call_id: call.id, candidate: c }, { kind: 'candidate' });
  }

  #flushLocalCandidates() {
    const call = this.call;
    if (!call?.id || call.holdCandidates) return;
    for (const c of this.#localCandidates.splice(0)) {
      this.#send({ type: 'ice_candidate', call_id: call.id, candidate: c }, { kind: 'candidate' });
    }
  }

  async #addRemoteCandidate(init) {
    const pc = this.pc;
    if (!pc || !pc.remoteDescription) {
      this.#remoteCandidates.push(init);
      return;
    }
    try {
      await pc.addIceCandidate(init);
    } catch (e) {
      console.debug('[parley] addIceCandidate', e?.message);
    }
  }

  async #flushRemoteCandidates() {
    if (!this.pc?.remoteDescription) return;
    for (const c of this.#remoteCandidates.splice(0)) await this.#addRemoteCandidate(c);
  }

  #onConnectionState(pc) {
    const call = this.call;
    if (!call) return;
    const st = pc.connectionState;
    call.mediaState = st;
    clearTimeout(this.#disconnectTimer);
    if (st === 'connected') {
      call.status = 'connected';
      call.connectedOnce = true;
    } else if (st === 'disconnected') {
      // Often transient; restart ICE if it does not come back by itself.
      this.#disconnectTimer = setTimeout(() => {
        if (this.pc === pc && pc.connectionState === 'disconnected' && call.role === 'caller') {
          this.#restartMedia(call, true);
        }
      }, 4000);
    } else if (st === 'failed' && call.role === 'caller') {
      this.#restartMedia(call, true);
    }
    this.#update();
  }

  #enterCall() {
    const call = this.call;
    if (!call) return;
    this.#ring.stop();
    if (!call.answeredAt) call.answeredAt = Date.now();
    if (call.status !== 'connected') call.status = 'connecting';
    if (this.state !== 'in-call') this.#setState('in-call');
    else this.#update();
  }

  #fail(message) {
    const call = this.call;
    if (!call) return;
    if (call.id && this.state === 'in-call') this.#send({ type: 'call_end', call_id: call.id }, { kind: 'end' });
    this.#teardown({ silent: true });
    this.#toast(message, 'error');
  }

  #teardown({ reason = null } = {}) {
    this.#ring.stop();
    clearTimeout(this.#resumeCheck);
    this.#closePeerConnection();
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
    this.localStream = null;
    this.#localCandidates = [];
    this.#remoteCandidates = [];
    this.call = null;
    this.lastEndReason = reason;
    this.#emit('media');
    this.#setState('idle');
    // A call that rang while this tab was busy and still rings: show it now.
    for (const [id, m] of this.#pendingIncoming) {
      this.#pendingIncoming.delete(id);
      if (this.state === 'idle') this.#present(m);
      break;
    }
  }

  #setState(state) {
    if (this.state === state) {
      this.#update();
      return;
    }
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  #update() {
    this.dispatchEvent(new Event('update'));
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #toast(message, kind = 'info') {
    this.dispatchEvent(new CustomEvent('toast', { detail: { message, kind } }));
  }
}
