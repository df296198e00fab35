// Scan progress on a terminal: a bar with files/s and ETA while tags are read. Quiet when not a TTY.
import cliProgress from 'cli-progress';
import { allowRemovalCommand, type ScanReport, type ScanStatusSource } from '../library/scan-status.ts';

export function showScanProgress(
  source: ScanStatusSource,
  stream: NodeJS.WriteStream = process.stderr,
): () => void {
  if (!stream.isTTY) return () => undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        ' {phase} |{bar}| {value}/{total} files | {rate} files/s | ETA {eta_formatted} | {errors} skipped',
      hideCursor: true,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const startedAt = Date.now();
  const timer = setInterval(() => {
    const progress = source.progress();
    const rate = Math.round(progress.filesRead / Math.max(0.001, (Date.now() - startedAt) / 1000));
    const payload = { phase: progress.phase.padEnd(9), rate, errors: progress.errors };
    if (!started) {
      bar.start(Math.max(progress.filesToRead, 1), progress.filesRead, payload);
      started = true;
    } else {
      bar.setTotal(Math.max(progress.filesToRead, 1));
      bar.update(progress.filesRead, payload);
    }
  }, 200);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (started) bar.stop();
  };
}

export function formatReport(report: ScanReport): string {
  const seconds = report.durationMs / 1000;
  const lines = [
    `scan ${report.full ? '(full) ' : ''}finished in ${seconds.toFixed(2)} s: ${report.filesSeen} audio files in ${report.folders} folders`,
    `  added ${report.added}, updated ${report.updated}, moved ${report.moved}, removed ${report.removed}, unchanged ${report.unchanged}, skipped ${report.errors.length}`,
  ];
  for (const error of report.errors) lines.push(`  skipped ${error.path}: ${error.reason}`);
  for (const library of report.offline)
    lines.push(
      `  library ${library.name} skipped: offline (${library.reason}); its tracks are kept until it is back`,
    );
  for (const held of report.keptBack)
    lines.push(
      `  library ${held.name}: kept ${held.count} tracks whose folders are gone: this scan would have removed ${held.wouldRemove} of ${held.total} tracks, more than scanner.maxRemovalShare (${held.maxRemovalShare}); if they are really gone, run \`${allowRemovalCommand(held.name)}\``,
    );
  return `${lines.join('\n')}\n`;
}
