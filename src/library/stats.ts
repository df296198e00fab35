import type { Database } from '../db/database.ts';

export interface LibraryStats {
  libraries: number;
  artists: number;
  albums: number;
  tracks: number;
  genres: number;
  folders: number;
  albumsWithCover: number;
  skippedFiles: number;
  durationSeconds: number;
  sizeBytes: number;
  byLibrary: Map<number, number>;
}

export function libraryStats(db: Database): LibraryStats {
  const count = (sql: string) => db.prepare(sql).pluck().get() as number;
  const byLibrary = new Map<number, number>();
  for (const row of db.prepare('SELECT library_id, count(*) AS n FROM track GROUP BY library_id').all() as { library_id: number; n: number }[]) byLibrary.set(row.library_id, row.n);
  return {
    libraries: count('SELECT count(*) FROM library'),
    artists: count('SELECT count(*) FROM artist'),
    albums: count('SELECT count(*) FROM album'),
    tracks: count('SELECT count(*) FROM track'),
    genres: count('SELECT count(*) FROM genre'),
    folders: count('SELECT count(*) FROM folder'),
    albumsWithCover: count('SELECT count(*) FROM album WHERE cover_path IS NOT NULL OR cover_track_id IS NOT NULL'),
    skippedFiles: count('SELECT count(*) FROM scan_issue'),
    durationSeconds: count('SELECT coalesce(sum(duration), 0) FROM track'),
    sizeBytes: count('SELECT coalesce(sum(file_size), 0) FROM track'),
    byLibrary,
  };
}
