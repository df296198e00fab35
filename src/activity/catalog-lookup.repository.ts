// The few catalog reads the activity rules need: does an id exist (in the libraries a user may see), the
// facts about a track (duration for now playing, the share page's list), an album's tracks, and a
// track by its path (M3U import). Kept here, not in src/catalog, so activity does not depend on the
// catalog's Subsonic-oriented read models. Long id lists are queried in chunks to stay under SQLite's
// bound-parameter limit.
import type { Database } from '../db/database.ts';

const CHUNK = 500;

export interface TrackFacts {
  id: string;
  library_id: number;
  album_id: string;
  artist_id: string;
  path: string;
  title: string;
  artist_name: string;
  album_name: string;
  duration: number;
  content_type: string;
  suffix: string;
  file_size: number;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Facts of the given tracks that exist (and are in `libraries` when given), by id. */
export function findTrackFacts(
  db: Database,
  ids: readonly string[],
  libraries?: readonly number[],
): Map<string, TrackFacts> {
  const found = new Map<string, TrackFacts>();
  const unique = [...new Set(ids)];
  if (libraries && libraries.length === 0) return found;
  for (const part of chunks(unique)) {
    let query = db.kysely
      .selectFrom('track')
      .select([
        'id',
        'library_id',
        'album_id',
        'artist_id',
        'path',
        'title',
        'artist_name',
        'album_name',
        'duration',
        'content_type',
        'suffix',
        'file_size',
      ])
      .where('id', 'in', part);
    if (libraries) query = query.where('library_id', 'in', libraries);
    for (const row of db.all(query)) found.set(row.id, row);
  }
  return found;
}

/** The subset of album ids that exist and are in one of `libraries` when given. */
export function existingAlbumIds(
  db: Database,
  ids: readonly string[],
  libraries?: readonly number[],
): Set<string> {
  return existingGrouped(db, 'album', 'library_album', 'album_id', ids, libraries);
}

/** The subset of artist ids that exist and are in one of `libraries` when given. */
export function existingArtistIds(
  db: Database,
  ids: readonly string[],
  libraries?: readonly number[],
): Set<string> {
  return existingGrouped(db, 'artist', 'library_artist', 'artist_id', ids, libraries);
}

/** Albums and artists belong to libraries through a link table (library_album, library_artist). */
function existingGrouped(
  db: Database,
  table: 'album' | 'artist',
  linkTable: 'library_album' | 'library_artist',
  linkColumn: 'album_id' | 'artist_id',
  ids: readonly string[],
  libraries?: readonly number[],
): Set<string> {
  const found = new Set<string>();
  if (libraries && libraries.length === 0) return found;
  for (const part of chunks([...new Set(ids)])) {
    const query = libraries
      ? db.kysely
          .selectFrom(linkTable)
          .select(`${linkColumn} as id`)
          .where(linkColumn, 'in', part)
          .where('library_id', 'in', libraries)
      : db.kysely.selectFrom(table).select('id').where('id', 'in', part);
    for (const row of db.all(query)) found.add(row.id as string);
  }
  return found;
}

export function existingFolderIds(
  db: Database,
  ids: readonly string[],
  libraries?: readonly number[],
): Set<string> {
  const found = new Set<string>();
  if (libraries && libraries.length === 0) return found;
  for (const part of chunks([...new Set(ids)])) {
    let query = db.kysely.selectFrom('folder').select('id').where('id', 'in', part);
    if (libraries) query = query.where('library_id', 'in', libraries);
    for (const row of db.all(query)) found.add(row.id);
  }
  return found;
}

/** An album's track ids in playing order (disc, track number, path). */
export function albumTrackIds(db: Database, albumId: string, libraries?: readonly number[]): string[] {
  let query = db.kysely
    .selectFrom('track')
    .select('id')
    .where('album_id', '=', albumId)
    .orderBy('disc_number')
    .orderBy('track_number')
    .orderBy('path');
  if (libraries) query = query.where('library_id', 'in', libraries);
  return db.all(query).map((row) => row.id);
}

export function trackIdByPath(db: Database, libraryId: number, relPath: string): string | undefined {
  return db.first(
    db.kysely
      .selectFrom('track')
      .select('id')
      .where('library_id', '=', libraryId)
      .where('path', '=', relPath),
  )?.id;
}
