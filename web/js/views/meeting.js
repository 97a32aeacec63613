// The meeting page (#/meeting/<id>?pwd=…): the pre-join screen, the waiting
// room, then the meeting itself — a stage in gallery, speaker or
// screen-share layout, the controls bar, and side panels for participants,
// chat and breakout rooms. Works without being signed in (guests). The
// protocol side lives in ../meeting.js, the media in ../room.js.

import { h, iconEl, avatar } from '../ui.js';
import { clock } from '../format.js';
import { participantName, mediaConstraints } from '../room.js';
import { MeetingSession, REACTIONS, END_TEXT, meetingLink, normalizeMeetingId } from '../meeting.js';
import { Tile, playSafely } from './tile.js';
import { PreJoin, loadDevicePrefs, saveDevicePrefs } from './prejoin.js';
import { ParticipantsPanel, ChatPanel, BreakoutsPanel, openMenu, closeMenu } from './meeting-panels.js';

export const PAGE_SIZE = 25;
const TILE_ASPECT = 16 / 9;
const GAP = 10;
const NETWORK_INTERVAL_MS = 2000;

// The largest tiles (16:9) for n of them in a W×H box: {cols, rows, w, h}.
export function bestGrid(n, W, H, gap = GAP, aspect = TILE_ASPECT) {
  let best = { cols: 1, rows: Math.max(1, n), w: 0, h: 0 };
  for (let cols = 1; cols <= Math.max(1, n); cols++) {
    const rows = Math.ceil(n / cols);
    let w = (W - gap * (cols - 1)) / cols;
    let hh = w / aspect;
    if (hh * rows + gap * (rows - 1) > H) {
      hh = (H - gap * (rows - 1)) / rows;
      w = hh * aspect;
    }
    if (w > best.w) best = { cols, rows, w: Math.floor(w), h: Math.floor(hh) };
  }
  return best;
}

// The simulcast layer worth receiving for a tile this wide (CSS pixels).
export function qualityForWidth(w) {
  if (w >= 480) return 'high';
  if (w >= 240) return 'medium';
  return 'low';
}

function barButton({ icon, label, testid, onclick, extraClass = '' }) {
  const b = h('button', { class: `mbtn ${extraClass}`.trim(), type: 'button', 'data-testid': testid, 'aria-label': label, title: label, onclick },
    h('span', { class: 'mbtn-icon' }, iconEl(icon, { size: 21 })),
    h('span', { class: 'mbtn-label' }, label));
  return b;
}

function setBar(button, { icon, label, title = label }) {
  if (icon && button.dataset.icon !== icon) {
    button.dataset.icon = icon;
    button.querySelector('.mbtn-icon').replaceChildren(iconEl(icon, { size: 21 }));
  }
  if (label != null) button.querySelector('.mbtn-label').textContent = label;
  button.title = title;
  button.setAttribute('aria-label', title);
}

const END_SCREENS = {
  left: { icon: 'logout', title: 'You left the meeting', rejoin: 'Rejoin' },
  ended: { icon: 'clock', title: 'The meeting has ended', rejoin: null },
  removed: { icon: 'userX', title: 'You were removed from the meeting', text: 'The host removed you. You cannot join this meeting again.', rejoin: null },
  denied: { icon: 'door', title: 'The host did not let you in', text: 'You can ask to join again.', rejoin: 'Ask to join again' },
  failed: { icon: 'alert', title: 'Could not stay in the meeting', rejoin: 'Try again' },
};

export class MeetingView {
  #root;
  #api;
  #getUser;
  #onExit;
  #onToast;
  #els = {};
  #tiles = new Map(); // 'self' | participant_id | 'screen:<id>' → Tile
  #audio = new Map(); // participant_id → <audio>
  #panels = new Set(); // open side panels
  #panelObjs = null;
  #sessionCleanups = [];
  #viewCleanups = [];
  #timer = null;
  #netTimer = null;
  #subTimer = null;
  #lastSpeaker = null;
  #audioBlocked = false;
  #dismissedWaiting = '';
  #output = null;
  #endInfo = null;
  phase = 'prejoin'; // 'prejoin' | 'meeting' | 'end'
  session = null;
  prejoin = null;
  layout = 'gallery'; // what the user chose: 'gallery' | 'speaker'
  mode = 'gallery'; // what the stage shows: 'gallery' | 'speaker' | 'share'
  page = 0;
  pages = 1;
  pinned = null;
  unread = 0;
  network = new Map(); // participant_id → {bars, loss, jitterMs, rttMs, kbps}

