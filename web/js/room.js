// Group rooms through Parley's SFU: the client side of the room protocol in
// docs/protocol.md ("Rooms"). Like LiveKit, a participant has two
// RTCPeerConnections to the SFU: the publisher, which this page offers and
// which only sends (camera in three simulcast layers, microphone, and the
// screen while sharing), and the subscriber, which the SFU offers and which
// only receives everyone else.
//
// States: 'joining' | 'joined' | 'reconnecting' | 'left' | 'failed'
//
// Events (on this EventTarget):
//   'state'         the state changed (detail: state)
//   'participants'  someone joined, left, muted, shared… (the list changed)
//   'media'         a local or remote track came or went
//   'speaker'       the active speaker changed (detail: participant_id)
//   'toast'         something to tell the user (detail: {message, kind})

export const ROOM_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

export const QUALITIES = ['low', 'medium', 'high'];

const AUDIO_CONSTRAINTS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
// 640×480 sends three simulcast layers: 160×120, 320×240 and 640×480.
const CAMERA_CONSTRAINTS = {
  width: { ideal: 640 },
  height: { ideal: 480 },
  frameRate: { ideal: 30, max: 30 },
  facingMode: 'user',
};
// Low to high, as the SFU expects them (a=simulcast:send q;h;f).
const CAMERA_ENCODINGS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', maxBitrate: 1_500_000 },
];
const SCREEN_CONSTRAINTS = { video: { frameRate: { ideal: 15, max: 15 } }, audio: false };
const ANSWER_TIMEOUT_MS = 15_000;

const ERROR_TEXT = {
  room_full: 'This room is full',
  already_in_room: 'This connection is already in a room',
  media_unavailable: 'The server has no media capacity right now',
  invalid_sdp: 'The server could not read our media description',
  unacceptable_offer: 'The server refused our media setup',
  not_in_room: 'Not in the room any more',
};

function errorText(m) {
  return ERROR_TEXT[m.code] ?? (m.message || m.code || 'Something went wrong');
}

export function participantName(p) {
  return p?.display_name || 'Guest';
}

export class RoomSession extends EventTarget {
  state = 'joining';
  error = null; // {code, message} once failed
  participantId = null;
  participants = new Map(); // participant_id → Participant (everyone else)
  me; // {participant_id, display_name, audio_muted, video_muted, screen_sharing}
  localStream = null; // microphone and camera
  screenTrack = null;
  publisherPc = null;
  subscriberPc = null;
  remote = new Map(); // participant_id → {audio, camera, screen}: MediaStreamTrack or null
  subscriberTracks = new Map(); // mid → {mid, participant_id, track_id, kind, source}
  activeSpeaker = null;
  joinedAt = null;
  qualities = new Map(); // participant_id → 'low' | 'medium' | 'high' (asked for)

  #sig;
  #refs = new Map(); // ref → {kind}
  #iceServers = [];
  #sources = new Map(); // publisher transceiver → 'microphone' | 'camera' | 'screen'
  #pubBusy = false;
  #pubAgain = false;
  #pendingAnswer = null; // {resolve, reject, ref, timer}
  #subChain = Promise.resolve();
  #joinRef = null;
  #generation = 0; // one per join; stale async work checks it
  #cleanups = [];
  #destroyed = false;
  #mediaReady;

