// Subsonic API load on the 100k-track synthetic database: 32 concurrent connections per endpoint, the
// server in its own process (read workers as `tonearm serve` starts them). Figures: p50/p99 latency and
// requests/s per endpoint, and the time of a full search3 "" sync of every song in pages of 500 (what
// Symfonium does).
//
// The load generator shares the 2 cores with the server. wrk (Debian package `wrk`, written in C) is used
// when installed, autocannon otherwise: autocannon itself needs most of a core to take in large answers
// (getArtists: 8 of 10 s of CPU), which measured the generator rather than the server. Each endpoint gets
// a 2 s warm-up first (the workers' JIT and statement caches), which is not counted.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasWrk, load, startServer, WARM_UP_SECONDS } from './load.ts';
import { syntheticCopy } from './synthetic-db.ts';
import { seeded } from './seeded.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
const TRACKS = 100_000;
const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const USER = 'bench';
const PASSWORD = 'bench-password';

export async function main(): Promise<Record<string, number>> {
  const file = path.join(WORK, 'subsonic-bench.db');
  const copy = await syntheticCopy(file, TRACKS);
  const albumIds = copy.sqlite.prepare('SELECT id FROM album ORDER BY pk').pluck().all() as string[];
  const words = (
    copy.sqlite.prepare('SELECT title FROM track ORDER BY pk LIMIT 2000').pluck().all() as string[]
  ).map((title) => title.split(' ')[0]!);
  await copy.close();

  const { url, child } = await startServer(file, USER, PASSWORD);
  const auth = `u=${USER}&p=${PASSWORD}&v=1.16.1&c=bench`;
  const figures: Record<string, number> = {};
  try {
    const random = seeded(7);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const endpoints: [string, () => string][] = [
      [
        'getAlbumList2',
        () =>
          `/rest/getAlbumList2?${auth}&f=json&type=alphabeticalByName&size=50&offset=${Math.floor(random() * (albumIds.length - 50))}`,
      ],
      ['getAlbum', () => `/rest/getAlbum?${auth}&f=json&id=${pick(albumIds)}`],
      ['getArtists', () => `/rest/getArtists?${auth}&f=json`],
      ['getIndexes', () => `/rest/getIndexes?${auth}&f=json`],
      ['search3', () => `/rest/search3?${auth}&f=json&query=${encodeURIComponent(pick(words))}`],
    ];
    // One request first: argon2 runs once, later requests hit the credential cache.
    await fetch(`${url}/rest/ping?${auth}`);
    figures['subsonic.load_generator_is_wrk'] = hasWrk() ? 1 : 0;
    // BENCH_ONLY=search3,getAlbum measures some endpoints only.
    const only = process.env.BENCH_ONLY?.split(',');
    for (const [name, pathFor] of endpoints.filter(([name]) => !only || only.includes(name))) {
      await load(url, name, pathFor, WARM_UP_SECONDS, CONNECTIONS);
      const run = await load(url, name, pathFor, SECONDS, CONNECTIONS);
      figures[`subsonic.${name}.p50_ms`] = run.p50;
      figures[`subsonic.${name}.p99_ms`] = run.p99;
      figures[`subsonic.${name}.req_per_s`] = run.rps;
      figures[`subsonic.${name}.errors`] = run.errors;
    }
    // A full offline sync: every song through search3 "" in pages of 500.
    const started = process.hrtime.bigint();
    let songs = 0;
    const seen = new Set<string>();
    for (let offset = 0; ; offset += 500) {
      const response = await fetch(
        `${url}/rest/search3?${auth}&f=json&query=%22%22&artistCount=0&albumCount=0&songCount=500&songOffset=${offset}`,
      );
      const body = (await response.json()) as {
        'subsonic-response': { searchResult3?: { song?: { id: string }[] } };
      };
      const page = body['subsonic-response'].searchResult3?.song ?? [];
      for (const song of page) seen.add(song.id);
      songs += page.length;
      if (page.length < 500) break;
    }
    figures['subsonic.search3_full_sync.seconds'] = Number(
      (Number(process.hrtime.bigint() - started) / 1e9).toFixed(2),
    );
    figures['subsonic.search3_full_sync.songs'] = songs;
    figures['subsonic.search3_full_sync.distinct'] = seen.size;
  } finally {
    child.kill('SIGTERM');
  }
  return figures;
}

if (import.meta.main) {
  const figures = await main();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(44)} ${value}\n`);
}
