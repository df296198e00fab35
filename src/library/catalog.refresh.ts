// After a scan changed tracks: rebuild the albums, artists and genres those tracks touched from the
// tracks themselves (counts, durations, dates, cover choice, library membership), drop what is left
// empty, and bring the search index up to date.
import path from 'node:path';
import { reindex } from '../catalog/search.ts';
import { albumTrackOrder } from '../db/album-track-order.ts';
import type { Database } from '../db/database.ts';
import type { DirtySets } from './catalog.writer.ts';
import { folderId, orderName } from '../music/identity.ts';
import { albumFolderOf, folderOf } from './walk.ts';

export interface RefreshOptions {
  articles: readonly string[];
  coverArtPriority: readonly string[];
  artistImageNames: readonly string[];
}

interface AlbumTrack {
  id: string;
  library_id: number;
  folder_id: string;
  path: string;
  album_name: string;
  album_artist_name: string;
  disc_number: number;
  disc_subtitle: string | null;
  year: number | null;
  date: string | null;
  original_date: string | null;
  release_date: string | null;
  compilation: number;
  duration: number;
  file_size: number;
  has_embedded_art: number;
  mbz_album_id: string | null;
  created_at: number;
  tags: string;
}

/** Everything: used after a scan that was interrupted, when the dirty sets are unknown. */
export function allDirty(db: Database): DirtySets {
  const albums = db.prepare('SELECT id FROM album').pluck().all() as string[];
  const artists = db.prepare('SELECT id FROM artist').pluck().all() as string[];
  return {
    albums: new Set(albums),
    artists: new Set(artists),
    trackPks: new Set(),
    albumPks: new Set(),
    artistPks: new Set(),
  };
}

const REFRESH_CHUNK = 50;
const REINDEX_CHUNK = 250;

/**
 * Refreshes what a scan touched, in short transactions with a turn of the event loop in between, so
 * HTTP requests are answered while a large first scan finishes. Safe to split: the scan's refresh marker
 * stays set until the caller's last step, so a crash in between leads to a full refresh next time.
 */
export async function refreshCatalog(
  db: Database,
  dirty: DirtySets,
  options: RefreshOptions,
  now: number,
  rebuildSearch: boolean,
): Promise<void> {
  // Album refreshes add the artists they touch to the dirty set, so artists come after all albums.
  for (const chunk of chunksOf([...dirty.albums], REFRESH_CHUNK)) {
    db.transaction(() => {
      for (const album of chunk) refreshAlbum(db, album, options, now, dirty);
    });
    await yieldToEventLoop();
  }
  for (const chunk of chunksOf([...dirty.artists], REFRESH_CHUNK)) {
    db.transaction(() => {
      for (const artist of chunk) refreshArtist(db, artist, options, now, dirty);
    });
    await yieldToEventLoop();
  }
  db.transaction(() => refreshGenres(db));
  if (rebuildSearch) return;
  const trackPks = [...dirty.trackPks];
  for (let start = 0; start < trackPks.length || start === 0; start += REINDEX_CHUNK) {
    const last = start + REINDEX_CHUNK >= trackPks.length;
    reindex(db, {
      trackPks: trackPks.slice(start, start + REINDEX_CHUNK),
      ...(last ? { albumPks: [...dirty.albumPks], artistPks: [...dirty.artistPks] } : {}),
    });
    await yieldToEventLoop();
    if (last) break;
  }
}

