// Loads tracks, albums and artists by id with everything the APIs show about them: credited artists,
// genres and the viewer's annotation. A few set-based queries per call (ids go in as one JSON array),
// so a page of 500 songs costs the same handful of statements as one song.
import type { Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { AlbumTable, ArtistTable, TrackTable } from '../db/schema.ts';
import {
  type Album,
  type Annotation,
  type Artist,
  type ArtistRef,
  type Contributor,
  NO_ANNOTATION,
  type Track,
  type Viewer,
} from './model.ts';

// Rows as the queries below select them: table columns (typed once, in db/schema.ts) plus computed ones.
type TrackRow = Pick<
  Selectable<TrackTable>,
  | 'id'
  | 'library_id'
  | 'folder_id'
  | 'path'
  | 'title'
  | 'sort_title'
  | 'suffix'
  | 'content_type'
  | 'file_size'
  | 'duration'
  | 'bitrate'
  | 'sample_rate'
  | 'bit_depth'
  | 'channels'
  | 'codec'
  | 'lossless'
  | 'album_id'
  | 'album_name'
  | 'album_artist_name'
  | 'artist_id'
  | 'artist_name'
  | 'track_number'
  | 'disc_number'
  | 'disc_subtitle'
  | 'year'
  | 'genre'
  | 'compilation'
  | 'has_embedded_art'
  | 'mbz_recording_id'
  | 'isrc'
  | 'bpm'
  | 'comment'
  | 'rg_track_gain'
  | 'rg_track_peak'
  | 'rg_album_gain'
  | 'rg_album_peak'
  | 'created_at'
  | 'updated_at'
> & {
  has_lyrics: number;
  moods: string | null;
};

type AlbumRow = Pick<
  Selectable<AlbumTable>,
  | 'id'
  | 'name'
  | 'sort_name'
  | 'version'
  | 'artist_id'
  | 'artist_name'
  | 'compilation'
  | 'mbz_album_id'
  | 'year'
  | 'date'
  | 'original_date'
  | 'release_date'
  | 'release_types'
  | 'record_labels'
  | 'genre'
  | 'song_count'
  | 'disc_count'
  | 'duration'
  | 'size'
  | 'disc_titles'
  | 'cover_path'
  | 'cover_track_id'
  | 'created_at'
  | 'updated_at'
  | 'folder_id'
>;

type ArtistRow = Pick<
  Selectable<ArtistTable>,
  | 'id'
  | 'name'
  | 'sort_name'
  | 'order_name'
  | 'mbz_artist_id'
  | 'album_count'
  | 'song_count'
  | 'roles'
  | 'image_path'
>;

const TRACK_COLUMNS = `t.id, t.library_id, t.folder_id, t.path, t.title, t.sort_title, t.suffix, t.content_type, t.file_size,
  t.duration, t.bitrate, t.sample_rate, t.bit_depth, t.channels, t.codec, t.lossless, t.album_id, t.album_name,
  t.album_artist_name, t.artist_id, t.artist_name, t.track_number, t.disc_number, t.disc_subtitle, t.year, t.genre,
  t.compilation, t.has_embedded_art, t.mbz_recording_id, t.isrc, t.bpm, t.comment, t.rg_track_gain, t.rg_track_peak,
  t.rg_album_gain, t.rg_album_peak, t.lyrics <> '[]' AS has_lyrics, json_extract(t.tags, '$.moods') AS moods,
  t.created_at, t.updated_at`;

/** SQL that limits rows to the viewer's libraries; `column` is the library id column of the row. */
export function libraryFilter(viewer: Viewer, column: string): { sql: string; params: unknown[] } {
  if (!viewer.libraryIds) return { sql: '', params: [] };
  return {
    sql: ` AND ${column} IN (SELECT value FROM json_each(?))`,
    params: [JSON.stringify(viewer.libraryIds)],
  };
}

function byId<T extends { id: string }>(ids: readonly string[], items: T[]): T[] {
  const map = new Map(items.map((item) => [item.id, item]));
  return ids.map((id) => map.get(id)).filter((item): item is T => item !== undefined);
}

export function annotationsFor(
  db: Database,
  userId: string,
  ids: readonly string[],
): Map<string, Annotation> {
  const result = new Map<string, Annotation>();
  if (ids.length === 0) return result;
  const rows = db
    .prepare(
      'SELECT item_id, starred_at, rating, play_count, last_played_at FROM annotation WHERE user_id = ? AND item_id IN (SELECT value FROM json_each(?))',
    )
    .all(userId, JSON.stringify(ids)) as {
    item_id: string;
    starred_at: number | null;
    rating: number | null;
    play_count: number;
    last_played_at: number | null;
  }[];
  for (const row of rows) {
    result.set(row.item_id, {
      starredAt: row.starred_at,
      rating: row.rating,
      playCount: row.play_count,
      playedAt: row.last_played_at,
    });
  }
  return result;
}

/** Tracks in the order of `ids`; ids that do not exist or that the viewer may not see are left out. */
export function loadTracks(db: Database, ids: readonly string[], viewer: Viewer): Track[] {
  if (ids.length === 0) return [];
  const filter = libraryFilter(viewer, 't.library_id');
  const rows = db
    .prepare(
      `SELECT ${TRACK_COLUMNS} FROM track t WHERE t.id IN (SELECT value FROM json_each(?))${filter.sql}`,
    )
    .all(JSON.stringify(ids), ...filter.params) as TrackRow[];
  return byId(ids, tracksFromRows(db, rows, viewer));
}

/** Tracks selected by a WHERE clause over `track t` (already ordered by the caller's ORDER BY). */
export function loadTracksWhere(
  db: Database,
  where: string,
  params: unknown[],
  viewer: Viewer,
  orderAndLimit = '',
): Track[] {
  const filter = libraryFilter(viewer, 't.library_id');
  const rows = db
    .prepare(`SELECT ${TRACK_COLUMNS} FROM track t WHERE ${where}${filter.sql} ${orderAndLimit}`)
    .all(...params, ...filter.params) as TrackRow[];
  return tracksFromRows(db, rows, viewer);
}

function tracksFromRows(db: Database, rows: TrackRow[], viewer: Viewer): Track[] {
  if (rows.length === 0) return [];
  const ids = JSON.stringify(rows.map((row) => row.id));
  const links = new Map<string, { artists: ArtistRef[]; contributors: Contributor[] }>();
  for (const link of db
    .prepare(
      `SELECT ta.track_id, ta.role, ta.sub_role, a.id, a.name FROM track_artist ta JOIN artist a ON a.id = ta.artist_id
       WHERE ta.track_id IN (SELECT value FROM json_each(?)) ORDER BY ta.track_id, ta.role, ta.position`,
    )
    .all(ids) as { track_id: string; role: string; sub_role: string; id: string; name: string }[]) {
    const entry = links.get(link.track_id) ?? { artists: [], contributors: [] };
    const artist = { id: link.id, name: link.name };
    if (link.role === 'artist') entry.artists.push(artist);
    else entry.contributors.push({ role: link.role, subRole: link.sub_role, artist });
    links.set(link.track_id, entry);
  }
  const genres = new Map<string, string[]>();
  for (const row of db
    .prepare(
      `SELECT tg.track_id, g.name FROM track_genre tg JOIN genre g ON g.id = tg.genre_id
       WHERE tg.track_id IN (SELECT value FROM json_each(?)) ORDER BY tg.track_id, tg.position`,
    )
    .all(ids) as { track_id: string; name: string }[]) {
    const list = genres.get(row.track_id) ?? [];
    list.push(row.name);
    genres.set(row.track_id, list);
  }
  const albumArtists = albumArtistsFor(db, [...new Set(rows.map((row) => row.album_id))]);
  const annotations = annotationsFor(
    db,
    viewer.userId,
    rows.map((row) => row.id),
  );
  return rows.map((row) => {
    const link = links.get(row.id);
    return {
      id: row.id,
      libraryId: row.library_id,
      folderId: row.folder_id,
      path: row.path,
      title: row.title,
      sortTitle: row.sort_title,
      suffix: row.suffix,
      contentType: row.content_type,
      fileSize: row.file_size,
      duration: row.duration,
      bitrate: row.bitrate,
      sampleRate: row.sample_rate,
      bitDepth: row.bit_depth,
      channels: row.channels,
      codec: row.codec,
      lossless: row.lossless === 1,
      albumId: row.album_id,
      albumName: row.album_name,
      albumArtistName: row.album_artist_name,
      albumArtists: albumArtists.get(row.album_id) ?? [],
      artistId: row.artist_id,
      artistName: row.artist_name,
      artists: link?.artists.length ? link.artists : [{ id: row.artist_id, name: row.artist_name }],
      contributors: link?.contributors ?? [],
      trackNumber: row.track_number,
      discNumber: row.disc_number,
      discSubtitle: row.disc_subtitle,
      year: row.year,
      genre: row.genre,
      genres: genres.get(row.id) ?? [],
      compilation: row.compilation === 1,
      coverArtId: row.has_embedded_art ? row.id : row.album_id,
      mbzRecordingId: row.mbz_recording_id,
      isrc: JSON.parse(row.isrc) as string[],
      bpm: row.bpm,
      comment: row.comment,
      moods: row.moods ? (JSON.parse(row.moods) as string[]) : [],
      replayGain: {
        trackGain: row.rg_track_gain,
        trackPeak: row.rg_track_peak,
        albumGain: row.rg_album_gain,
        albumPeak: row.rg_album_peak,
      },
      hasLyrics: row.has_lyrics === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      annotation: annotations.get(row.id) ?? NO_ANNOTATION,
    };
  });
}

function albumArtistsFor(db: Database, albumIds: readonly string[]): Map<string, ArtistRef[]> {
  const result = new Map<string, ArtistRef[]>();
  if (albumIds.length === 0) return result;
  for (const row of db
    .prepare(
      `SELECT aa.album_id, a.id, a.name FROM album_artist aa JOIN artist a ON a.id = aa.artist_id
       WHERE aa.album_id IN (SELECT value FROM json_each(?)) ORDER BY aa.album_id, aa.position`,
    )
    .all(JSON.stringify(albumIds)) as { album_id: string; id: string; name: string }[]) {
    const list = result.get(row.album_id) ?? [];
    list.push({ id: row.id, name: row.name });
    result.set(row.album_id, list);
  }
  return result;
}

const ALBUM_COLUMNS = `al.id, al.name, al.sort_name, al.version, al.artist_id, al.artist_name, al.compilation, al.mbz_album_id,
  al.year, al.date, al.original_date, al.release_date, al.release_types, al.record_labels, al.genre, al.song_count,
  al.disc_count, al.duration, al.size, al.disc_titles, al.cover_path, al.cover_track_id,
  al.folder_id,
  al.created_at, al.updated_at`;

export function albumVisible(viewer: Viewer): { sql: string; params: unknown[] } {
  if (!viewer.libraryIds) return { sql: '', params: [] };
  return {
    sql: ' AND EXISTS (SELECT 1 FROM library_album la WHERE la.album_id = al.id AND la.library_id IN (SELECT value FROM json_each(?)))',
    params: [JSON.stringify(viewer.libraryIds)],
  };
}

export function loadAlbums(db: Database, ids: readonly string[], viewer: Viewer): Album[] {
  if (ids.length === 0) return [];
  const visible = albumVisible(viewer);
  const rows = db
    .prepare(
      `SELECT ${ALBUM_COLUMNS} FROM album al WHERE al.id IN (SELECT value FROM json_each(?))${visible.sql}`,
    )
    .all(JSON.stringify(ids), ...visible.params) as AlbumRow[];
  return byId(ids, albumsFromRows(db, rows, viewer));
}

function albumsFromRows(db: Database, rows: AlbumRow[], viewer: Viewer): Album[] {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const artists = albumArtistsFor(db, ids);
  const genres = new Map<string, string[]>();
  for (const row of db
    .prepare(
      `SELECT ag.album_id, g.name FROM album_genre ag JOIN genre g ON g.id = ag.genre_id
       WHERE ag.album_id IN (SELECT value FROM json_each(?)) ORDER BY ag.album_id, ag.position`,
    )
    .all(JSON.stringify(ids)) as { album_id: string; name: string }[]) {
    const list = genres.get(row.album_id) ?? [];
    list.push(row.name);
    genres.set(row.album_id, list);
  }
  const annotations = annotationsFor(db, viewer.userId, ids);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    sortName: row.sort_name,
    version: row.version,
    artistId: row.artist_id,
    artistName: row.artist_name,
    artists: artists.get(row.id) ?? [{ id: row.artist_id, name: row.artist_name }],
    compilation: row.compilation === 1,
    mbzAlbumId: row.mbz_album_id,
    year: row.year,
    date: row.date,
    originalDate: row.original_date,
    releaseDate: row.release_date,
    releaseTypes: JSON.parse(row.release_types) as string[],
    recordLabels: JSON.parse(row.record_labels) as string[],
    genre: row.genre,
    genres: genres.get(row.id) ?? [],
    songCount: row.song_count,
    discCount: row.disc_count,
    duration: row.duration,
    size: row.size,
    discTitles: JSON.parse(row.disc_titles) as { disc: number; title: string }[],
    coverArtId: row.id,
    hasCover: row.cover_path !== null || row.cover_track_id !== null,
    folderId: row.folder_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    annotation: annotations.get(row.id) ?? NO_ANNOTATION,
  }));
}

