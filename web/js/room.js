// Group rooms through Parley's SFU: the client side of the room protocol in
// docs/protocol.md ("Rooms"). Like LiveKit, a participant has two
// RTCPeerConnections to the SFU: the publisher, which this page offers and
// which only sends (camera in three simulcast layers, microphone, and the
// screen while sharing), and the subscriber, which the SFU offers and which
// only receives everyone else.
//
// The same class carries a meeting's media (docs/protocol.md, "Meetings"):
// there the meeting layer (meeting.js) owns the WebSocket and the join, the
// SFU's `joined` arrives without a `join` from us (managed: false), the
// camera and microphone come from the pre-join screen, and a move to a
// breakout room (prepareMove, then the next `joined`) builds both
// connections again.
//
// States: 'joining' | 'joined' | 'reconnecting' | 'moving' | 'left' | 'failed'
//
// Events (on this EventTarget):
//   'state'         the state changed (detail: state)
//   'participants'  someone joined, left, muted, shared… (the list changed)
//   'media'         a local or remote track came or went
//   'speaker'       the active speaker changed (detail: participant_id)
//   'toast'         something to tell the user (detail: {message, kind})
//   'refused'       the server refused a state change of ours (detail:
//                   {kind: 'audio-state' | 'screen-share', code, message});
//                   the local state has been put back already

export const ROOM_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

export const QUALITIES = ['low', 'medium', 'high'];
export const SOURCES = ['microphone', 'camera', 'screen'];

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

// The camera and microphone as the room wants them; `audio`/`video` may be
// device ids (strings), true, or false.
export function mediaConstraints({ audio = true, video = true } = {}) {
  const pick = (want, base) => {
    if (!want) return false;
    if (typeof want === 'string') return { ...base, deviceId: { exact: want } };
    return { ...base };
  };
  const camera = { ...CAMERA_CONSTRAINTS };
  if (typeof video === 'string') delete camera.facingMode;
  return { audio: pick(audio, AUDIO_CONSTRAINTS), video: pick(video, camera) };
}

