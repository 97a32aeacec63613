// Sign-in session (localStorage, shared by every tab of this browser) and the
// per-tab device identity (sessionStorage: two tabs are two devices, a reload
// keeps the device so that a call in progress can resume).

const SESSION_KEY = 'parley.session';
const LAST_USER_KEY = 'parley.last_username';
const DEVICE_KEY = 'parley.device_id';
const DEVICE_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

export function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null');
    if (s && typeof s.token === 'string' && s.token && s.user && typeof s.user.username === 'string') return s;
  } catch { /* corrupt entry: treat as signed out */ }
  return null;
}

export function saveSession({ token, user_id, username, display_name }) {
  const s = { token, user: { user_id, username, display_name: display_name || username } };
  localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  localStorage.setItem(LAST_USER_KEY, username);
  return s;
}

export function updateUser(user) {
  const s = loadSession();
  if (!s) return null;
  s.user = { ...s.user, ...user };
  localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  return s;
}

export function clearSession() {
  localStorage.removeItem(SESSION_KEY);
}

export function lastUsername() {
  return localStorage.getItem(LAST_USER_KEY) ?? '';
}

export function randomId(len = 10) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(len));
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export function deviceId() {
  let id = null;
  try { id = sessionStorage.getItem(DEVICE_KEY); } catch { /* storage disabled */ }
  if (!id || !DEVICE_ID_RE.test(id)) id = regenerateDeviceId();
  return id;
}

export function regenerateDeviceId() {
  const id = `web-${randomId(12)}`;
  try { sessionStorage.setItem(DEVICE_KEY, id); } catch { /* storage disabled */ }
  return id;
}

// "Duplicate tab" copies sessionStorage, which would give two live tabs one
// device id (and they would keep replacing each other's connection). Ask the
// other tabs of this origin whether one of them already uses our id.
let channel = null;
let ownNonce = '';
export async function claimDeviceId(waitMs = 120) {
  let id = deviceId();
  if (!('BroadcastChannel' in window)) return id;
  if (!channel) {
    channel = new BroadcastChannel('parley-devices');
    channel.addEventListener('message', (e) => {
      const m = e.data;
      if (m?.type === 'probe' && m.id === deviceId() && m.nonce !== ownNonce)
        channel.postMessage({ type: 'taken', id: m.id, to: m.nonce });
    });
  }
  const nonce = randomId(8);
  ownNonce = nonce;
  let taken = false;
  const onTaken = (e) => { if (e.data?.type === 'taken' && e.data.to === nonce) taken = true; };
  channel.addEventListener('message', onTaken);
  channel.postMessage({ type: 'probe', id, nonce });
  await new Promise((r) => setTimeout(r, waitMs));
  channel.removeEventListener('message', onTaken);
  if (taken) id = regenerateDeviceId();
  return id;
}

export function deviceName() {
  const ua = navigator.userAgent;
  const brands = navigator.userAgentData?.brands?.map((b) => b.brand) ?? [];
  let browser = 'Browser';
  if (/Edg\//.test(ua)) browser = 'Edge';
  else if (/OPR\//.test(ua)) browser = 'Opera';
  else if (/Firefox\//.test(ua)) browser = 'Firefox';
  else if (brands.includes('Google Chrome')) browser = 'Chrome';
  else if (/Chrome\//.test(ua) || brands.includes('Chromium')) browser = 'Chromium';
  else if (/Safari\//.test(ua)) browser = 'Safari';
  let os = '';
  if (/Android/.test(ua)) os = 'Android';
  else if (/iPhone|iPad|iPod/.test(ua)) os = 'iOS';
  else if (/CrOS/.test(ua)) os = 'ChromeOS';
  else if (/Mac OS X/.test(ua)) os = 'macOS';
  else if (/Windows/.test(ua)) os = 'Windows';
  else if (/Linux/.test(ua)) os = 'Linux';
  return (os ? `${browser} on ${os}` : browser).slice(0, 64);
}
