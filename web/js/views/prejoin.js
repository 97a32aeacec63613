// The screen before a meeting: name, password when the meeting has one,
// camera and microphone preview with a choice of devices, and the Join
// button, which asks the server for a join token
// (POST /api/v1/meetings/{id}/join). The preview's stream is handed to the
// meeting, so that what the user saw is what the others get.

import { h, iconEl, avatar } from '../ui.js';
import { ApiError } from '../api.js';
import { mediaConstraints } from '../room.js';
import { playSafely } from './tile.js';

const DEVICES_KEY = 'parley.devices';
const GUEST_NAME_KEY = 'parley.guest_name';

export function loadDevicePrefs() {
  try { return JSON.parse(localStorage.getItem(DEVICES_KEY) ?? '{}') ?? {}; } catch { return {}; }
}

export function saveDevicePrefs(prefs) {
  try { localStorage.setItem(DEVICES_KEY, JSON.stringify({ ...loadDevicePrefs(), ...prefs })); } catch { /* storage off */ }
}

function guestName() {
  try { return localStorage.getItem(GUEST_NAME_KEY) ?? ''; } catch { return ''; }
}

function toggleButton({ icon, label, testid, onclick }) {
  return h('button', { class: 'round-btn glass', type: 'button', 'data-testid': testid, 'aria-label': label, title: label, onclick },
    iconEl(icon, { size: 22 }));
}

function setIcon(button, name) {
  button.querySelector('.icon-wrap').innerHTML = iconEl(name, { size: 22 }).innerHTML;
}

// Fills a <select> with devices of one kind, keeping `selected` if present.
function fillSelect(select, devices, selected, emptyLabel) {
  const opts = devices.map((d, i) => h('option', { value: d.deviceId }, d.label || `${emptyLabel} ${i + 1}`));
  if (!opts.length) opts.push(h('option', { value: '' }, `No ${emptyLabel.toLowerCase()} found`));
  select.replaceChildren(...opts);
  select.disabled = !devices.length;
  if (selected && devices.some((d) => d.deviceId === selected)) select.value = selected;
}

// Human text for a join that failed.
function joinErrorText(e, meetingId) {
  if (!(e instanceof ApiError)) return String(e?.message || e);
  switch (e.code) {
    case 'meeting_not_found':
    case 'not_found':
    case 'http_404':
      return `There is no meeting with the code ${meetingId}. Check the link.`;
    case 'too_many_attempts': {
      const mins = e.retryAfter ? Math.max(1, Math.ceil(e.retryAfter / 60)) : null;
      return `Too many wrong passwords. ${mins ? `Try again in ${mins} minute${mins === 1 ? '' : 's'}.` : 'Try again later.'}`;
    }
    case 'network':
      return 'Cannot reach the server. Check your connection and try again.';
    default:
      return e.message || 'Could not join the meeting';
  }
}

export class PreJoin {
  #root;
  #api;
  #user;
  #els = {};
  #onJoined;
  #destroyed = false;
  #busy = false;
  #audioCtx = null;
  #meterRaf = 0;
  #cleanups = [];
  #passwordNeeded = false;
  #previewReady;
  stream = null;
  micOn = true;
  camOn = true;
  devices = { audioinput: [], videoinput: [], audiooutput: [] };

  constructor(root, { api, user, meetingId, password = null, onJoined, onExit, notice = null }) {
    this.#root = root;
    this.#api = api;
    this.#user = user;
    this.#onJoined = onJoined;
    this.meetingId = meetingId;
    this.password = password;
    this.onExit = onExit;
    const prefs = loadDevicePrefs();
    this.micOn = prefs.micOn !== false;
    this.camOn = prefs.camOn !== false;
    this.#render(notice);
    const onDeviceChange = () => this.#listDevices();
    navigator.mediaDevices?.addEventListener?.('devicechange', onDeviceChange);
    this.#cleanups.push(() => navigator.mediaDevices?.removeEventListener?.('devicechange', onDeviceChange));
    this.#previewReady = this.#startPreview().catch((err) => console.warn('[parley] preview', err));
  }

