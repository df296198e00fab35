#!/usr/bin/env node
// `npm start` and the `tonearm` command: runs the compiled build (dist/, made by `npm run build`), compiling
// it first when it is missing or older than the sources (TONEARM_BUILD=0: run the sources instead). The compiled build needs
// no type stripper in memory, which makes each thread of the server lighter (docs/benchmarks.md, "Memory
// (issue 11)"); development and the tests run the sources. Plain JavaScript, so choosing costs nothing.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/** The first source file with no compiled counterpart at least as new, or undefined when dist/ is fresh. */
function staleSource(folder) {
  // An installation without the sources (a Docker image) runs what it has.
  if (!fs.existsSync(path.join(root, folder))) return undefined;
  for (const entry of fs.readdirSync(path.join(root, folder), { withFileTypes: true })) {
    const relative = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      const stale = staleSource(relative);
      if (stale) return stale;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const source = fs.statSync(path.join(root, relative));
      const compiled = fs.statSync(path.join(dist, relative.replace(/\.ts$/, '.js')), { throwIfNoEntry: false });
      if (!compiled || compiled.mtimeMs < source.mtimeMs) return relative;
    }
  }
  return undefined;
}

/**
 * Compiles the sources into dist/ (as `npm run build`), so that `npm start` on a fresh checkout runs the
 * lighter build without a separate step. Needs TypeScript (a dev dependency): false when it is not there
 * or the compile fails, and the sources run instead.
 */
function build(reason) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc) || !fs.existsSync(path.join(root, 'tsconfig.build.json'))) return false;
  process.stderr.write(`tonearm: compiling to dist/ (${reason}); this takes a few seconds once\n`);
  fs.rmSync(dist, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status === 0) return true;
  fs.rmSync(dist, { recursive: true, force: true });
  process.stderr.write('tonearm: the compile failed; running the TypeScript sources\n');
  return false;
}

// glibc's allocator keeps what threads freed: an arena per thread (up to 8 per core) and, once a large
// block was freed, a high threshold before it gives memory back. After a burst of requests that kept
// ~50 MB of freed memory in the process (docs/benchmarks.md, "Memory (issue 11)"). Both are read when the
// process starts, so the process replaces itself once with them set (the Docker image sets them itself).
if (
  process.platform === 'linux' &&
  typeof process.execve === 'function' &&
  process.env.MALLOC_ARENA_MAX === undefined &&
  process.env.MALLOC_TRIM_THRESHOLD_ === undefined
) {
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    ...process.env,
    MALLOC_ARENA_MAX: '2',
    MALLOC_TRIM_THRESHOLD_: '131072',
  });
}

// The web app too (web/src → web/dist), when its build is missing or older than its sources; the
// script does nothing when they are not there (an installed image) or Vite is not (no dev dependencies).
const webBuilder = path.join(root, 'web', 'scripts', 'build-web.ts');
const command = process.argv[2];
if ((command === undefined || command === 'serve') && fs.existsSync(webBuilder) && process.env.TONEARM_BUILD !== '0') {
  spawnSync(process.execPath, [webBuilder, '--if-stale'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

let entry = path.join(root, 'src', 'cli', 'main.ts');
const stale = fs.existsSync(dist) ? (staleSource('src') ?? staleSource('migrations')) : 'no build yet';
const wantsBuild = stale !== undefined && process.env.TONEARM_BUILD !== '0';
if (stale === undefined || (wantsBuild && build(stale === 'no build yet' ? stale : `${stale} changed`)))
  entry = path.join(dist, 'src', 'cli', 'main.js');
await import(pathToFileURL(entry).href);
