// What one user may do with another's activity through the native API, and what a user limited to some
// libraries may do with tracks of the others. The rule (docs/api.md): 404 for what the caller may not
// know exists (someone's private playlist, tracks of a library they may not see), 403 for what they can
// see but not change (someone's public playlist, someone's share); play queues and bookmarks are always
// the caller's own, so there is nothing of anyone else's to name. Every refused call changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser } from '../../src/accounts/users.service.ts';
import { type ApiClient, apiClientFor, assertProblem, type Json } from '../helpers/activity-api.ts';
import { ADMIN, ALICE, BOB, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let alice: ApiClient;
let bob: ApiClient;
let admin: ApiClient;
/** Sees only the second library. */
let dave: ApiClient;
let fixture: { id: string; album_id: string; path: string }[];
let second: { id: string; album_id: string; path: string }[];

function tracksOf(libraryId: number) {
  return server.db
    .prepare('SELECT id, album_id, path FROM track WHERE library_id = ? ORDER BY path')
    .all(libraryId) as { id: string; album_id: string; path: string }[];
}

before(async () => {
  server = await startSubsonicServer();
  await createUser(server.db, {
    username: 'dave',
    password: 'dave-pass',
    isAdmin: false,
    libraryIds: [server.libraries.second],
  });
  alice = apiClientFor(server, ALICE.username);
  bob = apiClientFor(server, BOB.username);
  admin = apiClientFor(server, ADMIN.username);
  dave = apiClientFor(server, 'dave');
  fixture = tracksOf(server.libraries.fixture);
  second = tracksOf(server.libraries.second);
});
after(async () => {
  await server?.close();
});

const f = (index: number) => fixture[index]!.id;
const s = (index: number) => second[index]!.id;

/** Every way to read or change one playlist, with the status each must get. */
async function assertPlaylistAccess(
  client: ApiClient,
  id: string,
  expected: { read: number; change: number; delete: number },
): Promise<void> {
  const reads: [string, string][] = [
    ['GET', `/playlists/${id}`],
    ['GET', `/playlists/${id}/tracks`],
    ['GET', `/playlists/${id}/m3u`],
  ];
  for (const [method, path] of reads) {
    const answer = await client.call(method, path);
    assert.equal(answer.status, expected.read, `${method} ${path}: ${answer.text.slice(0, 200)}`);
  }
  const changes: [string, string, unknown][] = [
    ['PATCH', `/playlists/${id}`, { name: 'taken over' }],
    ['POST', `/playlists/${id}/tracks`, { trackIds: [s(0)] }],
    ['DELETE', `/playlists/${id}/tracks?positions=0`, undefined],
    ['POST', `/playlists/${id}/tracks/move`, { from: 0, to: 1 }],
  ];
  for (const [method, path, body] of changes)
    assertProblem(await client.call(method, path, body), expected.change);
  assertProblem(await client.delete(`/playlists/${id}`), expected.delete);
}

describe("another user's playlists", () => {
  let privateList: Json;
  let publicList: Json;

  before(async () => {
    privateList = await alice.ok('POST', '/playlists', { name: 'Secret', trackIds: [s(0), s(1)] }, 201);
    publicList = await alice.ok(
      'POST',
      '/playlists',
      { name: 'Open', public: true, trackIds: [f(0), s(0), f(1), s(1)] },
      201,
    );
  });

  async function assertUnchanged(): Promise<void> {
    for (const [list, ids] of [
      [privateList, [s(0), s(1)]],
      [publicList, [f(0), s(0), f(1), s(1)]],
    ] as const) {
      const seen = await alice.ok('GET', `/playlists/${list.id}`);
      assert.equal(seen.name, list.name);
      assert.deepEqual(
        seen.tracks.items.map((entry: Json) => entry.track.id),
        ids,
      );
    }
  }

  it('hides a private playlist from another user: 404 for every read and change, and absent from lists', async () => {
    await assertPlaylistAccess(bob, privateList.id, { read: 404, change: 404, delete: 404 });
    const listed = (await bob.ok('GET', '/playlists?limit=500')).items.map((playlist: Json) => playlist.id);
    assert.ok(!listed.includes(privateList.id));
    assert.ok(listed.includes(publicList.id));
    assertProblem(await bob.get('/playlists?owner=alice'), 403);
    // Nor can it be shared by someone who cannot see it.
    assertProblem(await bob.post('/shares', { ids: [privateList.id] }), 404);
    await assertUnchanged();
  });

  it('lets another user read a public playlist but not change, add to or delete it (403)', async () => {
    await assertPlaylistAccess(bob, publicList.id, { read: 200, change: 403, delete: 403 });
    const seen = await bob.ok('GET', `/playlists/${publicList.id}`);
    assert.equal(seen.readonly, true);
    await assertUnchanged();
  });

  it('lets an admin read and delete any playlist, but change only their own', async () => {
    const seen = await admin.ok('GET', `/playlists/${privateList.id}`);
    assert.equal(seen.readonly, true);
    for (const [method, path, body] of [
      ['PATCH', `/playlists/${privateList.id}`, { name: 'admin was here' }],
      ['POST', `/playlists/${privateList.id}/tracks`, { trackIds: [s(0)] }],
    ] as const)
      assertProblem(await admin.call(method, path, body), 403);
    await assertUnchanged();
    const doomed = await alice.ok('POST', '/playlists', { name: 'Doomed' }, 201);
    await admin.ok('DELETE', `/playlists/${doomed.id}`, undefined, 204);
    assertProblem(await alice.get(`/playlists/${doomed.id}`), 404);
  });

  it('shows a user limited to some libraries only the entries of those libraries', async () => {
    const seen = await dave.ok('GET', `/playlists/${publicList.id}`);
    assert.equal(seen.songCount, 2);
    assert.deepEqual(
      seen.tracks.items.map((entry: Json) => [entry.position, entry.track.id]),
      [
        [0, s(0)],
        [1, s(1)],
      ],
    );
    const m3u = await dave.get(`/playlists/${publicList.id}/m3u`);
    const paths = m3u.text.split('\n').filter((line) => line && !line.startsWith('#'));
    assert.deepEqual(paths, [second[0]!.path, second[1]!.path]);
    // Sharing the playlist shares what they see of it.
    const share = await dave.ok('POST', '/shares', { ids: [publicList.id] }, 201);
    assert.deepEqual(
      share.tracks.map((track: Json) => track.id),
      [s(0), s(1)],
    );
  });
});

describe("another user's play queue and bookmarks", () => {
  it('keeps each queue to its user', async () => {
    await alice.ok('PUT', '/play-queue', { trackIds: [f(0), f(1)], currentIndex: 1, device: 'alice-phone' });
    const bobs = await bob.ok('GET', '/play-queue');
    assert.deepEqual(bobs.tracks, []);
    assert.equal(bobs.changedBy, '');
    await bob.ok('PUT', '/play-queue', { trackIds: [f(2)], currentIndex: 0, device: 'bob-phone' });
    const alices = await alice.ok('GET', '/play-queue');
    assert.deepEqual(
      alices.tracks.map((track: Json) => track.id),
      [f(0), f(1)],
    );
    assert.equal(alices.changedBy, 'alice-phone');
    assert.equal((await server.json('getPlayQueue', {}, { user: BOB })).playQueue.changedBy, 'bob-phone');
  });

  it("keeps each user's bookmarks: another user neither sees nor removes them", async () => {
    await alice.ok('PUT', `/bookmarks/${f(0)}`, { positionMs: 7000, comment: 'mine' });
    assert.deepEqual((await bob.ok('GET', '/bookmarks')).items, []);
    await bob.ok('DELETE', `/bookmarks/${f(0)}`, undefined, 204);
    await bob.ok('PUT', `/bookmarks/${f(0)}`, { positionMs: 1 });
    const alices = (await alice.ok('GET', '/bookmarks')).items;
    assert.deepEqual(
      alices.map((bookmark: Json) => [bookmark.track.id, bookmark.positionMs, bookmark.comment]),
      [[f(0), 7000, 'mine']],
    );
  });
});

describe("another user's shares", () => {
  it('lets only the owner read and change a share (403 for others), and an admin delete it', async () => {
    const share = await alice.ok('POST', '/shares', { ids: [f(0)], description: 'from alice' }, 201);
    assert.ok(!(await bob.ok('GET', '/shares')).items.some((item: Json) => item.id === share.id));
    assert.ok(!(await admin.ok('GET', '/shares')).items.some((item: Json) => item.id === share.id));
    assertProblem(await bob.get(`/shares/${share.id}`), 403);
    assertProblem(await bob.patch(`/shares/${share.id}`, { description: 'from bob' }), 403);
    assertProblem(await bob.delete(`/shares/${share.id}`), 403);
    assertProblem(await admin.patch(`/shares/${share.id}`, { description: 'from admin' }), 403);
    assert.equal((await alice.ok('GET', `/shares/${share.id}`)).description, 'from alice');
    await admin.ok('DELETE', `/shares/${share.id}`, undefined, 204);
    assertProblem(await alice.get(`/shares/${share.id}`), 404);
  });
});

describe('a user limited to some libraries', () => {
  it('cannot put tracks of other libraries in playlists, the queue, bookmarks, shares, stars or ratings (404)', async () => {
    assertProblem(
      await dave.post('/playlists', { name: 'x', trackIds: [s(0), f(0)] }),
      404,
      new RegExp(f(0)),
    );
    const own = await dave.ok('POST', '/playlists', { name: 'Mine', trackIds: [s(0)] }, 201);
    assertProblem(await dave.post(`/playlists/${own.id}/tracks`, { trackIds: [f(0)] }), 404);
    assertProblem(await dave.put('/play-queue', { trackIds: [f(0)], currentIndex: 0 }), 404);
    assertProblem(await dave.put(`/bookmarks/${f(0)}`, { positionMs: 1 }), 404);
    assertProblem(await dave.post('/shares', { ids: [f(0)] }), 404);
    assertProblem(await dave.post('/shares', { ids: [fixture[0]!.album_id] }), 404);
    assertProblem(await dave.put(`/stars/${f(0)}`), 404);
    assertProblem(await dave.put(`/ratings/${f(0)}`, { rating: 5 }), 404);

    // Nothing was written by the refused calls.
    assert.deepEqual(
      (await dave.ok('GET', `/playlists/${own.id}`)).tracks.items.map((entry: Json) => entry.track.id),
      [s(0)],
    );
    assert.deepEqual((await dave.ok('GET', '/play-queue')).tracks, []);
    assert.deepEqual((await dave.ok('GET', '/bookmarks')).items, []);

    // The same rule on the Subsonic side (error 70, not found).
    const subsonic = await server.json(
      'createPlaylist',
      { name: 'y', songId: [f(0)] },
      { user: { username: 'dave', password: 'dave-pass' } },
    );
    assert.equal(subsonic.status, 'failed');
    assert.equal(subsonic.error.code, 70);
  });

  it('imports M3U entries only from the libraries they may see', async () => {
    const text = ['#EXTM3U', fixture[0]!.path, second[0]!.path, ''].join('\n');
    const imported = await dave.call('POST', '/playlists/import', text);
    assert.equal(imported.status, 201, imported.text);
    assert.equal(imported.body.matched, 1);
    assert.deepEqual(imported.body.unmatched, [{ line: 2, entry: fixture[0]!.path }]);
    // An absolute path into a hidden library does not match either.
    const root = server.db
      .prepare('SELECT path FROM library WHERE id = ?')
      .pluck()
      .get(server.libraries.fixture) as string;
    const absolute = await dave.call('POST', '/playlists/import', `${root}/${fixture[0]!.path}\n`);
    assert.equal(absolute.body.matched, 0);
  });
});

describe('admin-only writes', () => {
  it('refuses radio station changes to non-admins with 403', async () => {
    assertProblem(await bob.post('/radio-stations', { name: 'x', streamUrl: 'https://x.example' }), 403);
    const station = await admin.ok(
      'POST',
      '/radio-stations',
      { name: 'x', streamUrl: 'https://x.example' },
      201,
    );
    assertProblem(await bob.patch(`/radio-stations/${station.id}`, { name: 'y' }), 403);
    assertProblem(await bob.delete(`/radio-stations/${station.id}`), 403);
    await admin.ok('DELETE', `/radio-stations/${station.id}`, undefined, 204);
  });
});
