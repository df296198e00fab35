// Scan benchmarks on real audio libraries made by ../shared/tools/gen-library.sh:
//   - first scan of a 420-file library of full-length tracks (files/s, bytes read per file, manifest)
//   - first scan of the 2,020-file library (files/s), checked against its manifest
//   - first scan of the 10,015-file library (files/s, peak RSS)
//   - rescan of the 10,015-file library with nothing changed (seconds, rows written)
// Libraries are generated once into bench/.work/ (takes minutes; needs ffmpeg).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database, databaseFile } from '../src/db/database.ts';
import { verifyAgainstManifest } from './verify-manifest.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
const GEN_LIBRARY = process.env.GEN_LIBRARY ?? path.resolve(BENCH_DIR, '../../shared/tools/gen-library.sh');

export function ensureLibrary(
  name: string,
  artists: number,
  albums: number,
  tracks: number,
  env: Record<string, string> = {},
): string {
  const dir = path.join(WORK, name);
  if (fs.existsSync(path.join(dir, '.gen-library.stamp'))) return dir;
  if (!fs.existsSync(GEN_LIBRARY))
    throw new Error(`gen-library.sh not found at ${GEN_LIBRARY} (set GEN_LIBRARY)`);
  fs.mkdirSync(WORK, { recursive: true });
  process.stderr.write(`generating ${name} (${artists}x${albums}x${tracks}) ...\n`);
  execFileSync('bash', [GEN_LIBRARY, dir, String(artists), String(albums), String(tracks)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, JOBS: '2', FORCE: '1', ...env },
  });
  return dir;
}

