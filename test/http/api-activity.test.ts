// Stars, ratings, the play queue, bookmarks, shares and internet radio through the native API on a real
// server over two scanned libraries. Each is one store with two views: what the native API writes, the
// Subsonic endpoints read (getStarred2, getSong, getPlayQueueByIndex, getBookmarks, getShares,
// getInternetRadioStations), and the other way round.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser, updateUser } from '../../src/accounts/users.service.ts';
import { type ApiClient, apiClientFor, assertProblem, type Json } from '../helpers/activity-api.ts';
import { ADMIN, ALICE, BOB, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let alice: ApiClient;
let admin: ApiClient;
let bob: ApiClient;
let tracks: { id: string; album_id: string; artist_id: string }[];

before(async () => {
  server = await startSubsonicServer();
  alice = apiClientFor(server, ALICE.username);
  admin = apiClientFor(server, ADMIN.username);
  bob = apiClientFor(server, BOB.username);
  tracks = server.db
    .prepare('SELECT id, album_id, artist_id FROM track WHERE library_id = ? ORDER BY path')
    .all(server.libraries.fixture) as typeof tracks;
  assert.ok(tracks.length >= 10);
});
after(async () => {
  await server?.close();
});

const t = (index: number) => tracks[index]!.id;

/** Every item of a paged list, following nextCursor. */
async function allPages(client: ApiClient, path: string, limit: number): Promise<Json[]> {
  const items: Json[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const query: string = `${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await client.ok('GET', `${path}${query}`);
    assert.ok(page.items.length <= limit);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describe('stars and ratings', () => {
  it('shows what the native API stars in GET /starred and in Subsonic getStarred2 alike, and unstars in both', async () => {
    const track = tracks[0]!;
    await alice.ok('PUT', `/stars/${track.id}`, undefined, 204);
    await alice.ok('PUT', `/stars/${track.album_id}`, undefined, 204);
    await alice.ok('PUT', `/stars/${track.artist_id}`, undefined, 204);

    const starredTrack = (await alice.ok('GET', '/starred/tracks')).items;
    assert.deepEqual(
      starredTrack.map((item: Json) => item.id),
      [track.id],
    );
    assert.ok(Date.parse(starredTrack[0].starredAt) > 0);
    assert.deepEqual(
      (await alice.ok('GET', '/starred/albums')).items.map((item: Json) => item.id),
      [track.album_id],
    );
    assert.deepEqual(
      (await alice.ok('GET', '/starred/artists')).items.map((item: Json) => item.id),
      [track.artist_id],
    );

    const starred2 = (await server.json('getStarred2', {}, { user: ALICE })).starred2;
    assert.deepEqual(
      starred2.song.map((song: Json) => song.id),
      [track.id],
    );
    assert.deepEqual(
      starred2.album.map((album: Json) => album.id),
      [track.album_id],
    );
    assert.deepEqual(
      starred2.artist.map((artist: Json) => artist.id),
      [track.artist_id],
    );
    assert.equal(starred2.song[0].starred, starredTrack[0].starredAt, 'the same moment in both views');
    assert.deepEqual((await bob.ok('GET', '/starred/tracks')).items, [], 'stars are per user');

    await alice.ok('DELETE', `/stars/${track.album_id}`, undefined, 204);
    assert.deepEqual((await alice.ok('GET', '/starred/albums')).items, []);
    assert.deepEqual((await server.json('getStarred2', {}, { user: ALICE })).starred2.album, []);

    // Starred on Subsonic, listed natively.
    const starredOnSubsonic = await server.json('star', { id: t(1) }, { user: ALICE });
    assert.equal(starredOnSubsonic.status, 'ok');
    assert.deepEqual(
      (await alice.ok('GET', '/starred/tracks')).items.map((item: Json) => item.id),
      [t(1), track.id],
    );
    for (const id of [track.id, track.artist_id, t(1)])
      await alice.ok('DELETE', `/stars/${id}`, undefined, 204);
  });

  it('pages starred tracks most recent first and refuses unknown ids', async () => {
    const ids = [t(2), t(3), t(4), t(5), t(6)];
    for (const id of ids) {
      await alice.ok('PUT', `/stars/${id}`, undefined, 204);
      // Distinct star times keep the expected order independent of ids.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const paged = await allPages(alice, '/starred/tracks', 2);
    assert.deepEqual(
      paged.map((item: Json) => item.id),
      [...ids].reverse(),
    );
    assertProblem(await alice.put('/stars/tr-nothing-like-it'), 404, /tr-nothing/);
    assertProblem(await alice.put('/stars/xx-unknown'), 404);
    assertProblem(await alice.get('/starred/tracks?cursor=WzEsMl0'), 400, /cursor/);
    for (const id of ids) await alice.ok('DELETE', `/stars/${id}`, undefined, 204);
  });

  it('skips starred items of libraries the user may no longer see, without short pages before the end', async () => {
    const second = server.db
      .prepare('SELECT id FROM track WHERE library_id = ? ORDER BY path')
      .pluck()
      .all(server.libraries.second) as string[];
    const carol = 'carol';
    await createUser(server.db, { username: carol, password: 'carol-pass' });
    const client = apiClientFor(server, carol);
    const ids = [t(0), second[0]!, t(1), second[1]!, t(2)];
    for (const id of ids) {
      await client.ok('PUT', `/stars/${id}`, undefined, 204);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await updateUser(server.db, carol, { libraryIds: [server.libraries.fixture] });
    const first = await client.ok('GET', '/starred/tracks?limit=2');
    assert.deepEqual(
      first.items.map((item: Json) => item.id),
      [t(2), t(1)],
    );
    const rest = await client.ok(
      'GET',
      `/starred/tracks?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`,
    );
    assert.deepEqual(
      rest.items.map((item: Json) => item.id),
      [t(0)],
    );
    assert.equal(rest.nextCursor, null);
  });

  it('rates 1–5 and removes with 0, seen on both APIs; other values are 400', async () => {
    await alice.ok('PUT', `/ratings/${t(7)}`, { rating: 4 }, 204);
    await alice.ok('PUT', `/stars/${t(7)}`, undefined, 204);
    const listed = (await alice.ok('GET', '/starred/tracks')).items.find((item: Json) => item.id === t(7));
    assert.equal(listed.rating, 4);
    assert.equal((await server.json('getSong', { id: t(7) }, { user: ALICE })).song.userRating, 4);
    await server.json('setRating', { id: t(7), rating: 2 }, { user: ALICE });
    assert.equal(
      (await alice.ok('GET', '/starred/tracks')).items.find((item: Json) => item.id === t(7)).rating,
      2,
    );
    await alice.ok('PUT', `/ratings/${t(7)}`, { rating: 0 }, 204);
    assert.equal((await server.json('getSong', { id: t(7) }, { user: ALICE })).song.userRating, undefined);
    assertProblem(await alice.put(`/ratings/${t(7)}`, { rating: 6 }), 400, /rating/);
    assertProblem(await alice.put(`/ratings/${t(7)}`, { rating: 2.5 }), 400, /rating/);
    assertProblem(await alice.put(`/ratings/${t(7)}`, {}), 400, /rating/);
    assertProblem(await alice.put('/ratings/tr-nothing', { rating: 3 }), 404);
    await alice.ok('DELETE', `/stars/${t(7)}`, undefined, 204);
  });
});

describe('play queue', () => {
  it('saves tracks with repeats, the current entry by position and the device; another device resumes it', async () => {
    const empty = await alice.ok('GET', '/play-queue');
    assert.deepEqual(empty, {
      tracks: [],
      currentIndex: null,
      positionMs: 0,
      changedAt: null,
      changedBy: '',
    });

    const saved = await alice.ok('PUT', '/play-queue', {
      trackIds: [t(0), t(1), t(0), t(2)],
      currentIndex: 2,
      positionMs: 61_500,
      device: 'Kitchen speaker',
    });
    assert.deepEqual(
      saved.tracks.map((track: Json) => track.id),
      [t(0), t(1), t(0), t(2)],
    );
    assert.equal(saved.currentIndex, 2, 'the second t(0), not the first');
    assert.equal(saved.positionMs, 61_500);
    assert.equal(saved.changedBy, 'Kitchen speaker');
    assert.ok(Date.parse(saved.changedAt) > 0);
    assert.deepEqual(await alice.ok('GET', '/play-queue'), saved);

    // The Subsonic view of the same queue (a phone resuming there).
    const onSubsonic = (await server.json('getPlayQueueByIndex', {}, { user: ALICE })).playQueueByIndex;
    assert.equal(onSubsonic.currentIndex, 2);
    assert.equal(onSubsonic.position, 61_500);
    assert.equal(onSubsonic.changedBy, 'Kitchen speaker');
    assert.deepEqual(
      onSubsonic.entry.map((entry: Json) => entry.id),
      [t(0), t(1), t(0), t(2)],
    );

    // Saved by a Subsonic client, resumed natively.
    await server.json(
      'savePlayQueueByIndex',
      { id: [t(3), t(4)], currentIndex: 1, position: 5000 },
      { user: ALICE, client: 'Phone' },
    );
    const resumed = await alice.ok('GET', '/play-queue');
    assert.deepEqual(
      resumed.tracks.map((track: Json) => track.id),
      [t(3), t(4)],
    );
    assert.equal(resumed.currentIndex, 1);
    assert.equal(resumed.changedBy, 'Phone');
  });

  it('names the device by User-Agent when none is given, clears with no tracks, and refuses bad indexes', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/play-queue`, {
      method: 'PUT',
      headers: {
        Authorization: `Basic ${Buffer.from(`${ALICE.username}:${ALICE.password}`).toString('base64')}`,
        'Content-Type': 'application/json',
        'User-Agent': 'TestAgent/1.0',
      },
      body: JSON.stringify({ trackIds: [t(5)], currentIndex: 0 }),
    });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as Json).changedBy, 'TestAgent/1.0');

    assertProblem(await alice.put('/play-queue', { trackIds: [t(0)], currentIndex: 1 }), 400, /currentIndex/);
    assertProblem(await alice.put('/play-queue', { trackIds: [t(0)] }), 400, /currentIndex/);
    assertProblem(await alice.put('/play-queue', { trackIds: ['tr-nothing'], currentIndex: 0 }), 404);
    assertProblem(await alice.put('/play-queue', { trackIds: [t(0)], currentIndex: 0, positionMs: -1 }), 400);
    assertProblem(
      await alice.put('/play-queue', { trackIds: Array.from({ length: 5001 }, () => t(0)), currentIndex: 0 }),
      400,
      /trackIds/,
    );
    assert.deepEqual(
      (await alice.ok('GET', '/play-queue')).tracks.map((track: Json) => track.id),
      [t(5)],
      'refused saves change nothing',
    );
    const cleared = await alice.ok('PUT', '/play-queue', { trackIds: [] });
    assert.deepEqual(cleared.tracks, []);
    assert.equal(cleared.currentIndex, null);
  });
});

