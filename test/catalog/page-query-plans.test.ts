// The index guard for the native API's sorted lists (test/catalog/query-plans.test.ts does the same for
// Subsonic's): every SELECT that GET /artists, /albums, /tracks, /folders/:id and their detail routes run,
// first pages and cursor pages, for every sort in both orders and with each filter, is checked with
// EXPLAIN QUERY PLAN on the test server's database, which, like a real one, has no ANALYZE statistics.
// Reading a whole track, album or artist table, or sorting one, fails the test: keyset paging only stays
// as fast on the last page as on the first when an index gives the order. Walking an index in order is
// fine (LIMIT stops it).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { ALBUM_SORTS, ARTIST_SORTS, TRACK_SORTS } from '../../src/catalog/sorts.ts';
import { type Json, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

const BIG_TABLES = '(?:t|al|ar|track|album|artist)';
/** A scan with no index: every row read. */
const BARE_SCAN = new RegExp(`^SCAN ${BIG_TABLES}$`);
/** A scan, even through an index: harmless when the index gives the order and LIMIT stops it. */
const ANY_SCAN = new RegExp(`^SCAN ${BIG_TABLES}(?:$| )`);

/** Accepted whole-table work, each with its reason. */
const ALLOWED: { pattern: RegExp; reason: string }[] = [
  {
    pattern: /AS shuffle FROM album/,
    reason: 'sort=random shuffles by a hash of the pk and the seed: no index can hold that order',
  },
  {
    pattern: /ar\.name LIKE \?/,
    reason: '?q= finds a part of a name: LIKE %text% reads every album artist (a few thousand, small rows)',
  },
];

let server: SubsonicServer;
let key: string;
const statements = new Set<string>();

before(async () => {
  server = await startSubsonicServer({ readWorkers: 0 });
  key = createApiKey(server.db, 'admin').key;
  const prepare = server.db.prepare.bind(server.db);
  server.db.prepare = (sql: string) => {
    statements.add(sql);
    return prepare(sql);
  };
});
after(() => server?.close());

async function get(path: string): Promise<Json> {
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  assert.equal(response.status, 200, path);
  return (await response.json()) as Json;
}

/** The first page and the page after it. */
async function twoPages(path: string): Promise<Json> {
  const first = await get(`${path}${path.includes('?') ? '&' : '?'}limit=1`);
  if (first.nextCursor)
    await get(`${path}${path.includes('?') ? '&' : '?'}limit=1&cursor=${first.nextCursor}`);
  return first;
}

it('list and detail queries of the native API use indexes', async () => {
  // Marks of every kind, so the mark sorts have rows to page through.
  const song = (await server.json('search3', { query: '', songCount: 1 })).searchResult3.song[0];
  for (const id of [song.id, song.albumId, song.artistId]) {
    await server.json('star', { id });
    await server.json('setRating', { id, rating: 4 });
  }
  await server.json('scrobble', { id: song.id });
  statements.clear();

  const album = (await get('/albums?limit=1')).items[0];
  for (const order of ['asc', 'desc']) {
    for (const sort of ALBUM_SORTS) await twoPages(`/albums?sort=${sort}&order=${order}`);
    for (const sort of TRACK_SORTS) await twoPages(`/tracks?sort=${sort}&order=${order}`);
    for (const sort of ARTIST_SORTS) await twoPages(`/artists?sort=${sort}&order=${order}`);
  }
  const filters = [
    `/albums?genre=Rock`,
    `/albums?artistId=${album.artistId}`,
    `/albums?yearFrom=1990&yearTo=2020&sort=year`,
    `/albums?starred=true&minRating=2&compilation=false`,
    `/albums?library=${server.libraries.second}`,
    `/tracks?albumId=${album.id}&sort=album`,
    `/tracks?artistId=${album.artistId}`,
    `/tracks?artistId=${album.artistId}&sort=album`,
    `/tracks?albumId=${album.id}&sort=artist&order=desc`,
    `/tracks?genre=Rock&sort=artist`,
    `/tracks?genre=Rock&lossless=true&starred=false`,
    `/tracks?yearFrom=1990&yearTo=2020&sort=year`,
    `/artists?genre=Rock`,
    `/artists?starred=true`,
    `/artists?q=art`,
  ];
  for (const path of filters) await twoPages(path);
  const root = (await get('/folders')).items[0];
  const entries = await get(`/folders/${root.id}?limit=1`);
  await get(`/folders/${root.id}?limit=500&cursor=${entries.nextCursor}`);
  for (const path of [
    '/libraries',
    '/genres',
    `/albums/${album.id}`,
    `/artists/${album.artistId}`,
    `/artists/${album.artistId}/albums`,
    `/artists/${album.artistId}/top-tracks`,
    `/artists/${album.artistId}/similar`,
    `/tracks/${song.id}`,
    `/tracks/${song.id}/lyrics`,
    '/search?q=one',
  ])
    await get(path);

  let checked = 0;
  const offenders: string[] = [];
  for (const sql of statements) {
    if (!/^\s*SELECT/i.test(sql)) continue;
    const flat = sql.replace(/\s+/g, ' ');
    const parameters = (sql.match(/\?/g) ?? []).map(() => null);
    const plan = server.db.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as {
      detail: string;
    }[];
    checked++;
    if (process.env.SHOW_PLANS)
      process.stdout.write(`${flat.slice(0, 240)}\n    ${plan.map((row) => row.detail).join(' | ')}\n`);
    // Reading every row, or sorting after a scan (the whole table, to hand out one page).
    const readsAll = plan.some((row) => BARE_SCAN.test(row.detail));
    const sortsAll =
      plan.some((row) => ANY_SCAN.test(row.detail)) &&
      plan.some((row) => /USE TEMP B-TREE FOR ORDER BY/.test(row.detail));
    if ((readsAll || sortsAll) && !ALLOWED.some((allowed) => allowed.pattern.test(flat))) {
      offenders.push(`${flat.slice(0, 300)}\n    ${plan.map((row) => row.detail).join(' | ')}`);
    }
  }
  assert.ok(checked > 100, `checked ${checked} statements`);
  assert.deepEqual(offenders, []);
});
