import { openRuntime } from '../app/runtime.ts';
import { ensureSearchIndex } from '../catalog/search.ts';
import type { Config } from '../config/schema.ts';
import { Scanner } from '../library/scanner.ts';
import type { Logger } from '../shared/logger.ts';
import { formatReport, showScanProgress } from './progress.ts';

/** `tonearm scan`: one scan with a progress bar and a report. Exit 0 even with skipped files: they are reported. */
export async function runScanCommand(
  config: Config,
  options: { full: boolean; allowRemoval: boolean },
  logger: Logger,
): Promise<number> {
  const runtime = await openRuntime(config, { logger, registerLibraries: true });
  try {
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
      report = await scanner.scanNow(options);
    } finally {
      stopProgress();
    }
    process.stdout.write(formatReport(report));
    return 0;
  } finally {
    await runtime.close();
  }
}
