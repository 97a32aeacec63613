// One participant (or one shared screen) on a room's or a meeting's stage:
// video with an avatar behind it, a name label with the microphone state,
// and, in meetings, a raised hand, reactions and a network-quality badge.

import { h, iconEl, avatar } from '../ui.js';
import { participantName } from '../room.js';

export function playSafely(el, onBlocked) {
  const p = el.play?.();
  if (p && typeof p.catch === 'function') {
    p.catch((e) => {
      if (e?.name === 'NotAllowedError' && onBlocked) onBlocked();
    });
  }
}

const ROLE_ICON = { host: ['crown', 'Host'], cohost: ['shieldCheck', 'Co-host'] };
const NET_TEXT = { 1: 'Poor connection', 2: 'Fair connection', 3: 'Good connection' };

export class Tile {
  constructor({ key, screen = false, self = false, onAudioBlocked = null, testid = null, withAudio = true }) {
    this.key = key;
    this.screen = screen;
    this.self = self;
    this.onAudioBlocked = onAudioBlocked;
    this.videoTrack = null;
    this.audioTrack = null;
    this.video = h('video', { class: `tile-video${self && !screen ? ' mirror' : ''}`, autoplay: true, playsinline: true, props: { muted: true } });
    this.audio = screen || self || !withAudio ? null : h('audio', { autoplay: true });
    this.avatarBox = h('div', { class: 'tile-avatar' });
    this.micOff = h('span', { class: 'tile-mic-off', title: 'Microphone off', hidden: true }, iconEl('micOff', { size: 14 }));
    this.roleIcon = h('span', { class: 'tile-role', hidden: true });
    this.name = h('span', { class: 'tile-name' });
    this.badge = h('span', { class: 'tile-badge', hidden: true });
    this.hand = h('span', { class: 'tile-hand', 'data-testid': 'tile-hand', title: 'Hand raised', hidden: true }, iconEl('hand', { size: 16 }));
    this.net = h('span', { class: 'tile-net', 'data-testid': 'tile-network', hidden: true },
      h('i', { class: 'b1' }), h('i', { class: 'b2' }), h('i', { class: 'b3' }));
    this.reactions = h('div', { class: 'tile-reactions', 'aria-live': 'polite' });
    // A meeting member whose connection dropped keeps its tile for the
    // server's reconnect grace.
    this.away = h('div', { class: 'tile-away', 'data-testid': 'tile-away', hidden: true }, 'Reconnecting…');
    this.el = h('div', {
      class: `tile${screen ? ' tile-screen' : ''}${self ? ' tile-self' : ''}`,
      'data-testid': testid ?? (screen ? 'screen-tile' : 'room-tile'),
      'data-key': key,
    },
    this.avatarBox, this.video, this.audio,
    h('div', { class: 'tile-label' }, this.micOff, screen ? iconEl('screen', { size: 14 }) : null, this.roleIcon, this.name),
    this.hand, this.net, this.reactions, this.away,
    this.badge);
    const sawFrame = () => {
      if (this.video.videoWidth > 0) this.el.classList.add('has-frames');
    };
    this.video.addEventListener('loadeddata', sawFrame);
    this.video.addEventListener('resize', sawFrame);
  }

  update(p, { speaking = false } = {}) {
    const name = participantName(p);
    this.el.dataset.participantId = p.participant_id ?? '';
    this.el.dataset.name = name;
    this.el.dataset.audioMuted = String(!!p.audio_muted);
    this.el.dataset.videoMuted = String(!!p.video_muted);
    this.el.classList.toggle('speaking', speaking && !this.screen);
    this.name.textContent = this.screen ? (this.self ? 'You are presenting' : `${name}'s screen`) : (this.self ? `${name} (You)` : name);
    this.micOff.hidden = this.screen || !p.audio_muted;
    this.el.classList.toggle('video-off', !this.screen && !!p.video_muted);
    const role = !this.screen ? ROLE_ICON[p.role] : null;
    this.roleIcon.hidden = !role;
    if (role && this.roleIcon.dataset.role !== p.role) {
      this.roleIcon.dataset.role = p.role;
      this.roleIcon.title = role[1];
      this.roleIcon.replaceChildren(iconEl(role[0], { size: 13 }));
    }
    if (!this.screen && p.hand_raised !== undefined) this.setHand(!!p.hand_raised);
    this.away.hidden = this.screen || p.connected !== false;
    const avatarKey = `${name}`;
    if (this.avatarFor !== avatarKey) {
      this.avatarFor = avatarKey;
      this.avatarBox.replaceChildren(avatar({ display_name: name, username: name }, 88));
    }
  }

  setHand(raised) {
    this.hand.hidden = !raised;
    this.el.dataset.handRaised = String(raised);
    this.el.classList.toggle('hand-raised', raised);
  }

  // bars: 1–3, or null when nothing is known.
  setNetwork(bars, detail = '') {
    this.net.hidden = bars == null;
    if (bars == null) {
      delete this.el.dataset.network;
      return;
    }
    this.net.dataset.bars = String(bars);
    this.el.dataset.network = String(bars);
    this.net.title = `${NET_TEXT[bars]}${detail ? ` · ${detail}` : ''}`;
  }

  showReaction(emoji) {
    const bubble = h('span', { class: 'tile-reaction', 'data-testid': 'tile-reaction' }, emoji);
    this.reactions.append(bubble);
    while (this.reactions.children.length > 4) this.reactions.firstElementChild.remove();
    setTimeout(() => bubble.remove(), 4200);
  }

  setVideo(track) {
    if (this.videoTrack === track) return;
    this.videoTrack = track;
    this.el.classList.remove('has-frames');
    this.el.classList.toggle('has-video', !!track);
    this.video.srcObject = track ? new MediaStream([track]) : null;
    if (track) playSafely(this.video);
  }

  setAudio(track) {
    if (!this.audio || this.audioTrack === track) return;
    this.audioTrack = track;
    this.audio.srcObject = track ? new MediaStream([track]) : null;
    if (track) playSafely(this.audio, this.onAudioBlocked);
  }

  // A video moved between containers may have been paused: play it again.
  ensurePlaying() {
    if (this.video.srcObject && this.video.paused && this.el.isConnected) playSafely(this.video);
  }

  replayAudio() {
    if (this.audio?.srcObject) playSafely(this.audio);
  }

  destroy() {
    this.video.srcObject = null;
    if (this.audio) this.audio.srcObject = null;
    this.el.remove();
  }
}