  constructor({ signaling, user, room }) {
    super();
    this.#sig = signaling;
    this.room = room;
    this.user = user;
    this.me = { participant_id: null, display_name: user.display_name || user.username, user_id: user.user_id, audio_muted: false, video_muted: false, screen_sharing: false };
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.#cleanups.push(() => target.removeEventListener(type, fn));
    };
    on(signaling, 'message', (e) => this.#onMessage(e.detail));
    on(signaling, 'registered', () => this.#sendJoin());
    on(signaling, 'status', () => this.#onSignalingStatus());
    this.#mediaReady = this.#openMedia();
    this.#mediaReady.then(() => this.#sendJoin());
  }

  // ------------------------------------------------------------ user actions

  get micMuted() { return this.me.audio_muted; }
  get cameraOff() { return this.me.video_muted; }
  get sharing() { return !!this.screenTrack; }
  get hasMic() { return !!this.localStream?.getAudioTracks().length; }
  get hasCamera() { return !!this.localStream?.getVideoTracks().length; }

  setMicMuted(muted) {
    muted = !!muted;
    if (!this.hasMic) {
      if (!muted) this.#toast('No microphone in this room', 'warn');
      return;
    }
    this.me.audio_muted = muted;
    // A disabled track sends silence; the SFU also stops forwarding it.
    for (const t of this.localStream.getAudioTracks()) t.enabled = !muted;
    this.#send({ type: 'audio-state', muted });
    this.#emit('participants');
  }

  setCameraOff(off) {
    off = !!off;
    if (!this.hasCamera) {
      if (!off) this.#toast('No camera in this room', 'warn');
      return;
    }
    this.me.video_muted = off;
    for (const t of this.localStream.getVideoTracks()) t.enabled = !off;
    this.#send({ type: 'video-state', muted: off });
    this.#emit('participants');
    this.#emit('media');
  }

  toggleMic() { this.setMicMuted(!this.me.audio_muted); }

  toggleCamera() { this.setCameraOff(!this.me.video_muted); }

  // Receive a participant's video at 'low', 'medium' or 'high'.
  subscribe(participantId, quality = 'high') {
    if (!QUALITIES.includes(quality)) throw new Error(`quality must be one of ${QUALITIES.join(', ')}`);
    this.qualities.set(participantId, quality);
    return this.#send({ type: 'subscribe', participant_id: participantId, quality }, { kind: 'subscribe' });
  }

  // Stop receiving a participant's video (audio keeps flowing).
  unsubscribe(participantId) {
    this.qualities.set(participantId, 'off');
    return this.#send({ type: 'unsubscribe', participant_id: participantId }, { kind: 'subscribe' });
  }

  // Shares the screen (getDisplayMedia), or `track` when given (any video
  // track, e.g. a canvas capture).
  async startScreenShare({ track = null } = {}) {
    if (this.screenTrack || this.state !== 'joined') return false;
    if (!track) {
      if (!navigator.mediaDevices?.getDisplayMedia) {
        this.#toast('This browser cannot share the screen', 'warn');
        return false;
      }
      try {
        const stream = await navigator.mediaDevices.getDisplayMedia(SCREEN_CONSTRAINTS);
        track = stream.getVideoTracks()[0];
      } catch (e) {
        if (e?.name !== 'NotAllowedError' && e?.name !== 'AbortError') this.#toast(`Could not share the screen: ${e?.message || e}`, 'error');
        return false;
      }
      if (!track) return false;
    }
    if (this.state !== 'joined' || this.screenTrack) {
      track.stop();
      return false;
    }
    try { track.contentHint = 'detail'; } catch { /* read-only in old browsers */ }
    this.screenTrack = track;
    // The browser's own "Stop sharing" button ends the track.
    track.addEventListener('ended', () => {
      if (this.screenTrack === track) this.stopScreenShare();
    });
    this.me.screen_sharing = true;
    this.#send({ type: 'screen-share-start' });
    const pc = this.publisherPc;
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [new MediaStream([track])] });
    this.#sources.set(transceiver, 'screen');
    // Text must stay sharp: drop frames rather than resolution.
    try {
      const params = transceiver.sender.getParameters();
      params.degradationPreference = 'maintain-resolution';
      await transceiver.sender.setParameters(params);
    } catch { /* not supported */ }
    this.#emit('participants');
    this.#emit('media');
    this.#negotiatePublisher();
    return true;
  }

  async stopScreenShare() {
    const track = this.screenTrack;
    if (!track) return false;
    this.screenTrack = null;
    this.me.screen_sharing = false;
    track.stop();
    const pc = this.publisherPc;
    for (const [transceiver, source] of this.#sources) {
      if (source !== 'screen' || transceiver.sender.track !== track) continue;
      this.#sources.delete(transceiver);
      // A stopped transceiver's m-line is rejected (port 0) in the next offer.
      try { transceiver.stop(); } catch { /* pc closed */ }
    }
    this.#send({ type: 'screen-share-stop' });
    this.#emit('participants');
    this.#emit('media');
    if (pc && pc.signalingState !== 'closed') this.#negotiatePublisher();
    return true;
  }

  leave() {
    if (this.state === 'left') return;
    if (this.participantId) this.#send({ type: 'leave' });
    this.#teardownConnections();
    this.#stopLocalMedia();
    this.#setState('left');
  }

