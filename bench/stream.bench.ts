// Streaming benchmarks on real audio, the server in its own process (bench/server-child.ts):
//   - raw stream time to first byte: 8 and 16 listeners each starting a song every 20–80 ms on a new
//     connection, p50/p99; and, saturated, 8 connections asking for the first 64 KiB of songs back to back (wrk),
//     p50/p99 of the whole answer
//   - flac → mp3 128 kbit/s time to first byte: each request a transcode nobody made before (a distinct
//     timeOffset, so the cache cannot answer), one after the other, p50/p99
//   - 8 transcodes at once, flac → mp3 128k of 4-minute songs, read as fast as they come: each one's
//     speed as a multiple of real time (must stay above 1 on 2 cores)
//   - cached getCoverArt size=300 under load (16 connections): p50/p99, requests/s
//   - ffmpeg processes of the server left after all of it
// The library (16 four-minute flac files of pink noise, which does not compress, so the sizes and
// bitrates are those of real music; one cover per album) is made once with ffmpeg in bench/.work.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, startServer, WARM_UP_SECONDS } from './load.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
const LIBRARY = path.join(WORK, 'stream-library');
const ALBUMS = 4;
const TRACKS_PER_ALBUM = 4;
const TRACK_SECONDS = 240;
const USER = 'bench';
const PASSWORD = 'bench-password';
const LIBRARY_VERSION = '1';

