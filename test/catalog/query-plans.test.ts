// The index guard: every SELECT the Subsonic list, browse and search endpoints run is checked with
// EXPLAIN QUERY PLAN. A full scan of tracks, albums or artists (other than walking the table in rowid
// order for paging) or a sort of a whole such table fails the test: at 100k tracks that is the
// difference between a millisecond and a hundred. Known, accepted exceptions are listed with a reason.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ALBUM_LIST_TYPES } from '../../src/catalog/lists.ts';
import { type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

const BIG_TABLES = '(?:t|t2|al|ar|c|track|album|artist)';
const ANY_SCAN = new RegExp(`^SCAN ${BIG_TABLES}(?:$| )`);
const COVERED = new RegExp(`^SCAN ${BIG_TABLES} USING COVERING INDEX`);

/** Accepted whole-table work, each with its reason. */
const ALLOWED: { pattern: RegExp; reason: string }[] = [
  {
    pattern: /ORDER BY random\(\)/,
    reason: 'random lists sort by random(); bounded by the album/track count, benchmarked',
  },
  {
    pattern: /ORDER BY (?:ar|al|t)\.pk LIMIT/,
    reason: 'search3 "" pages walk the table in rowid order, no sort',
  },
  {
    pattern: /FROM artist ar WHERE ar\.album_count > 0 ORDER BY ar\.order_name/,
    reason: 'getArtists lists every album artist in index order (cached answer)',
  },
];

let server: SubsonicServer;
const statements = new Set<string>();

before(async () => {
  // Every query on the main thread's connection, where the test sees what is prepared.
  server = await startSubsonicServer({ readWorkers: 0 });
  const prepare = server.db.prepare.bind(server.db);
  server.db.prepare = (sql: string) => {
    statements.add(sql);
    return prepare(sql);
  };
});
after(() => server?.close());

it('list, browse and search queries use indexes', async () => {
  const song = (await server.json('search3', { query: '', songCount: 1 })).searchResult3.song[0];
  for (const type of ALBUM_LIST_TYPES.filter((name) => name !== 'byYear' && name !== 'byGenre')) {
    await server.json('getAlbumList2', { type, size: 10, offset: 1 });
    await server.json('getAlbumList', { type, size: 10 });
  }
  await server.json('getAlbumList2', { type: 'byYear', fromYear: 1900, toYear: 2100 });
  await server.json('getAlbumList2', { type: 'byYear', fromYear: 2100, toYear: 1900 });
  await server.json('getAlbumList2', { type: 'byGenre', genre: 'Rock' });
  for (const [endpoint, params] of [
    ['getArtists', {}],
    ['getIndexes', {}],
    ['getMusicDirectory', { id: song.parent }],
    ['getAlbum', { id: song.albumId }],
    ['getArtist', { id: song.artistId }],
    ['getSong', { id: song.id }],
    ['getGenres', {}],
    ['getRandomSongs', { size: 5 }],
    ['getSongsByGenre', { genre: 'Rock' }],
    ['getStarred', {}],
    ['getStarred2', {}],
    ['search3', { query: 'one' }],
    ['search2', { query: 'one' }],
    ['search3', { query: '' }],
    ['getTopSongs', { artist: 'Artist A' }],
    ['getSimilarSongs2', { id: song.artistId }],
    ['getPlaylists', {}],
    ['getNowPlaying', {}],
  ] as const) {
    assert.equal((await server.json(endpoint, params)).status, 'ok', endpoint);
  }
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
    // A scan reads every row (a covering index only makes each read cheaper); sorting after a scan
    // sorts the whole table.
    const scans = plan.filter((row) => ANY_SCAN.test(row.detail));
    const uncovered = scans.filter((row) => !COVERED.test(row.detail));
    const sortsAll = scans.length > 0 && plan.some((row) => /USE TEMP B-TREE FOR ORDER BY/.test(row.detail));
    if ((uncovered.length > 0 || sortsAll) && !ALLOWED.some((allowed) => allowed.pattern.test(flat))) {
      offenders.push(`${flat.slice(0, 200)}\n    ${plan.map((row) => row.detail).join(' | ')}`);
    }
  }
  assert.ok(checked > 30, `checked ${checked} statements`);
  assert.deepEqual(offenders, []);
});
