// The real folder tree the scanner stores: library roots (path ''), their sub-folders, one folder, and
// what lies below a folder. Folders with no audio anywhere below them are left out of listings.
import type { Database } from '../db/database.ts';
import { and, type KeysetRow, keysetPage, type Position } from './keyset.repository.ts';
import { type LibraryScope, visibleIn } from './visibility.repository.ts';

export interface FolderRow {
  id: string;
  library_id: number;
  parent_id: string | null;
  name: string;
  /** An album found in the folder or below it, if any. */
  album_id: string | null;
}

// `t.path` runs between "<folder>/" and "<folder>0" ('0' sorts right after '/') exactly for files below the
// folder: a range on the (library_id, path) unique index instead of a LIKE that would scan.
const HAS_AUDIO_BELOW = `EXISTS (SELECT 1 FROM track t WHERE t.library_id = f.library_id AND t.path >= f.path || '/' AND t.path < f.path || '0')`;
const ALBUM_BELOW = `(SELECT t.album_id FROM track t WHERE t.library_id = f.library_id AND t.path >= f.path || '/' AND t.path < f.path || '0' LIMIT 1)`;

/** The root folder of each library, in library order. */
export function rootFolderIds(db: Database, libraries: LibraryScope): string[] {
  const visible = visibleIn(libraries, 'folder', 'f');
  return db
    .prepare(
      `SELECT f.id FROM folder f WHERE f.parent_id IS NULL AND f.path = ''${visible.sql} ORDER BY f.library_id`,
    )
    .pluck()
    .all(...visible.params) as string[];
}

/** The sub-folders of the given folders that have audio below them, in no particular order. */
export function foldersWithAudioIn(db: Database, parentIds: readonly string[]): FolderRow[] {
  return db
    .prepare(
      `SELECT f.id, f.library_id, f.parent_id, f.name, ${ALBUM_BELOW} AS album_id FROM folder f
       WHERE f.parent_id IN (SELECT value FROM json_each(?)) AND ${HAS_AUDIO_BELOW}`,
    )
    .all(JSON.stringify(parentIds)) as FolderRow[];
}

/** The sub-folders of one folder that have audio below them, by name. */
export function subFoldersWithAudio(db: Database, parentId: string): FolderRow[] {
  return db
    .prepare(
      `SELECT f.id, f.library_id, f.parent_id, f.name, ${ALBUM_BELOW} AS album_id FROM folder f WHERE f.parent_id = ? AND ${HAS_AUDIO_BELOW} ORDER BY f.name, f.id`,
    )
    .all(parentId) as FolderRow[];
}

export function findFolder(
  db: Database,
  id: string,
  libraries: LibraryScope,
): (FolderRow & { path: string }) | undefined {
  const visible = visibleIn(libraries, 'folder', 'f');
  return db
    .prepare(
      `SELECT f.id, f.library_id, f.parent_id, f.name, f.path, ${ALBUM_BELOW} AS album_id FROM folder f WHERE f.id = ?${visible.sql}`,
    )
    .get(id, ...visible.params) as (FolderRow & { path: string }) | undefined;
}

// ---------------------------------------------------------------------------------------------------
// What other modules ask about folders (through lookup.ts).

/** The subset of folder ids that exist (in one of the libraries, when given). */
export function existingFolderIds(
  db: Database,
  ids: readonly string[],
  libraries?: LibraryScope,
): Set<string> {
  if (ids.length === 0) return new Set();
  const visible = visibleIn(libraries, 'folder', 'f');
  return new Set(
    db
      .prepare(`SELECT f.id FROM folder f WHERE f.id IN (SELECT value FROM json_each(?))${visible.sql}`)
      .pluck()
      .all(JSON.stringify([...new Set(ids)]), ...visible.params) as string[],
  );
}

/** A folder with what an archive or a cover needs: its place, its library's name, its image files (JSON). */
export interface FolderPlace {
  id: string;
  library_id: number;
  library_name: string;
  path: string;
  name: string;
  images: string;
}

export function folderPlace(db: Database, id: string, libraries: LibraryScope): FolderPlace | undefined {
  const visible = visibleIn(libraries, 'folder', 'f');
  return db
    .prepare(
      `SELECT f.id, f.library_id, l.name AS library_name, f.path, f.name, f.images FROM folder f JOIN library l ON l.id = f.library_id
       WHERE f.id = ?${visible.sql}`,
    )
    .get(id, ...visible.params) as FolderPlace | undefined;
}

/** The album of the first file (by path) in a library folder or below it ('' is the library root). */
export function firstAlbumBelow(db: Database, libraryId: number, folderPath: string): string | undefined {
  // `path` between "<folder>/" and "<folder>0" is exactly the files below the folder (as above).
  return (
    folderPath === ''
      ? db
          .prepare('SELECT t.album_id FROM track t WHERE t.library_id = ? ORDER BY t.path LIMIT 1')
          .pluck()
          .get(libraryId)
      : db
          .prepare(
            `SELECT t.album_id FROM track t WHERE t.library_id = ? AND t.path >= ? || '/' AND t.path < ? || '0'
             ORDER BY t.path LIMIT 1`,
          )
          .pluck()
          .get(libraryId, folderPath, folderPath)
  ) as string | undefined;
}

// ---------------------------------------------------------------------------------------------------
// A folder's entries page by page (pages.ts): its sub-folders with audio below by name, then its files.

/** One page of the sub-folders (with audio below them) of a folder, by name. */
export function subFolderRows(
  db: Database,
  parentId: string,
  after: Position | undefined,
  limit: number,
): KeysetRow[] {
  return keysetPage(
    db,
    {
      from: 'folder f',
      id: 'f.id',
      conditions: [and('f.parent_id = ?', parentId), and(HAS_AUDIO_BELOW)],
      segments: [{ columns: [{ sql: 'f.name' }, { sql: 'f.id' }] }],
    },
    'asc',
    after,
    limit,
  );
}

/** One page of the audio files lying directly in a folder, by path. */
export function folderTrackRows(
  db: Database,
  libraries: LibraryScope,
  folderId: string,
  after: Position | undefined,
  limit: number,
): KeysetRow[] {
  return keysetPage(
    db,
    {
      from: 'track t',
      id: 't.id',
      conditions: [and('t.folder_id = ?', folderId), visibleIn(libraries, 'track', 't')],
      segments: [{ columns: [{ sql: 't.path' }, { sql: 't.id' }] }],
    },
    'asc',
    after,
    limit,
  );
}

/** Folders by id, in the order of `ids` (those that exist). */
export function foldersByIds(db: Database, ids: readonly string[]): FolderRow[] {
  if (ids.length === 0) return [];
  const rows = db
    .prepare(
      `SELECT f.id, f.library_id, f.parent_id, f.name, ${ALBUM_BELOW} AS album_id FROM folder f
       WHERE f.id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(ids)) as FolderRow[];
  const found = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => found.get(id)).filter((row): row is FolderRow => row !== undefined);
}
