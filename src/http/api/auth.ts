// Who calls the native JSON API. For now: an API key (`Authorization: Bearer tnrm_…` or `X-API-Key`) or
// HTTP Basic with username and password; media routes also take a signed URL (src/streaming/signed-urls.ts)
// instead, since an <audio> or <img> element cannot send headers; a signed URL is never throttled. Failed
// logins count towards the same throttle as Subsonic's, under the same rules (src/http/login-throttle.ts).
// Browser sessions arrive with the accounts work.
import type { CredentialVerifier } from '../../accounts/credential-cache.ts';
import { hasSecondFactor } from '../../accounts/totp.ts';
import { findUserRowById } from '../../accounts/users.repository.ts';
import { loadUser, type User } from '../../accounts/users.service.ts';
import type { Database } from '../../db/database.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { UrlSigner } from '../../streaming/signed-urls.ts';
import type { AppContext } from '../context.ts';
import { checkPassword, invalidApiKey, type LoginThrottle } from '../login-throttle.ts';
import type { CallerResolver } from './route.ts';

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
      user = await checkPassword(auth.throttle, ctx.ip, username, async () =>
        password ? auth.verifier.verify(username, password) : undefined,
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

/** The native API's CallerResolver over the authenticators above; sessions join in accounts work. */
export function createCallerResolver(auth: ApiAuthenticator): CallerResolver {
  return {
    async resolve(ctx, { signedUrl, optional }) {
      const query = signedUrl ? new URLSearchParams(ctx.querystring) : undefined;
      if (query?.has('sig')) return { user: await authenticateMediaRequest(ctx, auth), via: 'signed-url' };
      const header = ctx.get('Authorization');
      if (optional && !header && !ctx.get('X-API-Key')) return undefined;
      const user = await authenticateApiRequest(ctx, auth);
      return { user, via: /^Basic\s/i.test(header) ? 'basic' : 'api-key' };
    },
    checkCsrf() {},
  };
}

export function requireAdmin(user: User): void {
  if (!user.roles.admin) throw new TonearmError('FORBIDDEN', 'only an administrator may do this');
}