  constructor(root, { api, getUser, meetingId, password = null, onExit, onToast }) {
    this.#root = root;
    this.#api = api;
    this.#getUser = getUser;
    this.#onExit = onExit;
    this.#onToast = onToast;
    this.meetingId = normalizeMeetingId(meetingId) ?? meetingId;
    this.password = password;
    const on = (target, type, fn, opts) => {
      target.addEventListener(type, fn, opts);
      this.#viewCleanups.push(() => target.removeEventListener(type, fn, opts));
    };
    on(window, 'keydown', (e) => this.#onKey(e));
    on(window, 'resize', () => this.#layout());
    document.body.classList.add('in-meeting');
    this.#showPrejoin();
  }

  destroy() {
    this.#teardownSession();
    this.prejoin?.destroy();
    this.prejoin = null;
    for (const fn of this.#viewCleanups) fn();
    this.#viewCleanups = [];
    closeMenu();
    this.#root.replaceChildren();
    document.body.classList.remove('in-meeting');
    document.title = 'Parley';
  }

  get el() {
    return this.#els.root ?? this.#root;
  }

  get user() {
    return this.#getUser?.() ?? null;
  }

  toast(message, kind = 'info') {
    this.#onToast?.(message, kind);
  }

  // ------------------------------------------------------------ phases

  #showPrejoin(notice = null) {
    this.#teardownSession();
    this.phase = 'prejoin';
    this.#endInfo = null;
    document.title = `Join ${this.meetingId} · Parley`;
    this.prejoin = new PreJoin(this.#root, {
      api: this.#api,
      user: this.user,
      meetingId: this.meetingId,
      password: this.password,
      notice,
      onExit: () => this.#onExit?.(),
      onJoined: (res, opts) => this.#startSession(res, opts),
    });
  }

  #startSession(join, { stream, audioMuted, videoMuted, displayName, password, outputDevice }) {
    this.prejoin?.destroy({ keepStream: true });
    this.prejoin = null;
    this.password = password ?? this.password;
    this.#output = outputDevice ?? loadDevicePrefs().output ?? null;
    const grants = join.grants ?? {};
    // A meeting that mutes on entry mutes everyone but the hosts.
    const muteOnEntry = !!join.settings?.mute_on_entry && !grants.is_host;
    const s = new MeetingSession({
      join,
      displayName,
      user: this.user,
      localStream: stream,
      audioMuted: audioMuted || muteOnEntry,
      videoMuted,
      password: this.password,
    });
    this.session = s;
    this.phase = 'meeting';
    this.page = 0;
    this.pinned = null;
    this.unread = 0;
    this.layout = 'gallery';
    this.#renderSession();
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.#sessionCleanups.push(() => target.removeEventListener(type, fn));
    };
    on(s, 'state', () => this.#onState());
    on(s, 'participants', () => this.#renderParticipants());
    on(s, 'media', () => this.#renderMedia());
    on(s, 'speaker', () => this.#renderParticipants());
    on(s, 'chat', (e) => this.#onChat(e.detail));
    on(s, 'reaction', (e) => this.#onReaction(e.detail));
    on(s, 'waiting', () => this.#renderWaiting());
    on(s, 'permissions', () => { this.#renderControls(); this.#renderTop(); this.#panelObjs.chat.renderRecipients(); this.#panelObjs.participants.render(); });
    on(s, 'breakouts', () => this.#renderBreakouts());
    on(s, 'broadcast', (e) => this.#onBroadcast(e.detail));
    on(s, 'toast', (e) => this.toast(e.detail.message, e.detail.kind));
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#netTimer = setInterval(() => this.#sampleNetwork(), NETWORK_INTERVAL_MS);
    this.#onState();
    this.#renderParticipants();
    this.#renderMedia();
  }

  #teardownSession() {
    clearInterval(this.#timer);
    clearInterval(this.#netTimer);
    clearTimeout(this.#subTimer);
    for (const fn of this.#sessionCleanups) fn();
    this.#sessionCleanups = [];
    for (const tile of this.#tiles.values()) tile.destroy();
    this.#tiles.clear();
    for (const a of this.#audio.values()) a.srcObject = null;
    this.#audio.clear();
    this.network.clear();
    this.session?.destroy();
    this.session = null;
    this.#els = {};
    this.#panelObjs = null;
    this.#panels.clear();
    closeMenu();
  }

  #onState() {
    const s = this.session;
    if (!s) return;
    if (s.terminal) {
      this.#showEnd(s.state, s);
      return;
    }
    const e = this.#els;
    e.root.dataset.state = s.state;
    this.#renderLobby();
    this.#renderOverlay();
    this.#renderControls();
    this.#renderTop();
    this.#renderParticipants();
  }

  #showEnd(state, s) {
    const info = END_SCREENS[state] ?? END_SCREENS.left;
    const topic = s?.topic ?? 'the meeting';
    let text = info.text ?? '';
    if (state === 'ended') text = s?.endedByMe ? 'You ended the meeting for everyone.' : END_TEXT[s?.endReason] ?? END_TEXT.ended;
    if (state === 'failed') text = s?.error?.message ?? 'The connection to the meeting was lost.';
    if (state === 'left') text = topic;
    this.#endInfo = { state, reason: s?.endReason ?? null, text };
    this.#teardownSession();
    this.phase = 'end';
    document.title = 'Parley';
    const signedIn = !!this.user;
    const card = h('div', { class: 'end-card', 'data-testid': 'meeting-end-screen', 'data-reason': state },
      h('div', { class: 'end-icon' }, iconEl(info.icon, { size: 28 })),
      h('h1', { class: 'end-title', 'data-testid': 'meeting-end-title' }, info.title),
      text ? h('p', { class: 'end-text', 'data-testid': 'meeting-end-text' }, text) : null,
      h('div', { class: 'end-actions' },
        info.rejoin ? h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'end-rejoin', onclick: () => this.#showPrejoin() },
          iconEl('logIn', { size: 17 }), h('span', {}, info.rejoin)) : null,
        h('button', { class: `btn ${info.rejoin ? 'btn-secondary' : 'btn-primary'}`, type: 'button', 'data-testid': 'end-home', onclick: () => this.#onExit?.() },
          h('span', {}, signedIn ? 'Back to home' : 'Go to Parley'))));
    this.#root.replaceChildren(h('section', { class: 'meeting-end', role: 'region', 'aria-label': 'Meeting' },
      h('div', { class: 'brand end-brand' }, h('img', { src: 'favicon.svg', alt: '', width: 30, height: 30 }), h('span', {}, 'Parley')),
      card));
  }

  get endInfo() {
    return this.#endInfo;
  }

  // ------------------------------------------------------------ building

  #renderSession() {
    const s = this.session;
    const e = this.#els;
    const self = this;

    // Top bar
    e.topic = h('span', { class: 'room-name', 'data-testid': 'meeting-topic' });
    e.duration = h('span', { class: 'duration', 'data-testid': 'meeting-duration' }, '00:00');
    e.code = h('span', { class: 'meeting-code', 'data-testid': 'meeting-code' }, this.meetingId);
    e.lockBadge = h('span', { class: 'lock-badge', 'data-testid': 'meeting-locked', title: 'Locked: nobody new can join', hidden: true }, iconEl('lock', { size: 13 }), h('span', {}, 'Locked'));
    e.note = h('span', { class: 'call-note', 'data-testid': 'meeting-note' });
    e.invite = h('button', { class: 'btn btn-small btn-secondary', type: 'button', 'data-testid': 'meeting-invite', onclick: () => this.#openInvite() },
      iconEl('userPlus', { size: 15 }), h('span', { class: 'hide-narrow' }, 'Invite'));
    e.roomChip = h('span', { class: 'room-chip', 'data-testid': 'meeting-room-chip', hidden: true });
    const top = h('header', { class: 'room-topbar meeting-topbar' },
      h('div', { class: 'room-title' },
        h('img', { src: 'favicon.svg', alt: '', width: 28, height: 28 }),
        h('div', { class: 'room-title-text' },
          e.topic,
          h('span', { class: 'call-meta' }, h('span', { class: 'live-dot' }), e.duration, h('span', { class: 'meta-sep' }, '·'), e.code, e.lockBadge, e.note))),
      h('div', { class: 'top-right' }, e.roomChip, e.invite));

    // Breakout banner
    e.bannerText = h('span', { class: 'bb-text', 'data-testid': 'breakout-room-name' });
    e.bannerCountdown = h('span', { class: 'bb-countdown', 'data-testid': 'breakout-countdown', hidden: true });
    e.bannerBroadcast = h('span', { class: 'bb-broadcast', 'data-testid': 'breakout-broadcast', hidden: true });
    e.bannerAction = h('button', { class: 'link-btn', type: 'button', hidden: true, onclick: () => this.togglePanel('breakouts', true) }, 'Manage');
    e.banner = h('div', { class: 'breakout-banner', 'data-testid': 'breakout-banner', hidden: true },
      h('span', { class: 'bb-icon' }, iconEl('rooms', { size: 16 })), e.bannerText, e.bannerCountdown, e.bannerBroadcast, e.bannerAction);

    // Stage
    e.spot = h('div', { class: 'stage-spot', 'data-testid': 'meeting-spotlight' });
    e.grid = h('div', { class: 'stage-grid', 'data-testid': 'meeting-grid' });
    e.strip = h('div', { class: 'stage-strip', 'data-testid': 'meeting-strip' });
    e.strip.addEventListener('scroll', () => this.#scheduleSubscriptions(), { passive: true });
    e.pageLabel = h('span', { 'data-testid': 'gallery-page' });
    e.prev = h('button', { class: 'icon-btn', type: 'button', 'data-testid': 'gallery-prev', 'aria-label': 'Previous page', onclick: () => this.setPage(this.page - 1) }, iconEl('chevronLeft', { size: 18 }));
    e.next = h('button', { class: 'icon-btn', type: 'button', 'data-testid': 'gallery-next', 'aria-label': 'Next page', onclick: () => this.setPage(this.page + 1) }, iconEl('chevronRight', { size: 18 }));
    e.pager = h('div', { class: 'pager', 'data-testid': 'gallery-pager', hidden: true }, e.prev, e.pageLabel, e.next);
    e.overlay = h('div', { class: 'room-overlay', 'data-testid': 'meeting-overlay', hidden: true });
    e.floating = h('div', { class: 'stage-reactions', 'aria-hidden': 'true' });
    e.stage = h('div', { class: 'meeting-stage', 'data-testid': 'meeting-stage' }, e.spot, e.grid, e.strip, e.pager, e.floating, e.overlay);

    // Side panels
    this.#panelObjs = {
      participants: new ParticipantsPanel(s, this),
      chat: new ChatPanel(s, this),
      breakouts: new BreakoutsPanel(s, this),
    };
    e.side = h('aside', { class: 'meeting-side', hidden: true },
      this.#panelObjs.participants.el, this.#panelObjs.chat.el, this.#panelObjs.breakouts.el);
    for (const p of Object.values(this.#panelObjs)) p.el.hidden = true;

    // Controls
    e.mic = barButton({ icon: 'mic', label: 'Mute', testid: 'meeting-mic', onclick: () => s.toggleMic() });
    e.cam = barButton({ icon: 'video', label: 'Stop video', testid: 'meeting-camera', onclick: () => s.toggleCamera() });
    e.share = barButton({ icon: 'screen', label: 'Share', testid: 'meeting-share', onclick: () => (s.sharing ? s.stopScreenShare() : s.startScreenShare()) });
    e.hand = barButton({ icon: 'hand', label: 'Raise', testid: 'meeting-hand', onclick: () => s.toggleHand() });
    e.react = barButton({ icon: 'smile', label: 'React', testid: 'meeting-reactions', onclick: () => this.#openReactions() });
    e.chatBtn = barButton({ icon: 'chat', label: 'Chat', testid: 'meeting-chat-btn', onclick: () => this.togglePanel('chat') });
    e.chatBadge = h('span', { class: 'btn-badge accent', 'data-testid': 'chat-unread', hidden: true });
    e.chatBtn.querySelector('.mbtn-icon').append(e.chatBadge);
    e.peopleBtn = barButton({ icon: 'users', label: 'People', testid: 'meeting-participants-btn', onclick: () => this.togglePanel('participants') });
    e.peopleBadge = h('span', { class: 'btn-badge', 'data-testid': 'participants-badge' });
    e.peopleBtn.querySelector('.mbtn-icon').append(e.peopleBadge);
    e.layoutBtn = barButton({ icon: 'grid', label: 'Layout', testid: 'meeting-layout-btn', onclick: () => this.#openLayout() });
    e.boBtn = barButton({ icon: 'rooms', label: 'Breakouts', testid: 'meeting-breakouts-btn', onclick: () => this.togglePanel('breakouts') });
    e.leave = h('button', { class: 'leave-btn', type: 'button', 'data-testid': 'meeting-leave', onclick: () => this.#onLeaveClick() },
      iconEl('hangup', { size: 20 }), h('span', { class: 'leave-label' }, 'Leave'));
    e.soundHint = h('button', { class: 'sound-hint room-sound-hint', type: 'button', hidden: true, onclick: () => this.#unblockAudio() },
      iconEl('volumeOff', { size: 16 }), h('span', {}, 'Click to turn on sound'));
    const caret = (kind, label) => h('button', {
      class: 'mbtn-caret', type: 'button', 'data-testid': `meeting-${kind}-devices`, 'aria-label': label, title: label,
      onclick: (ev) => { ev.stopPropagation(); this.#openDevices(kind, ev.currentTarget); },
    }, iconEl('chevronUp', { size: 12 }));
    const bar = h('footer', { class: 'meeting-bar' },
      h('div', { class: 'bar-group' },
        h('div', { class: 'mbtn-wrap' }, e.mic, caret('audio', 'Microphone and speaker')),
        h('div', { class: 'mbtn-wrap' }, e.cam, caret('video', 'Camera')),
        e.share),
      h('div', { class: 'bar-group' }, e.hand, e.react),
      h('div', { class: 'bar-group' }, e.chatBtn, e.peopleBtn, e.layoutBtn, e.boBtn),
      h('div', { class: 'bar-group bar-end' }, e.leave));

    e.waitingPopup = h('div', { class: 'waiting-popup', 'data-testid': 'waiting-popup', hidden: true, role: 'status' });
    e.lobby = h('div', { class: 'lobby', 'data-testid': 'meeting-waiting', hidden: true });
    e.audioBank = h('div', { class: 'audio-bank', hidden: true });

    e.root = h('section', { class: 'meeting room', 'data-testid': 'meeting', 'data-meeting-id': this.meetingId, role: 'region', 'aria-label': 'Meeting' },
      top, e.banner,
      h('div', { class: 'room-main meeting-main' }, e.stage, e.side),
      e.soundHint, e.waitingPopup,
      bar,
      e.lobby, e.audioBank);
    this.#root.replaceChildren(e.root);
    void self;
  }

  // ------------------------------------------------------------ panels

  togglePanel(name, open = !this.#panels.has(name)) {
    const e = this.#els;
    if (!this.#panelObjs) return;
    if (open) this.#panels.add(name);
    else this.#panels.delete(name);
    // Three panels at once is too many: the oldest gives way.
    if (this.#panels.size > 2) this.#panels.delete([...this.#panels].find((n) => n !== name));
    for (const [n, p] of Object.entries(this.#panelObjs)) p.el.hidden = !this.#panels.has(n);
    e.side.hidden = this.#panels.size === 0;
    e.side.dataset.count = String(this.#panels.size);
    if (name === 'chat' && open) {
      this.unread = 0;
      this.#panelObjs.chat.renderRecipients();
      this.#panelObjs.chat.render();
      this.#panelObjs.chat.focus();
    }
    if (name === 'participants' && open) this.#panelObjs.participants.render();
    if (name === 'breakouts' && open) this.#panelObjs.breakouts.render();
    this.#renderControls();
    this.#renderWaiting();
    this.#layout();
  }

  closePanel(name) {
    this.togglePanel(name, false);
  }

  openChatTo(participantId) {
    this.togglePanel('chat', true);
    this.#panelObjs.chat.setRecipient(participantId);
    this.#panelObjs.chat.focus();
  }

  get openPanels() {
    return [...this.#panels];
  }

  // ------------------------------------------------------------ rendering

  #renderTop() {
    const s = this.session;
    const e = this.#els;
    if (!s || !e.root) return;
    e.topic.textContent = s.topic;
    e.topic.title = s.topic;
    e.lockBadge.hidden = !s.locked;
    e.note.textContent = s.state === 'reconnecting' ? 'Reconnecting…' : '';
    e.root.classList.toggle('connected', s.state === 'joined' && s.room.state === 'joined');
    e.roomChip.hidden = !s.myRoom;
    e.roomChip.textContent = s.myRoom?.name ?? '';
  }

  #renderLobby() {
    const s = this.session;
    const e = this.#els;
    const waiting = s.state === 'waiting';
    e.lobby.hidden = !waiting;
    if (!waiting) {
      e.lobby.replaceChildren();
      return;
    }
    if (e.lobby.childElementCount) return;
    const video = h('video', { class: 'lobby-video mirror', autoplay: true, playsinline: true, props: { muted: true } });
    const track = s.room.localStream?.getVideoTracks()[0];
    if (track && !s.room.cameraOff) {
      video.srcObject = new MediaStream([track]);
      playSafely(video);
    }
    e.lobby.replaceChildren(
      h('div', { class: 'brand lobby-brand' }, h('img', { src: 'favicon.svg', alt: '', width: 30, height: 30 }), h('span', {}, 'Parley')),
      h('div', { class: 'lobby-card' },
      h('div', { class: `lobby-preview${video.srcObject ? ' has-video' : ''}` },
        h('div', { class: 'lobby-avatar' }, avatar({ display_name: s.displayName, username: s.displayName }, 84)), video),
      h('div', { class: 'lobby-text' },
        h('div', { class: 'lobby-pulse' }, h('span'), h('span'), h('span')),
        h('h1', {}, 'Waiting for the host to let you in'),
        h('p', { 'data-testid': 'lobby-topic' }, s.topic),
        h('p', { class: 'lobby-sub' }, `You are in the waiting room as ${s.displayName}.`),
        h('button', { class: 'btn btn-secondary', type: 'button', 'data-testid': 'lobby-leave', onclick: () => s.leave() }, 'Leave'))));
  }

  #renderOverlay() {
    const s = this.session;
    const e = this.#els;
    let card = null;
    if (s.state === 'connecting') {
      card = [h('div', { class: 'spinner' }), h('strong', {}, 'Joining the meeting…'), h('span', {}, s.topic)];
    } else if (s.state === 'reconnecting') {
      card = [h('div', { class: 'spinner' }), h('strong', {}, 'Reconnecting…'), h('span', {}, 'The connection dropped; getting you back in')];
    } else if (s.room.state === 'moving') {
      card = [h('div', { class: 'spinner' }), h('strong', {}, s.myRoom ? `Moving to ${s.myRoom.name}…` : 'Back to the main room…')];
    }
    e.overlay.hidden = !card;
    if (card) e.overlay.replaceChildren(h('div', { class: 'room-card', 'data-testid': 'meeting-overlay-card' }, ...card));
  }

  #renderControls() {
    const s = this.session;
    const e = this.#els;
    if (!s || !e.root) return;
    const live = s.state === 'joined' && s.room.state === 'joined';
    const inMeeting = s.state === 'joined';
    // Microphone
    const micOff = s.micMuted;
    e.mic.classList.toggle('off', micOff);
    e.mic.setAttribute('aria-pressed', String(micOff));
    setBar(e.mic, { icon: micOff ? 'micOff' : 'mic', label: micOff ? 'Unmute' : 'Mute', title: micOff ? 'Unmute (M)' : 'Mute (M)' });
    e.mic.disabled = !inMeeting || !s.room.canPublish;
    // Camera
    const camOff = s.cameraOff || !s.room.hasCamera;
    e.cam.classList.toggle('off', camOff);
    e.cam.setAttribute('aria-pressed', String(camOff));
    setBar(e.cam, { icon: camOff ? 'videoOff' : 'video', label: camOff ? 'Start video' : 'Stop video', title: !s.room.hasCamera ? 'No camera' : camOff ? 'Start video (V)' : 'Stop video (V)' });
    e.cam.disabled = !inMeeting || !s.room.hasCamera;
    // Screen
    e.share.hidden = !navigator.mediaDevices?.getDisplayMedia || !s.room.canPublish;
    e.share.classList.toggle('active', s.sharing);
    e.share.setAttribute('aria-pressed', String(s.sharing));
    setBar(e.share, { icon: s.sharing ? 'screenOff' : 'screen', label: s.sharing ? 'Stop share' : 'Share', title: s.sharing ? 'Stop presenting' : s.canShareScreen ? 'Share your screen' : 'Only the host can share the screen' });
    e.share.disabled = !live || (!s.sharing && !s.canShareScreen);
    // Hand
    e.hand.classList.toggle('active', s.handRaised);
    e.hand.setAttribute('aria-pressed', String(s.handRaised));
    setBar(e.hand, { label: s.handRaised ? 'Lower' : 'Raise', title: s.handRaised ? 'Lower your hand (H)' : 'Raise your hand (H)' });
    e.hand.disabled = !inMeeting;
    e.react.disabled = !inMeeting;
    // Panels
    e.chatBtn.classList.toggle('active', this.#panels.has('chat'));
    e.chatBadge.hidden = !this.unread;
    e.chatBadge.textContent = this.unread > 9 ? '9+' : String(this.unread);
    e.peopleBtn.classList.toggle('active', this.#panels.has('participants'));
    const waiting = s.isHost ? s.waiting.length : 0;
    e.peopleBadge.textContent = String(waiting || s.participants.size || 1);
    e.peopleBadge.classList.toggle('alert', waiting > 0);
    e.peopleBadge.title = waiting ? `${waiting} waiting` : '';
    e.layoutBtn.classList.toggle('active', false);
    setBar(e.layoutBtn, { icon: this.layout === 'speaker' ? 'speaker' : 'grid', label: this.layout === 'speaker' ? 'Speaker' : 'Gallery', title: 'Change the layout' });
    e.boBtn.hidden = !s.isHost;
    e.boBtn.classList.toggle('active', this.#panels.has('breakouts'));
    e.leave.querySelector('.leave-label').textContent = 'Leave';
    e.leave.title = s.isMainHost ? 'Leave or end the meeting' : 'Leave the meeting';
  }

  // Tiles for everyone in our media room.
  #renderParticipants() {
    const s = this.session;
    const e = this.#els;
    if (!s || !e.root) return;
    const members = s.state === 'joined' || s.state === 'reconnecting' ? s.roomMembers() : s.roomMembers().filter((p) => p.self);
    const speaker = members.length > 1 ? s.room.activeSpeaker : null;
    if (speaker && speaker !== s.participantId) this.#lastSpeaker = speaker;
    const keep = new Set();
    for (const p of members) {
      const key = p.self ? 'self' : p.participant_id;
      keep.add(key);
      let tile = this.#tiles.get(key);
      if (!tile) {
        tile = new Tile({ key, self: p.self, testid: 'meeting-tile', withAudio: false });
        tile.el.addEventListener('dblclick', () => this.#togglePin(key));
        this.#tiles.set(key, tile);
      }
      tile.update(p, { speaking: !!speaker && p.participant_id === speaker });
      tile.el.classList.toggle('pinned', this.pinned === key);
    }
    for (const [key, tile] of this.#tiles) {
      if (!tile.screen && !keep.has(key)) {
        tile.destroy();
        this.#tiles.delete(key);
      }
    }
    if (this.pinned && !this.#tiles.has(this.pinned)) this.pinned = null;
    this.#renderControls();
    this.#renderTop();
    this.#renderOverlay();
    if (this.#panelObjs) {
      if (this.#panels.has('participants')) this.#panelObjs.participants.render();
      if (this.#panels.has('breakouts')) this.#panelObjs.breakouts.render();
      this.#panelObjs.chat.renderRecipients();
    }
    this.#renderWaiting();
    this.#renderBanner();
    this.#renderMedia();
  }

  #renderMedia() {
    const s = this.session;
    const e = this.#els;
    if (!s || !e.root) return;
    const room = s.room;
    this.#tiles.get('self')?.setVideo(room.localStream?.getVideoTracks()[0] ?? null);
    for (const [key, tile] of this.#tiles) {
      if (tile.screen || tile.self) continue;
      tile.setVideo(room.remote.get(key)?.camera ?? null);
    }
    // Audio plays from elements that stay in the page whatever the layout.
    for (const [id, el] of this.#audio) {
      if (!room.remote.get(id)?.audio) {
        el.srcObject = null;
        el.remove();
        this.#audio.delete(id);
      }
    }
    for (const [id, slots] of room.remote) {
      if (!slots.audio) continue;
      let el = this.#audio.get(id);
      if (!el) {
        el = h('audio', { autoplay: true, 'data-participant-id': id });
        if (this.#output && el.setSinkId) el.setSinkId(this.#output).catch(() => {});
        e.audioBank.append(el);
        this.#audio.set(id, el);
      }
      if (el.srcObject?.getAudioTracks()[0] !== slots.audio) {
        el.srcObject = new MediaStream([slots.audio]);
        playSafely(el, () => this.#onAudioBlocked());
      }
    }
    // Shared screens: remote ones, then our own.
    const screens = new Map();
    for (const [id, slots] of room.remote) {
      if (slots.screen && room.participants.has(id)) screens.set(`screen:${id}`, { track: slots.screen, p: { ...room.participants.get(id), ...(s.participants.get(id) ?? {}) }, self: false });
    }
    if (room.screenTrack) screens.set('screen:self', { track: room.screenTrack, p: { ...room.me, display_name: s.displayName }, self: true });
    for (const [key, tile] of this.#tiles) {
      if (tile.screen && !screens.has(key)) {
        tile.destroy();
        this.#tiles.delete(key);
      }
    }
    for (const [key, { track, p, self: mine }] of screens) {
      let tile = this.#tiles.get(key);
      if (!tile) {
        tile = new Tile({ key, screen: true, self: mine, withAudio: false });
        this.#tiles.set(key, tile);
      }
      tile.update(p);
      tile.setVideo(track);
    }
    this.#layout();
  }

  // ------------------------------------------------------------ layout

  setLayout(layout) {
    this.layout = layout === 'speaker' ? 'speaker' : 'gallery';
    if (this.layout === 'gallery') this.pinned = null;
    this.#renderParticipants();
  }

  setPage(page) {
    this.page = Math.max(0, Math.min(page, this.pages - 1));
    this.#layout();
  }

  #togglePin(key) {
    if (this.pinned === key) {
      this.pinned = null;
    } else {
      this.pinned = key;
      this.layout = 'speaker';
    }
    this.#renderParticipants();
  }

  // Places the tiles: the shared screen large with everyone in a strip; the
  // active (or pinned) speaker large with the others in a strip; or everyone
  // in an even gallery, 25 to a page.
  #layout() {
    const s = this.session;
    const e = this.#els;
    if (!s || !e.root) return;
    const tiles = [...this.#tiles.values()];
    const screens = tiles.filter((t) => t.screen);
    const people = tiles.filter((t) => !t.screen).sort((a, b) => (a.self ? -1 : b.self ? 1 : 0));
    let spot = null;
    let strip = [];
    let mode = this.layout;
    if (screens.length) {
      mode = 'share';
      spot = screens.find((t) => !t.self) ?? screens[0];
      strip = [...people, ...screens.filter((t) => t !== spot)];
    } else if (mode === 'speaker' && people.length > 1) {
      const want = this.pinned ?? this.#lastSpeaker;
      spot = (want && this.#tiles.get(want)) || people.find((t) => !t.self) || people[0];
      strip = people.filter((t) => t !== spot);
    } else {
      mode = 'gallery';
    }
    this.mode = mode;
    e.stage.dataset.mode = mode;
    e.root.dataset.layout = mode;
    e.root.classList.toggle('has-screen', mode === 'share');

    const place = (container, list) => {
      const children = [...container.children];
      if (children.length !== list.length || list.some((t, i) => children[i] !== t.el)) container.replaceChildren(...list.map((t) => t.el));
    };
    const rect = e.stage.getBoundingClientRect();
    if (mode === 'gallery') {
      place(e.spot, []);
      place(e.strip, []);
      this.pages = Math.max(1, Math.ceil(people.length / PAGE_SIZE));
      this.page = Math.min(this.page, this.pages - 1);
      const pageTiles = people.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);
      place(e.grid, pageTiles);
      e.pager.hidden = this.pages <= 1;
      e.pageLabel.textContent = `${this.page + 1} / ${this.pages}`;
      e.prev.disabled = this.page === 0;
      e.next.disabled = this.page >= this.pages - 1;
      const H = rect.height - (this.pages > 1 ? 44 : 0);
      const n = pageTiles.length;
      const g = bestGrid(n, Math.max(0, rect.width), Math.max(0, H));
      const w = n === 1 ? Math.min(g.w, 1100) : g.w;
      const hh = n === 1 ? Math.round(w / TILE_ASPECT) : g.h;
      e.grid.style.setProperty('--tile-w', `${w}px`);
      e.grid.style.setProperty('--tile-h', `${hh}px`);
      e.grid.style.width = `${Math.min(rect.width, g.cols * w + (g.cols - 1) * GAP)}px`;
      e.grid.dataset.count = String(n);
      e.grid.dataset.cols = String(g.cols);
    } else {
      place(e.grid, []);
      e.pager.hidden = true;
      this.pages = 1;
      place(e.spot, [spot]);
      place(e.strip, strip);
      e.strip.dataset.count = String(strip.length);
    }
    for (const t of tiles) t.ensurePlaying();
    this.#scheduleSubscriptions();
  }

  // ------------------------------------------------------------ subscriptions

  #scheduleSubscriptions() {
    clearTimeout(this.#subTimer);
    this.#subTimer = setTimeout(() => this.#syncSubscriptions(), 150);
  }

  // Receive video only for tiles on screen, at the layer their size needs.
  #syncSubscriptions() {
    const s = this.session;
    if (!s || s.room.state !== 'joined') return;
    const room = s.room;
    const stripRect = this.#els.strip.getBoundingClientRect();
    for (const id of room.participants.keys()) {
      const tile = this.#tiles.get(id);
      let q = 'off';
      if (tile?.el.isConnected) {
        const r = tile.el.getBoundingClientRect();
        let visible = r.width > 0 && r.height > 0;
        if (visible && tile.el.parentElement === this.#els.strip) {
          visible = r.bottom > stripRect.top && r.top < stripRect.bottom && r.right > stripRect.left && r.left < stripRect.right;
        }
        if (visible) q = qualityForWidth(r.width);
      }
      // A presenter's screen must keep coming even when their camera is
      // off screen.
      if (q === 'off' && this.#tiles.get(`screen:${id}`)) q = 'low';
      const cur = room.qualities.get(id) ?? 'high';
      if (q === cur) continue;
      if (q === 'off') room.unsubscribe(id);
      else room.subscribe(id, q);
    }
  }

  get subscriptions() {
    const room = this.session?.room;
    if (!room) return {};
    return Object.fromEntries([...room.participants.keys()].map((id) => [id, room.qualities.get(id) ?? 'high']));
  }

  // ------------------------------------------------------------ network

  async #sampleNetwork() {
    const s = this.session;
    if (!s || s.room.state !== 'joined') return;
    let map;
    try { map = await s.room.sampleNetwork(); } catch { return; }
    if (s !== this.session) return;
    this.network = map;
    const me = s.participantId;
    for (const [key, tile] of this.#tiles) {
      if (tile.screen) continue;
      const n = map.get(tile.self ? me : key);
      const detail = n ? [
        `${(n.loss * 100).toFixed(1)}% loss`,
        `${Math.round(n.jitterMs)} ms jitter`,
        n.rttMs != null ? `${Math.round(n.rttMs)} ms round trip` : null,
        n.kbps != null ? `${Math.round(n.kbps)} kbps` : null,
      ].filter(Boolean).join(' · ') : '';
      tile.setNetwork(n ? n.bars : null, detail);
    }
  }

  // ------------------------------------------------------------ events

  #onChat(msg) {
    const s = this.session;
    const chat = this.#panelObjs?.chat;
    if (!chat) return;
    chat.render();
    if (!msg) return;
    const mine = msg.from != null && msg.from === s.participantId;
    if (!mine && !this.#panels.has('chat')) {
      this.unread += 1;
      const who = msg.from_name || s.nameOf(msg.from);
      const text = msg.text.length > 80 ? `${msg.text.slice(0, 80)}…` : msg.text;
      this.toast(`${who}${msg.to ? ' (privately)' : ''}: ${text}`, 'info');
      this.#renderControls();
    }
  }

  #onReaction({ participant_id: id, emoji }) {
    const key = id === this.session?.participantId ? 'self' : id;
    const tile = this.#tiles.get(key);
    if (tile?.el.isConnected) {
      tile.showReaction(emoji);
    } else {
      const name = this.session?.nameOf(id) ?? '';
      const bubble = h('div', { class: 'float-reaction', 'data-testid': 'floating-reaction' }, h('span', { class: 'fr-emoji' }, emoji), h('span', { class: 'fr-name' }, name));
      this.#els.floating.append(bubble);
      setTimeout(() => bubble.remove(), 4200);
    }
  }

  #onBroadcast(b) {
    this.toast(`Message from the host: ${b.text}`, 'info');
    this.#renderBanner();
  }

  #renderWaiting() {
    const s = this.session;
    const e = this.#els;
    if (!s || !e.root) return;
    this.#renderControls();
    if (this.#panels.has('participants')) this.#panelObjs.participants.render();
    const list = s.isHost && s.state === 'joined' ? s.waiting : [];
    const sig = list.map((w) => w.participant_id).join(',');
    const show = list.length > 0 && !this.#panels.has('participants') && sig !== this.#dismissedWaiting;
    e.waitingPopup.hidden = !show;
    if (!show) return;
    const first = list[0];
    e.waitingPopup.replaceChildren(
      h('div', { class: 'wp-head' }, iconEl('door', { size: 16 }),
        h('strong', {}, list.length === 1 ? `${participantName(first)} is waiting` : `${list.length} people are waiting`),
        h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Dismiss', onclick: () => { this.#dismissedWaiting = sig; this.#renderWaiting(); } }, iconEl('close', { size: 14 }))),
      h('div', { class: 'wp-actions' },
        h('button', { class: 'btn btn-ghost btn-small', type: 'button', 'data-testid': 'waiting-popup-view', onclick: () => this.togglePanel('participants', true) }, 'See waiting room'),
        h('button', {
          class: 'btn btn-primary btn-small', type: 'button', 'data-testid': 'waiting-popup-admit',
          onclick: () => (list.length === 1 ? s.admit(first.participant_id) : s.admitAll()),
        }, list.length === 1 ? 'Admit' : 'Admit all')));
  }

  #renderBreakouts() {
    if (!this.session || !this.#els.root) return;
    if (this.#panels.has('breakouts')) this.#panelObjs.breakouts.render();
    if (this.#panels.has('participants')) this.#panelObjs.participants.render();
    this.#renderBanner();
    this.#renderTop();
    this.#renderOverlay();
  }

  #renderBanner() {
    const s = this.session;
    const e = this.#els;
    if (!s || !e.root) return;
    const open = s.breakouts.open;
    const left = s.closingAt ? Math.max(0, Math.ceil((s.closingAt - Date.now()) / 1000)) : null;
    const recent = s.lastBroadcast && Date.now() - s.lastBroadcast.at < 60_000 && s.myRoom ? s.lastBroadcast : null;
    const show = !!s.myRoom || (open && s.isHost);
    e.banner.hidden = !show;
    if (!show) return;
    e.banner.dataset.roomId = s.myRoom?.room_id ?? '';
    if (s.myRoom) {
      e.bannerText.replaceChildren('You are in ', h('strong', {}, s.myRoom.name));
    } else {
      const n = s.breakouts.rooms.length;
      e.bannerText.replaceChildren('Breakout rooms are open', h('span', { class: 'muted' }, ` · ${n} room${n === 1 ? '' : 's'}`));
    }
    e.bannerCountdown.hidden = left == null;
    if (left != null) e.bannerCountdown.textContent = s.myRoom ? `Back to the main room in ${left} s` : `Rooms close in ${left} s`;
    e.bannerBroadcast.hidden = !recent;
    if (recent) e.bannerBroadcast.replaceChildren(iconEl('megaphone', { size: 14 }), h('span', {}, recent.text));
    e.bannerAction.hidden = !(s.isHost && !s.myRoom);
  }

  #tick() {
    const s = this.session;
    const e = this.#els;
    if (!s || !e.root) return;
    const secs = s.joinedAt ? (Date.now() - s.joinedAt) / 1000 : 0;
    e.duration.textContent = clock(secs);
    if (s.state === 'joined') document.title = `${s.topic} · ${clock(secs)} · Parley`;
    if (s.closingAt) {
      this.#renderBanner();
      this.#panelObjs?.breakouts.tick();
    }
  }

  // ------------------------------------------------------------ popovers

  #openReactions() {
    const s = this.session;
    const content = h('div', { class: 'reaction-row' },
      ...REACTIONS.map((emoji) => h('button', {
        class: 'reaction-btn', type: 'button', 'data-testid': 'reaction-btn', 'data-emoji': emoji, title: `React ${emoji}`,
        onclick: () => { closeMenu(); s.react(emoji); },
      }, emoji)),
      h('span', { class: 'reaction-sep' }),
      h('button', {
        class: `reaction-btn hand-btn${s.handRaised ? ' active' : ''}`, type: 'button', 'data-testid': 'reaction-hand', title: s.handRaised ? 'Lower hand' : 'Raise hand',
        onclick: () => { closeMenu(); s.toggleHand(); },
      }, iconEl('hand', { size: 18 })));
    openMenu(this.#els.react, { content, container: this.#els.root, testid: 'reactions-menu', placement: 'above', className: 'menu-reactions' });
  }

  #openLayout() {
    const sharing = this.mode === 'share';
    openMenu(this.#els.layoutBtn, {
      container: this.#els.root,
      placement: 'above',
      testid: 'layout-menu',
      items: [
        { label: 'Gallery', icon: 'grid', testid: 'layout-gallery', checked: this.layout === 'gallery', onclick: () => this.setLayout('gallery') },
        { label: 'Speaker', icon: 'speaker', testid: 'layout-speaker', checked: this.layout === 'speaker', onclick: () => this.setLayout('speaker') },
        sharing ? 'sep' : null,
        sharing ? { label: 'The shared screen stays large while someone presents', icon: 'info', disabled: true } : null,
      ],
    });
  }

  #onLeaveClick() {
    const s = this.session;
    if (!s) return;
    if (!s.isMainHost) {
      s.leave();
      return;
    }
    openMenu(this.#els.leave, {
      container: this.#els.root,
      placement: 'above',
      testid: 'leave-menu',
      className: 'menu-leave',
      items: [
        { label: 'End meeting for all', icon: 'hangup', testid: 'meeting-end-all', danger: true, onclick: () => s.endForAll() },
        { label: 'Leave meeting', icon: 'logout', testid: 'meeting-leave-only', onclick: () => s.leave() },
      ],
    });
  }

  // The devices of one kind, to switch to while in the meeting.
  async #openDevices(kind, anchor) {
    const s = this.session;
    if (!s || !navigator.mediaDevices?.enumerateDevices) return;
    let list = [];
    try { list = await navigator.mediaDevices.enumerateDevices(); } catch { return; }
    const track = kind === 'audio' ? s.room.localStream?.getAudioTracks()[0] : s.room.localStream?.getVideoTracks()[0];
    const current = track?.getSettings?.().deviceId ?? null;
    const inputs = list.filter((d) => d.kind === (kind === 'audio' ? 'audioinput' : 'videoinput') && d.deviceId);
    const items = [{ label: kind === 'audio' ? 'Microphone' : 'Camera', disabled: true }];
    if (!inputs.length) items.push({ label: 'None found', disabled: true });
    inputs.forEach((d, i) => items.push({
      label: d.label || `${kind === 'audio' ? 'Microphone' : 'Camera'} ${i + 1}`, icon: kind === 'audio' ? 'mic' : 'video',
      testid: 'device-item', checked: d.deviceId === current,
      onclick: () => this.#switchDevice(kind, d.deviceId),
    }));
    const outputs = list.filter((d) => d.kind === 'audiooutput' && d.deviceId);
    if (kind === 'audio' && outputs.length && 'setSinkId' in HTMLMediaElement.prototype) {
      items.push('sep', { label: 'Speaker', disabled: true });
      const cur = this.#output ?? 'default';
      outputs.forEach((d, i) => items.push({
        label: d.label || `Speaker ${i + 1}`, icon: 'volume', testid: 'output-item', checked: d.deviceId === cur,
        onclick: () => this.#setOutput(d.deviceId),
      }));
    }
    openMenu(anchor, { items, container: this.#els.root, placement: 'above', testid: 'device-menu', className: 'menu-devices' });
  }

  async #switchDevice(kind, deviceId) {
    const s = this.session;
    let track;
    try {
      const stream = await navigator.mediaDevices.getUserMedia(mediaConstraints(kind === 'audio' ? { audio: deviceId, video: false } : { audio: false, video: deviceId }));
      track = kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    } catch (err) {
      this.toast(`Could not switch the ${kind === 'audio' ? 'microphone' : 'camera'}: ${err?.message || err}`, 'error');
      return;
    }
    if (!track || s !== this.session) {
      track?.stop();
      return;
    }
    await s.room.replaceLocalTrack(kind, track);
    saveDevicePrefs({ [kind]: deviceId });
  }

  #setOutput(deviceId) {
    this.#output = deviceId;
    saveDevicePrefs({ output: deviceId });
    for (const el of this.#audio.values()) el.setSinkId?.(deviceId).catch(() => {});
  }

  #openInvite() {
    const s = this.session;
    const link = meetingLink(this.meetingId, this.password);
    const input = h('input', { class: 'invite-link', 'data-testid': 'invite-link', readonly: true, value: link });
    const copy = h('button', { class: 'btn btn-primary btn-small', type: 'button', 'data-testid': 'invite-copy', onclick: () => this.#copy(link, input, copy) },
      iconEl('copy', { size: 15 }), h('span', {}, 'Copy link'));
    const content = h('div', { class: 'invite' },
      h('div', { class: 'menu-title' }, 'Invite people'),
      h('p', { class: 'invite-sub' }, 'Anyone with this link can ask to join', s?.isHost && s.settings.waiting_room ? ' (they wait until you admit them)' : '', '.'),
      h('div', { class: 'invite-row' }, input, copy),
      h('div', { class: 'invite-code' }, h('span', {}, 'Meeting code'), h('strong', {}, this.meetingId)),
      this.password ? h('div', { class: 'invite-code' }, h('span', {}, 'Password'), h('strong', {}, this.password)) : null);
    openMenu(this.#els.invite, { content, container: this.#els.root, testid: 'invite-menu', className: 'menu-invite' });
    input.select();
  }

  async #copy(text, input, button) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      input.select();
      try { ok = document.execCommand('copy'); } catch { ok = false; }
    }
    const label = button.querySelector('span:last-child');
    label.textContent = ok ? 'Copied' : 'Select and copy';
    setTimeout(() => { label.textContent = 'Copy link'; }, 2000);
  }

  // ------------------------------------------------------------ misc

  #onAudioBlocked() {
    this.#audioBlocked = true;
    if (this.#els.soundHint) this.#els.soundHint.hidden = false;
  }

  #unblockAudio() {
    this.#audioBlocked = false;
    this.#els.soundHint.hidden = true;
    for (const el of this.#audio.values()) playSafely(el);
  }

  #onKey(e) {
    const s = this.session;
    if (!s || s.state !== 'joined') return;
    const t = e.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || t?.isContentEditable) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.body.classList.contains('in-overlay')) return; // a 1:1 call screen is on top
    if (e.key === 'm' || e.key === 'M') s.toggleMic();
    else if (e.key === 'v' || e.key === 'V') s.toggleCamera();
    else if (e.key === 'h' || e.key === 'H') s.toggleHand();
  }
}
