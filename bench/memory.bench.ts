// Memory of `tonearm serve` as a NAS runs it (issue 11): a real server process with default settings,
// started the way `npm start` starts it (bin/tonearm.js, which runs the compiled build in dist/ when it is
// fresh; this bench builds it first), its resident memory read from /proc/PID/status (VmRSS now, VmHWM the
// peak since start; worker threads are threads of the same process, so they count). Figures:
//   - idle after the start-up scan of a small library (gen-library 4 3 5, 84 files), once settled
//   - after a burst of 1,000 mixed Subsonic requests on it (getAlbum, search3, getAlbumList2, getCoverArt,
//     a few streams), settled with the read workers still up, and again once they stopped for idleness
//   - the same from the TypeScript sources (`node src/cli/main.ts serve`, development), for comparison
//   - idle with the 100k-track synthetic database (bench/synthetic-db.ts), and after a burst on it
//   - peak during the first scan of 10,000 files (gen-library 50 20 10)
// "Settled": after the server's idle memory release (15 s without a request) and once RSS moved less than
// 1 MB over 5 s.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_IDLE_MS as IDLE_MS } from '../src/app/idle-memory.ts';
import { Database, databaseFile } from '../src/db/database.ts';
import { ensureLibrary } from './scan.bench.ts';
import { buildSyntheticDatabase, isSyntheticDatabase } from './synthetic-db.ts';
import { seeded } from './seeded.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);
const WORK = path.join(BENCH_DIR, '.work');
const BURST = 1_000;
const BURST_CONCURRENCY = 8;
/** A read worker stops after a minute without work (read-pool.ts DEFAULT_IDLE_MS); wait a little longer. */
const WORKER_IDLE_WAIT_MS = 75_000;

interface Memory {
  rssMB: number;
  peakMB: number;
  threads: number;
  workerThreads: number;
}

function memoryOf(pid: number): Memory {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  let workerThreads = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      if (fs.readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim() === 'WorkerThread')
        workerThreads++;
    } catch {
      // the thread ended while we looked
    }
  }
  return {
    rssMB: Math.round(kB('VmRSS') / 1024),
    peakMB: Math.round(kB('VmHWM') / 1024),
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0),
    workerThreads,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for the server's idle memory release (src/app/idle-memory.ts: after IDLE_MS without a request)
 * and then until RSS moved less than 1 MB over the last 5 s (at most 30 s more); returns the memory then.
 */
async function settled(pid: number): Promise<Memory> {
  await sleep(IDLE_MS + IDLE_MS / 3 + 2_000);
  const samples: number[] = [];
  for (let second = 0; second < 30; second++) {
    await sleep(1_000);
    samples.push(memoryOf(pid).rssMB);
    const last = samples.slice(-6);
    if (last.length === 6 && Math.max(...last) - Math.min(...last) < 1) break;
  }
  return memoryOf(pid);
}

