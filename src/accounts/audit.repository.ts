import { type Insertable, type Selectable, sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { AuditLogTable } from '../db/schema.ts';

export type AuditRow = Selectable<AuditLogTable>;

export function insertAuditRow(db: Database, row: Insertable<AuditLogTable>): void {
  db.run(db.kysely.insertInto('audit_log').values(row));
}

export interface AuditRowQuery {
  since?: number;
  until?: number;
  userId?: string;
  /** Rows about or by this name (as it was then; names ignore case). */
  username?: string;
  event?: string;
  /** Rows after this one in the newest-first order (the next page, going back in time). */
  before?: { at: number; id: number };
  limit: number;
}

/** Newest first (audit_log_by_time serves the order; id, the rowid, is part of that index). */
export function selectAuditRows(db: Database, query: AuditRowQuery): AuditRow[] {
  let select = db.kysely.selectFrom('audit_log').selectAll();
  if (query.since !== undefined) select = select.where('at', '>=', query.since);
  if (query.until !== undefined) select = select.where('at', '<', query.until);
  if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
  if (query.username !== undefined) {
    const name = query.username;
    select = select.where((eb) =>
      eb.or([eb(sql`username COLLATE NOCASE`, '=', name), eb(sql`actor_name COLLATE NOCASE`, '=', name)]),
    );
  }
  if (query.event !== undefined) select = select.where('event', '=', query.event);
  const before = query.before;
  if (before !== undefined)
    select = select.where((eb) =>
      eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]),
    );
  // By time, not by id: an event may be recorded with the time it happened (a batch, a clock fix).
  return db.all(select.orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit));
}

/** Failed events of these kinds about one user since a time (uses audit_log_by_user). */
export function countFailures(
  db: Database,
  userId: string,
  events: readonly string[],
  since: number,
): { count: number; oldest: number | null } {
  const row = db.first(
    db.kysely
      .selectFrom('audit_log')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min<number | null>('at').as('oldest')])
      .where('user_id', '=', userId)
      .where('at', '>=', since)
      .where('outcome', '=', 'failure')
      .where('event', 'in', events),
  );
  return { count: row?.count ?? 0, oldest: row?.oldest ?? null };
}

/** Deletes entries older than `before`; the count deleted. */
export function deleteAuditRowsBefore(db: Database, before: number): number {
  return db.run(db.kysely.deleteFrom('audit_log').where('at', '<', before)).changes;
}
