// @ts-check
/** The console's calls to the service's own internal API, authenticated by the session cookie. */

/**
 * `body` is the JSON answer, read as the shape the caller expects on success; `refusal` says
 * "code: message" when the answer is not a success (the server's own error code).
 * @template T
 * @typedef {{ status: number, ok: boolean, body: T, refusal: string }} ApiAnswer
 */

let csrfToken = '';
/** @type {() => void} */
let onSignedOut = () => {};

/** @param {string} token */
export function setCsrfToken(token) {
  csrfToken = token;
}

/** @param {() => void} handler called when the server says the session is gone (401) */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

/**
 * One request; anything but a read carries the CSRF token. Never throws for an HTTP status:
 * the caller shows the server's code. A network failure is status 0.
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<ApiAnswer<T>>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    const body = /** @type {T} */ (/** @type {unknown} */ (null));
    return { status: 0, ok: false, body, refusal: 'network_error: the service did not answer' };
  }
  const text = await response.text();
  /** @type {unknown} */
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { code: 'bad_response', message: text.slice(0, 200) };
  }
  if (response.status === 401 && !path.startsWith('/console/session')) onSignedOut();
  return {
    status: response.status,
    ok: response.ok,
    body: /** @type {T} */ (parsed),
    refusal: response.ok ? '' : describeRefusal(response.status, parsed),
  };
}

/**
 * "code: message" of a refusal, for the operator.
 * @param {number} status
 * @param {unknown} body
 */
function describeRefusal(status, body) {
  const { code, message } = /** @type {{ code?: unknown, message?: unknown }} */ (body ?? {});
  const name = typeof code === 'string' ? code : `http_${status}`;
  return typeof message === 'string' ? `${name}: ${message}` : name;
}