  // keepStream: the meeting took the stream over.
  destroy({ keepStream = false } = {}) {
    if (this.#destroyed) return;
    this.#destroyed = true;
    cancelAnimationFrame(this.#meterRaf);
    this.#audioCtx?.close().catch(() => {});
    for (const fn of this.#cleanups) fn();
    this.#els.video.srcObject = null;
    if (!keepStream) for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.el.remove();
  }

  get state() {
    return this.#busy ? 'joining' : this.#passwordNeeded ? 'password' : 'ready';
  }

  // ------------------------------------------------------------ rendering

  #render(notice) {
    const e = this.#els;
    const user = this.#user;
    e.video = h('video', { class: 'prejoin-video mirror', 'data-testid': 'prejoin-video', autoplay: true, playsinline: true, props: { muted: true } });
    e.off = h('div', { class: 'prejoin-off' },
      h('div', { class: 'prejoin-off-avatar' }), h('span', { class: 'prejoin-off-text' }, 'Camera is off'));
    e.meter = h('div', { class: 'mic-meter', 'aria-hidden': 'true' }, ...Array.from({ length: 5 }, () => h('i')));
    e.mic = toggleButton({ icon: 'mic', label: 'Turn microphone off', testid: 'prejoin-toggle-mic', onclick: () => this.#setMic(!this.micOn) });
    e.cam = toggleButton({ icon: 'video', label: 'Turn camera off', testid: 'prejoin-toggle-camera', onclick: () => this.#setCam(!this.camOn) });
    e.previewNote = h('div', { class: 'prejoin-note', hidden: true });
    const preview = h('div', { class: 'prejoin-preview', 'data-testid': 'prejoin-preview' },
      e.off, e.video, e.previewNote,
      h('div', { class: 'prejoin-tools' }, e.mic, e.cam, e.meter));

    e.name = h('input', {
      id: 'pj-name', 'data-testid': 'prejoin-name', autocomplete: 'name', maxlength: 64, placeholder: 'Your name',
      value: user?.display_name || user?.username || guestName(),
    });
    e.password = h('input', {
      id: 'pj-password', 'data-testid': 'prejoin-password', type: 'password', autocomplete: 'off', maxlength: 64,
      placeholder: 'Meeting password', value: this.password ?? '',
    });
    e.passwordField = h('label', { class: 'field', for: 'pj-password', hidden: true },
      h('span', { class: 'field-label' }, 'Password'), e.password);
    e.hostKey = h('input', {
      id: 'pj-host-key', 'data-testid': 'prejoin-host-key', inputmode: 'numeric', autocomplete: 'off', maxlength: 6,
      placeholder: '6 digits', pattern: '[0-9]{6}',
    });
    e.hostKeyField = h('label', { class: 'field', for: 'pj-host-key', hidden: true },
      h('span', { class: 'field-label' }, 'Host key'), e.hostKey,
      h('span', { class: 'field-hint' }, 'The six digits the meeting\'s organizer shared with you make you a host.'));
    e.hostKeyToggle = h('button', {
      class: 'link-btn', type: 'button', 'data-testid': 'prejoin-host-key-toggle',
      onclick: () => { e.hostKeyField.hidden = false; e.hostKeyToggle.hidden = true; e.hostKey.focus(); },
    }, 'I have a host key');
    e.error = h('div', { class: 'form-error', 'data-testid': 'prejoin-error', role: 'alert', hidden: true });
    e.notice = h('div', { class: 'form-notice', 'data-testid': 'prejoin-notice', hidden: !notice }, notice ?? '');
    e.camSel = h('select', { class: 'select', 'data-testid': 'prejoin-camera-select', 'aria-label': 'Camera' });
    e.micSel = h('select', { class: 'select', 'data-testid': 'prejoin-mic-select', 'aria-label': 'Microphone' });
    e.outSel = h('select', { class: 'select', 'data-testid': 'prejoin-speaker-select', 'aria-label': 'Speaker' });
    e.camSel.addEventListener('change', () => this.#switchDevice('video', e.camSel.value));
    e.micSel.addEventListener('change', () => this.#switchDevice('audio', e.micSel.value));
    e.outSel.addEventListener('change', () => saveDevicePrefs({ output: e.outSel.value }));
    const canPickOutput = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
    e.join = h('button', { class: 'btn btn-primary btn-block btn-join', type: 'submit', 'data-testid': 'prejoin-join' },
      iconEl('logIn', { size: 18 }), h('span', {}, 'Join now'));
    const form = h('form', { class: 'prejoin-form', novalidate: true, onsubmit: (ev) => { ev.preventDefault(); this.#join(); } },
      h('label', { class: 'field', for: 'pj-name' }, h('span', { class: 'field-label' }, 'Your name'), e.name),
      e.passwordField,
      e.hostKeyField,
      h('div', { class: 'device-grid' },
        h('label', { class: 'device-field' }, iconEl('video', { size: 16 }), e.camSel),
        h('label', { class: 'device-field' }, iconEl('mic', { size: 16 }), e.micSel),
        canPickOutput ? h('label', { class: 'device-field' }, iconEl('volume', { size: 16 }), e.outSel) : null),
      e.error,
      e.join,
      h('div', { class: 'prejoin-extra' }, e.hostKeyToggle));

    const who = user
      ? h('div', { class: 'prejoin-who' }, avatar(user, 26), h('span', {}, 'Signed in as ', h('strong', {}, user.display_name || user.username)))
      : h('div', { class: 'prejoin-who' }, iconEl('users', { size: 16 }), h('span', {}, 'Joining as a guest'));

    const panel = h('div', { class: 'prejoin-panel' },
      h('div', { class: 'prejoin-kicker' }, iconEl('hash', { size: 14 }), h('span', { 'data-testid': 'prejoin-code' }, this.meetingId)),
      h('h1', { class: 'prejoin-title' }, 'Ready to join?'),
      h('p', { class: 'prejoin-sub' }, 'Check your camera and microphone before you go in.'),
      e.notice,
      form,
      who);

    this.el = h('section', { class: 'prejoin', 'data-testid': 'meeting-prejoin', role: 'region', 'aria-label': 'Join meeting' },
      h('header', { class: 'prejoin-top' },
        h('div', { class: 'brand' }, h('img', { src: 'favicon.svg', alt: '', width: 30, height: 30 }), h('span', {}, 'Parley')),
        h('button', { class: 'btn btn-ghost btn-small', type: 'button', 'data-testid': 'prejoin-exit', onclick: () => this.onExit?.() },
          iconEl('close', { size: 15 }), h('span', {}, user ? 'Back to home' : 'Cancel'))),
      h('div', { class: 'prejoin-body' }, preview, panel));
    this.#root.replaceChildren(this.el);
    this.#renderToggles();
    queueMicrotask(() => {
      if (!e.name.value) e.name.focus();
      else e.join.focus();
    });
  }

  #renderToggles() {
    const e = this.#els;
    const hasMic = !!this.stream?.getAudioTracks().length;
    const hasCam = !!this.stream?.getVideoTracks().length;
    e.mic.classList.toggle('off', !this.micOn || !hasMic);
    e.mic.setAttribute('aria-pressed', String(!this.micOn));
    e.mic.title = this.micOn ? 'Turn microphone off' : 'Turn microphone on';
    setIcon(e.mic, this.micOn && hasMic ? 'mic' : 'micOff');
    e.cam.classList.toggle('off', !this.camOn || !hasCam);
    e.cam.setAttribute('aria-pressed', String(!this.camOn));
    e.cam.title = this.camOn ? 'Turn camera off' : 'Turn camera on';
    setIcon(e.cam, this.camOn && hasCam ? 'video' : 'videoOff');
    const showVideo = this.camOn && hasCam;
    this.el.classList.toggle('cam-on', showVideo);
    e.meter.classList.toggle('muted', !this.micOn || !hasMic);
    const name = e.name.value.trim() || 'You';
    e.off.querySelector('.prejoin-off-avatar').replaceChildren(avatar({ display_name: name, username: name }, 96));
    e.off.querySelector('.prejoin-off-text').textContent = !hasCam ? 'No camera' : 'Camera is off';
  }

  #setMic(on) {
    this.micOn = on;
    for (const t of this.stream?.getAudioTracks() ?? []) t.enabled = on;
    saveDevicePrefs({ micOn: on });
    this.#renderToggles();
  }

  #setCam(on) {
    this.camOn = on;
    for (const t of this.stream?.getVideoTracks() ?? []) t.enabled = on;
    saveDevicePrefs({ camOn: on });
    this.#renderToggles();
  }

  // ------------------------------------------------------------ devices

  async #startPreview() {
    const md = navigator.mediaDevices;
    const e = this.#els;
    if (!md?.getUserMedia) {
      this.#previewNote('Camera and microphone need a secure page (HTTPS or localhost). You can still join to watch and listen.');
      return;
    }
    const prefs = loadDevicePrefs();
    const attempts = [
      mediaConstraints({ audio: prefs.audio || true, video: prefs.video || true }),
      mediaConstraints({ audio: true, video: true }),
      mediaConstraints({ audio: true, video: false }),
      mediaConstraints({ audio: false, video: true }),
    ];
    let denied = false;
    for (const c of attempts) {
      try {
        this.stream = await md.getUserMedia(c);
        break;
      } catch (err) {
        console.warn('[parley] preview', c, err?.name, err?.message);
        if (err?.name === 'NotAllowedError') {
          denied = true;
          break;
        }
      }
    }
    if (this.#destroyed) {
      for (const t of this.stream?.getTracks() ?? []) t.stop();
      return;
    }
    if (!this.stream) {
      this.#previewNote(denied ? 'Camera and microphone are blocked. Allow them in the address bar to be seen and heard, or join to watch and listen.' : 'No camera or microphone found. You can still join to watch and listen.');
    }
    for (const t of this.stream?.getAudioTracks() ?? []) t.enabled = this.micOn;
    for (const t of this.stream?.getVideoTracks() ?? []) t.enabled = this.camOn;
    this.#attachPreview();
    await this.#listDevices();
    this.#startMeter();
  }

  #previewNote(text) {
    this.#els.previewNote.hidden = !text;
    this.#els.previewNote.textContent = text ?? '';
  }

  #attachPreview() {
    const e = this.#els;
    const v = this.stream?.getVideoTracks()[0];
    e.video.srcObject = v ? new MediaStream([v]) : null;
    if (v) playSafely(e.video);
    this.#renderToggles();
  }

  async #listDevices() {
    const md = navigator.mediaDevices;
    if (!md?.enumerateDevices || this.#destroyed) return;
    let list = [];
    try { list = await md.enumerateDevices(); } catch { return; }
    const by = { audioinput: [], videoinput: [], audiooutput: [] };
    for (const d of list) if (by[d.kind] && d.deviceId) by[d.kind].push(d);
    this.devices = by;
    const e = this.#els;
    const cur = (kind) => this.stream?.[kind === 'audio' ? 'getAudioTracks' : 'getVideoTracks']()[0]?.getSettings?.().deviceId;
    fillSelect(e.camSel, by.videoinput, cur('video'), 'Camera');
    fillSelect(e.micSel, by.audioinput, cur('audio'), 'Microphone');
    fillSelect(e.outSel, by.audiooutput, loadDevicePrefs().output, 'Speaker');
  }

  async #switchDevice(kind, deviceId) {
    if (!deviceId) return;
    const md = navigator.mediaDevices;
    let track;
    try {
      const s = await md.getUserMedia(mediaConstraints(kind === 'audio' ? { audio: deviceId, video: false } : { audio: false, video: deviceId }));
      track = kind === 'audio' ? s.getAudioTracks()[0] : s.getVideoTracks()[0];
    } catch (err) {
      this.#showError(`Could not switch the ${kind === 'audio' ? 'microphone' : 'camera'}: ${err?.message || err}`);
      return;
    }
    if (this.#destroyed) {
      track?.stop();
      return;
    }
    if (!this.stream) this.stream = new MediaStream();
    const old = kind === 'audio' ? this.stream.getAudioTracks()[0] : this.stream.getVideoTracks()[0];
    if (old) {
      this.stream.removeTrack(old);
      old.stop();
    }
    track.enabled = kind === 'audio' ? this.micOn : this.camOn;
    this.stream.addTrack(track);
    saveDevicePrefs({ [kind]: deviceId });
    if (kind === 'video') this.#attachPreview();
    else this.#startMeter();
    this.#renderToggles();
  }

  // A small level meter for the microphone (so people see it works).
  #startMeter() {
    cancelAnimationFrame(this.#meterRaf);
    this.#audioCtx?.close().catch(() => {});
    this.#audioCtx = null;
    const track = this.stream?.getAudioTracks()[0];
    if (!track || typeof AudioContext === 'undefined') return;
    let ctx;
    try {
      ctx = new AudioContext();
      const src = ctx.createMediaStreamSource(new MediaStream([track]));
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 512;
      src.connect(analyser);
      const buf = new Uint8Array(analyser.fftSize);
      const bars = [...this.#els.meter.children];
      let last = 0;
      const tick = (t) => {
        if (this.#destroyed) return;
        this.#meterRaf = requestAnimationFrame(tick);
        if (t - last < 60) return;
        last = t;
        analyser.getByteTimeDomainData(buf);
        let peak = 0;
        for (const v of buf) peak = Math.max(peak, Math.abs(v - 128));
        const level = track.enabled ? Math.min(1, peak / 64) : 0;
        bars.forEach((b, i) => b.classList.toggle('lit', level > (i + 0.5) / bars.length));
      };
      this.#meterRaf = requestAnimationFrame(tick);
      const resume = () => ctx.state === 'suspended' && ctx.resume().catch(() => {});
      resume();
      this.el.addEventListener('pointerdown', resume, { once: true });
    } catch (err) {
      console.warn('[parley] level meter', err);
      ctx?.close().catch(() => {});
      return;
    }
    this.#audioCtx = ctx;
  }

  // ------------------------------------------------------------ joining

  #showError(text) {
    this.#els.error.hidden = !text;
    this.#els.error.textContent = text ?? '';
  }

  #needPassword(message) {
    this.#passwordNeeded = true;
    const e = this.#els;
    e.passwordField.hidden = false;
    e.notice.hidden = true;
    e.password.focus();
    e.password.select();
    this.#showError(message);
  }

  async #join() {
    if (this.#busy || this.#destroyed) return;
    const e = this.#els;
    const name = e.name.value.trim();
    if (!name) {
      this.#showError('Enter your name so that others know who you are.');
      e.name.focus();
      return;
    }
    if (name.length > 64) {
      this.#showError('Names are 64 characters at most.');
      e.name.focus();
      return;
    }
    const password = e.password.value;
    const hostKey = e.hostKey.value.trim();
    if (hostKey && !/^[0-9]{6}$/.test(hostKey)) {
      this.#showError('A host key is six digits.');
      e.hostKey.focus();
      return;
    }
    this.#showError(null);
    this.#setBusy(true);
    // Joining before the camera and microphone are up would join without
    // them: wait for the preview (it gives up on its own).
    await this.#previewReady;
    if (this.#destroyed) return;
    if (!this.#user) {
      try { localStorage.setItem(GUEST_NAME_KEY, name); } catch { /* storage off */ }
    }
    let res;
    try {
      try {
        res = await this.#api.joinMeeting(this.meetingId, { display_name: name, password: password || undefined, host_key: hostKey || undefined }, { signedIn: !!this.#user });
      } catch (err) {
        // An expired sign-in: join as a guest rather than not at all.
        if (!(err instanceof ApiError) || err.status !== 401 || !this.#user) throw err;
        res = await this.#api.joinMeeting(this.meetingId, { display_name: name, password: password || undefined, host_key: hostKey || undefined }, { signedIn: false });
      }
    } catch (err) {
      if (this.#destroyed) return;
      this.#setBusy(false);
      if (err instanceof ApiError && err.code === 'wrong_password') {
        // Nothing typed yet: the meeting simply has a password.
        if (!password && !this.#passwordNeeded) {
          this.#needPassword(null);
          e.notice.hidden = false;
          e.notice.textContent = 'This meeting has a password. Enter it to join.';
        } else {
          this.#needPassword(err.message || 'The meeting password is wrong');
        }
        return;
      }
      if (err instanceof ApiError && err.code === 'wrong_host_key') {
        e.hostKeyField.hidden = false;
        e.hostKeyToggle.hidden = true;
        e.hostKey.focus();
        e.hostKey.select();
      }
      this.#showError(joinErrorText(err, this.meetingId));
      return;
    }
    if (this.#destroyed) return;
    this.#setBusy(false);
    this.password = password || null;
    const hasMic = !!this.stream?.getAudioTracks().length;
    const hasCam = !!this.stream?.getVideoTracks().length;
    this.#onJoined(res, {
      stream: this.stream,
      audioMuted: !this.micOn || !hasMic,
      videoMuted: !this.camOn || !hasCam,
      displayName: name,
      password: this.password,
      outputDevice: this.#els.outSel.value || null,
    });
  }

  #setBusy(b) {
    this.#busy = b;
    this.#els.join.disabled = b;
    this.#els.join.classList.toggle('loading', b);
  }
}
