// Activity endpoints end to end: real HTTP server, scanned fixture library, JSON and XML, effects read
// back through the API and the database, and the cross-user isolation matrix.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createUser } from '../../src/accounts/users.service.ts';
import { NowPlaying } from '../../src/activity/now-playing.ts';
import { ensureSearchIndex } from '../../src/catalog/search.ts';
import { loadConfig } from '../../src/config/load.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { Scanner } from '../../src/library/scanner.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { parseXml, startTestServer, type TestServer } from '../helpers/http.ts';
import { buildFixtureLibrary, type FixtureLibrary } from '../helpers/library-fixture.ts';

const ADMIN = { username: 'admin', password: 'admin-secret' };
const ALICE = { username: 'alice', password: 'alice-secret' };
const BOB = { username: 'bob', password: 'bob-secret' };
type User = { username: string; password: string };
// Payloads are checked field by field; a loose type keeps the assertions readable.
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON and XML of varying shape
type Json = any;
type Envelope = Record<string, unknown> & { status: string; error?: { code: number; message: string } };

let server: TestServer;
let library: FixtureLibrary;
let tracks: {
  id: string;
  path: string;
  album_id: string;
  artist_id: string;
  duration: number;
  file_size: number;
}[];
let clock = Date.now();

async function call(
  endpoint: string,
  params: Record<string, string | string[]> = {},
  user: User = ALICE,
): Promise<Envelope> {
  const search = new URLSearchParams({
    u: user.username,
    p: user.password,
    v: '1.16.1',
    c: 'testclient',
    f: 'json',
  });
  for (const [key, value] of Object.entries(params))
    for (const item of [value].flat()) search.append(key, item);
  const response = await fetch(`${server.baseUrl}/rest/${endpoint}?${search}`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { 'subsonic-response': Envelope })['subsonic-response'];
}

async function ok(
  endpoint: string,
  params: Record<string, string | string[]> = {},
  user: User = ALICE,
): Promise<Envelope> {
  const envelope = await call(endpoint, params, user);
  assert.equal(envelope.status, 'ok', `${endpoint}: ${JSON.stringify(envelope.error)}`);
  return envelope;
}

async function fails(
  code: number,
  endpoint: string,
  params: Record<string, string | string[]> = {},
  user: User = ALICE,
): Promise<void> {
  const envelope = await call(endpoint, params, user);
  assert.equal(envelope.status, 'failed', `${endpoint} ${JSON.stringify(params)} should fail`);
  assert.equal(envelope.error?.code, code, `${endpoint}: ${envelope.error?.message}`);
}

async function xml(
  endpoint: string,
  params: Record<string, string> = {},
  user: User = ALICE,
): Promise<Record<string, Json>> {
  const search = new URLSearchParams({
    u: user.username,
    p: user.password,
    v: '1.16.1',
    c: 'testclient',
    ...params,
  });
  const text = await (await fetch(`${server.baseUrl}/rest/${endpoint}?${search}`)).text();
  return ((await parseXml(text)) as Record<string, Json>)['subsonic-response'];
}

function annotation(user: string, item: string): Record<string, number | null> | undefined {
  return server.db
    .prepare(
      'SELECT a.* FROM annotation a JOIN user u ON u.id = a.user_id WHERE u.username = ? AND a.item_id = ?',
    )
    .get(user, item) as Record<string, number | null> | undefined;
}

const t = (index: number) => tracks[index]!.id;

