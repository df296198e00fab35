// Short-lived access tokens: JWTs (HS256, via jose) naming a user and a session. The signing key is derived
// (HKDF) from the data folder's secret.key, so tokens survive a restart and die with the key; nothing else
// needs to be kept. A token is only half the check: the session it names must still be live
// (sessions.ts), so logging out or revoking a session ends its tokens at once, not at their expiry.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { TonearmError } from '../shared/errors.ts';
import { loadSecretKey } from './secret-key.ts';

// jose is loaded at the first token, not at start: a server whose users only use Subsonic never needs it.
let joseModule: Promise<typeof import('jose')> | undefined;
const jose = (): Promise<typeof import('jose')> => {
  joseModule ??= import('jose');
  return joseModule;
};

const ISSUER = 'tonearm';
/** Verified tokens kept (each ~400 bytes with its key): the busiest clients of a home server, many times over. */
const VERIFIED_CACHE_MAX = 5_000;
const AUDIENCE = 'tonearm-api';

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

export interface AccessTokens {
  issue(claims: AccessClaims, ttlSeconds: number, now?: number): Promise<string>;
  /** The claims of a valid token; ACCESS_TOKEN_EXPIRED or WRONG_CREDENTIALS (401) otherwise. */
  verify(token: string, now?: number): Promise<AccessClaims>;
  /**
   * The CSRF token of a session: an HMAC of its id, so it needs no storage, differs per session and cannot
   * be made by a page that only knows the cookie exists.
   */
  csrfToken(sessionId: string): string;
  isCsrfToken(sessionId: string, token: string): boolean;
}

export function createAccessTokens(dataDir: string): AccessTokens {
  let key: Uint8Array | undefined;
  let csrfKey: Buffer | undefined;
  const derive = (purpose: string): Buffer =>
    Buffer.from(hkdfSync('sha256', loadSecretKey(dataDir), Buffer.alloc(0), purpose, 32));
  const signingKey = (): Uint8Array => {
    key ??= new Uint8Array(derive('tonearm access tokens v1'));
    return key;
  };
  const csrfToken = (sessionId: string): string => {
    csrfKey ??= derive('tonearm csrf v1');
    return createHmac('sha256', csrfKey).update(sessionId).digest('base64url');
  };
  // Verified tokens, remembered until they expire: checking the signature (WebCrypto HMAC through jose)
  // doubled the cost of an authenticated request under load. The session is still read on every request.
  const verified = new Map<string, AccessClaims & { expiresAt: number }>();
  const remember = (token: string, claims: AccessClaims, expiresAt: number): void => {
    if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value!);
    verified.set(token, { ...claims, expiresAt });
  };
  return {
    csrfToken,
    isCsrfToken(sessionId, token) {
      const expected = Buffer.from(csrfToken(sessionId));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    async issue({ userId, sessionId }, ttlSeconds, now = Date.now()) {
      const issuedAt = Math.floor(now / 1000);
      const { SignJWT } = await jose();
      return new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(signingKey());
    },
    async verify(token, now = Date.now()) {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAt > now) return { userId: known.userId, sessionId: known.sessionId };
        verified.delete(token);
      }
      const { errors: joseErrors, jwtVerify } = await jose();
      try {
        const { payload } = await jwtVerify(token, signingKey(), {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256'],
          currentDate: new Date(now),
        });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new Error('claims');
        const claims = { userId: payload.sub, sessionId: payload.sid };
        remember(token, claims, (payload.exp ?? 0) * 1000);
        return claims;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired)
          throw new TonearmError('ACCESS_TOKEN_EXPIRED', 'the access token has expired; refresh it');
        throw new TonearmError('WRONG_CREDENTIALS', 'the access token is not valid');
      }
    },
  };
}
