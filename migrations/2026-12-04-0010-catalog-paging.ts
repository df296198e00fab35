// Indexes for the native API's sorted lists (issue 13, src/catalog/*-pages.repository.ts), each walked in
// its order by keyset paging (WHERE (key, id) > (?, ?)) instead of sorting the table for every page:
// - tracks by duration: without an index every page sorted all tracks (~50 ms at 100k);
// - tracks by year, an album's tracks together: (year, album_id) leaves only one album to sort at a time,
//   also for the tracks without a year (year IS NULL), which can be most of a library; it replaces the
//   (year) index, which it covers;
// - artists by album count, track count and date added.
// Frozen once shipped: change indexes in a new file.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `CREATE INDEX track_duration ON track (duration, id)`,
    `CREATE INDEX track_year_album ON track (year, album_id)`,
    `DROP INDEX track_year`,
    `CREATE INDEX artist_album_count ON artist (album_count, id)`,
    `CREATE INDEX artist_song_count ON artist (song_count, id)`,
    `CREATE INDEX artist_created ON artist (created_at, id)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