before(async () => {
  library = await buildFixtureLibrary();
  server = await startTestServer({
    logLevel: 'warn',
    services: { nowPlaying: new NowPlaying(() => clock) },
    users: [
      { ...ADMIN, isAdmin: true },
      { ...ALICE, isAdmin: false },
    ],
  });
  await createUser(server.db, { ...BOB, isAdmin: false });
  const { config } = loadConfig({
    env: {},
    flags: { music: [{ name: 'fixture', path: library.root }], dataDir: server.dir, logLevel: 'silent' },
  });
  syncLibraries(server.db, config.music, Date.now());
  ensureSearchIndex(server.db);
  await new Scanner({ db: server.db, config, logger: silentLogger }).scan();
  tracks = server.db
    .prepare('SELECT id, path, album_id, artist_id, duration, file_size FROM track ORDER BY path')
    .all() as typeof tracks;
  assert.ok(tracks.length >= 10);
});
after(async () => {
  await server?.close();
  library?.cleanup();
});

describe('annotation', () => {
  test('star and unstar mix id, albumId and artistId; an unknown id is 70 and changes nothing', async () => {
    const track = tracks[0]!;
    await ok('star', { id: track.id, albumId: track.album_id, artistId: track.artist_id });
    for (const item of [track.id, track.album_id, track.artist_id])
      assert.ok(annotation('alice', item)?.starred_at);
    assert.equal(annotation('bob', track.id), undefined, 'stars are per user');

    await fails(70, 'star', { id: [t(1), 'tr-doesnotexist'] });
    assert.equal(annotation('alice', t(1))?.starred_at ?? null, null);
    await fails(70, 'star', { albumId: track.id });
    await fails(10, 'star');

    await ok('unstar', { id: track.id, albumId: track.album_id });
    assert.equal(annotation('alice', track.id)?.starred_at, null);
    assert.equal(annotation('alice', track.album_id)?.starred_at, null);
    assert.ok(annotation('alice', track.artist_id)?.starred_at);
  });

  test('setRating 1–5 sets, 0 removes, anything else is 0; track, album or artist', async () => {
    const track = tracks[1]!;
    await ok('setRating', { id: track.id, rating: '4' });
    assert.equal(annotation('alice', track.id)?.rating, 4);
    await ok('setRating', { id: track.album_id, rating: '5' });
    assert.equal(annotation('alice', track.album_id)?.rating, 5);
    await ok('setRating', { id: track.id, rating: '0' });
    assert.equal(annotation('alice', track.id)?.rating, null);
    await fails(0, 'setRating', { id: track.id, rating: '6' });
    await fails(0, 'setRating', { id: track.id, rating: '-1' });
    await fails(0, 'setRating', { id: track.id, rating: 'x' });
    await fails(10, 'setRating', { id: track.id });
    await fails(70, 'setRating', { id: 'ar-nothing', rating: '3' });
  });

  test('scrobble: submission=true counts plays at the given times; mismatched times fail', async () => {
    const track = tracks[2]!;
    const before = (server.db.prepare('SELECT count(*) AS n FROM play_event').get() as { n: number }).n;
    await ok('scrobble', { id: [track.id, track.id], time: ['1700000000000', '1700000300000'] });
    const row = annotation('alice', track.id)!;
    assert.equal(row.play_count, 2);
    assert.equal(row.last_played_at, 1700000300000);
    assert.equal(annotation('alice', track.album_id)?.play_count, 2);
    const events = server.db
      .prepare('SELECT played_at, client, source FROM play_event ORDER BY id DESC LIMIT 2')
      .all() as { played_at: number; client: string; source: string }[];
    assert.deepEqual(events.map((event) => event.played_at).sort(), [1700000000000, 1700000300000]);
    assert.equal(events[0]!.client, 'testclient');
    assert.equal(events[0]!.source, 'scrobble');

    await fails(0, 'scrobble', { id: [track.id, track.id], time: ['1700000000000'] });
    await fails(70, 'scrobble', { id: [track.id, 'tr-missing'] });
    await fails(10, 'scrobble');
    assert.equal(annotation('alice', track.id)?.play_count, 2, 'failed calls record nothing');
    const after = (server.db.prepare('SELECT count(*) AS n FROM play_event').get() as { n: number }).n;
    assert.equal(after, before + 2);

    const older = annotation('alice', track.id)!.last_played_at;
    await ok('scrobble', { id: track.id });
    assert.ok(annotation('alice', track.id)!.last_played_at! > older!, 'without time: now');
  });

  test('scrobble submission=false is now playing only, seen by everyone with player data', async () => {
    const track = tracks[3]!;
    await ok('scrobble', { id: track.id, submission: 'false' });
    assert.equal(annotation('alice', track.id)?.play_count ?? 0, 0);
    clock += 5000;
    const now = (await ok('getNowPlaying', {}, BOB)).nowPlaying as { entry: Record<string, unknown>[] };
    const entry = now.entry.find((item) => item.username === 'alice')!;
    assert.equal(entry.id, track.id);
    assert.equal(entry.playerName, 'testclient');
    assert.equal(typeof entry.playerId, 'number');
    assert.equal(entry.minutesAgo, 0);
    assert.equal(entry.state, 'playing');
    assert.equal(entry.positionMs, Math.min(5000, Math.round(track.duration * 1000)));
    const root = await xml('getNowPlaying', {}, BOB);
    assert.equal(root.$.status, 'ok');
    assert.equal(root.nowPlaying[0].entry[0].$.username, 'alice');
    // Long after the expected end, the entry is gone.
    clock += 31 * 60_000 + track.duration * 1000;
    assert.deepEqual(((await ok('getNowPlaying')).nowPlaying as { entry: unknown[] }).entry, []);
  });

  test('reportPlayback: timeline in getNowPlaying, play counted on stop past the threshold', async () => {
    const track = tracks[4]!;
    const durationMs = Math.round(track.duration * 1000);
    const report = (state: string, positionMs: number, extra: Record<string, string> = {}) =>
      ok(
        'reportPlayback',
        { mediaId: track.id, mediaType: 'song', state, positionMs: String(positionMs), ...extra },
        BOB,
      );
    await report('starting', 0);
    await report('playing', 100, { playbackRate: '2' });
    clock += 200;
    let entry = ((await ok('getNowPlaying')).nowPlaying as { entry: Record<string, unknown>[] }).entry.find(
      (item) => item.username === 'bob',
    )!;
    assert.equal(entry.state, 'playing');
    assert.equal(entry.playbackRate, 2);
    assert.equal(entry.positionMs, Math.min(500, durationMs));
    await report('paused', 300);
    clock += 10_000;
    entry = ((await ok('getNowPlaying')).nowPlaying as { entry: Record<string, unknown>[] }).entry.find(
      (item) => item.username === 'bob',
    )!;
    assert.equal(entry.state, 'paused');
    assert.equal(entry.positionMs, 300, 'paused does not move');
    await report('stopped', Math.floor(durationMs / 4));
    assert.equal(annotation('bob', track.id)?.play_count ?? 0, 0, 'a quarter is not a play');
    await report('starting', 0);
    await report('stopped', durationMs, { ignoreScrobble: 'true' });
    assert.equal(annotation('bob', track.id)?.play_count ?? 0, 0, 'ignoreScrobble');
    await report('starting', 0);
    await report('stopped', Math.ceil(durationMs / 2));
    assert.equal(annotation('bob', track.id)?.play_count, 1);
    const event = server.db.prepare("SELECT source FROM play_event WHERE source = 'playbackReport'").get();
    assert.ok(event);
    assert.ok(
      !((await ok('getNowPlaying')).nowPlaying as { entry: Record<string, unknown>[] }).entry.some(
        (item) => item.username === 'bob',
      ),
      'stopped leaves now playing',
    );
    await fails(10, 'reportPlayback', { mediaId: track.id, mediaType: 'song', state: 'playing' });
    await fails(0, 'reportPlayback', {
      mediaId: track.id,
      mediaType: 'song',
      state: 'dancing',
      positionMs: '0',
    });
    await fails(0, 'reportPlayback', {
      mediaId: track.id,
      mediaType: 'video',
      state: 'playing',
      positionMs: '0',
    });
    await fails(70, 'reportPlayback', {
      mediaId: 'tr-nope',
      mediaType: 'song',
      state: 'playing',
      positionMs: '0',
    });
  });
});

