// Search latency over the 100k-track synthetic database: a fixed, deterministic set of queries (prefixes,
// whole words, words typed without their accents, CJK substrings, typos, several words, nonsense) drawn
// from the catalog itself, each run through searchTracks (with and without a library filter),
// searchAlbums and searchArtists with limit 20. Target: p99 <= 20 ms on the 2-core reference machine.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogReader } from '../src/catalog/reader.ts';
import type { SearchOptions } from '../src/catalog/search.ts';
import { ensureSearchIndex, searchAlbums, searchArtists, searchTracks } from '../src/catalog/search.ts';
import { Database } from '../src/db/database.ts';
import { buildSyntheticDatabase, isSyntheticDatabase } from './synthetic-db.ts';

const TRACKS = 100_000;
const LIMIT = 20;
const TARGET_P99_MS = 20;
const workDir = fileURLToPath(new URL('./.work/', import.meta.url));

type Search = (catalog: CatalogReader, query: string, options?: SearchOptions) => string[];

const searches: [string, Search, SearchOptions][] = [
  ['tracks', searchTracks, { limit: LIMIT }],
  ['tracks in library 1', searchTracks, { limit: LIMIT, libraryIds: [1] }],
  ['albums', searchAlbums, { limit: LIMIT }],
  ['artists', searchArtists, { limit: LIMIT }],
];

