// Sessions: one login on one device. Each has a short-lived access token (JWT, access-tokens.ts) and a
// rotating refresh token: every refresh hands out a new pair and marks the presented refresh token used.
// A used token presented again means it was copied (or a client kept a stale one): the whole session (the
// token family) is revoked and the caller must log in again (RFC 9700 §4.14.2). Refresh tokens are stored
// as SHA-256 hashes only — they are 256-bit random values, so a fast hash is enough and a database backup
// holds nothing usable.
//
// A session lives `idleTimeout` past its last refresh, and never longer than `maxAge` after the login. A
// password change, a deletion of the user, a logout or a revocation (the user, an admin, the CLI) ends it;
// access tokens check their session on every request, so the end is immediate. The session row and its
// user are kept until the database changes (Database.recentChangeVersion), which every one of those is.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ChangeScopedCache } from '../db/change-scoped.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import type { AccessTokens } from './access-tokens.ts';
import {
  deleteEndedSessions,
  findRefreshToken,
  findSession,
  insertRefreshToken,
  insertSession,
  liveSessionRows,
  markRefreshTokenRotated,
  revokeSessionRow,
  revokeSessionRowsOfUser,
  type SessionRow,
  touchSession,
} from './sessions.repository.ts';
import { findUserRowById } from './users.repository.ts';
import { loadUser, type User } from './users.service.ts';

export type SessionMethod = 'password' | 'oidc' | 'setup';

export interface SessionPolicy {
  accessTokenTtlMs: number;
  idleTimeoutMs: number;
  maxAgeMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  accessTokenTtlMs: 15 * 60_000,
  idleTimeoutMs: 30 * 86_400_000,
  maxAgeMs: 365 * 86_400_000,
};

/** Where a login or refresh comes from: shown in the session list. */
export interface SessionOrigin {
  /** The client as it names itself (User-Agent, shortened). */
  device: string;
  address: string;
}

export interface IssuedTokens {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token is valid. */
  expiresIn: number;
  /** When the refresh token (and so the session, unless refreshed) expires, ms since the epoch. */
  refreshExpiresAt: number;
  user: User;
}

export interface SessionInfo {
  id: string;
  userId: string;
  username: string;
  method: string;
  device: string;
  address: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** last_seen_at is written at most this often per session by access-token requests. */
const SEEN_RESOLUTION_MS = 60_000;
const DEVICE_MAX_LENGTH = 200;

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

export class Sessions {
  readonly #db: Database;
  readonly #tokens: AccessTokens;
  readonly #policy: SessionPolicy;
  readonly #now: () => number;
  /** A session and its user (undefined once deleted) as last read, until the database changes. */
  readonly #seen: ChangeScopedCache<{ session: SessionRow; user: User | undefined }>;

  constructor(
    db: Database,
    tokens: AccessTokens,
    policy: Partial<SessionPolicy> = {},
    now = () => Date.now(),
  ) {
    this.#db = db;
    this.#tokens = tokens;
    this.#policy = { ...DEFAULT_SESSION_POLICY, ...policy };
    this.#now = now;
    this.#seen = new ChangeScopedCache(db, { maxEntries: 1_000 });
  }

  get policy(): SessionPolicy {
    return this.#policy;
  }

  /** The token a cookie-authenticated write of this session must send (X-CSRF-Token). */
  csrfToken(sessionId: string): string {
    return this.#tokens.csrfToken(sessionId);
  }

  isCsrfToken(sessionId: string, token: string): boolean {
    return this.#tokens.isCsrfToken(sessionId, token);
  }