/** The node flags `npm start` passes (package.json scripts.start: `node [flags] bin/tonearm.js serve`). */
function startFlags(): string[] {
  const scripts = (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const words = scripts.start!.split(/\s+/);
  return words.slice(1, words.indexOf('bin/tonearm.js'));
}

function buildCompiled(): void {
  process.stderr.write('building dist/ (npm run build) ...\n');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Serve {
  pid: number;
  /** The library of the music folder (named after the folder). */
  libraryName: string;
  url: string;
  auth: string;
  logs(): string;
  stop(): Promise<void>;
}

/** `tonearm serve` with default settings (only where it listens and logs differ), ready to answer. */
async function startServe(musicDir: string, dataDir: string, entry: 'compiled' | 'sources'): Promise<Serve> {
  const port = await freePort();
  const script =
    entry === 'compiled' ? path.join(ROOT, 'bin', 'tonearm.js') : path.join(ROOT, 'src', 'cli', 'main.ts');
  const args = [...startFlags(), script, 'serve', '--music', musicDir, '--data', dataDir];
  args.push('--host', '127.0.0.1', '--port', String(port), '--log-level', 'info');
  // No TONEARM_* from the caller's environment: defaults are what is measured.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TONEARM_')));
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`tonearm serve exited:\n${text.slice(-2000)}`);
    const up = await fetch(`${url}/health`).then(
      (response) => response.status < 500,
      () => false,
    );
    if (up) break;
    if (attempt > 1_200) throw new Error(`tonearm serve did not answer:\n${text.slice(-2000)}`);
    await sleep(100);
  }
  const passwordFile = path.join(dataDir, 'initial-admin-password.txt');
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  return {
    pid: child.pid!,
    libraryName: path.basename(musicDir),
    url,
    auth: `u=admin&p=${encodeURIComponent(password)}&v=1.16.1&c=bench&f=json`,
    logs: () => text,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Waits for the start-up scan to finish (its log line), sampling the peak on the way. */
async function scanFinished(serve: Serve): Promise<void> {
  while (!serve.logs().includes('"msg":"scan finished"')) {
    if (/"msg":"scan failed"/.test(serve.logs()))
      throw new Error(`the scan failed:\n${serve.logs().slice(-2000)}`);
    await sleep(200);
  }
}

function freshDataDir(name: string): string {
  const dir = path.join(WORK, 'data', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** 1,000 requests a client browsing and playing would send, BURST_CONCURRENCY at a time. */
async function burst(serve: Serve): Promise<{ failed: number }> {
  const get = async (endpoint: string, query = '') => {
    const response = await fetch(`${serve.url}/rest/${endpoint}?${serve.auth}${query}`);
    if (endpoint === 'stream' || endpoint === 'getCoverArt') {
      await response.arrayBuffer();
      return response.ok ? {} : undefined;
    }
    const body = (await response.json()) as {
      'subsonic-response': Record<string, unknown> & { status: string };
    };
    return body['subsonic-response'].status === 'ok' ? body['subsonic-response'] : undefined;
  };
  type Album = { id: string; coverArt?: string };
  const albumsIn = async (folder?: number) => {
    const scope = folder === undefined ? '' : `&musicFolderId=${folder}`;
    const list = (await get('getAlbumList2', `&type=alphabeticalByName&size=500${scope}`)) as
      | { albumList2: { album?: Album[] } }
      | undefined;
    return list?.albumList2.album ?? [];
  };
  const albums = await albumsIn();
  // Covers and streams from the library on disk (the 100k synthetic albums have no files).
  const folders = (await get('getMusicFolders')) as {
    musicFolders: { musicFolder: { id: number; name: string }[] };
  };
  const onDisk = folders.musicFolders.musicFolder.find((folder) => folder.name === serve.libraryName);
  const real = await albumsIn(onDisk?.id);
  if (albums.length === 0 || real.length === 0) throw new Error('no albums to ask for');
  const first = (await get('getAlbum', `&id=${real[0]!.id}`)) as
    | { album: { song: { id: string }[] } }
    | undefined;
  const songs = first?.album.song ?? [];
  const random = seeded(11);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const words = ['a', 'the', 'love', 'night', 'one', 'song', 'e', 'o'];
  const types = ['newest', 'random', 'alphabeticalByName', 'alphabeticalByArtist', 'recent', 'frequent'];
  const requests: (() => Promise<unknown>)[] = [];
  for (let index = 0; index < BURST; index++) {
    const kind = index % 20;
    if (kind < 7) requests.push(() => get('getAlbum', `&id=${pick(albums).id}`));
    else if (kind < 11) requests.push(() => get('search3', `&query=${encodeURIComponent(pick(words))}`));
    else if (kind < 15)
      requests.push(() =>
        get('getAlbumList2', `&type=${pick(types)}&size=50&offset=${Math.floor(random() * albums.length)}`),
      );
    else if (kind < 19) {
      const covered = real.filter((album) => album.coverArt);
      const album = covered.length > 0 ? pick(covered) : pick(real);
      requests.push(() =>
        get('getCoverArt', `&id=${album.coverArt ?? album.id}&size=${pick([150, 300, 600])}`),
      );
    } else if (songs.length > 0 && index % 200 === 19)
      requests.push(() => get('stream', `&id=${pick(songs).id}`));
    else requests.push(() => get('getAlbum', `&id=${pick(albums).id}`));
  }
  let failed = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: BURST_CONCURRENCY }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        if ((await request().catch(() => undefined)) === undefined) failed++;
      }
    }),
  );
  return { failed };
}

/** Waits until no read worker runs (they stop after a minute without work). */
async function workersStopped(serve: Serve): Promise<void> {
  const deadline = Date.now() + WORKER_IDLE_WAIT_MS;
  while (memoryOf(serve.pid).workerThreads > 0 && Date.now() < deadline) await sleep(1_000);
}

