// The meeting's side panels (participants, chat, breakout rooms) and the
// small menu and confirmation helpers they share with the meeting view.

import { h, iconEl, avatar } from '../ui.js';
import { participantName } from '../room.js';
import { roleLabel } from '../meeting.js';

// ------------------------------------------------------------------ menus

let openMenuState = null; // {el, close}

export function closeMenu() {
  openMenuState?.close();
}

// A popover menu under (or above) `anchor`, inside `container` (position:
// fixed root). items: [{label, icon, testid, danger, checked, onclick}],
// null (skipped) or 'sep'; or pass `content` (an element) instead.
export function openMenu(anchor, { items = null, content = null, container, placement = 'auto', className = '', testid = 'menu' }) {
  const wasOpen = openMenuState?.anchor === anchor;
  closeMenu();
  if (wasOpen) return null; // a second click on the anchor closes it
  const el = h('div', { class: `menu ${className}`.trim(), role: 'menu', 'data-testid': testid });
  if (content) el.append(content);
  for (const it of items ?? []) {
    if (!it) continue;
    if (it === 'sep') {
      el.append(h('div', { class: 'menu-sep', role: 'separator' }));
      continue;
    }
    el.append(h('button', {
      class: `menu-item${it.danger ? ' danger' : ''}${it.checked ? ' checked' : ''}`,
      type: 'button', role: 'menuitem', 'data-testid': it.testid, disabled: it.disabled || null,
      onclick: (ev) => {
        ev.stopPropagation();
        close();
        it.onclick?.();
      },
    },
    it.icon ? iconEl(it.icon, { size: 16 }) : h('span', { class: 'menu-icon-space' }),
    h('span', { class: 'menu-label' }, it.label),
    it.checked ? iconEl('check', { size: 15 }) : null));
  }
  container.append(el);
  // Place it next to the anchor, inside the viewport.
  const a = anchor.getBoundingClientRect();
  const m = el.getBoundingClientRect();
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const above = placement === 'above' || (placement === 'auto' && a.bottom + m.height + 8 > vh && a.top - m.height - 8 > 0);
  const top = above ? a.top - m.height - 8 : a.bottom + 8;
  let left = a.left + a.width / 2 - m.width / 2;
  left = Math.max(8, Math.min(left, vw - m.width - 8));
  el.style.top = `${Math.max(8, Math.min(top, vh - m.height - 8))}px`;
  el.style.left = `${left}px`;
  anchor.setAttribute('aria-expanded', 'true');
  const onDoc = (ev) => {
    if (!el.contains(ev.target) && !anchor.contains(ev.target)) close();
  };
  const onKey = (ev) => {
    if (ev.key === 'Escape') close();
  };
  setTimeout(() => {
    document.addEventListener('pointerdown', onDoc, true);
    document.addEventListener('keydown', onKey, true);
  });
  function close() {
    if (openMenuState?.el !== el) return;
    openMenuState = null;
    document.removeEventListener('pointerdown', onDoc, true);
    document.removeEventListener('keydown', onKey, true);
    anchor.setAttribute('aria-expanded', 'false');
    el.remove();
  }
  openMenuState = { el, anchor, close };
  return el;
}

// A modal question; resolves true (OK) or false. `extra` is an element
// shown under the text (e.g. a checkbox).
export function confirmDialog(container, { title, text, ok = 'OK', cancel = 'Cancel', danger = false, extra = null }) {
  return new Promise((resolve) => {
    const done = (v) => {
      document.removeEventListener('keydown', onKey, true);
      scrim.remove();
      resolve(v);
    };
    const onKey = (ev) => {
      if (ev.key === 'Escape') done(false);
    };
    const okBtn = h('button', { class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, type: 'button', 'data-testid': 'confirm-ok', onclick: () => done(true) }, ok);
    const scrim = h('div', { class: 'dialog-scrim', onclick: (ev) => { if (ev.target === scrim) done(false); } },
      h('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': title, 'data-testid': 'confirm-dialog' },
        h('h2', { class: 'dialog-title' }, title),
        text ? h('p', { class: 'dialog-text' }, text) : null,
        extra,
        h('div', { class: 'dialog-actions' },
          h('button', { class: 'btn btn-ghost', type: 'button', 'data-testid': 'confirm-cancel', onclick: () => done(false) }, cancel),
          okBtn)));
    document.addEventListener('keydown', onKey, true);
    container.append(scrim);
    okBtn.focus();
  });
}

