// SQL you can review: every distinct statement the server prepares while it scans two libraries and answers
// a fixed workload of Subsonic reads and writes is kept, grouped by the source file that prepares it, in
// __snapshots__/statements.sql. The test fails when that set changes, so a changed query shows up in the
// diff of a commit instead of going unnoticed.
//
// After changing SQL on purpose (or moving it, e.g. into a *.repository.ts), rewrite the file and review
// its diff:
//   UPDATE_SQL_SNAPSHOT=1 node --test test/architecture/sql-statements.test.ts
//
// Statements are recorded where the server prepares them (Database#prepare, which db.all/first/run use
// too), whitespace collapsed. Lists whose length follows the data are written once: `in (?)` and
// `in (?, ?, ?)` as `in (?, …)`, repeated VALUES rows as `(…), …`. Not recorded: SQL the test itself
// runs, the migrations' DDL (run by Kysely), and what runs through db.sqlite directly (pragmas, FTS table
// DDL). Query plans are guarded by test/catalog/query-plans.test.ts, not here: they follow the SQLite
// version. The workload runs one request at a time on the main thread, so every run prepares the same set.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { Database } from '../../src/db/database.ts';
import { ALICE, type Params, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const SNAPSHOT = path.join(import.meta.dirname, '__snapshots__/statements.sql');
const HEADER = [
  '-- Every distinct SQL statement the server prepares in test/architecture/sql-statements.test.ts (a scan,',
  '-- a no-op rescan and a fixed workload of Subsonic reads and writes), grouped by the file that prepares it.',
  '-- Generated: UPDATE_SQL_SNAPSHOT=1 node --test test/architecture/sql-statements.test.ts',
  '',
].join('\n');

/** The Database methods through which statements reach prepare(); the caller of these is the source. */
const QUERY_HELPERS = new Set(['prepare', 'all', 'first', 'run']);
const DATABASE_FILE = path.join(REPO, 'src/db/database.ts');

/** Statement text by the src/ file that prepared it. */
const recorded = new Map<string, Set<string>>();
const originalPrepare = Object.getOwnPropertyDescriptor(Database.prototype, 'prepare')!;
let server: SubsonicServer;

function normaliseSql(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/ in \(\?(?: ?, ?\?)*\)/gi, ' in (?, …)')
    .replace(/(\((?:\?|[\w.]+)(?:, (?:\?|[\w.]+))*\))(?:, \1)+/g, '$1, …');
}

/** The src/ file (relative, forward slashes) whose code prepared the statement, or undefined for tests. */
function preparingFile(): string | undefined {
  const original = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.stackTraceLimit = 30;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, preparingFile);
    sites = holder.stack ?? [];
  } finally {
    Error.prepareStackTrace = original;
    Error.stackTraceLimit = limit;
  }
  for (const site of sites) {
    const name = site.getFileName();
    if (!name?.startsWith('file:')) continue;
    const file = fileURLToPath(name);
    if (file === fileURLToPath(import.meta.url)) continue;
    if (file === DATABASE_FILE && QUERY_HELPERS.has(site.getMethodName() ?? site.getFunctionName() ?? ''))
      continue;
    const relative = path.relative(REPO, file).split(path.sep).join('/');
    return relative.startsWith('src/') ? relative : undefined;
  }
  return undefined;
}

function render(statements: Map<string, Set<string>>): string {
  const sections = [...statements.keys()]
    .sort()
    .map((file) => [`-- ${file}`, ...[...statements.get(file)!].sort().map((sql) => `${sql};`)].join('\n'));
  return `${HEADER}\n${sections.join('\n\n')}\n`;
}

before(async () => {
  Object.defineProperty(Database.prototype, 'prepare', {
    ...originalPrepare,
    value(this: Database, sql: string) {
      const file = preparingFile();
      if (file !== undefined) {
        const statements = recorded.get(file) ?? new Set<string>();
        statements.add(normaliseSql(sql));
        recorded.set(file, statements);
      }
      return (originalPrepare.value as Database['prepare']).call(this, sql);
    },
  });
  // Every query on the main thread's connection, where the test sees it.
  server = await startSubsonicServer({ readWorkers: 0 });
});

after(async () => {
  Object.defineProperty(Database.prototype, 'prepare', originalPrepare);
  await server?.close();
});

async function ok(endpoint: string, params: Params = {}) {
  const answer = await server.json(endpoint, params);
  assert.equal(answer.status, 'ok', `${endpoint}: ${JSON.stringify(answer.error)}`);
  return answer;
}

async function body(endpoint: string, params: Params = {}): Promise<void> {
  const response = await fetch(server.url(endpoint, params));
  assert.equal(response.status, 200, endpoint);
  await response.arrayBuffer();
}

