// Who is calling a Subsonic endpoint. Follows the OpenSubsonic decision table:
//   apiKey with u/p/t/s → 43; apiKey alone → its user, or 44;
//   missing u, v or c → 10; p together with t/s → 43;
//   password and token logins turned off by the admin → 42 (use an API key);
//   u+p (clear or enc:hex) checked against the argon2 hash → 40 when wrong;
//   u+t+s: t = md5_hex(password + s) against the sealed password copy → 40 when wrong, 41 when the user
//   has no recoverable password (DSub then retries with p=enc:);
//   a user with two-factor login → 42 after a right password or token (their clients use API keys).
// Failed password and token checks count towards the login throttle (src/http/login-throttle.ts) per
// (address, account) and per address; an attempt that must wait is refused (40) without any check. API
// keys are always checked (a valid one is never refused); invalid ones are counted apart, per address
// (44). `address` is the client's (src/http/client-address.ts). No credential ever goes into a message.
import type { CredentialVerifier } from '../../accounts/credential-cache.ts';
import { hasSecondFactor } from '../../accounts/totp.ts';
import type { User } from '../../accounts/users.service.ts';
import { TonearmError } from '../../shared/errors.ts';
import {
  assertPasswordAttemptAllowed,
  checkPassword,
  invalidApiKey,
  type LoginThrottle,
} from '../login-throttle.ts';
import type { SubsonicParams } from './params.ts';

export interface SubsonicAuthenticator {
  verifier: CredentialVerifier;
  throttle: LoginThrottle;
  /** The admin switch; read on every login so a change counts at once. Enabled when absent. */
  passwordAuthEnabled?: () => boolean;
}

const WRONG_CREDENTIALS = 'wrong username or password';

export async function authenticate(
  params: SubsonicParams,
  address: string,
  auth: SubsonicAuthenticator,
): Promise<User> {
  const hasPassword = params.has('p');
  const hasToken = params.has('t') || params.has('s');
  if (params.has('apiKey')) {
    if (params.has('u') || hasPassword || hasToken) {
      throw new TonearmError('AUTH_CONFLICT', 'apiKey cannot be combined with u, p, t or s');
    }
    requireClientParams(params);
    return authenticateApiKey(params.get('apiKey') ?? '', address, auth);
  }
  const username = params.required('u');
  requireClientParams(params);
  if (hasPassword && hasToken) throw new TonearmError('AUTH_CONFLICT', 'p cannot be combined with t and s');
  if (!hasToken) params.required('p');
  if (auth.passwordAuthEnabled && !auth.passwordAuthEnabled()) {
    throw new TonearmError(
      'AUTH_MECHANISM_UNSUPPORTED',
      'password and token authentication are turned off on this server; log in with an API key (apiKey)',
    );
  }
  if (hasToken) {
    const token = params.required('t');
    const salt = params.required('s');
    assertPasswordAttemptAllowed(auth.throttle, address, username);
    const result = auth.verifier.verifyToken(username, token, salt);
    if ('user' in result) {
      if (!hasSecondFactor(result.user)) auth.throttle.passwordSucceeded(address, username);
      return refuseSecondFactorUser(result.user);
    }
    if (result.failure === 'unsupported') {
      throw new TonearmError(
        'TOKEN_AUTH_UNSUPPORTED',
        'token authentication is not available for this user until their password is set again; send the password as p (clear or enc:hex)',
      );
    }
    auth.throttle.passwordFailed(address, username);
    throw new TonearmError('WRONG_CREDENTIALS', WRONG_CREDENTIALS);
  }
  const password = decodePassword(params.required('p'));
  if (password === undefined) throw new TonearmError('WRONG_CREDENTIALS', WRONG_CREDENTIALS);

  const user = await checkPassword(
    auth.throttle,
    address,
    username,
    () => auth.verifier.verify(username, password),
    (found) => !hasSecondFactor(found),
  );
  if (!user) throw new TonearmError('WRONG_CREDENTIALS', WRONG_CREDENTIALS);
  return refuseSecondFactorUser(user);
}

/** A password alone must not open an account that has two-factor login. */
function refuseSecondFactorUser(user: User): User {
  if (!hasSecondFactor(user)) return user;
  throw new TonearmError(
    'AUTH_MECHANISM_UNSUPPORTED',
    'this account has two-factor login, so Subsonic clients must log in with an API key (apiKey) instead of a password',
  );
}

function authenticateApiKey(key: string, address: string, auth: SubsonicAuthenticator): User {
  const user = key === '' ? undefined : auth.verifier.verifyApiKey(key);
  if (!user) throw invalidApiKey(auth.throttle, address);
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
