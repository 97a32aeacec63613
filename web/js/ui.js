// Tiny DOM helpers shared by the views.

import { icon } from './icons.js';

// h('button', {class: 'btn', onclick: fn, 'data-testid': 'x'}, 'text', childNode)
// Special props: class, text, html (trusted markup only: icons), props (assigned
// as DOM properties), on<event> (listeners).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'html') el.innerHTML = value;
    else if (key === 'props') Object.assign(el, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function iconEl(name, opts) {
  const span = document.createElement('span');
  span.className = 'icon-wrap';
  span.innerHTML = icon(name, opts);
  return span;
}

function hash(str) {
  let x = 2166136261;
  for (let i = 0; i < str.length; i++) {
    x ^= str.charCodeAt(i);
    x = Math.imul(x, 16777619);
  }
  return x >>> 0;
}

export function initials(name) {
  const parts = String(name || '?').trim().split(/[\s._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] ?? '?').slice(0, 1);
  return letters.toUpperCase();
}

// A round avatar with initials on a colour derived from the username.
export function avatar(user, size = 40, extraClass = '') {
  const key = user?.username || user?.display_name || '?';
  const hue = hash(key) % 360;
  const el = h('div', {
    class: `avatar ${extraClass}`.trim(),
    'aria-hidden': 'true',
    style: `--size:${size}px;--hue:${hue}`,
  }, initials(user?.display_name || user?.username));
  return el;
}

const TOAST_ICONS = { info: 'info', success: 'check', warn: 'alert', error: 'alert' };

export function toast(message, { kind = 'info', timeout = 4500 } = {}) {
  const root = document.getElementById('toasts');
  if (!root) return null;
  const el = h('div', { class: `toast toast-${kind}`, 'data-testid': 'toast', 'data-kind': kind, role: kind === 'error' ? 'alert' : 'status' },
    iconEl(TOAST_ICONS[kind] ?? 'info', { size: 18 }),
    h('span', { class: 'toast-text' }, message),
    h('button', { class: 'toast-close', 'aria-label': 'Dismiss', html: '', onclick: () => dismiss() }, iconEl('close', { size: 14 })));
  root.append(el);
  while (root.children.length > 4) root.firstElementChild.remove();
  let timer = setTimeout(dismiss, timeout);
  el.addEventListener('mouseenter', () => clearTimeout(timer));
  el.addEventListener('mouseleave', () => { timer = setTimeout(dismiss, 1500); });
  function dismiss() {
    clearTimeout(timer);
    if (!el.isConnected) return;
    el.classList.add('leaving');
    setTimeout(() => el.remove(), 220);
  }
  return el;
}
