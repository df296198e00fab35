// Queries on session and refresh_token. Refresh tokens are found by the SHA-256 of the token.
import type { Insertable, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { RefreshTokenTable, SessionTable } from '../db/schema.ts';

export type SessionRow = Selectable<SessionTable>;
export type RefreshTokenRow = Selectable<RefreshTokenTable>;

export function insertSession(db: Database, row: Insertable<SessionTable>): void {
  db.run(db.kysely.insertInto('session').values(row));
}

export function insertRefreshToken(db: Database, row: Insertable<RefreshTokenTable>): void {
  db.run(db.kysely.insertInto('refresh_token').values(row));
}

export function findSession(db: Database, id: string): SessionRow | undefined {
  return db.first(db.kysely.selectFrom('session').selectAll().where('id', '=', id));
}

export function findRefreshToken(db: Database, tokenHash: string): RefreshTokenRow | undefined {
  return db.first(db.kysely.selectFrom('refresh_token').selectAll().where('token_hash', '=', tokenHash));
}

/** Marks a token used; 0 when it already was (a concurrent rotation won). */
export function markRefreshTokenRotated(db: Database, tokenHash: string, at: number): number {
  return db.run(
    db.kysely
      .updateTable('refresh_token')
      .set({ rotated_at: at })
      .where('token_hash', '=', tokenHash)
      .where('rotated_at', 'is', null),
  ).changes;
}

export function touchSession(
  db: Database,
  id: string,
  changes: { last_seen_at: number; expires_at?: number; address?: string; device?: string },
): void {
  db.run(db.kysely.updateTable('session').set(changes).where('id', '=', id));
}

export function revokeSessionRow(db: Database, id: string, at: number, reason: string): number {
  return db.run(
    db.kysely
      .updateTable('session')
      .set({ revoked_at: at, revoked_reason: reason })
      .where('id', '=', id)
      .where('revoked_at', 'is', null),
  ).changes;
}

export function revokeSessionRowsOfUser(
  db: Database,
  userId: string,
  at: number,
  reason: string,
  exceptId?: string,
): number {
  let update = db.kysely
    .updateTable('session')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (exceptId !== undefined) update = update.where('id', '<>', exceptId);
  return db.run(update).changes;
}

/**
 * Live sessions (not revoked, not expired), most recently seen first: one user's, one session, or every
 * user's when neither is given.
 */
export function liveSessionRows(
  db: Database,
  now: number,
  only: { userId?: string; sessionId?: string } = {},
): (SessionRow & { username: string })[] {
  let query = db.kysely
    .selectFrom('session')
    .innerJoin('user', 'user.id', 'session.user_id')
    .selectAll('session')
    .select('user.username')
    .where('session.revoked_at', 'is', null)
    .where('session.expires_at', '>', now)
    .orderBy('session.last_seen_at', 'desc')
    .orderBy('session.id');
  if (only.userId !== undefined) query = query.where('session.user_id', '=', only.userId);
  if (only.sessionId !== undefined) query = query.where('session.id', '=', only.sessionId);
  return db.all(query);
}

/** Forgets sessions that ended before `before` (revoked or expired) with their tokens. */
export function deleteEndedSessions(db: Database, before: number): number {
  return db.run(
    db.kysely
      .deleteFrom('session')
      .where((eb) =>
        eb.or([
          eb.and([eb('revoked_at', 'is not', null), eb('revoked_at', '<', before)]),
          eb('expires_at', '<', before),
        ]),
      ),
  ).changes;
}