describe('bookmarks', () => {
  it('sets, lists in pages (most recently changed first), changes and removes bookmarks, seen on Subsonic too', async () => {
    const set = await alice.ok('PUT', `/bookmarks/${t(0)}`, { positionMs: 1000, comment: 'chapter 1' });
    assert.equal(set.track.id, t(0));
    assert.equal(set.positionMs, 1000);
    assert.equal(set.comment, 'chapter 1');
    for (const index of [1, 2]) {
      await new Promise((resolve) => setTimeout(resolve, 3));
      await alice.ok('PUT', `/bookmarks/${t(index)}`, { positionMs: index * 1000 });
    }
    await new Promise((resolve) => setTimeout(resolve, 3));
    const moved = await alice.ok('PUT', `/bookmarks/${t(0)}`, { positionMs: 4500 });
    assert.equal(moved.createdAt, set.createdAt);
    assert.equal(moved.comment, '', 'a PUT replaces the whole bookmark');

    const listed = await allPages(alice, '/bookmarks', 2);
    assert.deepEqual(
      listed.map((bookmark: Json) => [bookmark.track.id, bookmark.positionMs]),
      [
        [t(0), 4500],
        [t(2), 2000],
        [t(1), 1000],
      ],
    );
    const onSubsonic = (await server.json('getBookmarks', {}, { user: ALICE })).bookmarks.bookmark;
    assert.deepEqual(
      onSubsonic.map((bookmark: Json) => [bookmark.entry.id, bookmark.position]).sort(),
      [
        [t(0), 4500],
        [t(1), 1000],
        [t(2), 2000],
      ].sort(),
    );

    await alice.ok('DELETE', `/bookmarks/${t(2)}`, undefined, 204);
    await alice.ok('DELETE', `/bookmarks/${t(2)}`, undefined, 204);
    assert.deepEqual(
      (await allPages(alice, '/bookmarks', 50)).map((bookmark: Json) => bookmark.track.id),
      [t(0), t(1)],
    );
    assertProblem(await alice.put('/bookmarks/tr-nothing', { positionMs: 1 }), 404);
    assertProblem(await alice.put(`/bookmarks/${t(3)}`, { positionMs: -5 }), 400);
    assertProblem(await alice.put(`/bookmarks/${t(3)}`, { positionMs: 5, comment: 'x'.repeat(2001) }), 400);
  });
});