function chunksOf<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function refreshAlbum(
  db: Database,
  id: string,
  options: RefreshOptions,
  now: number,
  dirty: DirtySets,
): void {
  const album = db.prepare('SELECT pk, artist_id FROM album WHERE id = ?').get(id) as
    | { pk: number; artist_id: string }
    | undefined;
  if (!album) return;
  dirty.albumPks.add(album.pk);
  const tracks = db
    .prepare(
      `SELECT id, library_id, folder_id, path, album_name, album_artist_name, disc_number, disc_subtitle, year, date, original_date,
       release_date, compilation, duration, file_size, has_embedded_art, mbz_album_id, created_at, tags
       FROM track WHERE album_id = ? ORDER BY ${albumTrackOrder()}`,
    )
    .all(id) as AlbumTrack[];
  const oldArtists = db
    .prepare('SELECT artist_id FROM album_artist WHERE album_id = ?')
    .pluck()
    .all(id) as string[];
  for (const artist of [...oldArtists, album.artist_id]) dirty.artists.add(artist);
  if (tracks.length === 0) {
    db.prepare('DELETE FROM album WHERE id = ?').run(id);
    return;
  }
  const first = tracks[0]!;
  const tags = JSON.parse(first.tags) as {
    albumArtists?: string[];
    releaseTypes?: string[];
    recordLabels?: string[];
    albumVersion?: string;
    mbzReleaseGroupId?: string | null;
    albumSort?: string | null;
    albumArtistSort?: string | null;
  };
  const albumArtists = tags.albumArtists?.length ? tags.albumArtists : [first.album_artist_name];
  const artistIds = albumArtists
    .map(
      (name) =>
        db.prepare('SELECT id FROM artist WHERE name = ? COLLATE NOCASE').pluck().get(name) as
          | string
          | undefined,
    )
    .filter((value): value is string => Boolean(value));
  const primaryArtistId = artistIds[0] ?? album.artist_id;
  const years = tracks.map((track) => track.year).filter((year): year is number => year !== null);
  const discs = new Map<number, string>();
  for (const track of tracks)
    if (track.disc_subtitle && !discs.has(track.disc_number))
      discs.set(track.disc_number, track.disc_subtitle);
  const cover = chooseCover(db, tracks, options.coverArtPriority);
  const sortName = tags.albumSort?.trim() || first.album_name;
  db.prepare(
    `UPDATE album SET name = ?, sort_name = ?, order_name = ?, version = ?, artist_id = ?, artist_name = ?, order_artist_name = ?,
     compilation = ?, mbz_album_id = ?, mbz_release_group_id = ?, year = ?, date = ?, original_date = ?, release_date = ?,
     release_types = ?, record_labels = ?, genre = (SELECT g.name FROM track_genre tg JOIN track t ON t.id = tg.track_id JOIN genre g ON g.id = tg.genre_id WHERE t.album_id = ? GROUP BY g.id ORDER BY count(*) DESC, min(tg.position), g.name LIMIT 1),
     song_count = ?, disc_count = ?, duration = ?, size = ?, disc_titles = ?, cover_library_id = ?, cover_path = ?, cover_track_id = ?,
     folder_id = ?, created_at = ?, updated_at = ? WHERE id = ?`,
  ).run(
    first.album_name,
    sortName,
    orderName(sortName, options.articles),
    tags.albumVersion ?? '',
    primaryArtistId,
    first.album_artist_name,
    orderName(tags.albumArtistSort?.trim() || first.album_artist_name, options.articles),
    tracks.some((track) => track.compilation) ? 1 : 0,
    first.mbz_album_id,
    tags.mbzReleaseGroupId ?? null,
    years.length ? Math.min(...years) : null,
    first.date,
    first.original_date,
    first.release_date,
    JSON.stringify(tags.releaseTypes ?? []),
    JSON.stringify(tags.recordLabels ?? []),
    id,
    tracks.length,
    Math.max(...tracks.map((track) => track.disc_number)),
    tracks.reduce((sum, track) => sum + track.duration, 0),
    tracks.reduce((sum, track) => sum + track.file_size, 0),
    JSON.stringify([...discs].sort((a, b) => a[0] - b[0]).map(([disc, title]) => ({ disc, title }))),
    cover?.libraryId ?? null,
    cover?.path ?? null,
    cover?.trackId ?? null,
    first.folder_id,
    Math.min(...tracks.map((track) => track.created_at)),
    now,
    id,
  );
  db.prepare('DELETE FROM album_artist WHERE album_id = ?').run(id);
  const insertArtist = db.prepare(
    'INSERT OR IGNORE INTO album_artist (album_id, artist_id, position) VALUES (?, ?, ?)',
  );
  (artistIds.length ? artistIds : [primaryArtistId]).forEach((artist, position) => {
    insertArtist.run(id, artist, position);
    dirty.artists.add(artist);
  });
  db.prepare('DELETE FROM album_genre WHERE album_id = ?').run(id);
  db.prepare(
    `INSERT INTO album_genre (album_id, genre_id, position)
     SELECT ?, tg.genre_id, row_number() OVER (ORDER BY count(*) DESC, min(tg.position)) - 1 FROM track_genre tg JOIN track t ON t.id = tg.track_id
     WHERE t.album_id = ? GROUP BY tg.genre_id`,
  ).run(id, id);
  db.prepare('DELETE FROM library_album WHERE album_id = ?').run(id);
  db.prepare(
    'INSERT OR IGNORE INTO library_album (library_id, album_id) SELECT DISTINCT library_id, ? FROM track WHERE album_id = ?',
  ).run(id, id);
}

function folderImages(db: Database, libraryId: number, relFolder: string): string[] {
  const images = db
    .prepare('SELECT images FROM folder WHERE id = ?')
    .pluck()
    .get(folderId(libraryId, relFolder)) as string | undefined;
  return images ? (JSON.parse(images) as string[]) : [];
}

function matchesPattern(fileName: string, pattern: string): boolean {
  const lowered = fileName.toLowerCase();
  const wanted = pattern.toLowerCase();
  if (wanted.endsWith('.*'))
    return lowered.startsWith(wanted.slice(0, -1)) && lowered.lastIndexOf('.') === wanted.length - 2;
  return lowered === wanted;
}

