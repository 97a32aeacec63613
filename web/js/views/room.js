// The group room view (#/room/<name>): a gallery of participant tiles, the
// shared screen big when someone presents, a people panel and the controls
// bar. The media and protocol side lives in ../room.js.

import { h, iconEl, avatar } from '../ui.js';
import { clock } from '../format.js';
import { RoomSession, participantName } from '../room.js';
import { Tile } from './tile.js';

function roundButton({ icon, label, testid, kind = 'glass', onclick }) {
  return h('button', { class: `round-btn ${kind}`, type: 'button', 'data-testid': testid, 'aria-label': label, title: label, onclick },
    iconEl(icon, { size: 22 }));
}

function setIcon(button, name) {
  button.querySelector('.icon-wrap').innerHTML = iconEl(name, { size: 22 }).innerHTML;
}

// Columns × rows for n tiles in a landscape stage.
function gridShape(n, wide) {
  if (n <= 1) return [1, 1];
  if (n === 2) return wide ? [2, 1] : [1, 2];
  const cols = Math.ceil(Math.sqrt(n));
  return [cols, Math.ceil(n / cols)];
}

export class RoomView {
  #root;
  #onLeave;
  #els = {};
  #tiles = new Map(); // key → Tile ('self', participant_id, 'screen:<id>')
  #cleanups = [];
  #timer = null;
  #peopleOpen = false;

