// Who is calling a Subsonic endpoint. Follows the OpenSubsonic decision table: apiKey with u/p/t/s → 43;
// missing u, v or c → 10; p (clear or enc:hex) checked against the argon2 hash → 40 when wrong; t+s → 41
// because only hashes are stored (a later issue adds recoverable passwords); apiKey alone → 42 for now.
import type { CredentialVerifier } from '../../accounts/credential-cache.ts';
import type { User } from '../../accounts/users.service.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { SubsonicParams } from './params.ts';

export interface SubsonicAuthenticator {
  verifier: CredentialVerifier;
  throttle: LoginThrottle;
}

const WRONG_CREDENTIALS = 'wrong username or password';

export async function authenticate(
  params: SubsonicParams,
  ip: string,
  auth: SubsonicAuthenticator,
): Promise<User> {
  const hasPassword = params.has('p');
  const hasToken = params.has('t') || params.has('s');
  if (params.has('apiKey')) {
    if (params.has('u') || hasPassword || hasToken) {
      throw new TonearmError('AUTH_CONFLICT', 'apiKey cannot be combined with u, p, t or s');
    }
    requireClientParams(params);
    throw new TonearmError(
      'AUTH_MECHANISM_UNSUPPORTED',
      'API key authentication is not supported yet; use u and p',
    );
  }
  const username = params.required('u');
  requireClientParams(params);
  if (hasPassword && hasToken) throw new TonearmError('AUTH_CONFLICT', 'p cannot be combined with t and s');
  if (hasToken) {
    params.required('t');
    params.required('s');
    throw new TonearmError(
      'TOKEN_AUTH_UNSUPPORTED',
      'token authentication is not supported yet; send the password as p (clear or enc:hex)',
    );
  }
  const password = decodePassword(params.required('p'));
  if (password === undefined) throw new TonearmError('WRONG_CREDENTIALS', WRONG_CREDENTIALS);

  const retryAfter = auth.throttle.retryAfterMs(ip, username);
  if (retryAfter > 0) {
    throw new TonearmError(
      'LOGIN_THROTTLED',
      `too many failed logins; try again in ${Math.ceil(retryAfter / 60_000)} minute(s)`,
    );
  }
  const user = await auth.verifier.verify(username, password);
  if (!user) {
    auth.throttle.recordFailure(ip, username);
    throw new TonearmError('WRONG_CREDENTIALS', WRONG_CREDENTIALS);
  }
  auth.throttle.recordSuccess(username);
  return user;
}

function requireClientParams(params: SubsonicParams): void {
  params.required('v');
  params.required('c');
}

/** `enc:` + hex of the UTF-8 bytes, or the password itself; undefined for malformed hex. */
export function decodePassword(p: string): string | undefined {
  if (!p.startsWith('enc:')) return p;
  const hex = p.slice(4);
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex').toString('utf8');
}
