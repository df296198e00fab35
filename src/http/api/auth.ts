// Who calls the native JSON API: a session (an access token from /api/v1/auth/login, as a Bearer header or
// the web app's cookie), an API key (`Authorization: Bearer tnrm_…` or `X-API-Key`), HTTP Basic with
// username and password, or a trusted reverse proxy's user header; media routes also take a signed URL
// (src/streaming/signed-urls.ts), since an <audio> or <img> element of another origin cannot send headers;
// a signed URL is never throttled. Failed logins count towards the same throttle as Subsonic's, under the
// same rules (src/http/login-throttle.ts).
import { randomBytes } from 'node:crypto';
import { API_KEY_PREFIX } from '../../accounts/api-keys.ts';
import { recordAudit } from '../../accounts/audit.ts';
import type { CredentialVerifier } from '../../accounts/credential-cache.ts';
import type { Sessions } from '../../accounts/sessions.ts';
import { hasSecondFactor } from '../../accounts/totp.ts';
import { findUserRowById } from '../../accounts/users.repository.ts';
import { createUser, findUserByName, loadUser, type User } from '../../accounts/users.service.ts';
import type { Database } from '../../db/database.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { UrlSigner } from '../../streaming/signed-urls.ts';
import type { TrustedProxies } from '../client-address.ts';
import type { AppContext } from '../context.ts';
import { checkPassword, invalidApiKey, type LoginThrottle } from '../login-throttle.ts';
import type { Caller } from './caller.ts';
import type { CallerResolver } from './route.ts';
import { ACCESS_COOKIE, CSRF_HEADER, readCookie } from './session-cookies.ts';

export interface ApiAuthenticator {
  db: Database;
  verifier: CredentialVerifier;
  throttle: LoginThrottle;
  signer: UrlSigner;
  basePath: string;
}

/**
 * The caller named by the request's headers; WRONG_CREDENTIALS / INVALID_API_KEY (401) otherwise, and
 * LOGIN_THROTTLED / API_KEY_THROTTLED (429 with Retry-After) under the login throttle's rules.
 */
export async function authenticateApiRequest(ctx: AppContext, auth: ApiAuthenticator): Promise<User> {
  const header = ctx.get('Authorization');
  const apiKey = ctx.get('X-API-Key') || (/^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '');
  if (apiKey) {
    // Always checked: a valid key is never refused, whatever failed from this address before.
    const user = auth.verifier.verifyApiKey(apiKey);
    if (!user) {
      const error = invalidApiKey(auth.throttle, ctx.ip);
      ctx.state.log.warn({ ip: ctx.ip, code: error.code }, 'api login failed');
      throw error;
    }
    return user;
  }
  const basic = /^Basic\s+(\S+)$/i.exec(header)?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const username = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    let user: User | undefined;
    try {
      user = await checkPassword(
        auth.throttle,
        ctx.ip,
        username,
        async () => (password ? auth.verifier.verify(username, password) : undefined),
        (found) => !hasSecondFactor(found),
      );
    } catch (error) {
      ctx.state.log.warn({ ip: ctx.ip, user: username, code: 'LOGIN_THROTTLED' }, 'api login failed');
      throw error;
    }
    if (!user) {
      ctx.state.log.warn({ ip: ctx.ip, user: username, code: 'WRONG_CREDENTIALS' }, 'api login failed');
      throw new TonearmError('WRONG_CREDENTIALS', 'wrong username or password');
    }
    if (hasSecondFactor(user))
      throw new TonearmError(
        'AUTH_MECHANISM_UNSUPPORTED',
        'this account has two-factor login, so HTTP Basic is refused; use an API key (Authorization: Bearer tnrm_…) or log in with POST /api/v1/auth/login',
      );
    return user;
  }
  throw new TonearmError(
    'WRONG_CREDENTIALS',
    'log in with an API key (Authorization: Bearer …) or HTTP Basic',
  );
}

/** For media routes: a signed URL's user, else the headers' caller. */
export async function authenticateMediaRequest(ctx: AppContext, auth: ApiAuthenticator): Promise<User> {
  const query = new URLSearchParams(ctx.querystring);
  if (!query.has('sig')) return authenticateApiRequest(ctx, auth);
  const path =
    auth.basePath && ctx.path.startsWith(auth.basePath) ? ctx.path.slice(auth.basePath.length) : ctx.path;
  const { userId } = auth.signer.verify(path, query);
  const row = findUserRowById(auth.db, userId);
  if (!row) throw new TonearmError('FORBIDDEN', 'this link is not valid');
  return loadUser(auth.db, row);
}

