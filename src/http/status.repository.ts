// Read-only figures the HTTP layer reports (metrics, health). Kept tiny; when the catalog module exists
// its own counts should replace these.
import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

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

/** True when the database answers a trivial query. */
export function databaseResponds(db: Database): boolean {
  try {
    return db.first(db.kysely.selectNoFrom(sql<number>`1`.as('ok')))?.ok === 1;
  } catch {
    return false;
  }
}
