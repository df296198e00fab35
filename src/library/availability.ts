// Unavailable libraries. A NAS share that is not mounted, a USB disk that is unplugged, or an emptied
// mount point must not look like "the admin deleted every song": the library is marked offline and its
// catalog (tracks, albums, folders, and with them stars, play counts and playlists) stays as it is.
//
// The rules (docs/architecture.md, "Unavailable libraries"), checked at the start of each scan of a library:
//   - its root folder is missing, not a folder, or cannot be read            → offline;
//   - it holds no audio file at all while the catalog holds tracks from it   → offline ("empty");
//   - its device (st_dev) differs from the one of the last good scan and more than
//     scanner.maxRemovalShare of the known files are not at their paths    → offline ("another device").
//     A device change with the files there is accepted (a library copied to a new disk, or an NFS/SMB
//     share that got a new device number when it was mounted again) and the new device is recorded.
// `tonearm scan --allow-removal --library NAME` overrides the last two for the libraries it names (the
// admin who really emptied a library), never for the others a scan covers.
//
// While a library is offline `tonearm serve` looks at its root every scanner.offlineCheckIntervalMs and,
// when it looks available again (a readable folder with entries), scans it (availability-monitor.ts).
import fs from 'node:fs/promises';
import type { Database } from '../db/database.ts';
import type { LibraryRow } from '../db/schema.ts';
import type { Logger } from '../shared/logger.ts';
import { markLibraryOffline, markLibraryOnline } from './library.repository.ts';

export type RootInspection =
  | { ok: true; device: string; entries: number; mtimeMs: number }
  | { ok: false; reason: string };

/** What the root folder of a library looks like right now: cheap (one stat, one readdir). */
export async function inspectRoot(root: string): Promise<RootInspection> {
  let stat: import('node:fs').BigIntStats;
  try {
    stat = await fs.stat(root, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason: code === 'ENOENT' ? 'folder missing' : `folder cannot be reached (${code ?? 'error'})`,
    };
  }
  if (!stat.isDirectory()) return { ok: false, reason: 'not a folder' };
  let entries: string[];
  try {
    entries = await fs.readdir(root);
  } catch (error) {
    return {
      ok: false,
      reason: `folder cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  }
  return {
    ok: true,
    device: stat.dev.toString(),
    entries: entries.filter((name) => !name.startsWith('.')).length,
    mtimeMs: Number(stat.mtimeMs),
  };
}

export interface AvailabilityChange {
  libraryId: number;
  online: boolean;
  reason?: string;
}

/** Records a library offline; logs a warning only when it was online. Returns true on that change. */
export function setOffline(
  db: Database,
  logger: Logger,
  library: Pick<LibraryRow, 'id' | 'name' | 'path'>,
  reason: string,
  now = Date.now(),
): boolean {
  const changed = markLibraryOffline(db, library.id, reason, now);
  if (changed)
    logger.warn(
      { library: library.name, path: library.path, reason },
      'library is offline; its tracks are kept until it is back',
    );
  return changed;
}

/** Records a library online on `device`; logs once when it comes back. Returns true on that change. */
export function setOnline(
  db: Database,
  logger: Logger,
  library: Pick<LibraryRow, 'id' | 'name' | 'path'>,
  device: string | undefined,
): boolean {
  const changed = markLibraryOnline(db, library.id, device);
  if (changed) logger.info({ library: library.name, path: library.path }, 'library is back online');
  return changed;
}