describe('shares', () => {
  it('creates a share of tracks and albums with its public URL, lists, changes and deletes it', async () => {
    const albumTracks = tracks
      .filter((track) => track.album_id === tracks[0]!.album_id)
      .map((track) => track.id);
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const share = await alice.ok(
      'POST',
      '/shares',
      { ids: [t(5), tracks[0]!.album_id], description: 'for you', expiresAt: expires },
      201,
    );
    assert.match(share.id, /^sh-/);
    assert.equal(share.url, `${server.baseUrl}/share/${share.id}`);
    assert.equal(share.description, 'for you');
    assert.equal(share.expiresAt, expires);
    assert.equal(share.username, 'alice');
    assert.deepEqual(
      share.tracks.map((track: Json) => track.id),
      [t(5), ...albumTracks],
    );
    const page = await fetch(share.url);
    assert.equal(page.status, 200, 'the link works without an account');
    await page.body?.cancel();

    const onSubsonic = (await server.json('getShares', {}, { user: ALICE })).shares.share;
    assert.deepEqual(
      onSubsonic.map((item: Json) => [item.id, item.url]),
      [[share.id, share.url]],
    );

    const changed = await alice.ok('PATCH', `/shares/${share.id}`, {
      description: 'changed',
      expiresAt: null,
    });
    assert.equal(changed.description, 'changed');
    assert.equal(changed.expiresAt, null);
    assert.equal(changed.visitCount, 1);
    assert.deepEqual(await alice.ok('GET', `/shares/${share.id}`), changed);

    const another = await alice.ok('POST', '/shares', { ids: [t(6)] }, 201);
    const listed = await allPages(alice, '/shares', 1);
    assert.deepEqual(
      listed.map((item: Json) => item.id),
      [another.id, share.id],
      'newest first',
    );

    // An expiry in the past ends the link now.
    await alice.ok('PATCH', `/shares/${another.id}`, { expiresAt: '2001-01-01T00:00:00Z' });
    const gone = await fetch(another.url);
    assert.equal(gone.status, 404);
    await gone.body?.cancel();

    assertProblem(await alice.post('/shares', { ids: ['tr-nothing'] }), 404);
    assertProblem(await alice.post('/shares', { ids: [] }), 400);
    assertProblem(
      await alice.post('/shares', { ids: [t(0)], expiresAt: '2001-01-01T00:00:00Z' }),
      400,
      /future/,
    );
    assertProblem(await alice.post('/shares', { ids: [t(0)], expiresAt: 'tomorrow' }), 400, /expiresAt/);
    for (const id of [share.id, another.id]) await alice.ok('DELETE', `/shares/${id}`, undefined, 204);
    assertProblem(await alice.get(`/shares/${share.id}`), 404);
  });

  it('needs the share role to share', async () => {
    await updateUser(server.db, 'bob', { roles: { share: false } });
    try {
      assertProblem(await bob.post('/shares', { ids: [t(0)] }), 403, /share/);
    } finally {
      await updateUser(server.db, 'bob', { roles: { share: true } });
    }
  });
});

