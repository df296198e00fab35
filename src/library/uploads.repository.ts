// The upload table (migration 0011), read together with what the scanner made of each file: the track at
// its path, or the scan issue that says why it could not be imported.
import type { Insertable, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { UploadTable } from '../db/schema.ts';

export type UploadRow = Selectable<UploadTable>;

export interface UploadWithOutcome extends UploadRow {
  track_id: string | null;
  issue: string | null;
}

/** Adds uploads; a row left for the same path (its file removed by hand since) is replaced. */
export function insertUploadRows(db: Database, rows: readonly Insertable<UploadTable>[]): void {
  for (const row of rows)
    db.run(
      db.kysely
        .insertInto('upload')
        .values(row)
        .onConflict((conflict) =>
          conflict.columns(['library_id', 'path']).doUpdateSet({
            id: row.id,
            user_id: row.user_id,
            original_name: row.original_name,
            size: row.size,
            content_type: row.content_type,
            created_at: row.created_at,
          }),
        ),
    );
}

function withOutcome(db: Database) {
  return db.kysely
    .selectFrom('upload as u')
    .leftJoin('track as t', (join) =>
      join.onRef('t.library_id', '=', 'u.library_id').onRef('t.path', '=', 'u.path'),
    )
    .leftJoin('scan_issue as i', (join) =>
      join.onRef('i.library_id', '=', 'u.library_id').onRef('i.path', '=', 'u.path'),
    )
    .selectAll('u')
    .select(['t.id as track_id', 'i.reason as issue']);
}

/** A user's uploads, newest first, after (created_at, id) of the previous page's last one. */
export function uploadsOfUser(
  db: Database,
  userId: string,
  page: { after?: { createdAt: number; id: string }; limit: number },
): UploadWithOutcome[] {
  let select = withOutcome(db).where('u.user_id', '=', userId);
  const after = page.after;
  if (after)
    select = select.where((eb) =>
      eb.or([
        eb('u.created_at', '<', after.createdAt),
        eb.and([eb('u.created_at', '=', after.createdAt), eb('u.id', '<', after.id)]),
      ]),
    );
  return db.all(select.orderBy('u.created_at', 'desc').orderBy('u.id', 'desc').limit(page.limit));
}

export function uploadsByIds(db: Database, ids: readonly string[]): UploadWithOutcome[] {
  if (ids.length === 0) return [];
  return db.all(withOutcome(db).where('u.id', 'in', ids));
}

export function deleteUploadRow(db: Database, id: string): void {
  db.run(db.kysely.deleteFrom('upload').where('id', '=', id));
}