describe('playlists', () => {
  let playlistId: string;

  test('createPlaylist keeps order and duplicates and returns the playlist with entries', async () => {
    const created = (await ok('createPlaylist', { name: 'Mine', songId: [t(0), t(1), t(0), t(2)] }))
      .playlist as Record<string, Json>;
    playlistId = created.id;
    assert.equal(typeof created.id, 'string');
    assert.match(created.id, /^pl-/);
    assert.equal(created.owner, 'alice');
    assert.equal(created.public, false);
    assert.equal(created.songCount, 4);
    assert.deepEqual(
      created.entry.map((entry: { id: string }) => entry.id),
      [t(0), t(1), t(0), t(2)],
    );
    assert.equal(
      created.duration,
      Math.round(tracks[0]!.duration * 2 + tracks[1]!.duration + tracks[2]!.duration),
    );
    assert.equal(created.coverArt, tracks[0]!.album_id);
    assert.match(created.created, /^\d{4}-\d{2}-\d{2}T/);
    await fails(70, 'createPlaylist', { name: 'Bad', songId: [t(0), 'tr-missing'] });
    await fails(10, 'createPlaylist', {});
  });

  test('updatePlaylist removes by pre-call indexes together, then appends', async () => {
    // [0,1,0,2] minus indexes 0 and 2 (both copies of t0) = [1,2], then + [3, 3].
    await ok('updatePlaylist', {
      playlistId,
      songIndexToRemove: ['2', '0'],
      songIdToAdd: [t(3), t(3)],
      name: 'Renamed',
      comment: 'a & b <c>',
      public: 'true',
    });
    const playlist = (await ok('getPlaylist', { id: playlistId })).playlist as Record<string, Json>;
    assert.deepEqual(
      playlist.entry.map((entry: { id: string }) => entry.id),
      [t(1), t(2), t(3), t(3)],
    );
    assert.equal(playlist.name, 'Renamed');
    assert.equal(playlist.comment, 'a & b <c>');
    assert.equal(playlist.public, true);
    await fails(0, 'updatePlaylist', { playlistId, songIndexToRemove: '4' });
    await fails(0, 'updatePlaylist', { playlistId, songIndexToRemove: '-1' });
    const unchanged = (await ok('getPlaylist', { id: playlistId })).playlist as { songCount: number };
    assert.equal(unchanged.songCount, 4);
    const root = await xml('getPlaylist', { id: playlistId });
    assert.equal(root.playlist[0].$.comment, 'a & b <c>');
    assert.equal(root.playlist[0].entry.length, 4);
  });

  test('createPlaylist with playlistId replaces every track', async () => {
    const replaced = (await ok('createPlaylist', { playlistId, songId: [t(5), t(4)] })).playlist as Record<
      string,
      Json
    >;
    assert.equal(replaced.id, playlistId);
    assert.equal(replaced.name, 'Renamed');
    assert.deepEqual(
      replaced.entry.map((entry: { id: string }) => entry.id),
      [t(5), t(4)],
    );
  });

  test('entries of missing files are kept but not listed or counted', async () => {
    const made = (await ok('createPlaylist', { name: 'Gaps', songId: [t(0), t(1), t(2)] })).playlist as {
      id: string;
    };
    server.db
      .prepare('UPDATE playlist_track SET track_id = ? WHERE playlist_id = ? AND position = 1')
      .run('tr-gone', made.id);
    const playlist = (await ok('getPlaylist', { id: made.id })).playlist as Record<string, Json>;
    assert.equal(playlist.songCount, 2);
    assert.deepEqual(
      playlist.entry.map((entry: { id: string }) => entry.id),
      [t(0), t(2)],
    );
    // Index 1 is the second visible entry (t2), not the missing one.
    await ok('updatePlaylist', { playlistId: made.id, songIndexToRemove: '1' });
    const stored = server.db
      .prepare('SELECT track_id FROM playlist_track WHERE playlist_id = ? ORDER BY position')
      .pluck()
      .all(made.id);
    assert.deepEqual(stored, [t(0), 'tr-gone']);
    await ok('deletePlaylist', { id: made.id });
  });

  test('owner rules: private is 70 for others, public is readable but 50 to change; admins delete', async () => {
    const secret = (await ok('createPlaylist', { name: 'Secret', songId: t(0) })).playlist as { id: string };
    await fails(70, 'getPlaylist', { id: secret.id }, BOB);
    await fails(70, 'updatePlaylist', { playlistId: secret.id, name: 'x' }, BOB);
    await fails(70, 'deletePlaylist', { id: secret.id }, BOB);
    await fails(70, 'createPlaylist', { playlistId: secret.id, songId: t(1) }, BOB);
    const bobs = (
      (await ok('getPlaylists', {}, BOB)).playlists as { playlist: { id: string }[] }
    ).playlist.map((p) => p.id);
    assert.ok(!bobs.includes(secret.id));
    assert.ok(bobs.includes(playlistId), 'public playlists are listed for everyone');

    await ok('getPlaylist', { id: playlistId }, BOB);
    await fails(50, 'updatePlaylist', { playlistId, name: 'x' }, BOB);
    await fails(50, 'createPlaylist', { playlistId, songId: t(1) }, BOB);
    await fails(50, 'deletePlaylist', { id: playlistId }, BOB);
    const readonly = (await ok('getPlaylist', { id: playlistId }, BOB)).playlist as { readonly: boolean };
    assert.equal(readonly.readonly, true);

    await fails(50, 'getPlaylists', { username: 'alice' }, BOB);
    const forAdmin = (
      (await ok('getPlaylists', { username: 'alice' }, ADMIN)).playlists as { playlist: { id: string }[] }
    ).playlist;
    assert.ok(forAdmin.some((p) => p.id === secret.id));
    await ok('deletePlaylist', { id: secret.id }, ADMIN);
    await fails(70, 'getPlaylist', { id: secret.id });
  });

  test('JSON lists are arrays even when empty or single', async () => {
    const bobs = (await ok('getPlaylists', { username: 'bob' }, ADMIN)).playlists as { playlist: unknown[] };
    assert.deepEqual(bobs.playlist, []);
    const one = (await ok('createPlaylist', { name: 'One', songId: t(0) })).playlist as { entry: unknown[] };
    assert.ok(Array.isArray(one.entry));
    assert.equal(one.entry.length, 1);
  });
});

