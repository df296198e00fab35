// The browser's side of a session: three cookies, all SameSite=Strict (never sent by another site's page):
//   tonearm_access   the access token, httpOnly, for every route (and <img>/<audio> of the same origin);
//   tonearm_refresh  the refresh token, httpOnly, sent only to /api/v1/auth (refresh, logout);
//   tonearm_csrf     readable by the web app, which echoes it as X-CSRF-Token on writes: a page of another
//                    origin cannot read it, so a forged write lacks it (double submit, bound to the session).
// Secure is added when the request came over HTTPS (directly, or from a trusted proxy that says so).
import type { IssuedTokens } from '../../accounts/sessions.ts';
import type { AppContext } from '../context.ts';
import { isHttpsRequest } from '../public-url.ts';
import { API_PREFIX } from './route.ts';

export const ACCESS_COOKIE = 'tonearm_access';
export const REFRESH_COOKIE = 'tonearm_refresh';
export const CSRF_COOKIE = 'tonearm_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

interface CookieOptions {
  path: string;
  httpOnly: boolean;
  maxAgeSeconds: number;
  /** Strict unless a cross-site navigation must carry it (the OIDC provider's redirect back: Lax). */
  sameSite?: 'Strict' | 'Lax';
}

/** One Set-Cookie line; Secure whenever the request came over HTTPS. */
export function cookieLine(ctx: AppContext, name: string, value: string, options: CookieOptions): string {
  const parts = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAgeSeconds}`,
    `SameSite=${options.sameSite ?? 'Strict'}`,
  ];
  if (options.httpOnly) parts.push('HttpOnly');
  if (isHttpsRequest(ctx)) parts.push('Secure');
  return parts.join('; ');
}

function paths(basePath: string): { site: string; auth: string } {
  return { site: basePath || '/', auth: `${basePath}${API_PREFIX}/auth` };
}

export function setSessionCookies(
  ctx: AppContext,
  basePath: string,
  tokens: IssuedTokens,
  csrfToken: string,
): void {
  const { site, auth } = paths(basePath);
  const refreshSeconds = Math.max(1, Math.floor((tokens.refreshExpiresAt - Date.now()) / 1000));
  ctx.append('Set-Cookie', [
    // The access cookie lives as long as the session: an expired token in it gets ACCESS_TOKEN_EXPIRED,
    // which tells the web app to refresh, where a missing cookie would look like "never logged in".
    cookieLine(ctx, ACCESS_COOKIE, tokens.accessToken, {
      path: site,
      httpOnly: true,
      maxAgeSeconds: refreshSeconds,
    }),
    cookieLine(ctx, REFRESH_COOKIE, tokens.refreshToken, {
      path: auth,
      httpOnly: true,
      maxAgeSeconds: refreshSeconds,
    }),
    cookieLine(ctx, CSRF_COOKIE, csrfToken, { path: site, httpOnly: false, maxAgeSeconds: refreshSeconds }),
  ]);
}

export function clearSessionCookies(ctx: AppContext, basePath: string): void {
  const { site, auth } = paths(basePath);
  ctx.append('Set-Cookie', [
    cookieLine(ctx, ACCESS_COOKIE, '', { path: site, httpOnly: true, maxAgeSeconds: 0 }),
    cookieLine(ctx, REFRESH_COOKIE, '', { path: auth, httpOnly: true, maxAgeSeconds: 0 }),
    cookieLine(ctx, CSRF_COOKIE, '', { path: site, httpOnly: false, maxAgeSeconds: 0 }),
  ]);
}

export function readCookie(ctx: AppContext, name: string): string | undefined {
  return ctx.cookies.get(name) || undefined;
}
