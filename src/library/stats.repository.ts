// The counts behind /metrics and `tonearm stats`.
import type { Database } from '../db/database.ts';

export interface TotalRows {
  tracks: number;
  albums: number;
  artists: number;
  genres: number;
  libraries: number;
}

/** Row counts of the main catalog tables, in one query. */
export function totalRows(db: Database): TotalRows {
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

export interface DetailCounts {
  folders: number;
  albumsWithCover: number;
  skippedFiles: number;
  durationSeconds: number;
  sizeBytes: number;
  tracksByLibrary: Map<number, number>;
}

export function detailCounts(db: Database): DetailCounts {
  const count = (sql: string) => db.prepare(sql).pluck().get() as number;
  const tracksByLibrary = new Map<number, number>();
  for (const row of db.prepare('SELECT library_id, count(*) AS n FROM track GROUP BY library_id').all() as {
    library_id: number;
    n: number;
  }[])
    tracksByLibrary.set(row.library_id, row.n);
  return {
    folders: count('SELECT count(*) FROM folder'),
    albumsWithCover: count(
      'SELECT count(*) FROM album WHERE cover_path IS NOT NULL OR cover_track_id IS NOT NULL',
    ),
    skippedFiles: count('SELECT count(*) FROM scan_issue'),
    durationSeconds: count('SELECT coalesce(sum(duration), 0) FROM track'),
    sizeBytes: count('SELECT coalesce(sum(file_size), 0) FROM track'),
    tracksByLibrary,
  };
}