describe('play queue and bookmarks', () => {
  test('nothing saved: a bare playQueue, not an error', async () => {
    const queue = (await ok('getPlayQueue', {}, BOB)).playQueue as Record<string, unknown>;
    assert.equal(queue.username, 'bob');
    assert.equal(queue.current, undefined);
    assert.deepEqual(queue.entry, []);
  });

  test('savePlayQueue: current must be one of the ids; no params clears', async () => {
    await ok('savePlayQueue', { id: [t(0), t(1), t(2)], current: t(1), position: '12345' });
    const queue = (await ok('getPlayQueue')).playQueue as Record<string, Json>;
    assert.equal(queue.current, t(1));
    assert.equal(queue.position, 12345);
    assert.equal(queue.changedBy, 'testclient');
    assert.deepEqual(
      queue.entry.map((entry: { id: string }) => entry.id),
      [t(0), t(1), t(2)],
    );
    const byIndex = (await ok('getPlayQueueByIndex')).playQueueByIndex as Record<string, unknown>;
    assert.equal(byIndex.currentIndex, 1);

    await fails(0, 'savePlayQueue', { id: [t(0)], current: t(5) });
    await fails(10, 'savePlayQueue', { id: [t(0)] });
    await fails(70, 'savePlayQueue', { id: ['tr-nope'], current: 'tr-nope' });
    assert.equal(
      ((await ok('getPlayQueue')).playQueue as { current: string }).current,
      t(1),
      'failures change nothing',
    );

    // Bob's queue is his own.
    assert.deepEqual(((await ok('getPlayQueue', {}, BOB)).playQueue as { entry: unknown[] }).entry, []);

    await ok('savePlayQueue');
    const cleared = (await ok('getPlayQueue')).playQueue as Record<string, unknown>;
    assert.deepEqual(cleared.entry, []);
    assert.equal(cleared.current, undefined);
  });

  test('savePlayQueueByIndex: duplicates, range checks (10), clearing', async () => {
    await ok('savePlayQueueByIndex', { id: [t(0), t(1), t(0)], currentIndex: '2', position: '7' });
    const queue = (await ok('getPlayQueueByIndex')).playQueueByIndex as Record<string, Json>;
    assert.equal(queue.currentIndex, 2);
    assert.equal(queue.entry.length, 3);
    assert.equal(((await ok('getPlayQueue')).playQueue as { current: string }).current, t(0));
    await fails(10, 'savePlayQueueByIndex', { id: [t(0)], currentIndex: '1' });
    await fails(10, 'savePlayQueueByIndex', { id: [t(0)], currentIndex: '-1' });
    await fails(10, 'savePlayQueueByIndex', { id: [t(0)] });
    await fails(10, 'savePlayQueueByIndex', { currentIndex: '0' });
    await ok('savePlayQueueByIndex');
    assert.deepEqual(((await ok('getPlayQueueByIndex')).playQueueByIndex as { entry: unknown[] }).entry, []);
  });

  test('bookmarks: upsert per track, own only', async () => {
    await ok('createBookmark', { id: t(0), position: '1000', comment: 'first' });
    await ok('createBookmark', { id: t(0), position: '2000', comment: 'later' });
    await ok('createBookmark', { id: t(1), position: '5' }, BOB);
    const mine = ((await ok('getBookmarks')).bookmarks as { bookmark: Record<string, Json>[] }).bookmark;
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.position, 2000);
    assert.equal(mine[0]!.comment, 'later');
    assert.equal(mine[0]!.username, 'alice');
    assert.equal(mine[0]!.entry.id, t(0));
    await fails(70, 'createBookmark', { id: 'tr-nope', position: '1' });
    await fails(10, 'createBookmark', { id: t(0) });
    await fails(0, 'createBookmark', { id: t(0), position: '-5' });
    // Bob "deleting" alice's bookmark only finds none of his own.
    await ok('deleteBookmark', { id: t(0) }, BOB);
    assert.equal(((await ok('getBookmarks')).bookmarks as { bookmark: unknown[] }).bookmark.length, 1);
    await ok('deleteBookmark', { id: t(0) });
    assert.deepEqual(((await ok('getBookmarks')).bookmarks as { bookmark: unknown[] }).bookmark, []);
    const bobs = ((await ok('getBookmarks', {}, BOB)).bookmarks as { bookmark: Record<string, Json>[] })
      .bookmark;
    assert.equal(bobs.length, 1);
    const root = await xml('getBookmarks', {}, BOB);
    assert.equal(root.bookmarks[0].bookmark[0].entry[0].$.id, t(1));
  });
});