function ensureLibrary(): void {
  const stamp = path.join(LIBRARY, '.stamp');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === LIBRARY_VERSION) return;
  fs.rmSync(LIBRARY, { recursive: true, force: true });
  process.stderr.write('making the streaming library (16 × 4 min flac) ...\n');
  for (let album = 1; album <= ALBUMS; album++) {
    const dir = path.join(LIBRARY, `Bench Artist ${album}`, `Bench Album ${album}`);
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1200x1200:rate=1`, '-frames:v', '1'],
      path.join(dir, 'cover.jpg'),
    ]);
    for (let track = 1; track <= TRACKS_PER_ALBUM; track++) {
      const tags = {
        title: `Song ${album}.${track}`,
        artist: `Bench Artist ${album}`,
        album_artist: `Bench Artist ${album}`,
        album: `Bench Album ${album}`,
        track: String(track),
      };
      execFileSync('ffmpeg', [
        ...[
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          `anoisesrc=d=${TRACK_SECONDS}:c=pink:r=44100:a=0.3:seed=${album * 10 + track}`,
        ],
        ...['-ac', '2', '-sample_fmt', 's16'],
        ...Object.entries(tags).flatMap(([key, value]) => ['-metadata', `${key}=${value}`]),
        path.join(dir, `${String(track).padStart(2, '0')} - Song.flac`),
      ]);
    }
  }
  fs.writeFileSync(stamp, LIBRARY_VERSION);
}

// Deterministic think times, so runs differ by the machine only.
let seed = 12345;
function random(): number {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!.toFixed(2));
}

/** Milliseconds from sending the request to the first body byte; then the connection is dropped. */
function timeToFirstByte(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const request = http.get(url, { headers, agent: false }, (response) => {
      if (response.statusCode !== 200 && response.statusCode !== 206) {
        reject(new Error(`${url} answered ${response.statusCode}`));
        return;
      }
      if (/xml|json/.test(response.headers['content-type'] ?? '')) {
        reject(new Error(`${url} answered an error document`));
        return;
      }
      response.once('data', () => {
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
        request.destroy();
      });
    });
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
  });
}

/** Reads a whole answer; resolves with its size and the seconds it took. */
function readWhole(url: string): Promise<{ bytes: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    http
      .get(url, { agent: false }, (response) => {
        if (response.statusCode !== 200 || /xml|json/.test(response.headers['content-type'] ?? '')) {
          reject(new Error(`${url} answered ${response.statusCode} ${response.headers['content-type']}`));
          response.resume();
          return;
        }
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        response.on('end', () =>
          resolve({ bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 }),
        );
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

async function inParallel<T>(count: number, work: (index: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => work(index)));
}

function ffmpegChildren(pid: number): number {
  try {
    return execFileSync('pgrep', ['-P', String(pid), 'ffmpeg'], { encoding: 'utf8' })
      .trim()
      .split('\n').length;
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

export async function main(): Promise<Record<string, number>> {
  ensureLibrary();
  const file = path.join(WORK, 'stream-bench.db');
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  fs.rmSync(`${file}.data`, { recursive: true, force: true });
  const { url, child } = await startServer(file, USER, PASSWORD, LIBRARY);
  const auth = `u=${USER}&p=${PASSWORD}&v=1.16.1&c=bench`;
  const figures: Record<string, number> = {};
  try {
    const songs = (await (
      await fetch(`${url}/rest/search3?${auth}&f=json&query=%22%22&songCount=100&albumCount=0&artistCount=0`)
    ).json()) as {
      'subsonic-response': { searchResult3: { song: { id: string; coverArt: string; albumId: string }[] } };
    };
    const list = songs['subsonic-response'].searchResult3.song;
    if (list.length !== ALBUMS * TRACKS_PER_ALBUM)
      throw new Error(`expected 16 songs, the scan found ${list.length}`);
    const albumIds = [...new Set(list.map((song) => song.albumId))];

    // Raw, saturated: 8 connections asking back to back for the first 64 KiB of a song (what a player needs
    // before it can start); the whole answer's latency. The server and wrk share the 2 cores.
    let nextSong = 0;
    const rawPath = () => `/rest/stream?${auth}&id=${list[nextSong++ % list.length]!.id}&format=raw`;
    const range = { Range: 'bytes=0-65535' };
    await load(url, 'stream raw', rawPath, WARM_UP_SECONDS, 8, range);
    const raw = await load(
      url,
      'stream raw (first 64 KiB)',
      rawPath,
      Number(process.env.BENCH_SECONDS ?? 10),
      8,
      range,
    );
    figures['stream.raw_first_64k_saturated.p50_ms'] = raw.p50;
    figures['stream.raw_first_64k_saturated.p99_ms'] = raw.p99;
    figures['stream.raw_first_64k_saturated.req_per_s'] = raw.rps;
    // Time to first byte as players see it: N listeners, each starting a song on a new connection and
    // then waiting 20–80 ms (random, so they do not march in step) before the next: 8 listeners make
    // ~160 song starts a second, 16 ~320 — both far beyond a household. The first 32 starts warm up.
    for (const listeners of [8, 16]) {
      const starts: number[] = [];
      await inParallel(listeners, async (listener) => {
        for (let round = 0; round < 640 / listeners; round++) {
          const song = list[(listener + round) % list.length]!;
          starts.push(
            await timeToFirstByte(`${url}/rest/stream?${auth}&id=${song.id}`, { Range: 'bytes=0-' }),
          );
          await new Promise((resolve) => setTimeout(resolve, 20 + random() * 60));
        }
      });
      figures[`stream.raw_ttfb_${listeners}_listeners.p50_ms`] = percentile(starts.slice(32), 50);
      figures[`stream.raw_ttfb_${listeners}_listeners.p99_ms`] = percentile(starts.slice(32), 99);
    }

    // Transcode start: each request new to the cache (its own timeOffset).
    const transcoded: number[] = [];
    for (let index = 0; index < 40; index++) {
      const song = list[index % list.length]!;
      transcoded.push(
        await timeToFirstByte(
          `${url}/rest/stream?${auth}&id=${song.id}&format=mp3&maxBitRate=128&timeOffset=${index + 1}`,
        ),
      );
    }
    figures['stream.mp3_128_ttfb.p50_ms'] = percentile(transcoded.slice(4), 50);
    figures['stream.mp3_128_ttfb.p99_ms'] = percentile(transcoded.slice(4), 99);

    // 8 whole transcodes at once (distinct songs, nothing cached: offset 0 was never asked above), by two
    // listeners: one user may run 4 at a time (transcoding.maxPerUser).
    await fetch(`${url}/rest/createUser?${auth}&username=bench2&password=${PASSWORD}&email=b@example.org`);
    const auth2 = `u=bench2&p=${PASSWORD}&v=1.16.1&c=bench`;
    const started = process.hrtime.bigint();
    const whole = await inParallel(8, (index) =>
      readWhole(
        `${url}/rest/stream?${index % 2 ? auth2 : auth}&id=${list[index]!.id}&format=mp3&maxBitRate=128`,
      ),
    );
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const speeds = whole.map((run) => TRACK_SECONDS / run.seconds);
    figures['stream.parallel8_mp3.slowest_x_realtime'] = Number(Math.min(...speeds).toFixed(1));
    figures['stream.parallel8_mp3.wall_s'] = Number(wall.toFixed(1));
    figures['stream.parallel8_mp3.min_bytes'] = Math.min(...whole.map((run) => run.bytes));

    // Cached covers: warm every album's 300 px cover, then load them.
    const coverPath = (index: number) =>
      `/rest/getCoverArt?${auth}&id=${albumIds[index % albumIds.length]}&size=300`;
    for (let index = 0; index < albumIds.length; index++)
      await (await fetch(`${url}${coverPath(index)}`)).arrayBuffer();
    let next = 0;
    const pathFor = () => coverPath(next++);
    await load(url, 'getCoverArt', pathFor, WARM_UP_SECONDS, 16);
    const covers = await load(
      url,
      'getCoverArt size=300 (cached)',
      pathFor,
      Number(process.env.BENCH_SECONDS ?? 10),
      16,
    );
    figures['stream.cover300_cached.p50_ms'] = covers.p50;
    figures['stream.cover300_cached.p99_ms'] = covers.p99;
    figures['stream.cover300_cached.req_per_s'] = covers.rps;
    figures['stream.cover300_cached.errors'] = covers.errors;

    // Every transcode above ended or was abandoned: nothing may still run.
    await new Promise((resolve) => setTimeout(resolve, 500));
    figures['stream.ffmpeg_processes_after'] = ffmpegChildren(child.pid!);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return figures;
}