export function switchRow({ label, hint = null, checked, testid, onchange }) {
  const input = h('input', { type: 'checkbox', class: 'switch-input', 'data-testid': testid, props: { checked: !!checked } });
  input.addEventListener('change', () => onchange(input.checked));
  return h('label', { class: 'switch-row' },
    h('span', { class: 'switch-text' }, h('span', {}, label), hint ? h('small', {}, hint) : null),
    input, h('span', { class: 'switch', 'aria-hidden': 'true' }));
}

function panelHead(title, countEl, onClose, extra = null) {
  return h('div', { class: 'panel-head' },
    h('h2', { class: 'panel-title' }, title, countEl ? ' ' : null, countEl),
    extra,
    h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close', title: 'Close', 'data-testid': 'panel-close', onclick: onClose }, iconEl('close', { size: 16 })));
}

function sinceText(unix) {
  if (!unix) return '';
  const secs = Math.max(0, Date.now() / 1000 - unix);
  if (secs < 60) return 'just now';
  const m = Math.floor(secs / 60);
  return `${m} min`;
}

// ------------------------------------------------------------------ participants

export class ParticipantsPanel {
  #s;
  #view;
  #els = {};

  constructor(session, view) {
    this.#s = session;
    this.#view = view;
    const e = this.#els;
    e.count = h('span', { class: 'panel-count', 'data-testid': 'participants-count' });
    e.waiting = h('div', { class: 'waiting-box', 'data-testid': 'waiting-list', hidden: true });
    e.list = h('div', { class: 'plist', 'data-testid': 'participants-list' });
    e.muteAll = h('button', { class: 'btn btn-secondary btn-small', type: 'button', 'data-testid': 'mute-all', onclick: () => this.#muteAll() },
      iconEl('micOff', { size: 15 }), h('span', {}, 'Mute all'));
    e.lock = h('button', { class: 'btn btn-secondary btn-small', type: 'button', 'data-testid': 'lock-toggle', onclick: () => this.#s.lock(!this.#s.locked) },
      iconEl('lock', { size: 15 }), h('span', {}, 'Lock'));
    e.perms = h('button', { class: 'btn btn-secondary btn-small btn-icon', type: 'button', 'data-testid': 'permissions-btn', title: 'What participants may do', 'aria-label': 'Permissions', onclick: () => this.#openPermissions() },
      iconEl('sliders', { size: 15 }));
    e.hostBar = h('div', { class: 'panel-foot', hidden: true }, e.muteAll, e.lock, e.perms);
    this.el = h('section', { class: 'side-panel participants-panel', 'data-testid': 'participants-panel', 'aria-label': 'Participants' },
      panelHead('Participants', e.count, () => view.closePanel('participants')),
      h('div', { class: 'panel-scroll' }, e.waiting, e.list),
      e.hostBar);
  }

  render() {
    const s = this.#s;
    const e = this.#els;
    const everyone = s.list();
    e.count.textContent = `(${everyone.length})`;
    e.hostBar.hidden = !s.isHost;
    e.lock.classList.toggle('active', s.locked);
    e.lock.setAttribute('aria-pressed', String(s.locked));
    e.lock.querySelector('.icon-wrap').innerHTML = iconEl(s.locked ? 'lock' : 'unlock', { size: 15 }).innerHTML;
    e.lock.querySelector('span:last-child').textContent = s.locked ? 'Locked' : 'Lock';
    e.lock.title = s.locked ? 'The meeting is locked: click to let new people join' : 'Lock the meeting: nobody new can join';

    // Waiting room (hosts)
    const waiting = s.isHost ? s.waiting : [];
    e.waiting.hidden = !waiting.length;
    if (waiting.length) {
      e.waiting.replaceChildren(
        h('div', { class: 'plist-head' },
          h('span', {}, iconEl('door', { size: 15 }), ` Waiting room (${waiting.length})`),
          h('button', { class: 'btn btn-primary btn-small', type: 'button', 'data-testid': 'waiting-admit-all', onclick: () => s.admitAll() }, 'Admit all')),
        ...waiting.map((w) => h('div', { class: 'pitem waiting-item', 'data-testid': 'waiting-item', 'data-participant-id': w.participant_id, 'data-name': participantName(w) },
          avatar({ display_name: participantName(w), username: participantName(w) }, 32),
          h('div', { class: 'pname' }, h('span', { class: 'pname-text' }, participantName(w)), h('small', {}, `waiting ${sinceText(w.since)}`.trim())),
          h('div', { class: 'pactions' },
            h('button', { class: 'btn btn-ghost btn-small', type: 'button', 'data-testid': 'waiting-deny', onclick: () => s.deny(w.participant_id) }, 'Deny'),
            h('button', { class: 'btn btn-primary btn-small', type: 'button', 'data-testid': 'waiting-admit', onclick: () => s.admit(w.participant_id) }, 'Admit')))));
    }

    // Participants, by room while breakout rooms are open.
    const groups = [];
    const rooms = s.breakouts.open ? s.breakouts.rooms : [];
    if (rooms.length) {
      const inRoom = new Map(rooms.map((r) => [r.room_id, []]));
      const main = [];
      for (const p of everyone) {
        const rid = p.room_id ?? rooms.find((r) => (r.participants ?? []).includes(p.participant_id))?.room_id ?? null;
        if (rid && inRoom.has(rid)) inRoom.get(rid).push(p);
        else main.push(p);
      }
      groups.push(['Main room', main]);
      for (const r of rooms) groups.push([r.name, inRoom.get(r.room_id)]);
    } else {
      groups.push([null, everyone]);
    }
    const out = [];
    const hands = s.hands().map((p) => p.participant_id);
    for (const [title, people] of groups) {
      if (title) out.push(h('div', { class: 'plist-head' }, h('span', {}, title), h('small', {}, String(people.length))));
      // Raised hands first, in the order raised.
      const sorted = [...people].sort((a, b) => {
        if (a.self !== b.self) return a.self ? -1 : 1;
        const ha = hands.indexOf(a.participant_id);
        const hb = hands.indexOf(b.participant_id);
        if ((ha >= 0) !== (hb >= 0)) return ha >= 0 ? -1 : 1;
        return ha - hb;
      });
      out.push(...sorted.map((p) => this.#item(p)));
    }
    e.list.replaceChildren(...out);
  }

  #item(p) {
    const s = this.#s;
    const name = participantName(p);
    const role = roleLabel(p.role);
    const canAct = s.isHost && !p.self && (s.isMainHost || p.role !== 'host');
    const mic = h('span', { class: `pi${p.audio_muted ? ' off' : ''}`, title: p.audio_muted ? 'Microphone off' : 'Microphone on', 'data-testid': 'p-mic' }, iconEl(p.audio_muted ? 'micOff' : 'mic', { size: 16 }));
    const more = h('button', {
      class: 'icon-btn p-more', type: 'button', 'data-testid': 'p-more', 'aria-label': `More for ${name}`, title: 'More',
      onclick: (ev) => { ev.stopPropagation(); this.#openActions(more, p); },
    }, iconEl('more', { size: 16 }));
    return h('div', {
      class: `pitem${p.hand_raised ? ' hand' : ''}`,
      'data-testid': 'participant-item',
      'data-participant-id': p.participant_id ?? '',
      'data-name': name,
      'data-role': p.role ?? '',
      'data-self': String(!!p.self),
      'data-hand-raised': String(!!p.hand_raised),
      'data-audio-muted': String(!!p.audio_muted),
      'data-video-muted': String(!!p.video_muted),
      'data-screen-sharing': String(!!p.screen_sharing),
    },
    avatar({ display_name: name, username: name }, 32),
    h('div', { class: 'pname' },
      h('span', { class: 'pname-text' }, name, p.self ? h('span', { class: 'people-you' }, 'You') : null),
      role ? h('small', { class: `prole role-${p.role}`, 'data-testid': 'p-role' }, role) : null),
    h('div', { class: 'pi-row' },
      p.hand_raised ? h('span', { class: 'pi hand', title: 'Hand raised', 'data-testid': 'p-hand' }, iconEl('hand', { size: 16 })) : null,
      p.screen_sharing ? h('span', { class: 'pi on', title: 'Presenting', 'data-testid': 'p-screen' }, iconEl('screen', { size: 16 })) : null,
      h('span', { class: `pi${p.video_muted ? ' off' : ''}`, title: p.video_muted ? 'Camera off' : 'Camera on' }, iconEl(p.video_muted ? 'videoOff' : 'video', { size: 16 })),
      mic),
    canAct && !p.audio_muted ? h('button', { class: 'btn btn-ghost btn-small p-mute', type: 'button', 'data-testid': 'p-mute', onclick: () => s.mute(p.participant_id) }, 'Mute') : null,
    !p.self ? more : null);
  }

  #openActions(anchor, p) {
    const s = this.#s;
    const id = p.participant_id;
    const canAct = s.isHost && (s.isMainHost || p.role !== 'host');
    const items = [
      s.canChat ? { label: 'Message privately', icon: 'chat', testid: 'p-action-message', onclick: () => this.#view.openChatTo(id) } : null,
    ];
    if (canAct) {
      items.push('sep');
      if (!p.audio_muted) items.push({ label: 'Mute', icon: 'micOff', testid: 'p-action-mute', onclick: () => s.mute(id) });
      if (p.hand_raised) items.push({ label: 'Lower hand', icon: 'hand', testid: 'p-action-lower-hand', onclick: () => s.lowerHand(id) });
      if (s.isMainHost) {
        if (p.role === 'cohost') items.push({ label: 'Remove co-host', icon: 'shieldCheck', testid: 'p-action-cohost', onclick: () => s.setRole(id, s.webinar ? 'panelist' : 'participant') });
        else items.push({ label: 'Make co-host', icon: 'shieldCheck', testid: 'p-action-cohost', onclick: () => s.setRole(id, 'cohost') });
        if (s.webinar && p.role !== 'cohost') {
          if (p.role === 'attendee') items.push({ label: 'Make panelist', icon: 'video', testid: 'p-action-panelist', onclick: () => s.setRole(id, 'panelist') });
          else items.push({ label: 'Make attendee', icon: 'users', testid: 'p-action-attendee', onclick: () => s.setRole(id, 'attendee') });
        }
        items.push({
          label: 'Make host', icon: 'crown', testid: 'p-action-host',
          onclick: async () => {
            const ok = await confirmDialog(this.#view.el, { title: `Make ${participantName(p)} the host?`, text: 'You will become a co-host.', ok: 'Make host' });
            if (ok) s.setRole(id, 'host');
          },
        });
      }
      items.push('sep');
      items.push({
        label: 'Remove from meeting', icon: 'userX', testid: 'p-action-remove', danger: true,
        onclick: async () => {
          const ok = await confirmDialog(this.#view.el, { title: `Remove ${participantName(p)}?`, text: 'They will not be able to join this meeting again.', ok: 'Remove', danger: true });
          if (ok) s.remove(id);
        },
      });
    }
    openMenu(anchor, { items: items.filter((x, i, a) => !(x === 'sep' && (i === 0 || a[i - 1] === 'sep' || a[i - 1] == null))), container: this.#view.el, testid: 'participant-menu' });
  }

  async #muteAll() {
    const s = this.#s;
    const allow = h('input', { type: 'checkbox', 'data-testid': 'mute-all-allow', props: { checked: s.permissions.allow_unmute !== false } });
    const ok = await confirmDialog(this.#view.el, {
      title: 'Mute everyone?',
      text: 'Everyone but the hosts will be muted.',
      ok: 'Mute all',
      extra: h('label', { class: 'check-row' }, allow, h('span', {}, 'Let participants unmute themselves')),
    });
    if (ok) s.muteAll(allow.checked);
  }

  #openPermissions() {
    const s = this.#s;
    const p = s.permissions;
    const content = h('div', { class: 'perm-menu' },
      h('div', { class: 'menu-title' }, 'Participants may'),
      switchRow({ label: 'Share their screen', checked: p.screen_share !== 'host', testid: 'perm-screen-share', onchange: (v) => s.setPermissions({ screen_share: v ? 'all' : 'host' }) }),
      switchRow({ label: 'Unmute themselves', checked: p.allow_unmute !== false, testid: 'perm-unmute', onchange: (v) => s.setPermissions({ allow_unmute: v }) }),
      switchRow({ label: 'Chat', checked: p.chat !== 'host', testid: 'perm-chat', onchange: (v) => s.setPermissions({ chat: v ? 'all' : 'host' }) }));
    openMenu(this.#els.perms, { content, container: this.#view.el, testid: 'permissions-menu', placement: 'above' });
  }
}

// ------------------------------------------------------------------ chat

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export class ChatPanel {
  #s;
  #view;
  #els = {};
  #rendered = 0;

  constructor(session, view) {
    this.#s = session;
    this.#view = view;
    const e = this.#els;
    e.list = h('div', { class: 'chat-list', 'data-testid': 'chat-list', role: 'log', 'aria-live': 'polite' });
    e.empty = h('div', { class: 'chat-empty' },
      h('div', { class: 'empty-icon' }, iconEl('chat', { size: 24 })),
      h('strong', {}, 'No messages yet'),
      h('span', {}, 'Messages go to everyone in the meeting, or privately to one person.'));
    e.to = h('select', { class: 'select select-small', 'data-testid': 'chat-to', 'aria-label': 'Send to' });
    e.input = h('textarea', { class: 'chat-input', 'data-testid': 'chat-input', rows: 1, maxlength: 4096, placeholder: 'Message everyone', 'aria-label': 'Message' });
    e.send = h('button', { class: 'chat-send', type: 'submit', 'data-testid': 'chat-send', 'aria-label': 'Send', title: 'Send' }, iconEl('send', { size: 18 }));
    e.disabled = h('div', { class: 'chat-disabled', hidden: true }, iconEl('lock', { size: 14 }), h('span', {}, 'Only the host can send messages right now'));
    e.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.#submit();
      }
    });
    e.input.addEventListener('input', () => this.#autosize());
    e.to.addEventListener('change', () => this.#placeholder());
    const form = h('form', { class: 'chat-compose', onsubmit: (ev) => { ev.preventDefault(); this.#submit(); } },
      h('div', { class: 'chat-to-row' }, h('span', {}, 'To'), e.to),
      h('div', { class: 'chat-input-row' }, e.input, e.send));
    this.el = h('section', { class: 'side-panel chat-panel', 'data-testid': 'chat-panel', 'aria-label': 'Chat' },
      panelHead('Chat', null, () => view.closePanel('chat')),
      h('div', { class: 'panel-scroll chat-scroll' }, e.empty, e.list),
      e.disabled,
      form);
    this.form = form;
  }

  focus() {
    this.#els.input.focus();
  }

  setRecipient(id) {
    this.renderRecipients();
    if ([...this.#els.to.options].some((o) => o.value === id)) this.#els.to.value = id;
    this.#placeholder();
  }

  renderRecipients() {
    const s = this.#s;
    const sel = this.#els.to;
    const cur = sel.value;
    const others = s.list().filter((p) => !p.self);
    sel.replaceChildren(h('option', { value: '' }, 'Everyone'),
      ...others.map((p) => h('option', { value: p.participant_id }, `${participantName(p)} (privately)`)));
    sel.value = [...sel.options].some((o) => o.value === cur) ? cur : '';
    this.#placeholder();
    const can = s.canChat;
    this.#els.disabled.hidden = can;
    this.form.hidden = !can;
  }

  // Appends what is new; rebuilds when the history was replaced.
  render() {
    const s = this.#s;
    const e = this.#els;
    const list = s.chat;
    const stick = e.list.parentElement.scrollHeight - e.list.parentElement.scrollTop - e.list.parentElement.clientHeight < 60;
    e.list.replaceChildren(...list.map((m, i) => this.#message(m, list[i - 1])));
    this.#rendered = list.length;
    e.empty.hidden = list.length > 0;
    if (stick || this.#rendered) e.list.parentElement.scrollTop = e.list.parentElement.scrollHeight;
  }

  #message(m, prev) {
    const s = this.#s;
    const me = s.participantId;
    const mine = m.from != null && m.from === me;
    const priv = m.to != null;
    const fromName = mine ? 'You' : (m.from_name || s.nameOf(m.from));
    let privText = null;
    if (priv) privText = mine ? `to ${s.nameOf(m.to)} (privately)` : 'to you (privately)';
    const grouped = prev && prev.from === m.from && (prev.to ?? null) === (m.to ?? null) && Math.abs((m.sent_at ?? 0) - (prev.sent_at ?? 0)) < 120;
    return h('div', {
      class: `chat-msg${mine ? ' mine' : ''}${priv ? ' private' : ''}${grouped ? ' grouped' : ''}${m.pending ? ' pending' : ''}`,
      'data-testid': 'chat-message',
      'data-from': m.from ?? '',
      'data-private': String(priv),
    },
    grouped ? null : h('div', { class: 'chat-meta' },
      h('strong', {}, fromName),
      privText ? h('span', { class: 'chat-private' }, iconEl('lock', { size: 11 }), privText) : null,
      h('time', {}, m.sent_at ? timeFmt.format(new Date(m.sent_at * 1000)) : '')),
    h('div', { class: 'chat-text', 'data-testid': 'chat-text' }, m.text));
  }

  #placeholder() {
    const to = this.#els.to.value;
    this.#els.input.placeholder = to ? `Message ${this.#s.nameOf(to)} privately` : 'Message everyone';
  }

  #autosize() {
    const t = this.#els.input;
    t.style.height = 'auto';
    t.style.height = `${Math.min(120, t.scrollHeight)}px`;
  }

  #submit() {
    const e = this.#els;
    if (this.#s.sendChat(e.input.value, e.to.value || null)) {
      e.input.value = '';
      this.#autosize();
    }
    e.input.focus();
  }
}

// ------------------------------------------------------------------ breakout rooms

const COUNTDOWNS = [0, 5, 10, 15, 30, 60];

export class BreakoutsPanel {
  #s;
  #view;
  #els = {};

  constructor(session, view) {
    this.#s = session;
    this.#view = view;
    const e = this.#els;
    e.count = h('input', { type: 'number', min: 1, max: 50, value: 2, class: 'num-input', 'data-testid': 'breakout-count', 'aria-label': 'Number of rooms' });
    e.auto = h('input', { type: 'radio', name: 'bo-assign', value: 'auto', 'data-testid': 'breakout-assign-auto', props: { checked: true } });
    e.manual = h('input', { type: 'radio', name: 'bo-assign', value: 'manual', 'data-testid': 'breakout-assign-manual' });
    e.hint = h('p', { class: 'panel-hint' });
    e.count.addEventListener('input', () => this.#hint());
    e.create = h('form', { class: 'bo-create', onsubmit: (ev) => { ev.preventDefault(); this.#createRooms(); } },
      h('label', { class: 'bo-count' }, h('span', {}, 'Create'), e.count, h('span', {}, 'rooms')),
      h('div', { class: 'radio-row' },
        h('label', {}, e.auto, h('span', {}, 'Assign automatically')),
        h('label', {}, e.manual, h('span', {}, 'Let me assign'))),
      e.hint,
      h('button', { class: 'btn btn-primary btn-block', type: 'submit', 'data-testid': 'breakout-create' }, iconEl('rooms', { size: 17 }), h('span', {}, 'Create rooms')));
    e.rooms = h('div', { class: 'bo-rooms', 'data-testid': 'breakout-rooms' });
    e.broadcast = h('textarea', { class: 'chat-input', rows: 2, maxlength: 1000, 'data-testid': 'breakout-broadcast-input', placeholder: 'Message to every room' });
    e.countdown = h('select', { class: 'select select-small', 'data-testid': 'breakout-countdown-select', 'aria-label': 'Countdown' },
      ...COUNTDOWNS.map((n) => h('option', { value: String(n), props: { selected: n === 10 } }, n ? `in ${n} s` : 'now')));
    e.closing = h('div', { class: 'bo-closing', 'data-testid': 'breakout-closing', hidden: true });
    e.openActions = h('div', { class: 'bo-actions' },
      h('button', { class: 'btn btn-ghost btn-small', type: 'button', 'data-testid': 'breakout-recreate', onclick: () => this.#recreate() }, 'Recreate'),
      h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'breakout-open', onclick: () => session.breakoutOpen() }, iconEl('rooms', { size: 17 }), h('span', {}, 'Open rooms')));
    e.liveActions = h('div', { class: 'bo-live' },
      h('form', { class: 'bo-broadcast', onsubmit: (ev) => { ev.preventDefault(); if (session.breakoutBroadcast(e.broadcast.value)) { e.broadcast.value = ''; view.toast('Message sent to every room', 'success'); } } },
        e.broadcast,
        h('button', { class: 'btn btn-secondary btn-small', type: 'submit', 'data-testid': 'breakout-broadcast-send' }, iconEl('megaphone', { size: 15 }), h('span', {}, 'Broadcast'))),
      h('div', { class: 'bo-close-row' },
        h('span', {}, 'Close'), e.countdown,
        h('button', { class: 'btn btn-danger', type: 'button', 'data-testid': 'breakout-close', onclick: () => session.breakoutClose(Number(e.countdown.value)) }, 'Close rooms')),
      e.closing);
    this.el = h('section', { class: 'side-panel breakouts-panel', 'data-testid': 'breakouts-panel', 'aria-label': 'Breakout rooms' },
      panelHead('Breakout rooms', null, () => view.closePanel('breakouts')),
      h('div', { class: 'panel-scroll' }, e.create, e.rooms),
      e.openActions, e.liveActions);
  }

  #hint() {
    const n = Math.max(1, Math.min(50, Number(this.#els.count.value) || 1));
    const people = this.#s.list().filter((p) => !['host', 'cohost'].includes(p.role)).length;
    const per = people ? Math.ceil(people / n) : 0;
    this.#els.hint.textContent = people ? `${people} participant${people === 1 ? '' : 's'}: up to ${per} per room` : 'Nobody to assign yet';
  }

  #createRooms() {
    const n = Math.round(Number(this.#els.count.value));
    if (!(n >= 1 && n <= 50)) {
      this.#view.toast('Choose between 1 and 50 rooms', 'warn');
      return;
    }
    this.#s.breakoutCreate(n, this.#els.manual.checked ? 'manual' : 'auto');
  }

  async #recreate() {
    const ok = await confirmDialog(this.#view.el, { title: 'Recreate breakout rooms?', text: 'The current rooms and assignments are discarded.', ok: 'Recreate' });
    if (!ok) return;
    this.#s.breakouts = { rooms: [], open: false };
    this.render();
  }

  render() {
    const s = this.#s;
    const e = this.#els;
    const { rooms, open } = s.breakouts;
    const has = rooms.length > 0;
    e.create.hidden = has;
    e.openActions.hidden = !has || open;
    e.liveActions.hidden = !open;
    if (!has) {
      this.#hint();
      e.rooms.replaceChildren();
      return;
    }
    const everyone = s.list();
    const byId = new Map(everyone.map((p) => [p.participant_id, p]));
    const assigned = new Set(rooms.flatMap((r) => r.participants ?? []));
    const unassigned = everyone.filter((p) => !assigned.has(p.participant_id) && !['host', 'cohost'].includes(p.role));
    const select = (p, current) => {
      const sel = h('select', { class: 'select select-small', 'data-testid': 'breakout-assign-select', 'aria-label': `Room for ${participantName(p)}` },
        h('option', { value: '' }, 'Main room'),
        ...rooms.map((r) => h('option', { value: r.room_id }, r.name)));
      sel.value = current ?? '';
      sel.addEventListener('change', () => s.breakoutAssign(p.participant_id, sel.value || null));
      return sel;
    };
    const person = (p, roomId) => h('div', { class: 'bo-person', 'data-testid': 'breakout-person', 'data-participant-id': p.participant_id },
      avatar({ display_name: participantName(p), username: participantName(p) }, 24),
      h('span', { class: 'bo-name' }, participantName(p), p.self ? ' (You)' : ''),
      select(p, roomId));
    const out = rooms.map((r) => {
      const members = (r.participants ?? []).map((id) => byId.get(id) ?? { participant_id: id, display_name: s.nameOf(id) });
      return h('div', { class: 'bo-room', 'data-testid': 'breakout-room', 'data-room-id': r.room_id, 'data-count': String(members.length) },
        h('div', { class: 'bo-room-head' }, iconEl('rooms', { size: 15 }), h('strong', {}, r.name), h('small', {}, `${members.length} ${members.length === 1 ? 'person' : 'people'}`)),
        members.length ? members.map((p) => person(p, r.room_id)) : h('div', { class: 'bo-empty' }, 'Nobody yet'));
    });
    if (unassigned.length) {
      out.push(h('div', { class: 'bo-room bo-unassigned', 'data-testid': 'breakout-unassigned' },
        h('div', { class: 'bo-room-head' }, iconEl('users', { size: 15 }), h('strong', {}, 'Not assigned'), h('small', {}, String(unassigned.length))),
        unassigned.map((p) => person(p, null))));
    }
    e.rooms.replaceChildren(...out);
    this.tick();
  }

  // The close countdown, once a second.
  tick() {
    const s = this.#s;
    const e = this.#els;
    const left = s.closingAt ? Math.max(0, Math.ceil((s.closingAt - Date.now()) / 1000)) : null;
    e.closing.hidden = left == null || !s.breakouts.open;
    if (left != null) e.closing.textContent = left > 0 ? `Rooms close in ${left} s` : 'Closing rooms…';
  }
}
