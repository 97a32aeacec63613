// Full-screen call views: outgoing ("Calling…"), incoming (ringing) and the
// in-call view. Mounted into #overlay-root according to CallManager.state.

import { h, iconEl, avatar } from '../ui.js';
import { clock } from '../format.js';
import { peerName } from '../call.js';

export class CallScreens {
  #root;
  #calls;
  #ringtone;
  #screen = null;
  #cleanups = [];

  constructor(root, { calls, ringtone }) {
    this.#root = root;
    this.#calls = calls;
    this.#ringtone = ringtone;
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.#cleanups.push(() => target.removeEventListener(type, fn));
    };
    on(calls, 'state', () => this.#mount());
    on(calls, 'update', () => this.#screen?.update());
    on(calls, 'media', () => this.#screen?.media());
    on(ringtone, 'change', () => this.#screen?.update());
    this.#mount();
  }

  destroy() {
    for (const fn of this.#cleanups) fn();
    this.#screen?.destroy();
    this.#screen = null;
    this.#root.replaceChildren();
    document.title = 'Parley';
  }

  #mount() {
    const state = this.#calls.state;
    if (this.#screen?.state === state) {
      this.#screen.update();
      return;
    }
    this.#screen?.destroy();
    this.#screen = null;
    this.#root.replaceChildren();
    document.body.classList.toggle('in-overlay', state !== 'idle');
    const ctx = { calls: this.#calls, ringtone: this.#ringtone };
    if (state === 'outgoing') this.#screen = new OutgoingScreen(ctx);
    else if (state === 'incoming') this.#screen = new IncomingScreen(ctx);
    else if (state === 'in-call') this.#screen = new InCallScreen(ctx);
    if (this.#screen) {
      this.#root.append(this.#screen.el);
      this.#screen.update();
      this.#screen.media();
    } else {
      document.title = 'Parley';
    }
  }
}

function roundButton({ icon, label, testid, kind = '', onclick, size = 22 }) {
  return h('button', { class: `round-btn ${kind}`, type: 'button', 'data-testid': testid, 'aria-label': label, title: label, onclick },
    iconEl(icon, { size }));
}

function labelled(button, text) {
  return h('div', { class: 'labelled' }, button, h('span', {}, text));
}

function playSafely(el) {
  const p = el.play?.();
  if (p && typeof p.catch === 'function') p.catch(() => {});
}

class OutgoingScreen {
  state = 'outgoing';

  constructor({ calls }) {
    this.calls = calls;
    const call = calls.call;
    this.preview = h('video', { class: 'preview-video', autoplay: true, playsinline: true, props: { muted: true } });
    this.avatarSlot = h('div', { class: 'pulse-avatar' });
    this.name = h('h2', { class: 'call-name' });
    this.status = h('p', { class: 'call-status', 'data-testid': 'outgoing-status' });
    this.el = h('section', { class: `call-screen outgoing type-${call?.type ?? 'video'}`, 'data-testid': 'outgoing-call', role: 'dialog', 'aria-label': 'Outgoing call' },
      this.preview,
      h('div', { class: 'call-scrim' }),
      h('div', { class: 'call-center' }, this.avatarSlot, this.name, this.status),
      h('footer', { class: 'call-actions' },
        labelled(roundButton({ icon: 'hangup', label: 'Cancel call', testid: 'cancel-call', kind: 'danger', onclick: () => calls.cancel() }), 'Cancel')));
  }

  update() {
    const call = this.calls.call;
    if (!call) return;
    const name = peerName(call.peer);
    if (this.avatarFor !== call.peer?.username + name) {
      this.avatarFor = call.peer?.username + name;
      this.avatarSlot.replaceChildren(avatar(call.peer, 120));
    }
    this.name.textContent = name;
    const who = call.peer?.username ?? name;
    let status = call.status === 'ringing' ? 'Ringing…' : call.status === 'connecting' ? 'Connecting…' : `Calling ${who}…`;
    if (call.peerOnline === false && call.status !== 'ringing') status += ' (offline)';
    this.status.textContent = status;
    document.title = `Calling ${name}… · Parley`;
  }

  media() {
    const stream = this.calls.localStream;
    const hasVideo = !!stream?.getVideoTracks().length;
    this.el.classList.toggle('has-preview', hasVideo);
    if (this.preview.srcObject !== stream) {
      this.preview.srcObject = hasVideo ? stream : null;
      if (hasVideo) playSafely(this.preview);
    }
  }

  destroy() {
    this.preview.srcObject = null;
  }
}

class IncomingScreen {
  state = 'incoming';

  constructor({ calls, ringtone }) {
    this.calls = calls;
    this.ringtone = ringtone;
    const call = calls.call;
    const video = call?.type === 'video';
    this.soundHint = h('button', { class: 'sound-hint', type: 'button', hidden: true, onclick: () => ringtone.unlock() },
      iconEl('volumeOff', { size: 16 }), h('span', {}, 'Click to hear the ringtone'));
    this.el = h('section', { class: `call-screen incoming type-${call?.type}`, 'data-testid': 'incoming-call', 'data-call-id': call?.id, role: 'alertdialog', 'aria-label': 'Incoming call' },
      h('div', { class: 'call-bg-glow' }),
      h('div', { class: 'call-center' },
        h('div', { class: 'pulse-avatar ringing' }, avatar(call?.peer, 128)),
        h('h2', { class: 'call-name', 'data-testid': 'incoming-caller' }, peerName(call?.peer)),
        h('p', { class: 'call-status' }, iconEl(video ? 'video' : 'phone', { size: 16 }),
          h('span', {}, `Incoming ${video ? 'video' : 'voice'} call · @${call?.peer?.username ?? ''}`)),
        this.soundHint),
      h('footer', { class: 'call-actions' },
        labelled(roundButton({ icon: 'hangup', label: 'Decline', testid: 'decline', kind: 'danger', onclick: () => calls.decline() }), 'Decline'),
        labelled(roundButton({ icon: 'phone', label: video ? 'Accept with audio only' : 'Accept', testid: 'accept-voice', kind: video ? 'neutral' : 'accept', onclick: () => calls.accept(false) }), video ? 'Audio only' : 'Accept'),
        video ? labelled(roundButton({ icon: 'video', label: 'Accept with video', testid: 'accept-video', kind: 'accept', onclick: () => calls.accept(true) }), 'Video') : null));
    this.onKey = (e) => {
      if (e.key === 'Escape') calls.decline();
    };
    window.addEventListener('keydown', this.onKey);
  }

  update() {
    const call = this.calls.call;
    if (!call) return;
    this.soundHint.hidden = this.ringtone.audible || !this.ringtone.playing;
    document.title = `${peerName(call.peer)} is calling… · Parley`;
  }

  media() {}

  destroy() {
    window.removeEventListener('keydown', this.onKey);
  }
}

class InCallScreen {
  state = 'in-call';

  constructor({ calls }) {
    this.calls = calls;
    const call = calls.call;
    this.remoteVideo = h('video', { class: 'remote-video', autoplay: true, playsinline: true, 'data-testid': 'remote-video', props: { muted: true } });
    this.remoteAudio = h('audio', { autoplay: true, 'data-testid': 'remote-audio' });
    this.localVideo = h('video', { class: 'local-video', autoplay: true, playsinline: true, 'data-testid': 'local-video', props: { muted: true } });
    this.peerAvatar = h('div', { class: 'stage-avatar' });
    this.stageName = h('div', { class: 'stage-name' });
    this.stageNote = h('div', { class: 'stage-note' });
    this.peerLabel = h('div', { class: 'peer-name', 'data-testid': 'peer-name' });
    this.duration = h('span', { class: 'duration', 'data-testid': 'call-duration' }, '00:00');
    this.note = h('span', { class: 'call-note' });
    this.audioUnlock = h('button', { class: 'sound-hint', type: 'button', hidden: true, onclick: () => this.#unblockAudio() },
      iconEl('volumeOff', { size: 16 }), h('span', {}, 'Click to turn on sound'));
    this.micBtn = roundButton({ icon: 'mic', label: 'Mute microphone', testid: 'toggle-mic', kind: 'glass', onclick: () => calls.toggleMic() });
    this.camBtn = roundButton({ icon: 'video', label: 'Turn camera off', testid: 'toggle-camera', kind: 'glass', onclick: () => calls.toggleCamera() });
    this.hangBtn = roundButton({ icon: 'hangup', label: 'Hang up', testid: 'hangup', kind: 'danger', onclick: () => calls.hangup() });
    this.controls = h('footer', { class: 'call-controls' }, this.micBtn, this.camBtn, this.hangBtn);
    this.el = h('section', { class: `call-screen in-call type-${call?.type ?? 'video'}`, 'data-testid': 'in-call', role: 'region', 'aria-label': 'Call' },
      h('div', { class: 'stage' },
        this.remoteVideo,
        h('div', { class: 'stage-voice' }, this.peerAvatar, this.stageName, this.stageNote),
        this.remoteAudio),
      h('header', { class: 'call-topbar' },
        h('div', { class: 'call-peer' }, this.peerLabel,
          h('div', { class: 'call-meta' }, h('span', { class: 'live-dot' }), this.duration, this.note))),
      h('div', { class: 'pip' }, this.localVideo, h('span', { class: 'pip-label' }, 'You')),
      this.audioUnlock,
      this.controls);

    this.timer = setInterval(() => this.#tick(), 500);
    // Whether remote video frames are actually arriving: a peer who turns the
    // camera off just stops sending, and the track stays "unmuted".
    this.videoFlowing = false;
    this.lastFrameAt = -Infinity;
    this.frameTimer = setInterval(() => this.#pollFrames(), 1000);
    const sawFrame = () => {
      this.lastFrameAt = performance.now();
      if (!this.videoFlowing) {
        this.videoFlowing = true;
        this.#refreshVideoFlags();
      }
    };
    this.remoteVideo.addEventListener('loadeddata', sawFrame);
    this.remoteVideo.addEventListener('resize', sawFrame);
    // Controls fade out in video calls when the pointer rests.
    this.idleTimer = null;
    this.onActivity = () => {
      this.el.classList.remove('idle');
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.el.classList.add('idle'), 4000);
    };
    this.el.addEventListener('pointermove', this.onActivity);
    this.el.addEventListener('pointerdown', this.onActivity);
    this.onKey = (e) => {
      if (e.target instanceof HTMLInputElement) return;
      if (e.key === 'm' || e.key === 'M') calls.toggleMic();
      else if (e.key === 'v' || e.key === 'V') calls.toggleCamera();
    };
    window.addEventListener('keydown', this.onKey);
    this.onActivity();
  }

  #tick() {
    const call = this.calls.call;
    if (!call) return;
    const secs = call.answeredAt ? (Date.now() - call.answeredAt) / 1000 : 0;
    const text = clock(secs);
    if (this.duration.textContent !== text) this.duration.textContent = text;
    document.title = `${text} · ${peerName(call.peer)} · Parley`;
  }

  update() {
    const call = this.calls.call;
    if (!call) return;
    const name = peerName(call.peer);
    this.peerLabel.textContent = name;
    this.stageName.textContent = name;
    if (this.avatarFor !== (call.peer?.username ?? '') + name) {
      this.avatarFor = (call.peer?.username ?? '') + name;
      this.peerAvatar.replaceChildren(avatar(call.peer, 144));
    }
    let note = '';
    if (call.peerStatus === 'away') note = `${name}'s connection dropped — waiting…`;
    else if (call.peerStatus === 'moving') note = `${name} is switching devices…`;
    else if (call.mediaState === 'disconnected' || call.mediaState === 'failed') note = 'Reconnecting…';
    else if (call.status !== 'connected') note = 'Connecting…';
    this.note.textContent = note;
    this.stageNote.textContent = note || (call.type === 'voice' ? 'Voice call' : call.status === 'connected' ? 'Camera is off' : '');
    this.el.classList.toggle('connected', call.status === 'connected');
    this.el.dataset.media = call.mediaState ?? '';
    this.micBtn.classList.toggle('off', !!call.micMuted);
    this.micBtn.setAttribute('aria-pressed', String(!!call.micMuted));
    this.micBtn.title = call.micMuted ? 'Unmute microphone (M)' : 'Mute microphone (M)';
    this.micBtn.querySelector('.icon-wrap').innerHTML = iconEl(call.micMuted ? 'micOff' : 'mic', { size: 22 }).innerHTML;
    const hasCam = !!this.calls.localStream?.getVideoTracks().length;
    this.camBtn.hidden = !hasCam;
    this.camBtn.classList.toggle('off', !!call.cameraOff);
    this.camBtn.setAttribute('aria-pressed', String(!!call.cameraOff));
    this.camBtn.title = call.cameraOff ? 'Turn camera on (V)' : 'Turn camera off (V)';
    this.camBtn.querySelector('.icon-wrap').innerHTML = iconEl(call.cameraOff ? 'videoOff' : 'video', { size: 22 }).innerHTML;
    this.#tick();
    this.#refreshVideoFlags();
  }

  media() {
    const local = this.calls.localStream;
    if (this.localVideo.srcObject !== local) {
      this.localVideo.srcObject = local;
      if (local) playSafely(this.localVideo);
    }
    const remote = this.calls.remoteStream;
    if (this.remoteVideo.srcObject !== remote) {
      this.remoteVideo.srcObject = remote;
      this.remoteAudio.srcObject = remote;
      if (remote) {
        playSafely(this.remoteVideo);
        const p = this.remoteAudio.play();
        if (p?.catch) p.catch((e) => {
          if (e?.name === 'NotAllowedError') this.audioUnlock.hidden = false;
        });
      }
    }
    for (const t of remote?.getTracks() ?? []) {
      t.onmute = t.onunmute = t.onended = () => this.#refreshVideoFlags();
    }
    this.#refreshVideoFlags();
    this.update();
  }

  #unblockAudio() {
    this.audioUnlock.hidden = true;
    playSafely(this.remoteAudio);
    playSafely(this.remoteVideo);
  }

  async #pollFrames() {
    const receiver = this.calls.pc?.getReceivers().find((r) => r.track?.kind === 'video');
    let frames = 0;
    if (receiver) {
      try {
        (await receiver.getStats()).forEach((r) => {
          if (r.type === 'inbound-rtp') frames = Math.max(frames, r.framesDecoded ?? 0);
        });
      } catch { /* connection closed meanwhile */ }
    }
    const sameReceiver = receiver === this.lastReceiver;
    if (receiver && frames > (sameReceiver ? this.lastFrames : 0)) this.lastFrameAt = performance.now();
    this.lastReceiver = receiver;
    this.lastFrames = frames;
    const flowing = performance.now() - this.lastFrameAt < 2500;
    if (flowing !== this.videoFlowing) {
      this.videoFlowing = flowing;
      this.#refreshVideoFlags();
    }
  }

  #refreshVideoFlags() {
    const call = this.calls.call;
    const remote = this.calls.remoteStream;
    const remoteVideo = this.videoFlowing && !!remote?.getVideoTracks().some((t) => t.readyState === 'live' && !t.muted);
    const localVideo = !!this.calls.localStream?.getVideoTracks().some((t) => t.readyState === 'live') && !call?.cameraOff;
    this.el.classList.toggle('has-remote-video', remoteVideo);
    this.el.classList.toggle('has-local-video', localVideo);
  }

  destroy() {
    clearInterval(this.timer);
    clearInterval(this.frameTimer);
    clearTimeout(this.idleTimer);
    window.removeEventListener('keydown', this.onKey);
    this.remoteVideo.srcObject = null;
    this.remoteAudio.srcObject = null;
    this.localVideo.srcObject = null;
  }
}