export async function main(): Promise<Record<string, number>> {
  if (!fs.existsSync('/proc/self/status')) throw new Error('the memory bench reads /proc (Linux only)');
  // MEMORY_ONLY=small,sources,100k,10k runs some parts only (and generates only the libraries they need).
  const only = process.env.MEMORY_ONLY?.split(',');
  const part = (name: string) => !only || only.includes(name);
  const small = ensureLibrary('lib-4x3x5', 4, 3, 5);
  const synthetic = path.join(WORK, 'synthetic-100000.db');
  if (!isSyntheticDatabase(synthetic, 100_000)) await buildSyntheticDatabase(synthetic, { tracks: 100_000 });
  buildCompiled();
  const figures: Record<string, number> = {};
  const note = (key: string, value: number) => {
    figures[key] = value;
    process.stderr.write(`  ${key} ${value}\n`);
  };

  // Small library: start-up scan, idle; a burst; idle again with and without the read workers.
  if (part('small')) {
    const serve = await startServe(small, freshDataDir('memory-small'), 'compiled');
    try {
      await scanFinished(serve);
      const idle = await settled(serve.pid);
      note('memory.small.idle_rss_mb', idle.rssMB);
      note('memory.small.idle_worker_threads', idle.workerThreads);
      note('memory.small.startup_peak_mb', idle.peakMB);
      const { failed } = await burst(serve);
      note('memory.small.burst_failed_requests', failed);
      const after = await settled(serve.pid);
      note('memory.small.after_burst_rss_mb', after.rssMB);
      note('memory.small.after_burst_worker_threads', after.workerThreads);
      note('memory.small.burst_peak_mb', after.peakMB);
      await workersStopped(serve);
      const stopped = await settled(serve.pid);
      note('memory.small.after_burst_workers_stopped_rss_mb', stopped.rssMB);
      note('memory.small.after_burst_workers_stopped_worker_threads', stopped.workerThreads);
    } finally {
      await serve.stop();
    }
  }

  // The same library from the TypeScript sources (development: type stripping in every thread).
  if (part('sources')) {
    const serve = await startServe(small, freshDataDir('memory-sources'), 'sources');
    try {
      await scanFinished(serve);
      note('memory.small.sources.idle_rss_mb', (await settled(serve.pid)).rssMB);
    } finally {
      await serve.stop();
    }
  }

  // 100,000 tracks: the synthetic database in the data folder, the small library as the music folder.
  if (part('100k')) {
    const data = freshDataDir('memory-100k');
    const copy = Database.open(synthetic, { readonly: true });
    copy.backupTo(databaseFile(data));
    await copy.close();
    const serve = await startServe(small, data, 'compiled');
    try {
      await scanFinished(serve);
      const idle = await settled(serve.pid);
      note('memory.100k.idle_rss_mb', idle.rssMB);
      note('memory.100k.startup_peak_mb', idle.peakMB);
      const { failed } = await burst(serve);
      note('memory.100k.burst_failed_requests', failed);
      note('memory.100k.after_burst_rss_mb', (await settled(serve.pid)).rssMB);
      await workersStopped(serve);
      note('memory.100k.after_burst_workers_stopped_rss_mb', (await settled(serve.pid)).rssMB);
    } finally {
      await serve.stop();
    }
  }

  // 10,000 files: the peak of the whole process during the first scan (VmHWM, and sampled VmRSS).
  if (part('10k')) {
    const large = ensureLibrary('lib-50x20x10', 50, 20, 10);
    const serve = await startServe(large, freshDataDir('memory-10k'), 'compiled');
    try {
      let sampled = 0;
      const sampler = setInterval(() => {
        sampled = Math.max(sampled, memoryOf(serve.pid).rssMB);
      }, 100);
      await scanFinished(serve);
      clearInterval(sampler);
      const peak = memoryOf(serve.pid).peakMB;
      note('memory.10k.scan_peak_rss_mb', Math.max(peak, sampled));
      note('memory.10k.after_scan_idle_rss_mb', (await settled(serve.pid)).rssMB);
    } finally {
      await serve.stop();
    }
  }
  return figures;
}

if (import.meta.main) {
  const figures = await main();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(52)} ${value}\n`);
}
