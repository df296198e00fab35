// What the scanner keeps besides the catalog: the files it could not import (scan_issue), so an
// unchanged broken file is not read again, and the marker that a scan's catalog refresh is pending (set
// before a scan's first write, cleared after its refresh: a killed scan leaves it set).
import type { Database } from '../db/database.ts';
import type { ScanIssueTable } from '../db/schema.ts';

const REFRESH_MARKER = 'scan.refreshPending';

export type StoredIssue = Pick<ScanIssueTable, 'path' | 'file_size' | 'file_mtime' | 'reason'>;

export function isRefreshPending(db: Database): boolean {
  return db.prepare('SELECT value FROM setting WHERE key = ?').pluck().get(REFRESH_MARKER) !== undefined;
}

export function markRefreshPending(db: Database, now: number): void {
  db.prepare('INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)').run(REFRESH_MARKER, String(now));
}

export function clearRefreshPending(db: Database): void {
  db.prepare('DELETE FROM setting WHERE key = ?').run(REFRESH_MARKER);
}

export function issuesOfLibrary(db: Database, libraryId: number): StoredIssue[] {
  return db
    .prepare('SELECT path, file_size, file_mtime, reason FROM scan_issue WHERE library_id = ?')
    .all(libraryId) as StoredIssue[];
}

/** Records (or updates) why a file could not be imported, with the size and mtime it had. */
export function recordIssue(
  db: Database,
  libraryId: number,
  file: { path: string; size: number; mtime: number },
  reason: string,
  now: number,
): void {
  db.prepare(
    `INSERT INTO scan_issue (library_id, path, file_size, file_mtime, reason, seen_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (library_id, path) DO UPDATE SET file_size = excluded.file_size, file_mtime = excluded.file_mtime, reason = excluded.reason, seen_at = excluded.seen_at`,
  ).run(libraryId, file.path, file.size, file.mtime, reason, now);
}

export function clearIssue(db: Database, libraryId: number, relPath: string): void {
  db.prepare('DELETE FROM scan_issue WHERE library_id = ? AND path = ?').run(libraryId, relPath);
}