/** A fixed sequence, one request at a time, so the same statements are prepared on every run. */
async function workload(): Promise<void> {
  const song = (await ok('search3', { query: '', songCount: 1 })).searchResult3.song[0];
  for (const type of [
    'newest',
    'recent',
    'frequent',
    'alphabeticalByName',
    'alphabeticalByArtist',
    'starred',
  ])
    await ok('getAlbumList2', { type, size: 10 });
  await ok('getAlbumList', { type: 'random', size: 5 });
  await ok('getAlbumList2', { type: 'byYear', fromYear: 1900, toYear: 2100 });
  await ok('getAlbumList2', { type: 'byGenre', genre: 'Rock' });
  for (const [endpoint, params] of [
    ['getMusicFolders', {}],
    ['getArtists', {}],
    ['getIndexes', {}],
    ['getMusicDirectory', { id: song.parent }],
    ['getAlbum', { id: song.albumId }],
    ['getArtist', { id: song.artistId }],
    ['getSong', { id: song.id }],
    ['getGenres', {}],
    ['getRandomSongs', { size: 5 }],
    ['getSongsByGenre', { genre: 'Rock' }],
    ['search3', { query: 'one' }],
    ['search2', { query: 'one' }],
    ['getTopSongs', { artist: 'Artist A' }],
    ['getSimilarSongs2', { id: song.artistId }],
    ['getArtistInfo2', { id: song.artistId }],
    ['getAlbumInfo2', { id: song.albumId }],
    ['getLyricsBySongId', { id: song.id }],
    ['getUser', { username: ALICE.username }],
    ['getUsers', {}],
    ['star', { id: song.id, albumId: song.albumId, artistId: song.artistId }],
    ['setRating', { id: song.id, rating: 4 }],
    ['getStarred2', {}],
    ['getStarred', {}],
    ['unstar', { id: song.id }],
    ['scrobble', { id: song.id, submission: false }],
    ['getNowPlaying', {}],
    ['scrobble', { id: song.id, submission: true }],
    ['savePlayQueue', { id: song.id, current: song.id, position: 1000 }],
    ['getPlayQueue', {}],
    ['createBookmark', { id: song.id, position: 5000 }],
    ['getBookmarks', {}],
    ['deleteBookmark', { id: song.id }],
    ['createInternetRadioStation', { streamUrl: 'http://radio.invalid/stream', name: 'Radio' }],
    ['getInternetRadioStations', {}],
    ['addChatMessage', { message: 'hello' }],
    ['getChatMessages', {}],
  ] as const) {
    await ok(endpoint, params);
  }
  const playlist = (await ok('createPlaylist', { name: 'Mix', songId: song.id })).playlist;
  await ok('updatePlaylist', { playlistId: playlist.id, name: 'Mix 2', songIdToAdd: song.id });
  await ok('getPlaylist', { id: playlist.id });
  await ok('getPlaylists', {});
  await ok('deletePlaylist', { id: playlist.id });
  const share = (await ok('createShare', { id: song.id })).shares.share[0];
  await ok('getShares', {});
  await ok('deleteShare', { id: share.id });
  await body('stream', { id: song.id, format: 'raw' });
  await body('download', { id: song.id });
  await body('getCoverArt', { id: song.albumId });
  // A rescan that finds nothing changed: the diff path of the scanner.
  await server.scanner.scan();
}

/** `file: statement` for every statement of a rendered snapshot. */
function entries(snapshot: string): string[] {
  let file = '';
  const found: string[] = [];
  for (const line of snapshot.split('\n')) {
    if (line.startsWith('-- src/')) file = line.slice('-- '.length);
    else if (line.endsWith(';')) found.push(`${file}: ${line}`);
  }
  return found;
}

it('the SQL the server prepares matches __snapshots__/statements.sql', async () => {
  await workload();
  const actual = render(recorded);
  if (process.env.UPDATE_SQL_SNAPSHOT === '1') {
    fs.mkdirSync(path.dirname(SNAPSHOT), { recursive: true });
    fs.writeFileSync(SNAPSHOT, actual);
    return;
  }
  assert.ok(recorded.size > 5, `recorded statements from ${recorded.size} files`);
  const expected = fs.existsSync(SNAPSHOT) ? fs.readFileSync(SNAPSHOT, 'utf8') : '';
  const now = new Set(entries(actual));
  const before = new Set(entries(expected));
  assert.deepEqual(
    {
      new: [...now].filter((entry) => !before.has(entry)),
      gone: [...before].filter((entry) => !now.has(entry)),
    },
    { new: [], gone: [] },
    'the SQL changed: if on purpose, run UPDATE_SQL_SNAPSHOT=1 node --test ' +
      'test/architecture/sql-statements.test.ts and review the diff of test/architecture/__snapshots__/statements.sql',
  );
  assert.equal(actual, expected, 'the snapshot is not as the test writes it: regenerate it');
});
