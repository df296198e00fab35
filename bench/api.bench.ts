// Native API load on the 100k-track synthetic database (issue 13): authenticated with an API key, 32
// concurrent connections, the server in its own process (bench/server-child.ts), a 2 s warm-up per case.
// Cases: GET /api/v1/albums?limit=50 (the first page; deep pages, each request a random one of the
// cursors met walking the whole list), and GET /api/v1/search as someone types (every prefix of words
// from artist, album and track names: "m", "mi", "mid", …; each asked once before the run). Also the time
// to walk all albums through their cursors, one page after another, and a check that the walk met every
// album once.
// Each case runs twice: against the server as shipped, which keeps answers until the database changes
// (src/http/answer-cache.ts: the benchmark's repeats are then answered from memory), and `_uncached`
// against one that keeps none (http.answerCache = 0): every request read, serialised and gzipped anew,
// what a request nobody made since the last write costs.
// Target (issue 13): p99 <= 30 ms at 32 connections.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey } from '../src/accounts/api-keys.ts';
import { Database } from '../src/db/database.ts';
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
const PAGE = 50;
/** The server's database: a copy of the synthetic one (the server migrates it and adds the user). */
const file = path.join(WORK, 'api-bench.db');

/** What someone types on the way to each of a few hundred words: every prefix, in order. */
function typedPrefixes(texts: readonly string[], random: () => number): string[] {
  const words = texts
    .flatMap((text) => text.split(/[\s()]+/))
    .filter((word) => /^\p{L}{3,}$/u.test(word))
    .map((word) => word.toLowerCase());
  const prefixes: string[] = [];
  for (let index = 0; index < 400 && words.length > 0; index++) {
    const word = [...words[Math.floor(random() * words.length)]!];
    for (let length = 1; length <= word.length; length++) prefixes.push(word.slice(0, length).join(''));
  }
  return prefixes;
}

export async function main(): Promise<Record<string, number>> {
  const copy = await syntheticCopy(file, TRACKS);
  const random = seeded(11);
  const texts = [
    ...(copy.sqlite.prepare('SELECT name FROM artist ORDER BY pk').pluck().all() as string[]),
    ...(copy.sqlite.prepare('SELECT name FROM album WHERE pk % 5 = 0 ORDER BY pk').pluck().all() as string[]),
    ...(copy.sqlite
      .prepare('SELECT title FROM track WHERE pk % 50 = 0 ORDER BY pk')
      .pluck()
      .all() as string[]),
  ];
  const albumCount = copy.sqlite.prepare('SELECT count(*) FROM album').pluck().get() as number;
  await copy.close();
  const prefixes = typedPrefixes(texts, random);

  const figures: Record<string, number> = {};
  // The server as shipped, then one that keeps no answers (every request read, serialised and gzipped
  // anew in a read worker): what requests nobody made before cost.
  for (const [suffix, env] of [
    ['', {}],
    ['_uncached', { TONEARM_ANSWER_CACHE: '0' }],
  ] as const) {
    const { url, child } = await startServer(file, USER, PASSWORD, undefined, env);
    try {
      await measure(url, suffix, figures, prefixes, albumCount, random);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  figures['api.search_prefixes'] = new Set(prefixes).size;
  return figures;
}

async function measure(
  url: string,
  suffix: string,
  figures: Record<string, number>,
  prefixes: readonly string[],
  albumCount: number,
  random: () => number,
): Promise<void> {
  // The user exists once the server listens; its key is written beside the running server (WAL).
  const keys = Database.open(file);
  const headers = { Authorization: `Bearer ${createApiKey(keys, USER, `bench${suffix}`).key}` };
  await keys.close();
  // Every page once, one after another: the cursors for the deep-page case.
  const cursors: string[] = [];
  const seen = new Set<string>();
  let albums = 0;
  const started = process.hrtime.bigint();
  for (let cursor: string | null = null; ; ) {
    const response = await fetch(
      `${url}/api/v1/albums?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { headers },
    );
    if (response.status !== 200) throw new Error(`GET /api/v1/albums answered ${response.status}`);
    const page = (await response.json()) as { items: { id: string }[]; nextCursor: string | null };
    for (const album of page.items) seen.add(album.id);
    albums += page.items.length;
    cursor = page.nextCursor;
    if (!cursor) break;
    cursors.push(cursor);
  }
  figures[`api.albums_walk${suffix}.seconds`] = Number(
    (Number(process.hrtime.bigint() - started) / 1e9).toFixed(2),
  );
  figures[`api.albums_walk${suffix}.albums`] = albums;
  figures[`api.albums_walk${suffix}.distinct`] = seen.size;
  figures[`api.albums_walk${suffix}.expected`] = albumCount;

  figures['api.load_generator_is_wrk'] = hasWrk() ? 1 : 0;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const cases: [string, () => string][] = [
    ['albums_first_page', () => `/api/v1/albums?limit=${PAGE}`],
    ['albums_deep_pages', () => `/api/v1/albums?limit=${PAGE}&cursor=${encodeURIComponent(pick(cursors))}`],
    ['search_as_you_type', () => `/api/v1/search?q=${encodeURIComponent(pick(prefixes))}`],
  ];
  // BENCH_ONLY=search_as_you_type,albums_first_page_uncached measures some cases only.
  const only = process.env.BENCH_ONLY?.split(',');
  for (const [base, pathFor] of cases) {
    const name = base + suffix;
    if (only && !only.includes(name)) continue;
    // Each prefix asked once before the run: what is measured is a server that has met these queries (kept
    // answers; the workers' rankings in the uncached case), not the minute after a restart.
    if (base === 'search_as_you_type') await askOnce(url, [...new Set(prefixes)], headers);
    await load(url, name, pathFor, WARM_UP_SECONDS, CONNECTIONS, headers);
    const run = await load(url, name, pathFor, SECONDS, CONNECTIONS, headers);
    figures[`api.${name}.p50_ms`] = run.p50;
    figures[`api.${name}.p99_ms`] = run.p99;
    figures[`api.${name}.req_per_s`] = run.rps;
    figures[`api.${name}.errors`] = run.errors;
  }
}

/**
 * GET /api/v1/search for each query, CONNECTIONS at a time, each on a connection of its own that closes
 * after it (fetch() would keep its connections open, and with wrk's they would pass the server's limit
 * of connections per address).
 */
async function askOnce(
  url: string,
  queries: readonly string[],
  headers: Record<string, string>,
): Promise<void> {
  let next = 0;
  const ask = (query: string) =>
    new Promise<void>((resolve, reject) => {
      const request = http.get(
        `${url}/api/v1/search?q=${encodeURIComponent(query)}`,
        { headers, agent: false },
        (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === 200
              ? resolve()
              : reject(new Error(`search ${query} answered ${response.statusCode}`)),
          );
        },
      );
      request.on('error', reject);
    });
  const asker = async () => {
    while (next < queries.length) await ask(queries[next++]!);
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, asker));
}

if (import.meta.main) {
  const figures = await main();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(44)} ${value}\n`);
}
