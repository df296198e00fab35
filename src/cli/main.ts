#!/usr/bin/env node
// tonearm: the admin CLI. Every failure prints one line to stderr and exits non-zero.

// libuv's thread pool (4 threads by default) serves every file open, stat, realpath and read, plus
// sharp's resizes and argon2. On a NAS with spinning disks a read that misses the page cache takes a seek
// (~10 ms), and with 4 threads four listeners pulling songs would hold the whole pool: the next stream
// start, cover or login would wait behind them. 16 threads keep those apart at little cost (idle
// threads sleep). The size is read when the pool first starts, so it is set before anything else is
// loaded; an explicit UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { reportFailure } = await import('./output.ts');
const { buildProgram } = await import('./program.ts');

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFailure(error);
}