  constructor(root, { signaling, user, room, onLeave, onToast }) {
    this.#root = root;
    this.#onLeave = onLeave;
    this.name = room;
    this.session = new RoomSession({ signaling, user, room });
    const s = this.session;
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.#cleanups.push(() => target.removeEventListener(type, fn));
    };
    on(s, 'state', () => this.#renderState());
    on(s, 'participants', () => this.#renderParticipants());
    on(s, 'media', () => this.#renderMedia());
    on(s, 'speaker', () => this.#renderParticipants());
    on(s, 'toast', (e) => onToast?.(e.detail.message, e.detail.kind));
    on(window, 'keydown', (e) => this.#onKey(e));
    on(window, 'resize', () => this.#layout());
    this.#render();
    this.#renderState();
    this.#renderParticipants();
    this.#renderMedia();
    this.#timer = setInterval(() => this.#tick(), 1000);
    document.body.classList.add('in-room');
  }

  destroy() {
    clearInterval(this.#timer);
    for (const fn of this.#cleanups) fn();
    for (const tile of this.#tiles.values()) tile.destroy();
    this.#tiles.clear();
    this.session.destroy();
    this.#root.replaceChildren();
    document.body.classList.remove('in-room');
    document.title = 'Parley';
  }

  leave() {
    this.session.leave();
    this.#onLeave?.();
  }

  // ------------------------------------------------------------ rendering

  #render() {
    const e = this.#els;
    const s = this.session;
    e.count = h('span', { class: 'room-count', 'data-testid': 'room-count' });
    e.duration = h('span', { class: 'duration', 'data-testid': 'room-duration' }, '00:00');
    e.note = h('span', { class: 'call-note', 'data-testid': 'room-note' });
    e.copy = h('button', { class: 'btn btn-small btn-secondary', type: 'button', 'data-testid': 'copy-room-link', onclick: () => this.#copyLink() },
      iconEl('link', { size: 15 }), h('span', {}, 'Copy link'));
    const topbar = h('header', { class: 'room-topbar' },
      h('div', { class: 'room-title' },
        h('img', { src: 'favicon.svg', alt: '', width: 28, height: 28 }),
        h('div', { class: 'room-title-text' },
          h('span', { class: 'room-name', 'data-testid': 'room-name', title: this.name }, this.name),
          h('span', { class: 'call-meta' }, h('span', { class: 'live-dot' }), e.duration, h('span', { class: 'meta-sep' }, '·'), e.count, e.note))),
      e.copy);

    e.spotlight = h('div', { class: 'room-spotlight', 'data-testid': 'room-spotlight' });
    e.grid = h('div', { class: 'room-grid', 'data-testid': 'room-grid' });
    e.overlay = h('div', { class: 'room-overlay', 'data-testid': 'room-overlay' });
    e.stage = h('div', { class: 'room-stage' }, e.spotlight, e.grid, e.overlay);

    e.peopleList = h('ul', { class: 'people-list', 'data-testid': 'people-list' });
    e.peopleCount = h('span', { class: 'people-count' });
    e.people = h('aside', { class: 'room-people', 'aria-label': 'People in this room', hidden: true },
      h('div', { class: 'people-head' },
        h('h2', { class: 'card-title' }, 'People ', e.peopleCount),
        h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close', title: 'Close', onclick: () => this.#togglePeople(false) }, iconEl('close', { size: 16 }))),
      e.peopleList);

    e.mic = roundButton({ icon: 'mic', label: 'Mute microphone (M)', testid: 'room-toggle-mic', onclick: () => s.toggleMic() });
    e.cam = roundButton({ icon: 'video', label: 'Turn camera off (V)', testid: 'room-toggle-camera', onclick: () => s.toggleCamera() });
    e.share = roundButton({ icon: 'screen', label: 'Share your screen', testid: 'room-share-screen', onclick: () => (s.sharing ? s.stopScreenShare() : s.startScreenShare()) });
    e.peopleBtn = roundButton({ icon: 'users', label: 'People', testid: 'room-people', onclick: () => this.#togglePeople() });
    e.peopleBadge = h('span', { class: 'btn-badge' });
    e.peopleBtn.append(e.peopleBadge);
    e.leave = roundButton({ icon: 'hangup', label: 'Leave the room', testid: 'room-leave', kind: 'danger', onclick: () => this.leave() });
    e.soundHint = h('button', { class: 'sound-hint room-sound-hint', type: 'button', hidden: true, onclick: () => this.#unblockAudio() },
      iconEl('volumeOff', { size: 16 }), h('span', {}, 'Click to turn on sound'));
    const controls = h('footer', { class: 'room-controls' },
      h('div', { class: 'call-controls room-controls-pill' }, e.mic, e.cam, e.share, e.peopleBtn, h('span', { class: 'controls-sep' }), e.leave));

    this.el = h('section', { class: 'room', 'data-testid': 'room', 'data-room': this.name, role: 'region', 'aria-label': `Room ${this.name}` },
      topbar,
      h('div', { class: 'room-main' }, e.stage, e.people),
      e.soundHint,
      controls);
    this.#root.replaceChildren(this.el);
  }

  #renderState() {
    const s = this.session;
    const e = this.#els;
    this.el.dataset.state = s.state;
    e.note.textContent = s.state === 'reconnecting' ? 'Reconnecting…' : '';
    e.overlay.hidden = s.state === 'joined' || s.state === 'reconnecting';
    if (s.state === 'joining') {
      e.overlay.replaceChildren(h('div', { class: 'room-card' },
        h('div', { class: 'spinner' }),
        h('strong', {}, `Joining ${this.name}…`),
        h('span', {}, 'Starting your camera and microphone')));
    } else if (s.state === 'failed') {
      e.overlay.replaceChildren(h('div', { class: 'room-card', 'data-testid': 'room-error' },
        h('div', { class: 'empty-icon' }, iconEl('alert', { size: 26 })),
        h('strong', {}, `Could not join ${this.name}`),
        h('span', {}, s.error?.message ?? ''),
        h('button', { class: 'btn btn-secondary', type: 'button', onclick: () => this.#onLeave?.() }, 'Back to home')));
    } else if (s.state === 'left') {
      e.overlay.replaceChildren(h('div', { class: 'room-card' }, h('strong', {}, 'You left the room')));
    }
    const live = s.state === 'joined';
    for (const b of [e.mic, e.cam, e.share]) b.disabled = !live;
    this.el.classList.toggle('connected', live);
    this.#renderParticipants();
  }

  #renderParticipants() {
    const s = this.session;
    const e = this.#els;
    const everyone = s.state === 'joined' || s.state === 'reconnecting' ? s.list() : [{ ...s.me, self: true }];
    const speaker = everyone.length > 1 ? s.activeSpeaker : null;

    // Tiles: one per participant, this page first.
    const keep = new Set();
    for (const p of everyone) {
      const key = p.self ? 'self' : p.participant_id;
      keep.add(key);
      let tile = this.#tiles.get(key);
      if (!tile) {
        tile = new Tile({ key, self: p.self, onAudioBlocked: () => { e.soundHint.hidden = false; } });
        this.#tiles.set(key, tile);
      }
      tile.update(p, { speaking: !!speaker && p.participant_id === speaker });
    }
    for (const [key, tile] of this.#tiles) {
      if (!tile.screen && !keep.has(key)) {
        tile.destroy();
        this.#tiles.delete(key);
      }
    }

    // People panel
    e.peopleCount.textContent = `(${everyone.length})`;
    e.peopleBadge.textContent = String(everyone.length);
    e.count.textContent = everyone.length === 1 ? 'Just you' : `${everyone.length} people`;
    e.peopleList.replaceChildren(...everyone.map((p) => {
      const name = participantName(p);
      return h('li', {
        class: `people-item${p.participant_id === speaker ? ' speaking' : ''}`,
        'data-testid': 'people-item',
        'data-participant-id': p.participant_id ?? '',
        'data-audio-muted': String(!!p.audio_muted),
        'data-video-muted': String(!!p.video_muted),
        'data-screen-sharing': String(!!p.screen_sharing),
      },
      avatar({ display_name: name, username: name }, 34),
      h('div', { class: 'people-name' }, h('span', {}, name), p.self ? h('span', { class: 'people-you' }, 'You') : null),
      h('div', { class: 'people-icons' },
        p.screen_sharing ? h('span', { class: 'pi on', title: 'Presenting' }, iconEl('screen', { size: 16 })) : null,
        h('span', { class: `pi${p.video_muted ? ' off' : ''}`, title: p.video_muted ? 'Camera off' : 'Camera on' }, iconEl(p.video_muted ? 'videoOff' : 'video', { size: 16 })),
        h('span', { class: `pi${p.audio_muted ? ' off' : ''}`, title: p.audio_muted ? 'Microphone off' : 'Microphone on', 'data-testid': 'people-mic' }, iconEl(p.audio_muted ? 'micOff' : 'mic', { size: 16 }))));
    }));

    // Controls
    e.mic.classList.toggle('off', s.micMuted);
    e.mic.setAttribute('aria-pressed', String(s.micMuted));
    e.mic.title = s.micMuted ? 'Unmute microphone (M)' : 'Mute microphone (M)';
    setIcon(e.mic, s.micMuted ? 'micOff' : 'mic');
    e.cam.hidden = !s.hasCamera && s.state !== 'joining';
    e.cam.classList.toggle('off', s.cameraOff);
    e.cam.setAttribute('aria-pressed', String(s.cameraOff));
    e.cam.title = s.cameraOff ? 'Turn camera on (V)' : 'Turn camera off (V)';
    setIcon(e.cam, s.cameraOff ? 'videoOff' : 'video');
    e.share.classList.toggle('active', s.sharing);
    e.share.setAttribute('aria-pressed', String(s.sharing));
    e.share.title = s.sharing ? 'Stop presenting' : 'Share your screen';
    setIcon(e.share, s.sharing ? 'screenOff' : 'screen');
    e.share.hidden = !navigator.mediaDevices?.getDisplayMedia;
    this.#layout();
  }

  #renderMedia() {
    const s = this.session;
    const self = this.#tiles.get('self');
    self?.setVideo(s.localStream?.getVideoTracks()[0] ?? null);
    for (const [id, slots] of [...s.remote]) {
      const tile = this.#tiles.get(id);
      if (!tile) continue;
      tile.setVideo(slots.camera);
      tile.setAudio(slots.audio);
    }
    for (const [key, tile] of this.#tiles) {
      if (tile.screen || tile.self) continue;
      if (!s.remote.has(key)) {
        tile.setVideo(null);
        tile.setAudio(null);
      }
    }

    // Shared screens: remote ones first, then our own preview.
    const screens = new Map();
    for (const [id, slots] of s.remote) {
      if (slots.screen && s.participants.has(id)) screens.set(`screen:${id}`, { track: slots.screen, p: s.participants.get(id), self: false });
    }
    if (s.screenTrack) screens.set('screen:self', { track: s.screenTrack, p: s.me, self: true });
    for (const [key, tile] of this.#tiles) {
      if (tile.screen && !screens.has(key)) {
        tile.destroy();
        this.#tiles.delete(key);
      }
    }
    for (const [key, { track, p, self: mine }] of screens) {
      let tile = this.#tiles.get(key);
      if (!tile) {
        tile = new Tile({ key, screen: true, self: mine });
        this.#tiles.set(key, tile);
      }
      tile.update(p);
      tile.setVideo(track);
    }
    this.#layout();
  }

  // Places the tiles: the first shared screen in the spotlight with everyone
  // else in a strip beside it, or everyone in an even grid.
  #layout() {
    const e = this.#els;
    const tiles = [...this.#tiles.values()];
    const screens = tiles.filter((t) => t.screen);
    const people = tiles.filter((t) => !t.screen).sort((a, b) => (a.self ? -1 : b.self ? 1 : 0));
    const spotlight = screens.find((t) => !t.self) ?? screens[0] ?? null;
    const strip = [...people, ...screens.filter((t) => t !== spotlight)];
    this.el.classList.toggle('has-screen', !!spotlight);
    if (spotlight && spotlight.el.parentNode !== e.spotlight) e.spotlight.replaceChildren(spotlight.el);
    if (!spotlight) e.spotlight.replaceChildren();
    const children = [...e.grid.children];
    if (children.length !== strip.length || strip.some((t, i) => children[i] !== t.el)) e.grid.replaceChildren(...strip.map((t) => t.el));
    const rect = e.stage.getBoundingClientRect();
    const [cols, rows] = spotlight ? [1, strip.length] : gridShape(strip.length, rect.width >= rect.height);
    e.grid.style.setProperty('--cols', String(cols));
    e.grid.style.setProperty('--rows', String(rows));
    e.grid.dataset.count = String(strip.length);
  }

  #tick() {
    const s = this.session;
    const secs = s.joinedAt ? (Date.now() - s.joinedAt) / 1000 : 0;
    this.#els.duration.textContent = clock(secs);
    document.title = `${this.name} · ${clock(secs)} · Parley`;
  }

  #togglePeople(open = !this.#peopleOpen) {
    this.#peopleOpen = open;
    this.#els.people.hidden = !open;
    this.#els.peopleBtn.classList.toggle('active', open);
    this.#layout();
  }

  async #copyLink() {
    const url = new URL(location.href);
    url.hash = `#/room/${encodeURIComponent(this.name)}`;
    try {
      await navigator.clipboard.writeText(url.toString());
      this.#els.copy.querySelector('span:last-child').textContent = 'Copied';
    } catch {
      window.prompt('Share this link to invite people:', url.toString());
      return;
    }
    setTimeout(() => {
      const label = this.#els.copy?.querySelector('span:last-child');
      if (label) label.textContent = 'Copy link';
    }, 2000);
  }

  #unblockAudio() {
    this.#els.soundHint.hidden = true;
    for (const tile of this.#tiles.values()) tile.replayAudio();
  }

  #onKey(e) {
    if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.body.classList.contains('in-overlay')) return; // a 1:1 call screen is on top
    if (e.key === 'm' || e.key === 'M') this.session.toggleMic();
    else if (e.key === 'v' || e.key === 'V') this.session.toggleCamera();
  }
}
