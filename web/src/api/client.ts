// The typed client of the native API (types generated from the server's OpenAPI document, schema.d.ts).
// Every request goes through sessionFetch: it adds the CSRF header to writes (the session cookie alone
// is not enough for them), and when the access token has expired it refreshes the session once (one
// refresh in flight for all requests) and repeats the request, so nothing the user does is lost to it.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Track = Schemas['Track'];
export type Album = Schemas['Album'];
export type Artist = Schemas['Artist'];
export type Me = Schemas['Me'];
export type Problem = Schemas['Problem'];
/** What the player keeps per queue entry: any track shape the API answers (lists, playlists, the queue). */
export type QueueTrack = Schemas['ActivityTrack'] & Partial<Pick<Track, 'replayGain'>>;

/** The server's base path (e.g. /music), from the <base> element the server writes into the page. */
export const basePath = new URL(document.baseURI).pathname.replace(/\/+$/, '');
export const apiPath = (path: string) => `${basePath}/api/v1${path}`;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem | undefined;
  /** Seconds to wait before trying again (429, 503). */
  readonly retryAfter: number | undefined;
  constructor(status: number, problem: Problem | undefined, retryAfter?: string | null) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter ? Number(retryAfter) || undefined : undefined;
    this.code = problem?.type.replace(/^urn:tonearm:error:/, '') ?? `HTTP_${status}`;
  }
}

function readCookie(name: string): string | undefined {
  const found = document.cookie.split('; ').find((part) => part.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : undefined;
}

/** The session's CSRF token (readable cookie), echoed as X-CSRF-Token on cookie-authenticated writes. */
export function csrfToken(): string {
  return readCookie('tonearm_csrf') ?? '';
}

type SessionListener = () => void;
const sessionListeners = new Set<SessionListener>();
/** Called when the session is over (revoked, or its refresh failed): the app shows the login page. */
export function onSessionEnd(listener: SessionListener): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

export function endSession(): void {
  for (const listener of sessionListeners) listener();
}

const REFRESH_LOCK = 'tonearm-refresh';
let refreshing: Promise<boolean> | undefined;

function postRefresh(): Promise<boolean> {
  return fetch(apiPath('/auth/refresh'), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken() },
    body: '{}',
  })
    .then((response) => response.ok)
    .catch(() => false);
}

/**
 * Trades the refresh cookie for new tokens; true when the session goes on. One at a time in this tab,
 * and across tabs where the browser has Web Locks (HTTPS): a refresh token works once, and a second tab
 * presenting the same one would end the session for all. A tab that waited finds new cookies (another
 * tab refreshed) and does not refresh again.
 */
export function refreshSession(): Promise<boolean> {
  const csrfBefore = csrfToken();
  const refresh = () => (csrfToken() !== csrfBefore ? Promise.resolve(true) : postRefresh());
  refreshing ??= (navigator.locks ? navigator.locks.request(REFRESH_LOCK, refresh) : refresh()).finally(
    () => {
      // Let requests queued behind this refresh use it before the next one may start.
      setTimeout(() => {
        refreshing = undefined;
      }, 0);
    },
  );
  return refreshing;
}

/** The problem code of a 401 answer, or undefined. */
async function unauthorizedCode(response: Response): Promise<string | undefined> {
  if (response.status !== 401) return undefined;
  const problem = (await response
    .clone()
    .json()
    .catch(() => undefined)) as Problem | undefined;
  return problem?.type.replace(/^urn:tonearm:error:/, '');
}

/** 401s that mean this browser's session is gone (revoked, a password change, a reused refresh token). */
const SESSION_GONE = new Set(['SESSION_ENDED', 'REFRESH_TOKEN_REUSED']);

export async function sessionFetch(input: Request): Promise<Response> {
  const send = (request: Request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const csrf = csrfToken();
      if (csrf) request.headers.set('X-CSRF-Token', csrf);
    }
    return fetch(request);
  };
  const retry = input.clone();
  const response = await send(input);
  const code = await unauthorizedCode(response);
  if (code === 'ACCESS_TOKEN_EXPIRED') {
    if (await refreshSession()) return send(retry);
    endSession();
  } else if (code && SESSION_GONE.has(code)) {
    endSession();
  }
  return response;
}

export const api = createClient<paths>({
  baseUrl: basePath,
  credentials: 'same-origin',
  fetch: sessionFetch,
});

/** The data of an openapi-fetch result, or an ApiError thrown for a problem answer. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiError(
      result.response.status,
      result.error as Problem | undefined,
      result.response.headers.get('Retry-After'),
    );
  }
  return result.data as T;
}

/** URL of a cover (same origin: the session cookie goes with it). */
export function coverUrl(coverArtId: string | null | undefined, size: number): string | undefined {
  if (!coverArtId) return undefined;
  return apiPath(`/artwork/${encodeURIComponent(coverArtId)}?size=${size}`);
}