interface ChildResult {
  seconds: number;
  report: { filesSeen: number; added: number; rowsWritten: number; errors: number };
  maxRssMB: number;
  bytesRead: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

function scanInChild(musicDir: string, dataDir: string): ChildResult {
  const output = execFileSync(process.execPath, [path.join(BENCH_DIR, 'scan-child.ts'), musicDir, dataDir], {
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').at(-1)!) as ChildResult;
}

/** `count` copies of a library side by side (real copies: hard links would share one identity). */
function ensureCopies(library: string, count: number): string {
  const dir = `${library}-x${count}`;
  const stamp = path.join(dir, '.copies.stamp');
  if (fs.existsSync(stamp)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  for (let copy = 1; copy <= count; copy++)
    fs.cpSync(library, path.join(dir, `copy ${copy}`), { recursive: true });
  fs.writeFileSync(stamp, '');
  return dir;
}

/** Total bytes of the files under a folder. */
function librarySize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  return total;
}

function freshDataDir(name: string): string {
  const dir = path.join(WORK, 'data', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Full-length files (2.5–6.5 minutes, megabytes each): what a real library costs to read. Encoding them
 * takes long, so 145 files are made and checked against their manifest (durations included), and the
 * speed is measured on eight copies of them (1,160 files) in folders of their own.
 */
export async function fullLengthFigures(): Promise<Record<string, number>> {
  const fullLength = ensureLibrary('lib-full-4x3x10', 4, 3, 10, { MIN_DUR: '150', MAX_DUR: '400' });
  const fullCopies = ensureCopies(fullLength, 8);
  const figures: Record<string, number> = {};
  const checkData = freshDataDir('full-check');
  const checked = scanInChild(fullLength, checkData);
  const checkDb = Database.open(databaseFile(checkData), { readonly: true });
  const fullVerification = verifyAgainstManifest(checkDb, `${fullLength}.manifest.tsv`, fullLength);
  await checkDb.close();
  figures['scan.full_length.manifest_files'] = checked.report.filesSeen;
  figures['scan.full_length.manifest_mismatches'] = fullVerification.mismatches.length;
  figures['scan.full_length.rescan_rows_written'] = scanInChild(fullLength, checkData).report.rowsWritten;

  scanInChild(fullCopies, freshDataDir('warm-full'));
  const fullRuns: ChildResult[] = [];
  for (let run = 0; run < 3; run++) fullRuns.push(scanInChild(fullCopies, freshDataDir(`full-${run}`)));
  fullRuns.sort((a, b) => a.seconds - b.seconds);
  const fullMedian = fullRuns[1]!;
  const fullBytes = librarySize(fullCopies);
  figures['scan.full_length.files'] = fullMedian.report.filesSeen;
  figures['scan.full_length.average_file_mb'] = Number(
    (fullBytes / fullMedian.report.filesSeen / 1e6).toFixed(2),
  );
  figures['scan.full_length.files_per_s.median'] = Math.round(
    fullMedian.report.filesSeen / fullMedian.seconds,
  );
  figures['scan.full_length.kb_read_per_file'] = Math.round(
    fullMedian.bytesRead / fullMedian.report.filesSeen / 1024,
  );
  figures['scan.full_length.read_share_percent'] = Number(
    ((100 * fullMedian.bytesRead) / fullBytes).toFixed(2),
  );
  for (const line of fullVerification.mismatches.slice(0, 10))
    process.stderr.write(`manifest mismatch (full length): ${line}\n`);
  return figures;
}

export async function main(): Promise<Record<string, number>> {
  const small = ensureLibrary('lib-20x10x10', 20, 10, 10);
  const large = ensureLibrary('lib-50x20x10', 50, 20, 10);
  const figures: Record<string, number> = await fullLengthFigures();

  // Warm the page cache once so runs compare tag reading, not the disk.
  scanInChild(small, freshDataDir('warm'));
  const rates: number[] = [];
  let smallBytesRead = 0;
  let verification = { mismatches: ['not run'] } as { mismatches: string[] };
  for (let run = 0; run < 3; run++) {
    const data = freshDataDir(`small-${run}`);
    const result = scanInChild(small, data);
    rates.push(result.report.filesSeen / result.seconds);
    smallBytesRead = result.bytesRead / result.report.filesSeen;
    if (run === 0) {
      const db = Database.open(databaseFile(data), { readonly: true });
      verification = verifyAgainstManifest(db, `${small}.manifest.tsv`, small);
      await db.close();
    }
  }
  rates.sort((a, b) => a - b);
  figures['scan.first.2k.files_per_s.median'] = Math.round(rates[1]!);
  figures['scan.first.2k.kb_read_per_file'] = Math.round(smallBytesRead / 1024);
  figures['scan.first.2k.manifest_mismatches'] = verification.mismatches.length;

  scanInChild(large, freshDataDir('warm-large'));
  const largeData = freshDataDir('large');
  const first = scanInChild(large, largeData);
  figures['scan.first.10k.files'] = first.report.filesSeen;
  figures['scan.first.10k.files_per_s'] = Math.round(first.report.filesSeen / first.seconds);
  figures['scan.first.10k.peak_rss_mb'] = Math.round(first.maxRssMB);
  // How long an HTTP request could wait on the main thread while the scan runs.
  figures['scan.first.10k.event_loop_delay_p99_ms'] = Math.round(first.loopDelayP99Ms);
  figures['scan.first.10k.event_loop_delay_max_ms'] = Math.round(first.loopDelayMaxMs);
  const rescans: number[] = [];
  let rows = 0;
  for (let run = 0; run < 5; run++) {
    const again = scanInChild(large, largeData);
    rescans.push(again.seconds);
    rows += again.report.rowsWritten;
  }
  rescans.sort((a, b) => a - b);
  figures['scan.rescan.10k.seconds.median'] = Number(rescans[2]!.toFixed(3));
  figures['scan.rescan.10k.seconds.max'] = Number(rescans[4]!.toFixed(3));
  figures['scan.rescan.10k.rows_written'] = rows;
  for (const line of verification.mismatches.slice(0, 10))
    process.stderr.write(`manifest mismatch: ${line}\n`);
  return figures;
}

if (import.meta.main) {
  const figures = await main();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(42)} ${value}\n`);
}
