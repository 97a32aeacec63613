// Sign in / create account.

import { h, iconEl } from '../ui.js';
import { ApiError } from '../api.js';
import { USERNAME_RE } from '../call.js';
import { parseMeetingInput } from '../meeting.js';

const FEATURES = [
  ['shield', 'Private by design', 'Calls run on your own server. Media goes peer to peer, or through your own relay.'],
  ['video', 'HD voice and video', 'Crisp audio and up to 720p video, straight from the browser.'],
  ['users', 'Every device rings', 'Answer on whichever tab or device is closest; the others stop ringing.'],
];

export function renderAuth(root, { api, onSignedIn, onJoinMeeting = null, notice = null, initialMode = 'signup', lastUsername = '' }) {
  let mode = initialMode;
  let busy = false;

  const errorBox = h('div', { class: 'form-error', 'data-testid': 'auth-error', role: 'alert', hidden: true });

  // --- sign up
  const suDisplay = h('input', { id: 'su-display', 'data-testid': 'signup-display-name', autocomplete: 'name', maxlength: 64, required: true, placeholder: 'Alice Liddell' });
  const suUser = h('input', { id: 'su-user', 'data-testid': 'signup-username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', maxlength: 32, required: true, placeholder: 'alice' });
  const suPass = h('input', { id: 'su-pass', 'data-testid': 'signup-password', type: 'password', autocomplete: 'new-password', minlength: 8, required: true, placeholder: 'At least 8 characters' });
  const suSubmit = h('button', { class: 'btn btn-primary btn-block', type: 'submit', 'data-testid': 'signup-submit' }, 'Create account');
  suUser.addEventListener('input', () => {
    const v = suUser.value.toLowerCase().replace(/\s+/g, '');
    if (v !== suUser.value) suUser.value = v;
  });
  const signupForm = h('form', { class: 'auth-form', 'data-testid': 'signup-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); submitSignup(); } },
    field('Display name', suDisplay, 'How people see you when you call.'),
    field('Username', suUser, '3–32 characters: a–z, 0–9, _ . -', '@'),
    field('Password', suPass),
    suSubmit);

  // --- sign in
  const liUser = h('input', { id: 'li-user', 'data-testid': 'login-username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', maxlength: 32, required: true, placeholder: 'alice', value: lastUsername });
  const liPass = h('input', { id: 'li-pass', 'data-testid': 'login-password', type: 'password', autocomplete: 'current-password', required: true, placeholder: 'Your password' });
  const liSubmit = h('button', { class: 'btn btn-primary btn-block', type: 'submit', 'data-testid': 'login-submit' }, 'Sign in');
  const loginForm = h('form', { class: 'auth-form', 'data-testid': 'login-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); submitLogin(); } },
    field('Username', liUser, null, '@'),
    field('Password', liPass),
    liSubmit);

  const tabLogin = h('button', { class: 'seg-btn', type: 'button', role: 'tab', 'data-testid': 'show-login', onclick: () => setMode('login') }, 'Sign in');
  const tabSignup = h('button', { class: 'seg-btn', type: 'button', role: 'tab', 'data-testid': 'show-signup', onclick: () => setMode('signup') }, 'Create account');
  const title = h('h1', { class: 'auth-title' });
  const subtitle = h('p', { class: 'auth-sub' });

  const card = h('section', { class: 'auth-card', 'data-testid': 'auth' },
    h('div', { class: 'auth-brand-small' }, h('img', { src: 'favicon.svg', alt: '', width: 36, height: 36 }), h('span', {}, 'Parley')),
    title, subtitle,
    h('div', { class: 'segmented', role: 'tablist' }, tabLogin, tabSignup),
    notice ? h('div', { class: 'form-notice' }, notice) : null,
    errorBox,
    signupForm, loginForm,
    h('p', { class: 'auth-foot' }, iconEl('lock', { size: 14 }), 'Your account lives on this Parley server only.'),
    onJoinMeeting ? guestJoin() : null);

  // Guests need no account to join a meeting by its code or link.
  function guestJoin() {
    const input = h('input', { 'data-testid': 'guest-meeting-code', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: 'abc-defg-hij or a link', 'aria-label': 'Meeting code or link' });
    const hint = h('div', { class: 'presence' });
    input.addEventListener('input', () => { hint.textContent = ''; hint.className = 'presence'; });
    return h('div', { class: 'guest-join' },
      h('div', { class: 'or-sep' }, h('span', {}, 'or join a meeting as a guest')),
      h('form', { class: 'join-code', onsubmit: (ev) => {
        ev.preventDefault();
        const parsed = parseMeetingInput(input.value);
        if (!parsed) {
          hint.textContent = 'Enter a meeting code like abc-defg-hij, or paste the link';
          hint.className = 'presence presence-warn';
          return;
        }
        onJoinMeeting(parsed.id, parsed.pwd);
      } },
      h('div', { class: 'input-affix' }, h('span', { class: 'affix affix-icon' }, iconEl('hash', { size: 15 })), input),
      h('button', { class: 'btn btn-secondary', type: 'submit', 'data-testid': 'guest-meeting-join' }, 'Join')),
      hint);
  }

  const hero = h('aside', { class: 'auth-hero' },
    h('div', { class: 'hero-orb hero-orb-a' }), h('div', { class: 'hero-orb hero-orb-b' }),
    h('div', { class: 'hero-inner' },
      h('div', { class: 'hero-brand' }, h('img', { src: 'favicon.svg', alt: '', width: 44, height: 44 }), h('span', {}, 'Parley')),
      h('h2', { class: 'hero-title' }, 'Talk face to face.', h('br'), h('span', { class: 'grad' }, 'On your own server.')),
      h('ul', { class: 'hero-features' }, FEATURES.map(([ic, head, text]) =>
        h('li', {}, h('span', { class: 'feat-icon' }, iconEl(ic, { size: 18 })), h('div', {}, h('strong', {}, head), h('span', {}, text)))))));

  root.replaceChildren(h('div', { class: 'auth-layout' }, hero, h('main', { class: 'auth-main' }, card)));
  setMode(mode);

  function field(label, input, hint = null, prefix = null) {
    return h('label', { class: 'field', for: input.id },
      h('span', { class: 'field-label' }, label),
      prefix ? h('div', { class: 'input-affix' }, h('span', { class: 'affix' }, prefix), input) : input,
      hint ? h('span', { class: 'field-hint' }, hint) : null);
  }

  function setMode(m) {
    mode = m;
    signupForm.hidden = m !== 'signup';
    loginForm.hidden = m !== 'login';
    tabLogin.classList.toggle('active', m === 'login');
    tabSignup.classList.toggle('active', m === 'signup');
    tabLogin.setAttribute('aria-selected', String(m === 'login'));
    tabSignup.setAttribute('aria-selected', String(m === 'signup'));
    title.textContent = m === 'signup' ? 'Create your account' : 'Welcome back';
    subtitle.textContent = m === 'signup' ? 'It takes ten seconds. No email needed.' : 'Sign in to make and take calls.';
    showError(null);
    queueMicrotask(() => {
      if (document.body.classList.contains('in-meeting')) return;
      (m === 'signup' ? suDisplay : (liUser.value ? liPass : liUser)).focus();
    });
  }

  function showError(msg) {
    errorBox.hidden = !msg;
    errorBox.textContent = msg ?? '';
  }

  function setBusy(b) {
    busy = b;
    for (const btn of [suSubmit, liSubmit]) {
      btn.disabled = b;
      btn.classList.toggle('loading', b);
    }
  }

  async function submitSignup() {
    if (busy) return;
    const display_name = suDisplay.value.trim();
    const username = suUser.value.trim().toLowerCase();
    const password = suPass.value;
    if (!display_name || display_name.length > 64) return fail('Enter a display name (up to 64 characters).', suDisplay);
    if (!USERNAME_RE.test(username)) return fail('Usernames are 3–32 characters of a–z, 0–9, _ . and -.', suUser);
    if (new TextEncoder().encode(password).length < 8) return fail('Use a password of at least 8 characters.', suPass);
    setBusy(true);
    showError(null);
    try {
      const res = await api.register({ username, password, display_name });
      onSignedIn(res);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'username_taken') fail(`“${username}” is taken — try another username, or sign in.`, suUser);
      else fail(describe(e));
    } finally {
      setBusy(false);
    }
  }

  async function submitLogin() {
    if (busy) return;
    const username = liUser.value.trim().toLowerCase();
    const password = liPass.value;
    if (!username) return fail('Enter your username.', liUser);
    if (!password) return fail('Enter your password.', liPass);
    setBusy(true);
    showError(null);
    try {
      const res = await api.login({ username, password });
      onSignedIn(res);
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'invalid_credentials' || e.status === 401)) fail('Wrong username or password.', liPass);
      else fail(describe(e));
    } finally {
      setBusy(false);
    }
  }

  function fail(msg, focus = null) {
    showError(msg);
    focus?.focus();
  }

  function describe(e) {
    if (e instanceof ApiError) {
      if (e.status === 0) return 'Cannot reach the server. Check your connection.';
      if (e.status === 429) return 'Too many attempts. Wait a moment and try again.';
      return e.message || 'Something went wrong.';
    }
    return String(e?.message ?? e);
  }
}
