// Reads of the library table the catalog needs: which libraries exist, their names for music-folder
// answers, when they last changed, and where a library's files are.
import type { Database } from '../db/database.ts';
import type { MusicFolder } from './model.ts';

export function allLibraryIds(db: Database): number[] {
  return db.prepare('SELECT id FROM library').pluck().all() as number[];
}

export function libraryFolders(db: Database): MusicFolder[] {
  return db.prepare('SELECT id, name FROM library ORDER BY id').all() as MusicFolder[];
}

/** Epoch ms of the last change in the given libraries, or null when none was ever scanned. */
export function lastChangeOf(db: Database, libraryIds: readonly number[]): number | null {
  const row = db
    .prepare(
      'SELECT max(coalesce(changed_at, last_scan_at, created_at)) AS at FROM library WHERE id IN (SELECT value FROM json_each(?))',
    )
    .get(JSON.stringify(libraryIds)) as { at: number | null };
  return row.at;
}

/** Epoch ms of the last finished scan of any library, or null. */
export function lastScanAt(db: Database): number | null {
  return (db.prepare('SELECT max(last_scan_at) AS at FROM library').get() as { at: number | null }).at;
}

/** The folder a library's files are under, as configured (not yet resolved); undefined for no such library. */
export function libraryRoot(db: Database, libraryId: number): string | undefined {
  return db.prepare('SELECT path FROM library WHERE id = ?').pluck().get(libraryId) as string | undefined;
}

/** A library with what a list of libraries shows about it. */
export interface LibraryOverviewRow {
  id: number;
  name: string;
  track_count: number;
  album_count: number;
  artist_count: number;
  last_scan_at: number | null;
  offline_since: number | null;
  offline_reason: string | null;
}

/** Every library with its counts (tracks through the (library_id, path) index, albums and artists by link). */
export function libraryOverviewRows(db: Database): LibraryOverviewRow[] {
  return db
    .prepare(
      `SELECT l.id, l.name, l.last_scan_at, l.offline_since, l.offline_reason,
         (SELECT count(*) FROM track t WHERE t.library_id = l.id) AS track_count,
         (SELECT count(*) FROM library_album la WHERE la.library_id = l.id) AS album_count,
         (SELECT count(*) FROM library_artist lr WHERE lr.library_id = l.id) AS artist_count
       FROM library l ORDER BY l.id`,
    )
    .all() as LibraryOverviewRow[];
}
