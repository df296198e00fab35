// Genres with their song and album counts.
import type { Database } from '../db/database.ts';
import type { Genre } from './model.ts';
import { type LibraryScope, visibleIn } from './visibility.repository.ts';

/**
 * Genres that have songs or albums. For every library the counts kept by the scanner are used; otherwise
 * they are counted over the given libraries only.
 */
export function genresWithCounts(db: Database, libraries: LibraryScope): Genre[] {
  if (!libraries) {
    return db
      .prepare(
        'SELECT name, song_count AS songCount, album_count AS albumCount FROM genre WHERE song_count > 0 OR album_count > 0 ORDER BY name, id',
      )
      .all() as Genre[];
  }
  const tracks = visibleIn(libraries, 'track', 't');
  const albums = visibleIn(libraries, 'album', 'al');
  return db
    .prepare(
      `SELECT g.name,
         (SELECT count(*) FROM track_genre tg JOIN track t ON t.id = tg.track_id WHERE tg.genre_id = g.id${tracks.sql}) AS songCount,
         (SELECT count(*) FROM album_genre ag JOIN album al ON al.id = ag.album_id WHERE ag.genre_id = g.id${albums.sql}) AS albumCount
       FROM genre g ORDER BY g.name, g.id`,
    )
    .all(...tracks.params, ...albums.params)
    .filter((row) => (row as Genre).songCount > 0 || (row as Genre).albumCount > 0) as Genre[];
}
