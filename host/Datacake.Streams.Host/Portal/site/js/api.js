// The one way the portal talks to the API: same origin, the user's token from sessionStorage, problem details on failure.

const KEY = 'dcs.token';

export const session = {
  token: () => sessionStorage.getItem(KEY),
  // sessionStorage: gone when the tab closes, never sent by the browser on its own (unlike a cookie), never in a URL.
  signIn: token => sessionStorage.setItem(KEY, token),
  signOut: () => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem('dcs.workspace');
  },
};

/** An API refusal: status, the RFC 9457 body and Retry-After when the API gave one. */
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem && typeof problem === 'object' ? problem : { title: `HTTP ${status}`, detail: typeof problem === 'string' ? problem : undefined };
    this.retryAfter = retryAfter;
  }
}

let onUnauthenticated = () => {};
export const whenSignedOut = handler => { onUnauthenticated = handler; };

export async function api(method, path, body, headers = {}) {
  const token = session.token();
  const init = { method, headers: { Accept: 'application/json, application/problem+json', ...headers }, cache: 'no-store' };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const type = response.headers.get('content-type') ?? '';
  const data = response.status === 204 ? null : type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new ApiError(response.status, data, response.headers.get('Retry-After'));
    if (response.status === 401 && path !== '/v1/me') onUnauthenticated(error);
    throw error;
  }
  return data;
}

export const get = path => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path, headers) => api('DELETE', path, undefined, headers);
