// The artists, albums and genres a scan creates as it writes tracks. Their counts and the rest of their
// columns come later, from the catalog refresh (catalog-refresh.repository.ts). Callers own the
// transactions.
import type { Database } from '../db/database.ts';
import type { AlbumRow, ArtistRow } from '../db/schema.ts';

export type NewArtist = Pick<ArtistRow, 'id' | 'name' | 'sort_name' | 'order_name'>;
export type NewAlbum = Pick<
  AlbumRow,
  'id' | 'name' | 'sort_name' | 'order_name' | 'artist_id' | 'artist_name' | 'order_artist_name'
>;

/** Inserts the artist unless its id is there; returns the new row's pk, undefined when it was there. */
export function insertArtistIfNew(db: Database, artist: NewArtist, now: number): number | undefined {
  const result = db
    .prepare(
      'INSERT INTO artist (id, name, sort_name, order_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    )
    .run(artist.id, artist.name, artist.sort_name, artist.order_name, now, now);
  return result.changes > 0 ? Number(result.lastInsertRowid) : undefined;
}

/** Inserts the album unless its id is there; returns the new row's pk, undefined when it was there. */
export function insertAlbumIfNew(db: Database, album: NewAlbum, now: number): number | undefined {
  const result = db
    .prepare(
      `INSERT INTO album (id, name, sort_name, order_name, artist_id, artist_name, order_artist_name, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    .run(
      album.id,
      album.name,
      album.sort_name,
      album.order_name,
      album.artist_id,
      album.artist_name,
      album.order_artist_name,
      now,
      now,
    );
  return result.changes > 0 ? Number(result.lastInsertRowid) : undefined;
}

export function insertGenreIfNew(db: Database, id: string, name: string): void {
  db.prepare('INSERT INTO genre (id, name) VALUES (?, ?) ON CONFLICT DO NOTHING').run(id, name);
}
