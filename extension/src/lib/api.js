// Talking to the paired MediaFetcher server, with errors a person can act on.

const TIMEOUT_MS = 15000;

/** A failed call. `kind` tells the popup what to offer: unreachable, revoked, forbidden, invalid, server. */
export class ApiError extends Error {
  constructor(kind, message, { status = 0, code = '' } = {}) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.code = code;
  }
}

function kindOf(status) {
  if (status === 401) return 'revoked';
  if (status === 403) return 'forbidden';
  if (status >= 500) return 'server';
  return 'invalid';
}

function messageFor(kind, server, data, status) {
  if (kind === 'revoked') {
    return 'MediaFetcher no longer accepts this browser: its pairing was revoked. Pair again.';
  }
  return data?.error?.message || `MediaFetcher at ${server} answered with an error (HTTP ${status}).`;
}

/**
 * `method path` on `server` with the bearer token (none for the pairing claim). Resolves to
 * {status, data} for 2xx; throws ApiError otherwise. Cookies of the server's own site are never
 * sent (credentials: omit): the token alone says who is asking.
 */
export async function apiRequest({ server, token = '', fetchImpl = fetch }, method, path, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetchImpl(server + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new ApiError(
      'unreachable',
      `Cannot reach MediaFetcher at ${server}. Check that the server is running and that the address is right.`,
    );
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { status: response.status, data };
  const kind = kindOf(response.status);
  throw new ApiError(kind, messageFor(kind, server, data, response.status), {
    status: response.status,
    code: data?.error?.code ?? '',
  });
}
