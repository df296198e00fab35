// Which libraries ("music folders" in Subsonic) a viewer sees, and narrowing a viewer to one of them.
import { untilChange } from '../db/change-scoped.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Viewer } from './model.ts';

export interface MusicFolder {
  id: number;
  name: string;
}

/**
 * The viewer for a user. A user who may see every library gets `libraryIds: undefined`, so queries skip
 * the per-row library check (at 100k tracks that check is most of the cost of a list page).
 */
export function viewerFor(db: Database, user: { id: string; libraryIds?: readonly number[] }): Viewer {
  const granted = user.libraryIds;
  if (!granted) return { userId: user.id, libraryIds: undefined };
  const all = allLibraryIds(db);
  const seesAll = all.every((id) => granted.includes(id));
  return { userId: user.id, libraryIds: seesAll ? undefined : granted };
}

const libraryIdLists = new WeakMap<Database, () => number[]>();

/** Every library id; asked on every request, so kept until the database changes. */
export function allLibraryIds(db: Database): number[] {
  let list = libraryIdLists.get(db);
  if (!list) {
    list = untilChange(db, () => db.prepare('SELECT id FROM library').pluck().all() as number[]);
    libraryIdLists.set(db, list);
  }
  return list();
}

/** The libraries the viewer may see, by id. */
export function visibleLibraries(db: Database, viewer: Viewer): MusicFolder[] {
  const rows = db.prepare('SELECT id, name FROM library ORDER BY id').all() as MusicFolder[];
  return viewer.libraryIds ? rows.filter((row) => viewer.libraryIds!.includes(row.id)) : rows;
}

/**
 * The viewer limited to one library when a musicFolderId is given. A library that does not exist and one
 * the viewer may not see get the same answer (70), so ids of hidden libraries are not revealed.
 */
export function narrowViewer(db: Database, viewer: Viewer, musicFolderId: number | undefined): Viewer {
  if (musicFolderId === undefined) return viewer;
  if (!visibleLibraries(db, viewer).some((library) => library.id === musicFolderId)) {
    throw new TonearmError('NOT_FOUND', `music folder not found: ${musicFolderId}`);
  }
  return { ...viewer, libraryIds: [musicFolderId] };
}

/** Epoch ms of the last change in the viewer's libraries (0 when never scanned). */
export function lastModified(db: Database, viewer: Viewer): number {
  const ids = visibleLibraries(db, viewer).map((library) => library.id);
  const row = db
    .prepare(
      'SELECT max(coalesce(changed_at, last_scan_at, created_at)) AS at FROM library WHERE id IN (SELECT value FROM json_each(?))',
    )
    .get(JSON.stringify(ids)) as { at: number | null };
  return row.at ?? 0;
}

/** Epoch ms of the last finished scan of any library, or null. */
export function lastScanAt(db: Database): number | null {
  return (db.prepare('SELECT max(last_scan_at) AS at FROM library').get() as { at: number | null }).at;
}