/**
 * What a caller's CSRF token is bound to: the session for the session cookie, the user for proxy-header
 * login (which has no session of ours); undefined for callers that need none.
 */
export function csrfSubject(caller: Pick<Caller, 'via' | 'sessionId' | 'user'>): string | undefined {
  if (caller.via === 'cookie-session') return caller.sessionId;
  if (caller.via === 'proxy-header') return `proxy-user:${caller.user.id}`;
  return undefined;
}

/** Reverse-proxy login (auth.proxyHeader): the header naming the user, believed only from these peers. */
export interface ProxyHeaderAuth {
  header: string;
  networks: TrustedProxies;
  createUsers: boolean;
}

/**
 * The native API's CallerResolver. In order: a signed URL (media routes), `Authorization: Bearer` with an
 * API key (tnrm_…) or an access token, X-API-Key, HTTP Basic, the reverse proxy's user header (from its
 * networks only), and the web app's session cookie. The first credential found decides: a wrong one is a
 * 401, never a fall-through to the next.
 */
export function createCallerResolver(
  auth: ApiAuthenticator,
  sessions: Sessions,
  proxy: ProxyHeaderAuth | undefined,
): CallerResolver {
  return {
    async resolve(ctx, { signedUrl, optional }) {
      if (signedUrl && new URLSearchParams(ctx.querystring).has('sig'))
        return { user: await authenticateMediaRequest(ctx, auth), via: 'signed-url' };
      const header = ctx.get('Authorization');
      const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      // A JWT has three dot-separated parts; anything else after Bearer is taken for an API key.
      if (bearer && !bearer.startsWith(API_KEY_PREFIX) && bearer.split('.').length === 3) {
        const { user, sessionId } = await sessions.authenticate(bearer);
        return { user, via: 'bearer-session', sessionId };
      }
      if (header || ctx.get('X-API-Key')) {
        const user = await authenticateApiRequest(ctx, auth);
        return { user, via: /^Basic\s/i.test(header) ? 'basic' : 'api-key' };
      }
      if (proxy) {
        const name = ctx.get(proxy.header);
        if (name && proxy.networks.has(ctx.state.client.peer)) {
          const user = await proxyUser(auth.db, name.trim(), proxy, ctx);
          return { user, via: 'proxy-header' };
        }
      }
      const cookie = readCookie(ctx, ACCESS_COOKIE);
      if (cookie) {
        const { user, sessionId } = await sessions.authenticate(cookie);
        return { user, via: 'cookie-session', sessionId };
      }
      if (optional) return undefined;
      throw new TonearmError(
        'WRONG_CREDENTIALS',
        'log in first: an access token or API key (Authorization: Bearer …), HTTP Basic, or the session cookie',
      );
    },
    checkCsrf(ctx, caller) {
      // Credentials a browser attaches by itself (the session cookie; the proxy's own cookie behind
      // proxy-header login) need the token on writes; headers a page must set itself (Bearer, API key) do not.
      const subject = csrfSubject(caller);
      if (subject === undefined) return;
      const token = ctx.get(CSRF_HEADER);
      if (!token || !sessions.isCsrfToken(subject, token))
        throw new TonearmError(
          'CSRF_REFUSED',
          `this write was authenticated by the browser (session cookie or proxy login) but came without a valid ${CSRF_HEADER} header`,
        );
    },
  };
}

/** The user a trusted proxy names; created on first sight when allowed (with an unusable random password). */
async function proxyUser(
  db: Database,
  username: string,
  proxy: ProxyHeaderAuth,
  ctx: AppContext,
): Promise<User> {
  const existing = findUserByName(db, username);
  if (existing) return existing;
  if (!proxy.createUsers) {
    ctx.state.log.warn({ user: username }, 'proxy header names an unknown user');
    throw new TonearmError('WRONG_CREDENTIALS', `the proxy names ${username}, who has no account here`);
  }
  try {
    const user = await createUser(db, { username, password: randomBytes(32).toString('base64url') });
    recordAudit(db, {
      event: 'user.created',
      user: { id: user.id, username: user.username },
      address: ctx.ip,
      detail: { via: 'proxy-header' },
    });
    ctx.state.log.info({ user: username }, 'user created from the proxy header');
    return user;
  } catch (error) {
    // Two first requests at once: the other one created it.
    const created = findUserByName(db, username);
    if (created) return created;
    throw error;
  }
}

export function requireAdmin(user: User): void {
  if (!user.roles.admin) throw new TonearmError('FORBIDDEN', 'only an administrator may do this');
}