/** Albums selected by SQL over `album al` (the caller's WHERE, ORDER BY and LIMIT), with visibility applied. */
export function loadAlbumsWhere(
  db: Database,
  where: string,
  params: unknown[],
  viewer: Viewer,
  orderAndLimit = '',
  limitParams: unknown[] = [],
): Album[] {
  const visible = albumVisible(viewer);
  const rows = db
    .prepare(`SELECT ${ALBUM_COLUMNS} FROM album al WHERE ${where}${visible.sql} ${orderAndLimit}`)
    .all(...params, ...visible.params, ...limitParams) as AlbumRow[];
  return albumsFromRows(db, rows, viewer);
}

export function artistVisible(viewer: Viewer): { sql: string; params: unknown[] } {
  if (!viewer.libraryIds) return { sql: '', params: [] };
  return {
    sql: ' AND EXISTS (SELECT 1 FROM library_artist la WHERE la.artist_id = ar.id AND la.library_id IN (SELECT value FROM json_each(?)))',
    params: [JSON.stringify(viewer.libraryIds)],
  };
}

const ARTIST_COLUMNS =
  'ar.id, ar.name, ar.sort_name, ar.order_name, ar.mbz_artist_id, ar.album_count, ar.song_count, ar.roles, ar.image_path';

export function loadArtists(db: Database, ids: readonly string[], viewer: Viewer): Artist[] {
  if (ids.length === 0) return [];
  const visible = artistVisible(viewer);
  const rows = db
    .prepare(
      `SELECT ${ARTIST_COLUMNS} FROM artist ar WHERE ar.id IN (SELECT value FROM json_each(?))${visible.sql}`,
    )
    .all(JSON.stringify(ids), ...visible.params) as ArtistRow[];
  return byId(ids, artistsFromRows(db, rows, viewer));
}

export function loadArtistsWhere(
  db: Database,
  where: string,
  params: unknown[],
  viewer: Viewer,
  orderAndLimit = '',
  limitParams: unknown[] = [],
): Artist[] {
  const visible = artistVisible(viewer);
  const rows = db
    .prepare(`SELECT ${ARTIST_COLUMNS} FROM artist ar WHERE ${where}${visible.sql} ${orderAndLimit}`)
    .all(...params, ...visible.params, ...limitParams) as ArtistRow[];
  return artistsFromRows(db, rows, viewer);
}

function artistsFromRows(db: Database, rows: ArtistRow[], viewer: Viewer): Artist[] {
  const annotations = annotationsFor(
    db,
    viewer.userId,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    sortName: row.sort_name,
    orderName: row.order_name,
    mbzArtistId: row.mbz_artist_id,
    albumCount: row.album_count,
    songCount: row.song_count,
    roles: JSON.parse(row.roles) as string[],
    coverArtId: row.id,
    hasImage: row.image_path !== null,
    annotation: annotations.get(row.id) ?? NO_ANNOTATION,
  }));
}