  destroy() {
    if (this.#destroyed) return;
    this.leave();
    this.#destroyed = true;
    for (const fn of this.#cleanups) fn();
    this.#cleanups = [];
  }

  // Everyone in the room, this page first.
  list() {
    return [{ ...this.me, self: true }, ...[...this.participants.values()].map((p) => ({ ...p, self: false }))];
  }

  // ------------------------------------------------------------ joining

  async #openMedia() {
    const md = navigator.mediaDevices;
    if (!md?.getUserMedia) {
      this.#toast('Camera and microphone need a secure page (HTTPS or localhost)', 'error');
      return;
    }
    const attempts = [
      { audio: AUDIO_CONSTRAINTS, video: CAMERA_CONSTRAINTS },
      { audio: AUDIO_CONSTRAINTS, video: false },
      { audio: false, video: CAMERA_CONSTRAINTS },
    ];
    for (const constraints of attempts) {
      try {
        this.localStream = await md.getUserMedia(constraints);
        break;
      } catch (e) {
        console.warn('[parley] room media', constraints, e);
        if (e?.name === 'NotAllowedError') break;
      }
    }
    if (this.#destroyed || this.state === 'left') {
      this.#stopLocalMedia();
      return;
    }
    if (!this.localStream) this.#toast('No camera or microphone — you can watch and listen', 'warn');
    else if (!this.hasCamera) this.#toast('Camera unavailable — joining with audio only', 'warn');
    else if (!this.hasMic) this.#toast('Microphone unavailable — joining with video only', 'warn');
    this.#emit('media');
  }

  async #sendJoin() {
    await this.#mediaReady;
    if (this.#destroyed || this.state === 'left' || this.state === 'failed') return;
    if (!this.#sig.online || this.#joinRef != null) return;
    this.#joinRef = this.#send({ type: 'join', room: this.room, display_name: this.me.display_name }, { kind: 'join' });
  }

  #onSignalingStatus() {
    if (this.#sig.online || this.state === 'left' || this.state === 'failed') return;
    // The server drops us from the room with the WebSocket; join again on
    // the next connection.
    this.#joinRef = null;
    if (this.participantId) {
      this.#teardownConnections();
      this.participantId = null;
      this.#setState('reconnecting');
    }
  }

  #onJoined(m) {
    this.participantId = m.participant_id;
    this.me.participant_id = m.participant_id;
    this.participants.clear();
    this.remote.clear();
    for (const p of m.participants ?? []) {
      if (p.participant_id !== m.participant_id) this.participants.set(p.participant_id, p);
    }
    this.#iceServers = (m.ice_servers ?? []).filter((s) => s && s.urls);
    this.joinedAt ??= Date.now();
    this.#createConnections();
    this.#setState('joined');
    this.#emit('participants');
    this.#emit('media');
    // Tell the room where we stand after a reconnect.
    if (this.me.audio_muted) this.#send({ type: 'audio-state', muted: true });
    if (this.me.video_muted) this.#send({ type: 'video-state', muted: true });
    for (const [id, q] of this.qualities) {
      if (!this.participants.has(id)) continue;
      if (q === 'off') this.#send({ type: 'unsubscribe', participant_id: id });
      else if (q !== 'high') this.#send({ type: 'subscribe', participant_id: id, quality: q });
    }
    this.#negotiatePublisher();
  }

  #createConnections() {
    this.#teardownConnections();
    const config = { iceServers: this.#iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };
    const pub = new RTCPeerConnection(config);
    const sub = new RTCPeerConnection(config);
    this.publisherPc = pub;
    this.subscriberPc = sub;
    this.#sources.clear();

    const audio = this.localStream?.getAudioTracks()[0];
    if (audio) {
      const t = pub.addTransceiver(audio, { direction: 'sendonly', streams: [this.localStream] });
      this.#sources.set(t, 'microphone');
    }
    const video = this.localStream?.getVideoTracks()[0];
    if (video) {
      const t = pub.addTransceiver(video, { direction: 'sendonly', streams: [this.localStream], sendEncodings: CAMERA_ENCODINGS });
      this.#sources.set(t, 'camera');
    }
    if (this.screenTrack) {
      const t = pub.addTransceiver(this.screenTrack, { direction: 'sendonly', streams: [new MediaStream([this.screenTrack])] });
      this.#sources.set(t, 'screen');
      this.#send({ type: 'screen-share-start' });
    }

    for (const [name, pc] of [['publisher', pub], ['subscriber', sub]]) {
      pc.addEventListener('connectionstatechange', () => {
        console.log(`[parley] ${name} ${pc.connectionState}`);
        if (pc === this.publisherPc || pc === this.subscriberPc) this.#emit('participants');
      });
    }
    sub.ontrack = () => this.#reconcileRemote();
  }

  #teardownConnections() {
    this.#generation += 1;
    if (this.#pendingAnswer) {
      clearTimeout(this.#pendingAnswer.timer);
      this.#pendingAnswer.reject(new Error('connection closed'));
      this.#pendingAnswer = null;
    }
    for (const pc of [this.publisherPc, this.subscriberPc]) {
      if (!pc) continue;
      pc.ontrack = null;
      try { pc.close(); } catch { /* already closed */ }
    }
    this.publisherPc = null;
    this.subscriberPc = null;
    this.subscriberTracks = new Map();
    if (this.remote.size) {
      this.remote.clear();
      this.#emit('media');
    }
  }

  #stopLocalMedia() {
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
    this.screenTrack?.stop();
    this.screenTrack = null;
  }

