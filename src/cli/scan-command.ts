import { openRuntime } from '../app/runtime.ts';
import { ensureSearchIndex } from '../catalog/search.ts';
import type { Config } from '../config/schema.ts';
import type { LibraryRow } from '../db/schema.ts';
import { listLibraries } from '../library/library.repository.ts';
import { shellWord } from '../library/scan-status.ts';
import { type ScanOptions, Scanner } from '../library/scanner.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { formatReport, showScanProgress } from './progress.ts';

/** `tonearm scan`: one scan with a progress bar and a report. Exit 0 even with skipped files: they are reported. */
export async function runScanCommand(
  config: Config,
  options: { full: boolean; allowRemoval: boolean; libraries: string[] },
  logger: Logger,
): Promise<number> {
  const runtime = await openRuntime(config, { logger, registerLibraries: true });
  try {
    const selection = scanSelection(listLibraries(runtime.db), options.libraries, options.allowRemoval);
    ensureSearchIndex(runtime.db);
    const scanner = new Scanner({
      db: runtime.db,
      config,
      logger,
      onWaiting: (holder) =>
        process.stderr.write(
          `waiting for the scan of another process (pid ${holder.pid} on ${holder.host}, since ${holder.since}) to finish…\n`,
        ),
    });
    const stopProgress = showScanProgress(scanner);
    let report: Awaited<ReturnType<Scanner['scanNow']>>;
    try {
      report = await scanner.scanNow({ full: options.full, ...selection });
    } finally {
      stopProgress();
    }
    process.stdout.write(formatReport(report));
    return 0;
  } finally {
    await runtime.close();
  }
}

/**
 * The libraries `--library NAME` names (all when none), and those `--allow-removal` applies to: only ever
 * libraries the admin named, or the only one there is. A blanket --allow-removal over several libraries
 * would also empty one whose share is merely unmounted (an empty mount point looks like an emptied
 * library), so it is refused.
 */
export function scanSelection(
  libraries: readonly LibraryRow[],
  names: readonly string[],
  allowRemoval: boolean,
): Pick<ScanOptions, 'libraryIds' | 'allowRemovalIn'> {
  const known = () => libraries.map((library) => shellWord(library.name)).join(', ') || 'none';
  const ids = [
    ...new Set(
      names.map((name) => {
        const library = libraries.find((row) => row.name === name);
        if (!library)
          throw new TonearmError(
            'INVALID_INPUT',
            `no library named ${shellWord(name)} (libraries: ${known()})`,
          );
        return library.id;
      }),
    ),
  ];
  if (ids.length > 0) return { libraryIds: ids, ...(allowRemoval ? { allowRemovalIn: ids } : {}) };
  if (!allowRemoval) return {};
  if (libraries.length > 1)
    throw new TonearmError(
      'INVALID_INPUT',
      `--allow-removal removes tracks, so it needs the libraries it may remove them from: add --library NAME for each (libraries: ${known()})`,
    );
  return { allowRemovalIn: libraries.map((library) => library.id) };
}
