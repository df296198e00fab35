// Browsing by folders over the real folder tree the scanner stores. A library's root folder (path '')
// is the top; its sub-folders make the index. Folders with no audio anywhere below them (artwork-only
// or broken-file folders) are left out: a client would show them as empty dead ends.
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { annotationsFor, loadTracksWhere } from './items.repository.ts';
import { groupByLetter, indexKey } from './letters.ts';
import { type Annotation, NO_ANNOTATION, type Track, type Viewer } from './model.ts';

export interface FolderEntry {
  id: string;
  libraryId: number;
  parentId: string | null;
  name: string;
  /** An album found in the folder or below it (its cover stands for the folder), if any. */
  albumId: string | null;
  annotation: Annotation;
}

export interface FolderIndex {
  lastModified: number;
  index: { name: string; folders: FolderEntry[] }[];
  /** Audio files lying directly in a library root. */
  tracks: Track[];
}

// `t.path` runs between "<folder>/" and "<folder>0" ('0' sorts right after '/') exactly for files below the
// folder: a range on the (library_id, path) unique index instead of a LIKE that would scan.
const HAS_AUDIO_BELOW = `EXISTS (SELECT 1 FROM track t WHERE t.library_id = f.library_id AND t.path >= f.path || '/' AND t.path < f.path || '0')`;
const ALBUM_BELOW = `(SELECT t.album_id FROM track t WHERE t.library_id = f.library_id AND t.path >= f.path || '/' AND t.path < f.path || '0' LIMIT 1)`;

interface FolderRow {
  id: string;
  library_id: number;
  parent_id: string | null;
  name: string;
  album_id: string | null;
}

function entries(db: Database, viewer: Viewer, rows: FolderRow[]): FolderEntry[] {
  const annotations = annotationsFor(
    db,
    viewer.userId,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    id: row.id,
    libraryId: row.library_id,
    parentId: row.parent_id,
    name: row.name,
    albumId: row.album_id,
    annotation: annotations.get(row.id) ?? NO_ANNOTATION,
  }));
}

function rootIds(db: Database, viewer: Viewer): string[] {
  const filter = viewer.libraryIds ? ' AND library_id IN (SELECT value FROM json_each(?))' : '';
  const params = viewer.libraryIds ? [JSON.stringify(viewer.libraryIds)] : [];
  return db
    .prepare(`SELECT id FROM folder WHERE parent_id IS NULL AND path = ''${filter} ORDER BY library_id`)
    .pluck()
    .all(...params) as string[];
}

/** The top-level folders of the viewer's libraries under index letters, and the loose root files. */
export function folderIndex(
  db: Database,
  viewer: Viewer,
  ignoredArticles: string,
  lastModified: number,
): FolderIndex {
  const roots = rootIds(db, viewer);
  const rows = db
    .prepare(
      `SELECT f.id, f.library_id, f.parent_id, f.name, ${ALBUM_BELOW} AS album_id FROM folder f
       WHERE f.parent_id IN (SELECT value FROM json_each(?)) AND ${HAS_AUDIO_BELOW}`,
    )
    .all(JSON.stringify(roots)) as FolderRow[];
  const keyed = entries(db, viewer, rows).map((entry) => ({
    entry,
    key: indexKey(entry.name, ignoredArticles),
  }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.entry.id < b.entry.id ? -1 : 1));
  return {
    lastModified,
    index: groupByLetter(keyed, (item) => item.key).map((group) => ({
      name: group.name,
      folders: group.items.map((item) => item.entry),
    })),
    tracks: loadTracksWhere(
      db,
      't.folder_id IN (SELECT value FROM json_each(?))',
      [JSON.stringify(roots)],
      viewer,
      'ORDER BY t.path',
    ),
  };
}

export interface FolderDirectory {
  folder: FolderEntry;
  /** Whether the folder is a library root (it then has no parent to show). */
  isRoot: boolean;
  folders: FolderEntry[];
  tracks: Track[];
}

/** One folder: its sub-folders (with audio below) by name, then its own audio files by path. */
export function folderDirectory(db: Database, viewer: Viewer, id: string): FolderDirectory {
  const filter = viewer.libraryIds ? ' AND f.library_id IN (SELECT value FROM json_each(?))' : '';
  const params = viewer.libraryIds ? [JSON.stringify(viewer.libraryIds)] : [];
  const row = db
    .prepare(
      `SELECT f.id, f.library_id, f.parent_id, f.name, f.path, ${ALBUM_BELOW} AS album_id FROM folder f WHERE f.id = ?${filter}`,
    )
    .get(id, ...params) as (FolderRow & { path: string }) | undefined;
  if (!row) throw new TonearmError('NOT_FOUND', `directory not found: ${id}`);
  const children = db
    .prepare(
      `SELECT f.id, f.library_id, f.parent_id, f.name, ${ALBUM_BELOW} AS album_id FROM folder f WHERE f.parent_id = ? AND ${HAS_AUDIO_BELOW} ORDER BY f.name, f.id`,
    )
    .all(id) as FolderRow[];
  return {
    folder: entries(db, viewer, [row])[0]!,
    isRoot: row.parent_id === null,
    folders: entries(db, viewer, children),
    tracks: loadTracksWhere(db, 't.folder_id = ?', [id], viewer, 'ORDER BY t.path'),
  };
}

/** Whether an id names a folder (fo-…). */
export function isFolderId(id: string): boolean {
  return id.startsWith('fo-');
}
