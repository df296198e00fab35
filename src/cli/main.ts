#!/usr/bin/env node
// tonearm: the admin CLI. Every failure prints one line to stderr and exits non-zero.

// libuv's thread pool (4 threads by default) serves every file open, stat, realpath and read, plus
// sharp's resizes and argon2. With 4, a few listeners pulling songs queue the next listener's stream
// start behind their reads (p99 time to first byte ~25 ms with 8 listeners; ~11 ms with 16 threads, see
// docs/benchmarks.md). The size is read when the pool first starts, so it is set before anything else
// is loaded; an explicit UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { reportFailure } = await import('./output.ts');
const { buildProgram } = await import('./program.ts');

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFailure(error);
}