  // ------------------------------------------------------------ publisher

  // Offers the publisher connection's current tracks and applies the answer;
  // one offer at a time, and one more if something changed meanwhile.
  async #negotiatePublisher() {
    if (this.#pubBusy) {
      this.#pubAgain = true;
      return;
    }
    this.#pubBusy = true;
    const gen = this.#generation;
    try {
      do {
        this.#pubAgain = false;
        const pc = this.publisherPc;
        if (!pc || gen !== this.#generation) return;
        await pc.setLocalDescription(await pc.createOffer());
        const tracks = [];
        for (const t of pc.getTransceivers()) {
          const source = this.#sources.get(t);
          if (!source || !t.mid || t.stopped || t.currentDirection === 'stopped') continue;
          tracks.push({ mid: t.mid, source });
        }
        const answer = await this.#offerAndWait(pc.localDescription.sdp, tracks);
        if (gen !== this.#generation || pc.signalingState === 'closed') return;
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      } while (this.#pubAgain);
    } catch (e) {
      if (gen === this.#generation) {
        console.error('[parley] publisher negotiation', e);
        this.#toast(`Could not send your media: ${e.message || e}`, 'error');
      }
    } finally {
      this.#pubBusy = false;
      // Asked for while an offer of an older connection was still out.
      if (this.#pubAgain) {
        this.#pubAgain = false;
        this.#negotiatePublisher();
      }
    }
  }

  #offerAndWait(sdp, tracks) {
    return new Promise((resolve, reject) => {
      const ref = this.#send({ type: 'offer', pc: 'publisher', sdp, tracks }, { kind: 'publisher-offer' });
      if (ref == null) {
        reject(new Error('not connected'));
        return;
      }
      const timer = setTimeout(() => {
        if (this.#pendingAnswer?.ref !== ref) return;
        this.#pendingAnswer = null;
        reject(new Error('the server did not answer'));
      }, ANSWER_TIMEOUT_MS);
      this.#pendingAnswer = { ref, resolve, reject, timer };
    });
  }

  #onPublisherAnswer(m) {
    const pending = this.#pendingAnswer;
    if (!pending || typeof m.sdp !== 'string') return;
    this.#pendingAnswer = null;
    clearTimeout(pending.timer);
    pending.resolve(m.sdp);
  }

  // ------------------------------------------------------------ subscriber

  #onSubscriberOffer(m) {
    const gen = this.#generation;
    this.#subChain = this.#subChain.then(async () => {
      const pc = this.subscriberPc;
      if (!pc || gen !== this.#generation || typeof m.sdp !== 'string') return;
      // Known before setRemoteDescription, which fires ontrack.
      this.subscriberTracks = new Map((m.tracks ?? []).map((t) => [String(t.mid), t]));
      await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      if (gen !== this.#generation) return;
      this.#send({ type: 'answer', pc: 'subscriber', sdp: pc.localDescription.sdp }, { kind: 'subscriber-answer' });
      this.#reconcileRemote();
    }).catch((e) => {
      if (gen !== this.#generation) return;
      console.error('[parley] subscriber offer refused', e?.message || e, m.sdp);
      this.#toast(`Could not receive the others' media: ${e?.message || e}`, 'error');
    });
  }

  // Maps the subscriber connection's receivers to participants (by mid, from
  // the SFU's offer) and says so when anything moved.
  #reconcileRemote() {
    const pc = this.subscriberPc;
    const next = new Map();
    for (const t of pc?.getTransceivers() ?? []) {
      if (!t.mid || t.stopped || t.currentDirection === 'stopped' || t.currentDirection === 'inactive') continue;
      const info = this.subscriberTracks.get(t.mid);
      const track = t.receiver.track;
      if (!info || !track) continue;
      const slot = info.kind === 'audio' ? 'audio' : info.source === 'screen' ? 'screen' : 'camera';
      if (!next.has(info.participant_id)) next.set(info.participant_id, { audio: null, camera: null, screen: null });
      next.get(info.participant_id)[slot] = track;
    }
    let changed = next.size !== this.remote.size;
    for (const [id, slots] of next) {
      const old = this.remote.get(id);
      if (!old || old.audio !== slots.audio || old.camera !== slots.camera || old.screen !== slots.screen) changed = true;
    }
    if (!changed) return;
    this.remote = next;
    this.#emit('media');
  }

