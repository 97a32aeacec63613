// REST client for /api/v1 (docs/protocol.md). Relative URLs only: the page
// may be served under a path prefix.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export class Api {
  #getToken;
  #onUnauthorized;

  constructor({ getToken, onUnauthorized } = {}) {
    this.#getToken = getToken ?? (() => null);
    this.#onUnauthorized = onUnauthorized ?? (() => {});
  }

  async #request(method, path, body, { auth = true, timeoutMs = 15000 } = {}) {
    const headers = { Accept: 'application/json' };
    const token = auth ? this.#getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        signal: ctrl.signal,
      });
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the server');
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    const text = await res.text().catch(() => '');
    if (text) {
      try { data = JSON.parse(text); } catch { /* not JSON */ }
    }
    if (!res.ok) {
      const err = data?.error ?? {};
      if (res.status === 401 && token) this.#onUnauthorized();
      const e = new ApiError(res.status, err.code ?? `http_${res.status}`, err.message ?? res.statusText);
      const retry = Number(res.headers.get('Retry-After'));
      if (Number.isFinite(retry) && retry > 0) e.retryAfter = retry;
      throw e;
    }
    return data;
  }

  register({ username, password, display_name }) {
    return this.#request('POST', 'api/v1/auth/register', { username, password, display_name }, { auth: false });
  }

  login({ username, password }) {
    return this.#request('POST', 'api/v1/auth/login', { username, password }, { auth: false });
  }

  me() {
    return this.#request('GET', 'api/v1/me');
  }

  user(username) {
    return this.#request('GET', `api/v1/users/${encodeURIComponent(username)}`);
  }

  iceServers() {
    return this.#request('GET', 'api/v1/ice-servers');
  }

  // ------------------------------------------------------------ meetings

  meetings() {
    return this.#request('GET', 'api/v1/meetings');
  }

  meeting(id) {
    return this.#request('GET', `api/v1/meetings/${encodeURIComponent(id)}`);
  }

  createMeeting(req = {}) {
    return this.#request('POST', 'api/v1/meetings', req);
  }

  updateMeeting(id, patch) {
    return this.#request('PATCH', `api/v1/meetings/${encodeURIComponent(id)}`, patch);
  }

  deleteMeeting(id) {
    return this.#request('DELETE', `api/v1/meetings/${encodeURIComponent(id)}`);
  }

  // Guests join by link: the user's token goes along only when signed in
  // (then the user joins as themself, the creator as host).
  joinMeeting(id, { display_name, password, host_key } = {}, { signedIn = true } = {}) {
    const body = { display_name };
    if (password) body.password = password;
    if (host_key) body.host_key = host_key;
    return this.#request('POST', `api/v1/meetings/${encodeURIComponent(id)}/join`, body, { auth: signedIn });
  }

  calls({ limit = 50, before = null } = {}) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (before != null) q.set('before', String(before));
    return this.#request('GET', `api/v1/calls?${q}`);
  }
}