describe('shares', () => {
  let share: Record<string, Json>;
  const mp3 = () => tracks.find((track) => track.path.endsWith('.mp3'))!;

  test('createShare expands albums, gives a public URL; getShares is own only', async () => {
    const album = tracks[0]!.album_id;
    const albumTracks = tracks.filter((track) => track.album_id === album).length;
    const shares = (await ok('createShare', { id: [mp3().id, album], description: 'For <you>' })).shares as {
      share: Record<string, Json>[];
    };
    assert.equal(shares.share.length, 1);
    share = shares.share[0]!;
    assert.equal(share.entry.length, 1 + albumTracks);
    assert.equal(share.url, `${server.baseUrl}/share/${share.id}`);
    assert.equal(share.username, 'alice');
    assert.equal(share.visitCount, 0);
    assert.equal(share.expires, undefined);
    assert.deepEqual(((await ok('getShares', {}, BOB)).shares as { share: unknown[] }).share, []);
    assert.equal(((await ok('getShares')).shares as { share: unknown[] }).share.length, 1);
    await fails(70, 'createShare', { id: 'tr-nope' });
    await fails(10, 'createShare');
    await fails(0, 'createShare', { id: mp3().id, expires: '1000' });
  });

  test('the public page lists the tracks (escaped) and counts visits', async () => {
    const response = await fetch(share.url);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const html = await response.text();
    assert.ok(html.includes('For &lt;you&gt;'));
    assert.ok(!html.includes('For <you>'));
    assert.ok(html.includes(`${share.id}/stream/${mp3().id}`));
    const listed = ((await ok('getShares')).shares as { share: Record<string, Json>[] }).share[0]!;
    assert.equal(listed.visitCount, 1);
    assert.match(listed.lastVisited, /^\d{4}-/);
  });

  test('the stream serves exact bytes with Range; tracks outside the share and traversal are 404', async () => {
    const track = mp3();
    const libraryRoot = server.db.prepare('SELECT path FROM library LIMIT 1').pluck().get() as string;
    const bytes = fs.readFileSync(path.join(libraryRoot, track.path));
    const url = `${share.url}/stream/${track.id}`;
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.equal(whole.headers.get('content-type'), 'audio/mpeg');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), bytes);
    const part = await fetch(url, { headers: { Range: 'bytes=10-99' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-99/${bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(10, 100));
    const tail = await fetch(url, { headers: { Range: 'bytes=-16' } });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(bytes.length - 16));
    const beyond = await fetch(url, { headers: { Range: `bytes=${bytes.length}-` } });
    assert.equal(beyond.status, 416);
    await beyond.arrayBuffer();

    const notShared = tracks.find(
      (other) => !share.entry.some((entry: { id: string }) => entry.id === other.id),
    )!;
    for (const bad of [
      `${share.url}/stream/${notShared.id}`,
      `${share.url}/stream/..%2F..%2Fetc%2Fpasswd`,
      `${share.url}/stream/%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
      `${server.baseUrl}/share/..%2Fshare%2F${share.id}/stream/${track.id}`,
      `${server.baseUrl}/share/sh-unknown`,
      `${server.baseUrl}/share/sh-unknown/stream/${track.id}`,
    ]) {
      const response = await fetch(bad);
      assert.equal(response.status, 404, bad);
      await response.arrayBuffer();
    }
    // A track row pointing outside its library is never served.
    server.db.prepare('UPDATE track SET path = ? WHERE id = ?').run('../../../../etc/hostname', track.id);
    try {
      const escaped = await fetch(url);
      assert.equal(escaped.status, 404);
      await escaped.arrayBuffer();
    } finally {
      server.db.prepare('UPDATE track SET path = ? WHERE id = ?').run(track.path, track.id);
    }
  });

  test('updateShare and deleteShare: owner only (admin may delete); expiry makes it 404', async () => {
    await fails(50, 'updateShare', { id: share.id, description: 'x' }, BOB);
    await fails(50, 'deleteShare', { id: share.id }, BOB);
    await fails(70, 'updateShare', { id: 'sh-nope', description: 'x' });
    const soon = Date.now() + 400;
    await ok('updateShare', { id: share.id, description: 'changed', expires: String(soon) });
    const listed = ((await ok('getShares')).shares as { share: Record<string, Json>[] }).share[0]!;
    assert.equal(listed.description, 'changed');
    assert.equal(listed.expires, new Date(soon).toISOString());
    await new Promise((resolve) => setTimeout(resolve, 500));
    const expired = await fetch(share.url);
    assert.equal(expired.status, 404);
    await expired.arrayBuffer();
    const expiredStream = await fetch(`${share.url}/stream/${mp3().id}`);
    assert.equal(expiredStream.status, 404);
    await expiredStream.arrayBuffer();
    await ok('updateShare', { id: share.id, expires: '0' });
    const again = await fetch(share.url);
    assert.equal(again.status, 200, 'expires=0 means never');
    await again.arrayBuffer();
    await ok('deleteShare', { id: share.id }, ADMIN);
    assert.deepEqual(((await ok('getShares')).shares as { share: unknown[] }).share, []);
  });
});

describe('internet radio and chat', () => {
  test('admins manage stations, everyone lists them; URLs must be http(s)', async () => {
    await fails(50, 'createInternetRadioStation', { name: 'R', streamUrl: 'http://radio.example/s' });
    await ok(
      'createInternetRadioStation',
      { name: 'Radio One', streamUrl: 'https://radio.example/one', homepageUrl: 'https://radio.example' },
      ADMIN,
    );
    await fails(0, 'createInternetRadioStation', { name: 'Bad', streamUrl: 'javascript:alert(1)' }, ADMIN);
    await fails(0, 'createInternetRadioStation', { name: 'Bad', streamUrl: 'file:///etc/passwd' }, ADMIN);
    await fails(10, 'createInternetRadioStation', { streamUrl: 'http://x.example' }, ADMIN);
    const stations = (
      (await ok('getInternetRadioStations')).internetRadioStations as {
        internetRadioStation: { id: string; name: string; streamUrl: string; homePageUrl: string }[];
      }
    ).internetRadioStation;
    assert.equal(stations.length, 1);
    const station = stations[0]!;
    assert.equal(station.homePageUrl, 'https://radio.example');
    assert.equal(station.streamUrl, 'https://radio.example/one');
    await fails(50, 'updateInternetRadioStation', {
      id: station.id,
      name: 'x',
      streamUrl: 'http://x.example',
    });
    await ok(
      'updateInternetRadioStation',
      { id: station.id, name: 'Radio Two', streamUrl: 'http://radio.example/two' },
      ADMIN,
    );
    const root = await xml('getInternetRadioStations');
    assert.equal(root.internetRadioStations[0].internetRadioStation[0].$.name, 'Radio Two');
    await fails(50, 'deleteInternetRadioStation', { id: station.id });
    await ok('deleteInternetRadioStation', { id: station.id }, ADMIN);
    await fails(70, 'deleteInternetRadioStation', { id: station.id }, ADMIN);
    assert.deepEqual(
      ((await ok('getInternetRadioStations')).internetRadioStations as { internetRadioStation: unknown[] })
        .internetRadioStation,
      [],
    );
  });

  test('chat messages are stored, newest first, filtered by since', async () => {
    await ok('addChatMessage', { message: 'hello' });
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await ok('addChatMessage', { message: 'second <b>' }, BOB);
    await fails(10, 'addChatMessage');
    await fails(0, 'addChatMessage', { message: 'x'.repeat(2001) });
    const all = ((await ok('getChatMessages')).chatMessages as { chatMessage: Record<string, unknown>[] })
      .chatMessage;
    assert.deepEqual(
      all.map((message) => message.message),
      ['second <b>', 'hello'],
    );
    assert.equal(all[0]!.username, 'bob');
    assert.equal(typeof all[0]!.time, 'number');
    const recent = (
      (await ok('getChatMessages', { since: String(since) })).chatMessages as { chatMessage: unknown[] }
    ).chatMessage;
    assert.equal(recent.length, 1);
  });
});
