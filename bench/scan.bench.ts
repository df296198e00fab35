// Scan benchmarks on real audio libraries made by ../shared/tools/gen-library.sh:
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

export function ensureLibrary(name: string, artists: number, albums: number, tracks: number): string {
  const dir = path.join(WORK, name);
  if (fs.existsSync(path.join(dir, '.gen-library.stamp'))) return dir;
  if (!fs.existsSync(GEN_LIBRARY))
    throw new Error(`gen-library.sh not found at ${GEN_LIBRARY} (set GEN_LIBRARY)`);
  fs.mkdirSync(WORK, { recursive: true });
  process.stderr.write(`generating ${name} (${artists}x${albums}x${tracks}) ...\n`);
  execFileSync('bash', [GEN_LIBRARY, dir, String(artists), String(albums), String(tracks)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, JOBS: '2', FORCE: '1' },
  });
  return dir;
}

interface ChildResult {
  seconds: number;
  report: { filesSeen: number; added: number; rowsWritten: number; errors: number };
  maxRssMB: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

function scanInChild(musicDir: string, dataDir: string): ChildResult {
  const output = execFileSync(process.execPath, [path.join(BENCH_DIR, 'scan-child.ts'), musicDir, dataDir], {
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').at(-1)!) as ChildResult;
}

function freshDataDir(name: string): string {
  const dir = path.join(WORK, 'data', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function main(): Promise<Record<string, number>> {
  const small = ensureLibrary('lib-20x10x10', 20, 10, 10);
  const large = ensureLibrary('lib-50x20x10', 50, 20, 10);
  const figures: Record<string, number> = {};

  // Warm the page cache once so runs compare tag reading, not the disk.
  scanInChild(small, freshDataDir('warm'));
  const rates: number[] = [];
  let verification = { mismatches: ['not run'] } as { mismatches: string[] };
  for (let run = 0; run < 3; run++) {
    const data = freshDataDir(`small-${run}`);
    const result = scanInChild(small, data);
    rates.push(result.report.filesSeen / result.seconds);
    if (run === 0) {
      const db = Database.open(databaseFile(data), { readonly: true });
      verification = verifyAgainstManifest(db, `${small}.manifest.tsv`, small);
      await db.close();
    }
  }
  rates.sort((a, b) => a - b);
  figures['scan.first.2k.files_per_s.median'] = Math.round(rates[1]!);
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
