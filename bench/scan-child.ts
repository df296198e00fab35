// One scan in its own process, so the benchmark can read that process's peak memory.
// Prints one JSON line: the scan report, the peak RSS (main thread and workers together) and the bytes read.
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openRuntime } from '../src/app/runtime.ts';
import { ensureSearchIndex } from '../src/catalog/search.ts';
import { loadConfig } from '../src/config/load.ts';
import { Scanner } from '../src/library/scanner.ts';
import { silentLogger } from '../src/shared/logger.ts';

const [musicDir, dataDir, mode] = process.argv.slice(2);

/** Bytes this process got from read system calls (all threads; from the page cache or the disk alike). */
function bytesReadByProcess(): number {
  const io = fs.readFileSync('/proc/self/io', 'utf8');
  return Number(/^rchar: (\d+)/m.exec(io)?.[1] ?? 0);
}
const { config } = loadConfig({
  env: {},
  flags: { music: [{ name: 'bench', path: musicDir }], dataDir, logLevel: 'silent' },
});
const runtime = await openRuntime(config, { logger: silentLogger, registerLibraries: true });
ensureSearchIndex(runtime.db);
const scanner = new Scanner({ db: runtime.db, config, logger: silentLogger });
// How long the main thread is blocked during the scan: what an HTTP request would wait at worst.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const bytesReadBefore = bytesReadByProcess();
const started = process.hrtime.bigint();
const report = await scanner.scan({ full: mode === 'full' });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
loopDelay.disable();
const bytesRead = bytesReadByProcess() - bytesReadBefore;
await runtime.close();
process.stdout.write(
  `${JSON.stringify({ seconds, report: { ...report, errors: report.errors.length }, maxRssMB: process.resourceUsage().maxRSS / 1024, bytesRead, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6 })}\n`,
);