  /** Opens a session for a user who has just proved who they are. */
  async open(user: User, method: SessionMethod, origin: SessionOrigin): Promise<IssuedTokens> {
    const now = this.#now();
    const sessionId = `se-${randomUUID().replaceAll('-', '')}`;
    const refreshToken = newRefreshToken();
    const expiresAt = Math.min(now + this.#policy.idleTimeoutMs, now + this.#policy.maxAgeMs);
    this.#db.transaction(() => {
      insertSession(this.#db, {
        id: sessionId,
        user_id: user.id,
        method,
        device: origin.device.slice(0, DEVICE_MAX_LENGTH),
        address: origin.address,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
        revoked_at: null,
        revoked_reason: null,
      });
      insertRefreshToken(this.#db, {
        token_hash: hashRefreshToken(refreshToken),
        session_id: sessionId,
        created_at: now,
        rotated_at: null,
      });
    });
    return this.#issue(user, sessionId, refreshToken, expiresAt, now);
  }

  /**
   * Rotates: a new access and refresh token for a live, unused refresh token. SESSION_ENDED for an unknown,
   * expired or revoked one; REFRESH_TOKEN_REUSED (and the session revoked) for one already rotated.
   */
  async refresh(refreshToken: string, origin: SessionOrigin): Promise<IssuedTokens> {
    const now = this.#now();
    const tokenHash = hashRefreshToken(refreshToken);
    const outcome = this.#db.transaction(() => {
      const token = findRefreshToken(this.#db, tokenHash);
      if (!token) return { ended: 'unknown' as const };
      const session = findSession(this.#db, token.session_id);
      if (!session || !isLive(session, now)) return { ended: 'ended' as const };
      if (token.rotated_at !== null || markRefreshTokenRotated(this.#db, tokenHash, now) === 0) {
        revokeSessionRow(this.#db, session.id, now, 'refresh token reused');
        return { reused: session };
      }
      const next = newRefreshToken();
      insertRefreshToken(this.#db, {
        token_hash: hashRefreshToken(next),
        session_id: session.id,
        created_at: now,
        rotated_at: null,
      });
      const expiresAt = Math.min(
        now + this.#policy.idleTimeoutMs,
        session.created_at + this.#policy.maxAgeMs,
      );
      touchSession(this.#db, session.id, {
        last_seen_at: now,
        expires_at: expiresAt,
        address: origin.address,
        device: origin.device.slice(0, DEVICE_MAX_LENGTH),
      });
      return { session, next, expiresAt };
    });
    if ('ended' in outcome)
      throw new TonearmError('SESSION_ENDED', 'this refresh token is not valid any more; log in again');
    if ('reused' in outcome)
      throw Object.assign(
        new TonearmError(
          'REFRESH_TOKEN_REUSED',
          'this refresh token was already used, so its session has been ended; log in again',
        ),
        { session: outcome.reused },
      );
    const row = findUserRowById(this.#db, outcome.session.user_id);
    if (!row) throw new TonearmError('SESSION_ENDED', 'the user of this session no longer exists');
    return this.#issue(loadUser(this.#db, row), outcome.session.id, outcome.next, outcome.expiresAt, now);
  }

  /** The user and session of an access token whose session is live; a 401 problem otherwise. */
  async authenticate(accessToken: string): Promise<{ user: User; sessionId: string }> {
    const now = this.#now();
    const claims = await this.#tokens.verify(accessToken, now);
    const seen = this.#seen.get(claims.sessionId, () => {
      const session = findSession(this.#db, claims.sessionId);
      if (!session) return undefined;
      const row = findUserRowById(this.#db, session.user_id);
      return { session, user: row && loadUser(this.#db, row) };
    });
    const session = seen?.session;
    if (!session || session.user_id !== claims.userId || !isLive(session, now))
      throw new TonearmError('SESSION_ENDED', 'this session has ended; log in again');
    if (!seen.user) throw new TonearmError('SESSION_ENDED', 'the user of this session no longer exists');
    // A write: the next request reads the session again.
    if (now - session.last_seen_at >= SEEN_RESOLUTION_MS)
      touchSession(this.#db, session.id, { last_seen_at: now });
    return { user: seen.user, sessionId: session.id };
  }

  /** The session a refresh token belongs to (for logout), if the token is known. */
  sessionOfRefreshToken(refreshToken: string): SessionRow | undefined {
    const token = findRefreshToken(this.#db, hashRefreshToken(refreshToken));
    return token ? findSession(this.#db, token.session_id) : undefined;
  }

  /** Ends one session; false when there was no such live session (of that user, when given). */
  revoke(sessionId: string, reason: string, userId?: string): boolean {
    const session = findSession(this.#db, sessionId);
    if (!session || (userId !== undefined && session.user_id !== userId)) return false;
    return revokeSessionRow(this.#db, sessionId, this.#now(), reason) > 0;
  }

  /** Ends every session of a user (but `exceptSessionId`); the count ended. */
  revokeAllOf(userId: string, reason: string, exceptSessionId?: string): number {
    return revokeSessionRowsOfUser(this.#db, userId, this.#now(), reason, exceptSessionId);
  }

  /** A session's user as they are now (roles, libraries), or undefined once deleted. */
  userOf(userId: string): User | undefined {
    const row = findUserRowById(this.#db, userId);
    return row ? loadUser(this.#db, row) : undefined;
  }

  /** One live session. */
  find(sessionId: string): SessionInfo | undefined {
    const row = liveSessionRows(this.#db, this.#now(), { sessionId })[0];
    return row && sessionInfo(row);
  }

  /** Live sessions, most recently seen first: one user's, or everybody's. */
  list(userId?: string): SessionInfo[] {
    return liveSessionRows(this.#db, this.#now(), { userId }).map(sessionInfo);
  }

  /** Drops sessions that ended more than a week ago (the audit log keeps the story). */
  prune(): number {
    return deleteEndedSessions(this.#db, this.#now() - 7 * 86_400_000);
  }

  async #issue(
    user: User,
    sessionId: string,
    refreshToken: string,
    refreshExpiresAt: number,
    now: number,
  ): Promise<IssuedTokens> {
    const ttlSeconds = Math.max(1, Math.floor(this.#policy.accessTokenTtlMs / 1000));
    const accessToken = await this.#tokens.issue({ userId: user.id, sessionId }, ttlSeconds, now);
    return { sessionId, accessToken, refreshToken, expiresIn: ttlSeconds, refreshExpiresAt, user };
  }
}

function sessionInfo(row: SessionRow & { username: string }): SessionInfo {
  return {
    id: row.id,
    userId: row.user_id,
    username: row.username,
    method: row.method,
    device: row.device,
    address: row.address,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
}

function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

function isLive(session: SessionRow, now: number): boolean {
  return session.revoked_at === null && session.expires_at > now;
}
