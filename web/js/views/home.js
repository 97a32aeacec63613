// The signed-in home: top bar, dialer and call history.

import { h, iconEl, avatar } from '../ui.js';
import { listTime, fullTime, humanDuration } from '../format.js';
import { USERNAME_RE, peerName } from '../call.js';
import { ROOM_RE } from '../room.js';
import { randomId } from '../session.js';

const STATUS_LABEL = {
  completed: 'Completed',
  missed: 'Missed',
  declined: 'Declined',
  cancelled: 'Cancelled',
  no_answer: 'No answer',
  busy: 'Busy',
  failed: 'Failed',
};

const CONNECTION_LABEL = {
  online: 'Online',
  connecting: 'Connecting…',
  offline: 'Reconnecting…',
  replaced: 'Paused',
  closed: 'Offline',
};

export class HomeView {
  #root;
  #api;
  #calls;
  #sig;
  #user;
  #els = {};
  #history = [];
  #nextBefore = null;
  #loading = false;
  #lookupTimer = null;
  #lookupSeq = 0;
  #cleanups = [];

  #onJoinRoom;

  constructor(root, { api, calls, signaling, user, onSignOut, onJoinRoom }) {
    this.#root = root;
    this.#onJoinRoom = onJoinRoom;
    this.#api = api;
    this.#calls = calls;
    this.#sig = signaling;
    this.#user = user;
    this.#render(onSignOut);
    this.#listen(signaling, 'status', () => this.#renderConnection());
    this.#listen(signaling, 'registered', () => this.refreshHistory());
    this.#listen(calls, 'ended', () => this.refreshHistory());
    this.#listen(calls, 'state', () => this.#renderDialerState());
    this.#listen(calls, 'elsewhere', () => this.#renderElsewhere());
    this.#listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'visible') this.refreshHistory();
    });
    this.#renderConnection();
    this.#renderElsewhere();
    this.refreshHistory();
  }

  destroy() {
    for (const fn of this.#cleanups) fn();
    clearTimeout(this.#lookupTimer);
  }

  setUser(user) {
    this.#user = user;
    this.#els.meName.textContent = user.display_name || user.username;
    this.#els.meAvatar.replaceWith((this.#els.meAvatar = avatar(user, 34)));
  }

  #listen(target, type, fn) {
    target.addEventListener(type, fn);
    this.#cleanups.push(() => target.removeEventListener(type, fn));
  }

  #render(onSignOut) {
    const e = this.#els;
    const user = this.#user;

    e.conn = h('div', { class: 'conn', 'data-testid': 'connection-status', title: 'Connection to the server' },
      h('span', { class: 'conn-dot' }), e.connText = h('span', { class: 'conn-text' }));
    e.connRetry = h('button', { class: 'link-btn', type: 'button', hidden: true, onclick: () => this.#sig.reconnectNow() }, 'Use this tab');
    e.meAvatar = avatar(user, 34);
    e.meName = h('span', { class: 'me-name' }, user.display_name || user.username);
    const topbar = h('header', { class: 'topbar' },
      h('div', { class: 'brand' }, h('img', { src: 'favicon.svg', alt: '', width: 30, height: 30 }), h('span', {}, 'Parley')),
      h('div', { class: 'topbar-mid' }, e.conn, e.connRetry),
      h('div', { class: 'me' },
        e.meAvatar,
        h('div', { class: 'me-text' }, e.meName, h('span', { class: 'me-handle', 'data-testid': 'me-username' }, `@${user.username}`)),
        h('button', { class: 'icon-btn', type: 'button', title: 'Sign out', 'aria-label': 'Sign out', 'data-testid': 'signout', onclick: onSignOut }, iconEl('logout', { size: 18 }))));

    // Dialer
    e.callee = h('input', {
      'data-testid': 'callee-input', id: 'callee', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
      placeholder: 'username', maxlength: 33, 'aria-label': 'Username to call',
    });
    e.presence = h('div', { class: 'presence', 'data-testid': 'callee-presence', 'aria-live': 'polite' });
    e.callVoice = h('button', { class: 'btn btn-secondary', type: 'button', 'data-testid': 'call-voice', onclick: () => this.#dial('voice') },
      iconEl('phone', { size: 18 }), h('span', {}, 'Voice'));
    e.callVideo = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'call-video' },
      iconEl('video', { size: 18 }), h('span', {}, 'Video'));
    e.callee.addEventListener('input', () => this.#onCalleeInput());
    const dialer = h('section', { class: 'card dialer' },
      h('h1', { class: 'card-title' }, 'Start a call'),
      h('p', { class: 'card-sub' }, 'Call anyone on this server by their username. Every device they are signed in on will ring.'),
      h('form', { class: 'dial-form', onsubmit: (ev) => { ev.preventDefault(); this.#dial('video'); } },
        h('div', { class: 'input-affix input-lg' }, h('span', { class: 'affix' }, '@'), e.callee),
        e.presence,
        h('div', { class: 'dial-actions' }, e.callVoice, e.callVideo)),
      h('div', { class: 'device-note' }, iconEl('server', { size: 14 }),
        h('span', {}, `This tab is its own device: ${this.#sig.deviceName}`)));

    // Group rooms
    e.roomInput = h('input', {
      'data-testid': 'room-input', id: 'room-name', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
      placeholder: 'team-standup', maxlength: 64, 'aria-label': 'Room name',
    });
    e.roomHint = h('div', { class: 'presence', 'data-testid': 'room-hint', 'aria-live': 'polite' });
    e.roomInput.addEventListener('input', () => {
      e.roomInput.value = e.roomInput.value.replace(/\s+/g, '-');
      e.roomHint.textContent = '';
      e.roomHint.className = 'presence';
    });
    const rooms = h('section', { class: 'card rooms' },
      h('h2', { class: 'card-title' }, 'Meet in a room'),
      h('p', { class: 'card-sub' }, 'Group video through this server. Everyone who opens the same room name joins the same meeting.'),
      h('form', { class: 'dial-form', onsubmit: (ev) => { ev.preventDefault(); this.#joinRoom(); } },
        h('div', { class: 'room-join' },
          h('div', { class: 'input-affix' }, h('span', { class: 'affix' }, '#'), e.roomInput),
          h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'join-room' }, iconEl('users', { size: 18 }), h('span', {}, 'Join'))),
        e.roomHint,
        h('button', {
          class: 'link-btn', type: 'button', 'data-testid': 'new-room',
          onclick: () => {
            e.roomInput.value = `room-${randomId(6)}`;
            this.#joinRoom();
          },
        }, 'Start a new room with a random name')));

    e.elsewhere = h('div', { class: 'banner', hidden: true, 'data-testid': 'elsewhere-banner' });

    // History
    e.list = h('ul', { class: 'history-list', 'data-testid': 'history-list', 'aria-label': 'Recent calls' });
    e.empty = h('div', { class: 'history-empty', hidden: true },
      h('div', { class: 'empty-icon' }, iconEl('clock', { size: 28 })),
      h('strong', {}, 'No calls yet'),
      h('span', {}, 'Calls you make and receive show up here. Click one to call back.'));
    e.more = h('button', { class: 'btn btn-ghost btn-block', type: 'button', hidden: true, onclick: () => this.#loadMore() }, 'Show older calls');
    e.refresh = h('button', { class: 'icon-btn', type: 'button', title: 'Refresh', 'aria-label': 'Refresh call history', onclick: () => this.refreshHistory() }, iconEl('refresh', { size: 16 }));
    const history = h('section', { class: 'card history' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Recent calls'), e.refresh),
      e.list, e.empty, e.more);

    this.#root.replaceChildren(h('div', { class: 'shell' }, topbar,
      h('main', { class: 'home' }, h('div', { class: 'home-left' }, e.elsewhere, dialer, rooms), history)));
    queueMicrotask(() => e.callee.focus());
  }

  #joinRoom() {
    const input = this.#els.roomInput;
    const hint = this.#els.roomHint;
    const name = input.value.trim().replace(/^#/, '');
    if (!ROOM_RE.test(name)) {
      input.focus();
      hint.textContent = name ? 'Room names use A–Z, a–z, 0–9, _ . : - (up to 64)' : 'Type a room name first';
      hint.className = 'presence presence-warn';
      return;
    }
    this.#onJoinRoom?.(name);
  }

  #dial(type) {
    const name = this.#els.callee.value.trim().replace(/^@/, '').toLowerCase();
    if (!name) {
      this.#els.callee.focus();
      this.#els.presence.textContent = 'Type a username first';
      this.#els.presence.className = 'presence presence-warn';
      return;
    }
    this.#calls.startCall(name, type);
  }

  #onCalleeInput() {
    const input = this.#els.callee;
    const v = input.value.toLowerCase().replace(/\s+/g, '');
    if (v !== input.value) input.value = v;
    const name = v.replace(/^@/, '');
    const presence = this.#els.presence;
    clearTimeout(this.#lookupTimer);
    const seq = ++this.#lookupSeq;
    presence.textContent = '';
    presence.className = 'presence';
    if (!name) return;
    if (!USERNAME_RE.test(name)) {
      if (name.length >= 3) {
        presence.textContent = 'Usernames use a–z, 0–9, _ . -';
        presence.className = 'presence presence-warn';
      }
      return;
    }
    if (name === this.#user.username) {
      presence.textContent = "That's you";
      presence.className = 'presence presence-warn';
      return;
    }
    this.#lookupTimer = setTimeout(async () => {
      try {
        const u = await this.#api.user(name);
        if (seq !== this.#lookupSeq) return;
        presence.replaceChildren(h('span', { class: `pdot ${u.online ? 'on' : ''}` }),
          h('span', {}, `${u.display_name || u.username} · ${u.online ? 'online' : lastSeen(u.last_seen)}`));
        presence.className = 'presence presence-ok';
      } catch (err) {
        if (seq !== this.#lookupSeq) return;
        if (err.status === 404) {
          presence.textContent = 'No user with that name';
          presence.className = 'presence presence-warn';
        }
      }
    }, 350);
  }

  #renderDialerState() {
    const busy = this.#calls.state !== 'idle';
    this.#els.callVoice.disabled = busy;
    this.#els.callVideo.disabled = busy;
  }

  #renderConnection() {
    const st = this.#sig.status;
    this.#els.conn.dataset.state = st;
    this.#els.connText.textContent = st === 'replaced' ? 'Open in another window' : CONNECTION_LABEL[st] ?? st;
    this.#els.connRetry.hidden = st !== 'replaced';
  }

  #renderElsewhere() {
    const info = this.#calls.elsewhere;
    const el = this.#els.elsewhere;
    el.hidden = !info;
    if (!info) {
      el.replaceChildren();
      return;
    }
    el.replaceChildren(
      h('span', { class: 'banner-pulse' }),
      h('div', { class: 'banner-text' },
        h('strong', {}, `In a call with ${peerName(info.peer)}`),
        h('span', {}, 'on your other device')),
      h('button', {
        class: 'btn btn-small btn-secondary', type: 'button', 'data-testid': 'handoff', disabled: info.moving ? true : null,
        onclick: () => this.#calls.moveCallHere(),
      }, iconEl('move', { size: 16 }), h('span', {}, info.moving ? 'Moving…' : 'Move call here')));
  }

  async refreshHistory() {
    if (this.#loading) {
      this.#refreshAgain = true;
      return;
    }
    this.#loading = true;
    this.#els.refresh.classList.add('spinning');
    try {
      const res = await this.#api.calls({ limit: 50 });
      this.#history = res?.calls ?? [];
      this.#nextBefore = res?.next_before ?? null;
      this.#renderHistory();
    } catch (e) {
      if (e.status !== 401) console.warn('[parley] history', e);
    } finally {
      this.#loading = false;
      this.#els.refresh.classList.remove('spinning');
      if (this.#refreshAgain) {
        this.#refreshAgain = false;
        this.refreshHistory();
      }
    }
  }

  #refreshAgain = false;

  async #loadMore() {
    if (this.#loading || this.#nextBefore == null) return;
    this.#loading = true;
    try {
      const res = await this.#api.calls({ limit: 50, before: this.#nextBefore });
      const seen = new Set(this.#history.map((c) => c.call_id));
      this.#history.push(...(res?.calls ?? []).filter((c) => !seen.has(c.call_id)));
      this.#nextBefore = res?.next_before ?? null;
      this.#renderHistory();
    } catch (e) {
      console.warn('[parley] history', e);
    } finally {
      this.#loading = false;
    }
  }

  #renderHistory() {
    const { list, empty, more } = this.#els;
    list.replaceChildren(...this.#history.map((c) => this.#historyItem(c)));
    empty.hidden = this.#history.length > 0;
    more.hidden = this.#nextBefore == null;
  }

  #historyItem(c) {
    const peer = c.peer ?? { username: '?' };
    const missed = c.status === 'missed';
    const outgoing = c.direction === 'outgoing';
    const dirIcon = missed ? 'missed' : outgoing ? 'outgoing' : 'incoming';
    const typeLabel = c.call_type === 'voice' ? 'Voice' : 'Video';
    const statusLabel = STATUS_LABEL[c.status] ?? c.status;
    const dur = Number(c.duration_seconds) || 0;
    const bad = ['missed', 'declined', 'no_answer', 'busy', 'failed'].includes(c.status);
    const sub = [outgoing ? 'Outgoing' : 'Incoming', typeLabel];
    if (c.status !== 'completed') sub.push(statusLabel);
    const btn = h('button', {
      type: 'button',
      class: `history-item status-${c.status}${missed ? ' missed' : ''}`,
      'data-testid': 'history-item',
      'data-call-id': c.call_id,
      'data-status': c.status,
      'data-duration': String(dur),
      'data-direction': c.direction,
      'data-call-type': c.call_type,
      'data-peer': peer.username,
      title: `${fullTime(c.initiated_at)} — click to call ${peerName(peer)} back (${typeLabel.toLowerCase()})`,
      onclick: () => this.#callBack(peer, c.call_type),
    },
    h('div', { class: 'hi-avatar' }, avatar(peer, 42), h('span', { class: `hi-dir ${bad ? 'bad' : outgoing ? 'out' : 'in'}`, html: '' }, iconEl(outgoing ? 'arrowOut' : 'arrowIn', { size: 12 }))),
    h('div', { class: 'hi-main' },
      h('div', { class: 'hi-name' }, peerName(peer)),
      h('div', { class: `hi-sub ${bad ? 'bad' : ''}` }, iconEl(dirIcon, { size: 13 }), h('span', { 'data-testid': 'history-status' }, sub.join(' · ')))),
    h('div', { class: 'hi-meta' },
      h('div', { class: 'hi-time' }, listTime(c.initiated_at)),
      h('div', { class: 'hi-dur' }, c.status === 'completed' ? humanDuration(dur) : '')),
    h('span', { class: 'hi-action', 'aria-hidden': 'true' }, iconEl(c.call_type === 'voice' ? 'phone' : 'video', { size: 16 })));
    return h('li', {}, btn);
  }

  #callBack(peer, type) {
    if (this.#calls.state !== 'idle' || !peer?.username) return;
    this.#els.callee.value = peer.username;
    this.#calls.startCall(peer.username, type === 'voice' ? 'voice' : 'video');
  }
}

function lastSeen(unix) {
  if (!unix) return 'offline';
  const secs = Date.now() / 1000 - unix;
  if (secs < 60) return 'seen just now';
  if (secs < 3600) return `seen ${Math.floor(secs / 60)} min ago`;
  if (secs < 86400) return `seen ${Math.floor(secs / 3600)} h ago`;
  return `seen ${listTime(unix)}`;
}