describe('internet radio', () => {
  it('lists stations to every user; only admins add, change and remove them', async () => {
    const created = await admin.ok(
      'POST',
      '/radio-stations',
      { name: 'Jazz FM', streamUrl: 'https://jazz.example/stream', homepageUrl: 'https://jazz.example' },
      201,
    );
    assert.match(created.id, /^rs-/);
    await admin.ok(
      'POST',
      '/radio-stations',
      { name: 'ambient', streamUrl: 'http://ambient.example/s' },
      201,
    );
    const listed = await allPages(alice, '/radio-stations', 1);
    assert.deepEqual(
      listed.map((station: Json) => [station.name, station.homepageUrl]),
      [
        ['ambient', null],
        ['Jazz FM', 'https://jazz.example'],
      ],
    );
    const onSubsonic = (await server.json('getInternetRadioStations', {}, { user: ALICE }))
      .internetRadioStations.internetRadioStation;
    assert.equal(onSubsonic.length, 2);

    assertProblem(await alice.post('/radio-stations', { name: 'x', streamUrl: 'https://x.example' }), 403);
    assertProblem(await alice.patch(`/radio-stations/${created.id}`, { name: 'x' }), 403);
    assertProblem(await alice.delete(`/radio-stations/${created.id}`), 403);

    const changed = await admin.ok('PATCH', `/radio-stations/${created.id}`, {
      name: 'Jazz',
      homepageUrl: null,
    });
    assert.deepEqual(changed, {
      id: created.id,
      name: 'Jazz',
      streamUrl: 'https://jazz.example/stream',
      homepageUrl: null,
    });
    assertProblem(
      await admin.patch(`/radio-stations/${created.id}`, { streamUrl: 'ftp://x.example' }),
      400,
      /http/,
    );
    assertProblem(await admin.patch('/radio-stations/rs-nothing', { name: 'x' }), 404);
    assertProblem(await admin.post('/radio-stations', { name: ' ', streamUrl: 'https://x.example' }), 400);
    for (const station of listed) await admin.ok('DELETE', `/radio-stations/${station.id}`, undefined, 204);
    assertProblem(await admin.delete(`/radio-stations/${created.id}`), 404);
  });
});

describe('authentication', () => {
  it('answers 401 to every activity route without credentials', async () => {
    for (const [method, path] of [
      ['GET', '/playlists'],
      ['GET', '/starred/tracks'],
      ['PUT', `/stars/${t(0)}`],
      ['GET', '/play-queue'],
      ['GET', '/bookmarks'],
      ['GET', '/shares'],
      ['GET', '/radio-stations'],
    ] as const) {
      const response = await fetch(`${server.baseUrl}/api/v1${path}`, { method });
      assert.equal(response.status, 401, `${method} ${path}`);
      await response.body?.cancel();
    }
  });
});