function chooseCover(
  db: Database,
  tracks: AlbumTrack[],
  priority: readonly string[],
): { libraryId: number; path: string | null; trackId: string | null } | undefined {
  const first = tracks[0]!;
  const folders = [...new Set(tracks.map((track) => folderOf(track.path)))];
  const albumFolder = albumFolderOf(first.path);
  if (!folders.includes(albumFolder)) folders.push(albumFolder);
  for (const pattern of priority) {
    if (pattern === 'embedded') {
      const withArt = tracks.find((track) => track.has_embedded_art);
      if (withArt) return { libraryId: withArt.library_id, path: null, trackId: withArt.id };
      continue;
    }
    for (const folder of folders) {
      const image = folderImages(db, first.library_id, folder).find((name) => matchesPattern(name, pattern));
      if (image)
        return {
          libraryId: first.library_id,
          path: folder === '' ? image : `${folder}/${image}`,
          trackId: null,
        };
    }
  }
  return undefined;
}

function refreshArtist(
  db: Database,
  id: string,
  options: RefreshOptions,
  now: number,
  dirty: DirtySets,
): void {
  const artist = db.prepare('SELECT pk FROM artist WHERE id = ?').get(id) as { pk: number } | undefined;
  if (!artist) return;
  dirty.artistPks.add(artist.pk);
  const albumCount = db
    .prepare('SELECT count(*) FROM album_artist WHERE artist_id = ?')
    .pluck()
    .get(id) as number;
  const songCount = db
    .prepare("SELECT count(DISTINCT track_id) FROM track_artist WHERE artist_id = ? AND role = 'artist'")
    .pluck()
    .get(id) as number;
  const roles = db
    .prepare('SELECT DISTINCT role FROM track_artist WHERE artist_id = ? ORDER BY role')
    .pluck()
    .all(id) as string[];
  const albumRefs = db.prepare('SELECT count(*) FROM album WHERE artist_id = ?').pluck().get(id) as number;
  if (albumCount === 0 && roles.length === 0 && albumRefs === 0) {
    db.prepare('DELETE FROM artist WHERE id = ?').run(id);
    return;
  }
  if (albumCount > 0) roles.unshift('albumartist');
  const image = findArtistImage(db, id, options.artistImageNames);
  db.prepare(
    'UPDATE artist SET album_count = ?, song_count = ?, roles = ?, image_library_id = ?, image_path = ?, updated_at = ? WHERE id = ?',
  ).run(albumCount, songCount, JSON.stringify(roles), image?.libraryId ?? null, image?.path ?? null, now, id);
  db.prepare('DELETE FROM library_artist WHERE artist_id = ?').run(id);
  db.prepare(
    `INSERT OR IGNORE INTO library_artist (library_id, artist_id)
     SELECT DISTINCT t.library_id, ? FROM track_artist ta JOIN track t ON t.id = ta.track_id WHERE ta.artist_id = ?
     UNION SELECT DISTINCT la.library_id, ? FROM album_artist aa JOIN library_album la ON la.album_id = aa.album_id WHERE aa.artist_id = ?`,
  ).run(id, id, id, id);
}

/** artist.* in the folder that holds the artist's album folders (or in an album folder itself). */
function findArtistImage(
  db: Database,
  artistIdValue: string,
  names: readonly string[],
): { libraryId: number; path: string } | undefined {
  const sample = db
    .prepare(
      'SELECT t.library_id, t.path FROM album_artist aa JOIN track t ON t.album_id = aa.album_id WHERE aa.artist_id = ? LIMIT 1',
    )
    .get(artistIdValue) as { library_id: number; path: string } | undefined;
  if (!sample) return undefined;
  const albumFolder = albumFolderOf(sample.path);
  const candidates =
    albumFolder === ''
      ? ['']
      : [path.posix.dirname(albumFolder) === '.' ? '' : path.posix.dirname(albumFolder), albumFolder];
  for (const folder of candidates) {
    const images = folderImages(db, sample.library_id, folder);
    for (const pattern of names) {
      const image = images.find((name) => matchesPattern(name, pattern));
      if (image) return { libraryId: sample.library_id, path: folder === '' ? image : `${folder}/${image}` };
    }
  }
  return undefined;
}

function refreshGenres(db: Database): void {
  db.prepare(
    `UPDATE genre SET song_count = (SELECT count(*) FROM track_genre WHERE genre_id = genre.id),
     album_count = (SELECT count(*) FROM album_genre WHERE genre_id = genre.id)`,
  ).run();
  db.prepare('DELETE FROM genre WHERE song_count = 0 AND album_count = 0').run();
}

export function refreshFolderCounts(db: Database, folderIds: Iterable<string>): void {
  const statement = db.prepare(
    'UPDATE folder SET track_count = (SELECT count(*) FROM track WHERE folder_id = folder.id) WHERE id = ?',
  );
  for (const id of folderIds) statement.run(id);
}
