// The last resort for a file whose audio the tag parser recognised but whose length neither it nor
// stream-length.ts could find (an unusual container, a damaged end): ask ffprobe, within a time limit.
import { execFile } from 'node:child_process';
import path from 'node:path';

/** ffprobe gets this long per file; a file it cannot measure in time keeps an unknown (0) duration. */
export const PROBE_TIMEOUT_MS = 5_000;

/** ffprobe beside the configured ffmpeg (same folder, or the PATH when ffmpeg is a bare name). */
export function ffprobeBeside(ffmpeg: string): string {
  const name = path.basename(ffmpeg).replace(/ffmpeg/i, 'ffprobe');
  return path.dirname(ffmpeg) === '.' && !ffmpeg.includes(path.sep)
    ? name
    : path.join(path.dirname(ffmpeg), name);
}

/** Seconds according to ffprobe, or undefined when it fails, times out or states none. */
export function probeDuration(ffprobe: string, file: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile(
      ffprobe,
      [
        '-v',
        'error',
        '-show_entries',
        'format=duration',
        '-of',
        'default=noprint_wrappers=1:nokey=1',
        '-i',
        `file:${file}`,
      ],
      { timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 },
      (error, stdout) => {
        const seconds = Number.parseFloat(String(stdout).trim());
        resolve(!error && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined);
      },
    );
  });
}
