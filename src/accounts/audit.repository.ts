import type { Insertable, Selectable } from 'kysely';
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
  event?: string;
  /** Rows with an id below this (the next page going back in time). */
  beforeId?: number;
  limit: number;
}

/** Newest first. */
export function selectAuditRows(db: Database, query: AuditRowQuery): AuditRow[] {
  let select = db.kysely.selectFrom('audit_log').selectAll();
  if (query.since !== undefined) select = select.where('at', '>=', query.since);
  if (query.until !== undefined) select = select.where('at', '<', query.until);
  if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
  if (query.event !== undefined) select = select.where('event', '=', query.event);
  if (query.beforeId !== undefined) select = select.where('id', '<', query.beforeId);
  return db.all(select.orderBy('id', 'desc').limit(query.limit));
}
