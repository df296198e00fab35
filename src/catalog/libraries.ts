// The viewer's libraries as a list shows them (counts, last scan, offline state), and their root folders,
// the tops of folder browsing.
import type { Database } from '../db/database.ts';
import { visibleLibraries } from './access.ts';
import { type FolderEntry, folderEntries } from './folders.ts';
import { foldersByIds, rootFolderIds } from './folders.repository.ts';
import { libraryOverviewRows } from './libraries.repository.ts';
import type { Viewer } from './model.ts';

export interface LibraryOverview {
  id: number;
  name: string;
  trackCount: number;
  albumCount: number;
  artistCount: number;
  /** Epoch ms of the last finished scan; null before the first. */
  lastScanAt: number | null;
  /** Set while the library's folder is unavailable (library/availability.ts). */
  offline: { since: number; reason: string } | null;
}

export function libraryOverviews(db: Database, viewer: Viewer): LibraryOverview[] {
  return libraryOverviewRows(db)
    .filter((row) => !viewer.libraryIds || viewer.libraryIds.includes(row.id))
    .map((row) => ({
      id: row.id,
      name: row.name,
      trackCount: row.track_count,
      albumCount: row.album_count,
      artistCount: row.artist_count,
      lastScanAt: row.last_scan_at,
      offline:
        row.offline_since === null ? null : { since: row.offline_since, reason: row.offline_reason ?? '' },
    }));
}

/** The root folder of each library the viewer sees, named after its library, in library order. */
export function libraryRootFolders(db: Database, viewer: Viewer): FolderEntry[] {
  const names = new Map(visibleLibraries(db, viewer).map((library) => [library.id, library.name]));
  return folderEntries(db, viewer, foldersByIds(db, rootFolderIds(db, viewer.libraryIds))).map((folder) => ({
    ...folder,
    name: names.get(folder.libraryId) ?? folder.name,
  }));
}
