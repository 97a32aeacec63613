// The signed-in home: top bar, dialer and call history.

import { h, iconEl, avatar, toast } from '../ui.js';
import { listTime, fullTime, humanDuration } from '../format.js';
import { USERNAME_RE, peerName } from '../call.js';
import { ROOM_RE } from '../room.js';
import { randomId } from '../session.js';
import { parseMeetingInput, meetingLink } from '../meeting.js';
import { openMenu, confirmDialog } from './meeting-panels.js';

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
  #onOpenMeeting;
  #meetings = [];
  #meetingsLoading = false;

  constructor(root, { api, calls, signaling, user, onSignOut, onJoinRoom, onOpenMeeting }) {
    this.#root = root;
    this.#onJoinRoom = onJoinRoom;
    this.#onOpenMeeting = onOpenMeeting;
    this.#api = api;
    this.#calls = calls;
    this.#sig = signaling;
    this.#user = user;
    this.#render(onSignOut);
    this.#listen(signaling, 'status', () => this.#renderConnection());
    this.#listen(signaling, 'registered', () => { this.refreshHistory(); this.refreshMeetings(); });
    this.#listen(calls, 'ended', () => this.refreshHistory());
    this.#listen(calls, 'state', () => this.#renderDialerState());
    this.#listen(calls, 'elsewhere', () => this.#renderElsewhere());
    this.#listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'visible') {
        this.refreshHistory();
        this.refreshMeetings();
      }
    });
    this.#renderConnection();
    this.#renderElsewhere();
    this.refreshHistory();
    this.refreshMeetings();
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
      h('main', { class: 'home' }, h('div', { class: 'home-left' }, e.elsewhere, dialer, rooms),
        h('div', { class: 'home-right' }, this.#renderMeetingsCard(), history))));
    queueMicrotask(() => {
      if (!document.body.classList.contains('in-meeting')) e.callee.focus();
    });
  }

  // ------------------------------------------------------------ meetings

  #renderMeetingsCard() {
    const e = this.#els;
    e.codeInput = h('input', {
      'data-testid': 'meeting-code-input', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
      placeholder: 'Code or link', 'aria-label': 'Meeting code or link',
    });
    e.codeHint = h('div', { class: 'presence', 'data-testid': 'meeting-code-hint', 'aria-live': 'polite' });
    e.codeInput.addEventListener('input', () => {
      e.codeHint.textContent = '';
      e.codeHint.className = 'presence';
    });
    e.newMeeting = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'meeting-new', onclick: () => this.#newMeeting() },
      iconEl('zap', { size: 17 }), h('span', {}, 'New meeting'));
    e.schedule = h('button', { class: 'btn btn-secondary', type: 'button', 'data-testid': 'meeting-schedule', onclick: () => this.#openSchedule() },
      iconEl('calendar', { size: 17 }), h('span', {}, 'Schedule'));
    e.meetingList = h('ul', { class: 'meeting-list', 'data-testid': 'meeting-list', 'aria-label': 'Your meetings' });
    e.meetingEmpty = h('div', { class: 'meeting-empty', hidden: true },
      iconEl('calendar', { size: 18 }), h('span', {}, 'No meetings yet. Start one now, or schedule one and send the link.'));
    e.meetingsRefresh = h('button', { class: 'icon-btn', type: 'button', title: 'Refresh', 'aria-label': 'Refresh meetings', onclick: () => this.refreshMeetings() }, iconEl('refresh', { size: 16 }));
    return h('section', { class: 'card meetings', 'data-testid': 'meetings-card' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Meetings'), e.meetingsRefresh),
      h('p', { class: 'card-sub' }, 'Meetings have a link anyone can join, even without an account: with a password, a waiting room, chat and breakout rooms.'),
      h('div', { class: 'meet-actions' }, e.newMeeting, e.schedule,
        h('form', { class: 'join-code', onsubmit: (ev) => { ev.preventDefault(); this.#joinByCode(); } },
          h('div', { class: 'input-affix' }, h('span', { class: 'affix affix-icon' }, iconEl('hash', { size: 15 })), e.codeInput),
          h('button', { class: 'btn btn-secondary', type: 'submit', 'data-testid': 'meeting-code-join' }, 'Join'))),
      e.codeHint,
      e.meetingList, e.meetingEmpty);
  }

  #joinByCode() {
    const e = this.#els;
    const parsed = parseMeetingInput(e.codeInput.value);
    if (!parsed) {
      e.codeHint.textContent = e.codeInput.value.trim() ? 'That is not a meeting code (like abc-defg-hij) or a meeting link' : 'Enter a meeting code or paste a link';
      e.codeHint.className = 'presence presence-warn';
      e.codeInput.focus();
      return;
    }
    this.#onOpenMeeting?.(parsed.id, parsed.pwd);
  }

  async #newMeeting() {
    const btn = this.#els.newMeeting;
    if (btn.disabled) return;
    btn.disabled = true;
    btn.classList.add('loading');
    try {
      const m = await this.#api.createMeeting({});
      this.refreshMeetings();
      this.#onOpenMeeting?.(m.meeting_id, m.password || null);
    } catch (err) {
      toast(`Could not start a meeting: ${err.message || err}`, { kind: 'error' });
    } finally {
      btn.disabled = false;
      btn.classList.remove('loading');
    }
  }

  async refreshMeetings() {
    if (this.#meetingsLoading) return;
    this.#meetingsLoading = true;
    this.#els.meetingsRefresh?.classList.add('spinning');
    try {
      const res = await this.#api.meetings();
      this.#meetings = res?.meetings ?? [];
      this.#renderMeetings();
    } catch (err) {
      if (err.status !== 401 && err.status !== 404) console.warn('[parley] meetings', err);
    } finally {
      this.#meetingsLoading = false;
      this.#els.meetingsRefresh?.classList.remove('spinning');
    }
  }

  #renderMeetings() {
    const e = this.#els;
    e.meetingList.replaceChildren(...this.#meetings.map((m) => this.#meetingItem(m)));
    e.meetingEmpty.hidden = this.#meetings.length > 0;
  }

  #meetingItem(m) {
    const start = new Date((m.start_time ?? 0) * 1000);
    const end = new Date(((m.start_time ?? 0) + (m.duration ?? 60) * 60) * 1000);
    const now = Date.now();
    const live = (m.live?.participants ?? 0) > 0;
    const past = end.getTime() < now && !live;
    const link = meetingLink(m.meeting_id, m.password || null);
    const s = m.settings ?? {};
    const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
    const when = `${meetingDay(start)}, ${timeFmt.format(start)} – ${timeFmt.format(end)}`;
    const badges = [
      live ? h('span', { class: 'mbadge live', 'data-testid': 'meeting-live' }, h('span', { class: 'live-pip' }), `${m.live.participants} in meeting`) : null,
      m.live?.waiting ? h('span', { class: 'mbadge warn' }, `${m.live.waiting} waiting`) : null,
      m.password ? h('span', { class: 'mbadge', title: 'Password protected' }, iconEl('lock', { size: 11 }), 'Password') : null,
      s.waiting_room ? h('span', { class: 'mbadge', title: 'Waiting room' }, iconEl('door', { size: 11 }), 'Waiting room') : null,
      s.webinar ? h('span', { class: 'mbadge', title: 'Webinar' }, iconEl('megaphone', { size: 11 }), 'Webinar') : null,
    ];
    const copyBtn = h('button', { class: 'icon-btn', type: 'button', 'data-testid': 'meeting-copy-link', title: 'Copy invite link', 'aria-label': 'Copy invite link',
      onclick: () => this.#copyLink(link, copyBtn) }, iconEl('copy', { size: 16 }));
    const more = h('button', { class: 'icon-btn', type: 'button', 'data-testid': 'meeting-more', title: 'More', 'aria-label': 'More',
      onclick: () => openMenu(more, {
        container: document.body,
        testid: 'meeting-menu',
        items: [
          { label: 'Copy invite link', icon: 'link', testid: 'meeting-menu-copy', onclick: () => this.#copyLink(link, copyBtn) },
          { label: `Host key: ${m.host_key ?? '—'}`, icon: 'crown', disabled: true },
          'sep',
          { label: 'Delete meeting', icon: 'trash', danger: true, testid: 'meeting-delete', onclick: () => this.#deleteMeeting(m) },
        ],
      }) }, iconEl('more', { size: 16 }));
    return h('li', {
      class: `meeting-item${live ? ' is-live' : ''}${past ? ' is-past' : ''}`,
      'data-testid': 'meeting-item',
      'data-meeting-id': m.meeting_id,
      'data-join-url': link,
      'data-topic': m.topic ?? '',
    },
    h('div', { class: 'mi-date', 'aria-hidden': 'true' },
      h('span', { class: 'mi-month' }, new Intl.DateTimeFormat(undefined, { month: 'short' }).format(start)),
      h('span', { class: 'mi-day' }, String(start.getDate()))),
    h('div', { class: 'mi-main' },
      h('div', { class: 'mi-topic', title: m.topic }, m.topic || 'Meeting'),
      h('div', { class: 'mi-sub' }, h('span', {}, when), h('span', { class: 'meta-sep' }, '·'), h('span', { class: 'mi-code', 'data-testid': 'meeting-item-code' }, m.meeting_id)),
      h('div', { class: 'mi-badges' }, badges)),
    h('div', { class: 'mi-actions' }, copyBtn, more,
      h('button', { class: `btn btn-small ${live || !past ? 'btn-primary' : 'btn-secondary'}`, type: 'button', 'data-testid': 'meeting-start',
        onclick: () => this.#onOpenMeeting?.(m.meeting_id, m.password || null) }, live ? 'Join' : 'Start')));
  }

  async #copyLink(link, button) {
    try {
      await navigator.clipboard.writeText(link);
      toast('Invite link copied', { kind: 'success' });
      button?.classList.add('done');
      setTimeout(() => button?.classList.remove('done'), 1500);
    } catch {
      window.prompt('Copy the invite link:', link);
    }
  }

  async #deleteMeeting(m) {
    const ok = await confirmDialog(document.body, { title: `Delete “${m.topic || m.meeting_id}”?`, text: 'The link stops working. Anyone in the meeting is disconnected.', ok: 'Delete', danger: true });
    if (!ok) return;
    try {
      await this.#api.deleteMeeting(m.meeting_id);
      toast('Meeting deleted', { kind: 'success' });
    } catch (err) {
      toast(`Could not delete the meeting: ${err.message || err}`, { kind: 'error' });
    }
    this.refreshMeetings();
  }

  #openSchedule() {
    const user = this.#user;
    const pad = (n) => String(n).padStart(2, '0');
    const start = new Date(Math.ceil((Date.now() + 5 * 60_000) / 1_800_000) * 1_800_000);
    const local = `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}T${pad(start.getHours())}:${pad(start.getMinutes())}`;
    const topic = h('input', { id: 'sch-topic', 'data-testid': 'schedule-topic', maxlength: 200, placeholder: `${user.display_name || user.username}'s meeting` });
    const when = h('input', { id: 'sch-start', 'data-testid': 'schedule-start', type: 'datetime-local', value: local, required: true });
    const duration = h('select', { id: 'sch-duration', class: 'select', 'data-testid': 'schedule-duration' },
      ...[15, 30, 45, 60, 90, 120, 180, 240].map((n) => h('option', { value: String(n), props: { selected: n === 60 } }, n < 60 ? `${n} min` : `${Math.floor(n / 60)} h${n % 60 ? ` ${n % 60} min` : ''}`)));
    const password = h('input', { id: 'sch-password', 'data-testid': 'schedule-password', maxlength: 64, autocomplete: 'off', placeholder: 'None' });
    const gen = h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => { password.value = randomId(8); } }, 'Generate');
    const check = (testid, label, hint, checked = false) => {
      const input = h('input', { type: 'checkbox', class: 'switch-input', 'data-testid': testid, props: { checked } });
      return [input, h('label', { class: 'switch-row' }, h('span', { class: 'switch-text' }, h('span', {}, label), h('small', {}, hint)), input, h('span', { class: 'switch', 'aria-hidden': 'true' }))];
    };
    const [waiting, waitingRow] = check('schedule-waiting-room', 'Waiting room', 'You admit each participant');
    const [mute, muteRow] = check('schedule-mute-on-entry', 'Mute on entry', 'Participants join with the microphone off');
    const [share, shareRow] = check('schedule-screen-share', 'Participants can share their screen', 'Otherwise only hosts can', true);
    const [video, videoRow] = check('schedule-video', 'Participants start with video on', 'They can turn it on later either way', true);
    const [webinar, webinarRow] = check('schedule-webinar', 'Webinar', 'Only hosts and panelists are seen and heard');
    const error = h('div', { class: 'form-error', 'data-testid': 'schedule-error', hidden: true });
    const submit = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'schedule-submit' }, 'Schedule');
    const close = () => {
      document.removeEventListener('keydown', onKey, true);
      scrim.remove();
    };
    const onKey = (ev) => { if (ev.key === 'Escape') close(); };
    const form = h('form', {
      class: 'dialog schedule-dialog', 'data-testid': 'schedule-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Schedule a meeting', novalidate: true,
      onsubmit: async (ev) => {
        ev.preventDefault();
        const startTime = Math.floor(new Date(when.value).getTime() / 1000);
        if (!Number.isFinite(startTime)) {
          error.hidden = false;
          error.textContent = 'Choose when the meeting starts.';
          return;
        }
        const req = {
          start_time: startTime,
          duration: Number(duration.value),
          settings: {
            video: video.checked, audio: true, screen_share: share.checked, waiting_room: waiting.checked,
            mute_on_entry: mute.checked, webinar: webinar.checked,
          },
        };
        if (topic.value.trim()) req.topic = topic.value.trim();
        if (password.value) req.password = password.value;
        submit.disabled = true;
        submit.classList.add('loading');
        error.hidden = true;
        try {
          const m = await this.#api.createMeeting(req);
          close();
          toast(`Scheduled “${m.topic}”`, { kind: 'success' });
          await this.refreshMeetings();
          this.#els.meetingList.querySelector(`[data-meeting-id="${m.meeting_id}"]`)?.classList.add('fresh');
        } catch (err) {
          error.hidden = false;
          error.textContent = err.message || String(err);
        } finally {
          submit.disabled = false;
          submit.classList.remove('loading');
        }
      },
    },
    h('h2', { class: 'dialog-title' }, 'Schedule a meeting'),
    h('label', { class: 'field', for: 'sch-topic' }, h('span', { class: 'field-label' }, 'Topic'), topic),
    h('div', { class: 'field-row' },
      h('label', { class: 'field', for: 'sch-start' }, h('span', { class: 'field-label' }, 'Starts'), when),
      h('label', { class: 'field', for: 'sch-duration' }, h('span', { class: 'field-label' }, 'Duration'), duration)),
    h('label', { class: 'field', for: 'sch-password' }, h('span', { class: 'field-label' }, 'Password'),
      h('div', { class: 'input-with-btn' }, password, gen), h('span', { class: 'field-hint' }, 'Optional. It travels in the invite link.')),
    h('div', { class: 'switch-list' }, waitingRow, muteRow, shareRow, videoRow, webinarRow),
    error,
    h('div', { class: 'dialog-actions' },
      h('button', { class: 'btn btn-ghost', type: 'button', 'data-testid': 'schedule-cancel', onclick: () => close() }, 'Cancel'),
      submit));
    const scrim = h('div', { class: 'dialog-scrim', onclick: (ev) => { if (ev.target === scrim) close(); } }, form);
    document.addEventListener('keydown', onKey, true);
    document.body.append(scrim);
    topic.focus();
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

// "Today", "Tomorrow", "Yesterday" or "Tue, Nov 3".
function meetingDay(d) {
  const day = new Date(d);
  day.setHours(0, 0, 0, 0);
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  const diff = Math.round((day - today) / 86400000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Tomorrow';
  if (diff === -1) return 'Yesterday';
  return new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' }).format(d);
}

function lastSeen(unix) {
  if (!unix) return 'offline';
  const secs = Date.now() / 1000 - unix;
  if (secs < 60) return 'seen just now';
  if (secs < 3600) return `seen ${Math.floor(secs / 60)} min ago`;
  if (secs < 86400) return `seen ${Math.floor(secs / 3600)} h ago`;
  return `seen ${listTime(unix)}`;
}
