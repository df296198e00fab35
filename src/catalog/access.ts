// Which libraries ("music folders" in Subsonic) a viewer sees, and narrowing a viewer to one of them.
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { lastChangeOf, libraryFolders } from './libraries.repository.ts';
import type { MusicFolder, Viewer } from './model.ts';
import type { CatalogReader } from './reader.ts';

/** Epoch ms of the last finished scan of any library, or null. */
export { lastScanAt } from './libraries.repository.ts';

/**
 * The viewer for a user. A user who may see every library gets `libraryIds: undefined`, so queries skip
 * the per-row library check (at 100k tracks that check is most of the cost of a list page).
 */
export function viewerFor(
  catalog: CatalogReader,
  user: { id: string; libraryIds?: readonly number[] },
): Viewer {
  const granted = user.libraryIds;
  if (!granted) return { userId: user.id, libraryIds: undefined };
  const seesAll = catalog.libraryIds().every((id) => granted.includes(id));
  return { userId: user.id, libraryIds: seesAll ? undefined : granted };
}

/** The libraries the viewer may see, by id. */
export function visibleLibraries(db: Database, viewer: Viewer): MusicFolder[] {
  const rows = libraryFolders(db);
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
  return (
    lastChangeOf(
      db,
      visibleLibraries(db, viewer).map((library) => library.id),
    ) ?? 0
  );
}