  // ------------------------------------------------------------ messages

  #onMessage(m) {
    if (this.#destroyed) return;
    switch (m.type) {
      case 'joined':
        if (m.ref != null && m.ref !== this.#joinRef) return;
        if (this.state === 'left' || this.state === 'failed') return;
        return this.#onJoined(m);
      case 'participant_joined': return this.#upsert(m.participant, { joined: true });
      case 'participant_state': return this.#upsert(m.participant);
      case 'participant_left': return this.#onLeft(m.participant_id);
      case 'track_published': return this.#onTrack(m.participant_id, m.track, true);
      case 'track_unpublished': return this.#onTrack(m.participant_id, { track_id: m.track_id }, false);
      case 'offer':
        if (m.pc === 'subscriber' && this.participantId) this.#onSubscriberOffer(m);
        return undefined;
      case 'answer':
        if (m.pc === 'publisher') this.#onPublisherAnswer(m);
        return undefined;
      case 'active_speaker':
        if (this.activeSpeaker !== m.participant_id) {
          this.activeSpeaker = m.participant_id ?? null;
          this.dispatchEvent(new CustomEvent('speaker', { detail: this.activeSpeaker }));
        }
        return undefined;
      case 'error': return this.#onError(m);
      default: return undefined;
    }
  }

  #upsert(p, { joined = false } = {}) {
    if (!p?.participant_id) return;
    if (p.participant_id === this.participantId) {
      // The server's view of us (e.g. after a mute).
      Object.assign(this.me, { audio_muted: !!p.audio_muted, video_muted: !!p.video_muted, screen_sharing: !!p.screen_sharing, tracks: p.tracks });
    } else {
      const isNew = !this.participants.has(p.participant_id);
      this.participants.set(p.participant_id, { ...this.participants.get(p.participant_id), ...p });
      if (joined && isNew && this.state === 'joined') this.#toast(`${participantName(p)} joined`, 'info');
    }
    this.#emit('participants');
  }

  #onLeft(id) {
    const p = this.participants.get(id);
    if (!p) return;
    this.participants.delete(id);
    this.remote.delete(id);
    this.qualities.delete(id);
    if (this.activeSpeaker === id) this.activeSpeaker = null;
    this.#toast(`${participantName(p)} left`, 'info');
    this.#emit('participants');
    this.#emit('media');
  }

  #onTrack(participantId, track, published) {
    const p = participantId === this.participantId ? this.me : this.participants.get(participantId);
    if (!p || !track?.track_id) return;
    const tracks = (p.tracks ?? []).filter((t) => t.track_id !== track.track_id);
    if (published) tracks.push(track);
    p.tracks = tracks;
    this.#emit('participants');
  }

  #onError(m) {
    const ctx = m.ref != null ? this.#refs.get(m.ref) : null;
    if (!ctx) return;
    this.#refs.delete(m.ref);
    console.warn('[parley] room error', ctx.kind, m.code, m.message);
    switch (ctx.kind) {
      case 'join':
        if (m.ref !== this.#joinRef) return;
        this.#fail(m);
        return;
      case 'publisher-offer':
        if (this.#pendingAnswer?.ref === m.ref) {
          const pending = this.#pendingAnswer;
          this.#pendingAnswer = null;
          clearTimeout(pending.timer);
          pending.reject(new Error(`${errorText(m)} (${m.code}${m.message ? `: ${m.message}` : ''})`));
        }
        return;
      case 'subscriber-answer':
        this.#toast(`Could not receive the others' media: ${errorText(m)}`, 'error');
        return;
      default:
        if (m.code === 'not_in_room' && this.state === 'joined') {
          // The server forgot us (e.g. restarted): join again.
          this.#teardownConnections();
          this.participantId = null;
          this.#joinRef = null;
          this.#setState('reconnecting');
          this.#sendJoin();
        }
    }
  }

  #fail(m) {
    this.error = { code: m.code, message: errorText(m) };
    this.#teardownConnections();
    this.#stopLocalMedia();
    this.#setState('failed');
  }

  // ------------------------------------------------------------ plumbing

  #send(msg, ctx = null) {
    const ref = this.#sig.send(msg);
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

  #toast(message, kind = 'info') {
    this.dispatchEvent(new CustomEvent('toast', { detail: { message, kind } }));
  }
}