interface Query {
  kind: string;
  text: string;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Deterministic LCG: the same database gives the same queries. */
function sampler(seed: number) {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

function stripAccents(word: string): string {
  return word.normalize('NFKD').replace(/\p{M}+/gu, '');
}

function typo(word: string, roll: number): string {
  const chars = [...word];
  const at = 1 + Math.floor(roll * (chars.length - 2));
  if (roll < 0.5 && chars[at] !== chars[at + 1] && at + 1 < chars.length) {
    [chars[at], chars[at + 1]] = [chars[at + 1]!, chars[at]!];
  } else {
    chars[at] = chars[at] === 'x' ? 'z' : 'x';
  }
  return chars.join('');
}

export function buildQueries(db: Database): Query[] {
  const s = sampler(7);
  const titles = db
    .prepare('SELECT title FROM track WHERE pk % 97 = 0 ORDER BY pk')
    .pluck()
    .all() as string[];
  const artists = db.prepare('SELECT name FROM artist ORDER BY pk').pluck().all() as string[];
  const albums = db.prepare('SELECT name FROM album WHERE pk % 7 = 0 ORDER BY pk').pluck().all() as string[];
  const texts = [...titles, ...artists, ...albums];
  const words = texts.flatMap((text) => text.split(/[\s()]+/)).filter((word) => /^\p{L}+$/u.test(word));
  const latin = words.filter((word) => !CJK.test(word));
  const accented = latin.filter((word) => stripAccents(word) !== word);
  const long = latin.filter((word) => word.length >= 5);
  const cjkTexts = texts.filter((text) => CJK.test(text));

  // Distinct queries: a repeated one would weigh twice in the percentiles.
  const queries: Query[] = [];
  const seen = new Set<string>();
  const add = (kind: string, count: number, make: () => string) => {
    for (let made = 0, tries = 0; made < count && tries < count * 50; tries++) {
      const text = make();
      if (seen.has(text)) continue;
      seen.add(text);
      queries.push({ kind, text });
      made++;
    }
  };
  add('word', 100, () => s.pick(latin).toLowerCase());
  add('prefix', 120, () => {
    const word = s.pick(latin.filter((w) => w.length >= 3));
    return word.slice(0, 2 + Math.floor(s.next() * Math.min(4, word.length - 1))).toLowerCase();
  });
  add('words', 80, () => {
    const text = s.pick(titles.filter((t) => !CJK.test(t) && t.includes(' ')));
    const parts = text.split(' ');
    const last = parts[parts.length - 1]!;
    return `${parts.slice(0, -1).join(' ')} ${last.slice(0, Math.max(2, last.length - 2))}`;
  });
  add('artist + word', 40, () =>
    `${s.pick(artists.filter((a) => !CJK.test(a)))} ${s.pick(latin)}`.toLowerCase(),
  );
  add('no accents', 60, () => stripAccents(s.pick(accented)).toLowerCase());
  add('cjk', 80, () => {
    const chars = [...s.pick(cjkTexts).replace(/[^\p{L}]/gu, '')].filter((c) => CJK.test(c));
    const start = Math.floor(s.next() * Math.max(1, chars.length - 1));
    return chars.slice(start, start + 1 + Math.floor(s.next() * 3)).join('');
  });
  add('typo', 100, () => typo(s.pick(long).toLowerCase(), s.next()));
  add('nonsense', 20, () => `qz${Math.floor(s.next() * 1e6).toString(36)}vv`);
  return queries;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summarise(samples: number[]): { p50: number; p95: number; p99: number; max: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
    n: sorted.length,
  };
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function main(): Promise<Record<string, number>> {
  const file = path.join(workDir, `synthetic-${TRACKS}.db`);
  let buildMs = 0;
  if (!isSyntheticDatabase(file, TRACKS)) {
    const start = process.hrtime.bigint();
    console.log(`building ${TRACKS} synthetic tracks in ${path.relative(process.cwd(), file)} ...`);
    await buildSyntheticDatabase(file, { tracks: TRACKS });
    buildMs = elapsedMs(start);
  }
  const db = Database.open(file);
  try {
    const indexStart = process.hrtime.bigint();
    ensureSearchIndex(db);
    const ensureMs = elapsedMs(indexStart);
    const queries = buildQueries(db);
    const catalog = new CatalogReader(db);

    // First typo search per kind: loads that index's vocabulary into memory.
    const firstTypo: Record<string, number> = {};
    const typoText = queries.find((query) => query.kind === 'typo')!.text;
    for (const [name, search, options] of searches) {
      const start = process.hrtime.bigint();
      search(catalog, typoText, options);
      firstTypo[name] = elapsedMs(start);
    }
    // One untimed pass warms the page cache and the statement cache; the second is measured.
    for (const query of queries)
      for (const [, search, options] of searches) search(catalog, query.text, options);

    const bySearch = new Map<string, number[]>();
    const byQueryKind = new Map<string, number[]>();
    const all: number[] = [];
    let empty = 0;
    for (const query of queries) {
      for (const [name, search, options] of searches) {
        const start = process.hrtime.bigint();
        const ids = search(catalog, query.text, options);
        const ms = elapsedMs(start);
        if (ids.length === 0) empty++;
        all.push(ms);
        bySearch.set(name, [...(bySearch.get(name) ?? []), ms]);
        byQueryKind.set(query.kind, [...(byQueryKind.get(query.kind) ?? []), ms]);
      }
    }

    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(
      `search benchmark: ${TRACKS} tracks, ${queries.length} queries x ${searches.length} searches, limit ${LIMIT}`,
    );
    console.log(
      `machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}`,
    );
    if (buildMs > 0) console.log(`database built in ${(buildMs / 1000).toFixed(1)} s`);
    console.log(`ensureSearchIndex: ${ensureMs.toFixed(1)} ms; empty results: ${empty} of ${all.length}`);
    console.log(
      `first typo query (loads vocabulary): ${Object.entries(firstTypo)
        .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
        .join(', ')}`,
    );
    // Keys start with "search." because bench/run.ts merges the figures of every part into one record.
    const round = (ms: number) => Number(ms.toFixed(3));
    const figures: Record<string, number> = {
      'search.catalog_tracks': TRACKS,
      'search.queries': queries.length,
      'search.ensure_index_ms': round(ensureMs),
    };
    for (const [name, ms] of Object.entries(firstTypo)) {
      figures[`search.first_typo_ms.${name.replaceAll(' ', '_')}`] = round(ms);
    }
    const row = (label: string, samples: number[], prefix: string) => {
      const stats = summarise(samples);
      console.log(
        `${label.padEnd(22)} n=${String(stats.n).padStart(5)}  p50 ${stats.p50.toFixed(2).padStart(6)} ms  ` +
          `p95 ${stats.p95.toFixed(2).padStart(6)} ms  p99 ${stats.p99.toFixed(2).padStart(6)} ms  max ${stats.max.toFixed(2).padStart(6)} ms`,
      );
      figures[`search.${prefix}.p50_ms`] = round(stats.p50);
      figures[`search.${prefix}.p95_ms`] = round(stats.p95);
      figures[`search.${prefix}.p99_ms`] = round(stats.p99);
      figures[`search.${prefix}.max_ms`] = round(stats.max);
    };
    for (const [name, samples] of bySearch) row(name, samples, name.replaceAll(' ', '_'));
    console.log('by query kind (all searches):');
    for (const [kind, samples] of byQueryKind) row(`  ${kind}`, samples, `kind.${kind.replaceAll(' ', '_')}`);
    row('all', all, 'all');
    const p99 = figures['search.all.p99_ms']!;
    console.log(
      `target p99 <= ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? 'met' : 'MISSED'} (${p99.toFixed(2)} ms)`,
    );
    return figures;
  } finally {
    await db.close();
  }
}

if (import.meta.main) await main();
