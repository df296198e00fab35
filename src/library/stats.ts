import type { Database } from '../db/database.ts';

/** The library totals /metrics reports on every scrape: one query. */
export interface LibraryTotals {
  tracks: number;
  albums: number;
  artists: number;
  genres: number;
  libraries: number;
}

export function libraryTotals(db: Database): LibraryTotals {
  const row = db.first(
    db.kysely.selectNoFrom((eb) => [
      eb.selectFrom('track').select(eb.fn.countAll<number>().as('n')).as('tracks'),
      eb.selectFrom('album').select(eb.fn.countAll<number>().as('n')).as('albums'),
      eb.selectFrom('artist').select(eb.fn.countAll<number>().as('n')).as('artists'),
      eb.selectFrom('genre').select(eb.fn.countAll<number>().as('n')).as('genres'),
      eb.selectFrom('library').select(eb.fn.countAll<number>().as('n')).as('libraries'),
    ]),
  );
  return {
    tracks: Number(row?.tracks ?? 0),
    albums: Number(row?.albums ?? 0),
    artists: Number(row?.artists ?? 0),
    genres: Number(row?.genres ?? 0),
    libraries: Number(row?.libraries ?? 0),
  };
}

/** Everything `tonearm stats` prints. */
export interface LibraryStats extends LibraryTotals {
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
  for (const row of db.prepare('SELECT library_id, count(*) AS n FROM track GROUP BY library_id').all() as {
    library_id: number;
    n: number;
  }[])
    byLibrary.set(row.library_id, row.n);
  return {
    ...libraryTotals(db),
    folders: count('SELECT count(*) FROM folder'),
    albumsWithCover: count(
      'SELECT count(*) FROM album WHERE cover_path IS NOT NULL OR cover_track_id IS NOT NULL',
    ),
    skippedFiles: count('SELECT count(*) FROM scan_issue'),
    durationSeconds: count('SELECT coalesce(sum(duration), 0) FROM track'),
    sizeBytes: count('SELECT coalesce(sum(file_size), 0) FROM track'),
    byLibrary,
  };
}