// Network quality from loss (fraction 0–1), jitter and round trip (ms) and,
// for a video we expect, its bitrate: 3 bars good, 2 fair, 1 poor.
export function qualityBars({ loss = 0, jitterMs = 0, rttMs = 0, videoKbps = null } = {}) {
  let bars = 3;
  if (loss > 0.03 || jitterMs > 40 || rttMs > 250) bars = 2;
  if (loss > 0.10 || jitterMs > 100 || rttMs > 500) bars = 1;
  if (videoKbps != null) {
    if (videoKbps < 15) bars = Math.min(bars, 1);
    else if (videoKbps < 50) bars = Math.min(bars, 2);
  }
  return bars;
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
  #managed; // true: this class sends `join` (a plain room); false: a meeting does
  #announce;
  #canPublish;
  #allowed; // Set of the sources we may publish
  #netPrev = new Map(); // stats key → previous sample, for network quality

  // signaling: an object with send(msg) → ref|null, `online`, and 'message'
  // and 'status' events (and 'registered' when managed).
  constructor({
    signaling, user = null, room, displayName = null, managed = true, localStream = null,
    audioMuted = false, videoMuted = false, publish = true, sources = SOURCES, announce = true, iceServers = [],
  }) {
    super();
    this.#iceServers = (iceServers ?? []).filter((x) => x && x.urls);
    this.#sig = signaling;
    this.#managed = managed;
    this.#announce = announce;
    this.#canPublish = publish !== false;
    this.#allowed = new Set(sources ?? SOURCES);
    this.room = room;
    this.user = user;
    this.me = {
      participant_id: null,
      display_name: displayName || user?.display_name || user?.username || 'Guest',
      user_id: user?.user_id ?? null,
      audio_muted: !!audioMuted,
      video_muted: !!videoMuted,
      screen_sharing: false,
    };
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.#cleanups.push(() => target.removeEventListener(type, fn));
    };
    on(signaling, 'message', (e) => this.#onMessage(e.detail));
    on(signaling, 'status', () => this.#onSignalingStatus());
    if (managed) {
      on(signaling, 'registered', () => this.#sendJoin());
      this.#mediaReady = this.#openMedia();
      this.#mediaReady.then(() => this.#sendJoin());
    } else {
      this.localStream = localStream;
      for (const t of localStream?.getAudioTracks() ?? []) t.enabled = !this.me.audio_muted;
      for (const t of localStream?.getVideoTracks() ?? []) t.enabled = !this.me.video_muted;
      this.#mediaReady = Promise.resolve();
    }
  }

  // ------------------------------------------------------------ user actions

  get micMuted() { return this.me.audio_muted; }
  get cameraOff() { return this.me.video_muted; }
  get sharing() { return !!this.screenTrack; }
  get hasMic() { return !!this.localStream?.getAudioTracks().length; }
  get hasCamera() { return !!this.localStream?.getVideoTracks().length; }
  get canPublish() { return this.#canPublish; }
  mayPublish(source) { return this.#canPublish && this.#allowed.has(source); }

  setMicMuted(muted) {
    muted = !!muted;
    if (!this.hasMic) {
      if (!muted) this.#toast(this.mayPublish('microphone') ? 'No microphone in this room' : 'You cannot speak in this meeting', 'warn');
      return;
    }
    this.me.audio_muted = muted;
    // A disabled track sends silence; the SFU also stops forwarding it.
    for (const t of this.localStream.getAudioTracks()) t.enabled = !muted;
    this.#send({ type: 'audio-state', muted }, { kind: 'audio-state', muted });
    this.#emit('participants');
  }

  // The server muted us (a host did): silence the microphone track too,
  // without telling the server what it already knows.
  forceMute() {
    this.me.audio_muted = true;
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = false;
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
    if (!this.mayPublish('screen')) {
      this.#toast('You cannot share your screen in this meeting', 'warn');
      return false;
    }
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
    this.#send({ type: 'screen-share-start' }, { kind: 'screen-share' });
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

  // Switches the microphone or camera to another track (another device)
  // without renegotiating when a sender already carries that kind.
  async replaceLocalTrack(kind, track) {
    const isAudio = kind === 'audio';
    const old = isAudio ? this.localStream?.getAudioTracks()[0] : this.localStream?.getVideoTracks()[0];
    if (old === track) return;
    track.enabled = !(isAudio ? this.me.audio_muted : this.me.video_muted);
    if (!this.localStream) this.localStream = new MediaStream();
    if (old) this.localStream.removeTrack(old);
    this.localStream.addTrack(track);
    const source = isAudio ? 'microphone' : 'camera';
    const pc = this.publisherPc;
    let sender = null;
    for (const [t, src] of this.#sources) {
      if (src === source && !t.stopped && t.sender) sender = t.sender;
    }
    if (sender) {
      try { await sender.replaceTrack(track); } catch (e) { console.warn('[parley] replaceTrack', e); }
    } else if (pc && pc.signalingState !== 'closed' && this.mayPublish(source)) {
      const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [this.localStream], ...(isAudio ? {} : { sendEncodings: CAMERA_ENCODINGS }) });
      this.#sources.set(t, source);
      this.#negotiatePublisher();
    }
    old?.stop();
    this.#emit('media');
    this.#emit('participants');
  }

  // What this participant may publish changed (e.g. a webinar attendee made
  // a panelist): add or stop the publisher's tracks to match.
  async setPublishing({ publish, sources }) {
    this.#canPublish = publish !== false;
    if (sources) this.#allowed = new Set(sources);
    // Devices we may not use stay off (no camera light for a webinar
    // attendee); they come back when allowed again.
    if (!this.mayPublish('microphone') && !this.mayPublish('camera') && this.localStream) {
      for (const t of this.localStream.getTracks()) t.stop();
      this.localStream = null;
      this.#emit('media');
    }
    const pc = this.publisherPc;
    if (!pc || pc.signalingState === 'closed') {
      this.#emit('participants');
      return;
    }
    let changed = false;
    for (const [t, source] of [...this.#sources]) {
      if (this.mayPublish(source)) continue;
      if (source === 'screen' && this.screenTrack) {
        this.screenTrack.stop();
        this.screenTrack = null;
        this.me.screen_sharing = false;
      }
      this.#sources.delete(t);
      try { t.stop(); } catch { /* closed */ }
      changed = true;
    }
    const has = new Set(this.#sources.values());
    if ((this.mayPublish('microphone') && !has.has('microphone')) || (this.mayPublish('camera') && !has.has('camera'))) {
      if (!this.localStream?.getTracks().some((t) => t.readyState === 'live')) {
        this.localStream = null;
        await this.#openMedia();
        for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = !this.me.audio_muted;
        for (const t of this.localStream?.getVideoTracks() ?? []) t.enabled = !this.me.video_muted;
      }
      if (pc !== this.publisherPc) return;
      const audio = this.localStream?.getAudioTracks()[0];
      if (audio && this.mayPublish('microphone') && !has.has('microphone')) {
        this.#sources.set(pc.addTransceiver(audio, { direction: 'sendonly', streams: [this.localStream] }), 'microphone');
        changed = true;
      }
      const video = this.localStream?.getVideoTracks()[0];
      if (video && this.mayPublish('camera') && !has.has('camera')) {
        this.#sources.set(pc.addTransceiver(video, { direction: 'sendonly', streams: [this.localStream], sendEncodings: CAMERA_ENCODINGS }), 'camera');
        changed = true;
      }
    }
    this.#emit('participants');
    this.#emit('media');
    if (changed) this.#negotiatePublisher();
  }

  // A meeting moves us to another media room: drop both connections and
  // everyone we saw; the next `joined` sets them up again.
  prepareMove() {
    if (this.state === 'left' || this.state === 'failed') return;
    this.#teardownConnections();
    this.participants.clear();
    this.remote.clear();
    this.activeSpeaker = null;
    this.participantId = null;
    this.#netPrev.clear();
    this.#setState('moving');
    this.#emit('participants');
    this.#emit('media');
  }

  leave() {
    if (this.state === 'left') return;
    if (this.#managed && this.participantId) this.#send({ type: 'leave' });
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
    if (!this.#managed) return;
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
    if (this.participantId || this.state === 'moving') {
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
    const ice = (m.ice_servers ?? []).filter((x) => x && x.urls);
    if (ice.length || this.#managed) this.#iceServers = ice;
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
    this.#netPrev.clear();

    const audio = this.localStream?.getAudioTracks()[0];
    if (audio && this.mayPublish('microphone')) {
      const t = pub.addTransceiver(audio, { direction: 'sendonly', streams: [this.localStream] });
      this.#sources.set(t, 'microphone');
    }
    const video = this.localStream?.getVideoTracks()[0];
    if (video && this.mayPublish('camera')) {
      const t = pub.addTransceiver(video, { direction: 'sendonly', streams: [this.localStream], sendEncodings: CAMERA_ENCODINGS });
      this.#sources.set(t, 'camera');
    }
    if (this.screenTrack && this.mayPublish('screen')) {
      const t = pub.addTransceiver(this.screenTrack, { direction: 'sendonly', streams: [new MediaStream([this.screenTrack])] });
      this.#sources.set(t, 'screen');
      this.#send({ type: 'screen-share-start' }, { kind: 'screen-share' });
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
        // Nothing to send (no devices, or a webinar attendee): no offer.
        if (!pc.getTransceivers().length) return;
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
        if (this.#managed && m.ref != null && m.ref !== this.#joinRef) return;
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
      if (joined && isNew && this.state === 'joined' && this.#announce) this.#toast(`${participantName(p)} joined`, 'info');
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
    if (this.#announce) this.#toast(`${participantName(p)} left`, 'info');
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
      case 'audio-state':
        // An unmute the server refused (the host muted everyone and does
        // not allow unmuting): silence the track again.
        if (!ctx.muted && m.code !== 'not_in_room') {
          this.me.audio_muted = true;
          for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = false;
          this.#emit('participants');
          this.dispatchEvent(new CustomEvent('refused', { detail: { kind: 'audio-state', code: m.code, message: m.message } }));
        }
        return;
      case 'screen-share':
        if (m.code === 'not_in_room') return;
        if (this.screenTrack) {
          const track = this.screenTrack;
          this.screenTrack = null;
          this.me.screen_sharing = false;
          track.stop();
          for (const [t, source] of this.#sources) {
            if (source !== 'screen') continue;
            this.#sources.delete(t);
            try { t.stop(); } catch { /* closed */ }
          }
          this.#emit('participants');
          this.#emit('media');
          if (this.publisherPc) this.#negotiatePublisher();
        }
        this.dispatchEvent(new CustomEvent('refused', { detail: { kind: 'screen-share', code: m.code, message: m.message } }));
        return;
      default:
        // (A meeting's own layer decides what a lost room means.)
        if (m.code === 'not_in_room' && this.state === 'joined' && this.#managed) {
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

  // ------------------------------------------------------------ network

  // Samples both connections' statistics and rates each participant's
  // network from the change since the last sample: for everyone else the
  // streams we receive from them (loss, jitter, video bitrate), for us the
  // receiver reports about what we send (loss, jitter, round trip).
  // Returns Map participant_id → {bars, loss, jitterMs, rttMs, kbps}.
  async sampleNetwork() {
    const out = new Map();
    const sub = this.subscriberPc;
    const pub = this.publisherPc;
    const now = performance.now();
    if (sub && sub.connectionState !== 'closed') {
      let stats;
      try { stats = await sub.getStats(); } catch { stats = null; }
      if (stats && sub === this.subscriberPc) {
        const midOfTrack = new Map();
        for (const t of sub.getTransceivers()) if (t.mid && t.receiver.track) midOfTrack.set(t.receiver.track.id, t.mid);
        const per = new Map(); // id → {received, lost, jitter, videoBytes, expectVideo, dt}
        stats.forEach((r) => {
          if (r.type !== 'inbound-rtp') return;
          const mid = r.mid ?? midOfTrack.get(r.trackIdentifier);
          const info = mid != null ? this.subscriberTracks.get(String(mid)) : null;
          if (!info) return;
          const key = `in:${r.ssrc}:${mid}`;
          const prev = this.#netPrev.get(key);
          const cur = { t: now, received: r.packetsReceived ?? 0, lost: Math.max(0, r.packetsLost ?? 0), bytes: r.bytesReceived ?? 0 };
          this.#netPrev.set(key, cur);
          if (!prev) return;
          const dt = (cur.t - prev.t) / 1000;
          if (dt <= 0) return;
          const acc = per.get(info.participant_id) ?? { received: 0, lost: 0, jitter: 0, videoKbps: null };
          acc.received += Math.max(0, cur.received - prev.received);
          acc.lost += Math.max(0, cur.lost - prev.lost);
          acc.jitter = Math.max(acc.jitter, (r.jitter ?? 0) * 1000);
          const p = this.participants.get(info.participant_id);
          const expectVideo = info.kind === 'video' && info.source === 'camera' && !p?.video_muted && this.qualities.get(info.participant_id) !== 'off';
          if (expectVideo) acc.videoKbps = (acc.videoKbps ?? 0) + (Math.max(0, cur.bytes - prev.bytes) * 8) / 1000 / dt;
          per.set(info.participant_id, acc);
        });
        for (const [id, a] of per) {
          if (a.received + a.lost === 0 && a.videoKbps == null) continue;
          const loss = a.received + a.lost > 0 ? a.lost / (a.received + a.lost) : 0;
          out.set(id, { bars: qualityBars({ loss, jitterMs: a.jitter, videoKbps: a.videoKbps }), loss, jitterMs: a.jitter, rttMs: null, kbps: a.videoKbps });
        }
      }
    }
    if (pub && pub.connectionState === 'connected' && this.participantId) {
      let stats;
      try { stats = await pub.getStats(); } catch { stats = null; }
      if (stats) {
        let loss = 0;
        let jitter = 0;
        let rtt = 0;
        let any = false;
        stats.forEach((r) => {
          if (r.type !== 'remote-inbound-rtp') return;
          any = true;
          loss = Math.max(loss, r.fractionLost ?? 0);
          jitter = Math.max(jitter, (r.jitter ?? 0) * 1000);
          rtt = Math.max(rtt, (r.roundTripTime ?? 0) * 1000);
        });
        if (any) out.set(this.participantId, { bars: qualityBars({ loss, jitterMs: jitter, rttMs: rtt }), loss, jitterMs: jitter, rttMs: rtt, kbps: null });
      }
    }
    return out;
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
