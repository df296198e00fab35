// Playlists through the native API on a real server over two scanned libraries: create, page, change,
// entries added, removed and moved by position (repeats of one track kept apart), the limits as 400
// problems, and M3U files out and back in (relative and absolute paths, paths from another machine, and
// the exported file read by the scanner from a library root). The Subsonic view of the same playlists
// agrees with every change.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PLAYLIST_MAX_ENTRIES } from '../../src/activity/playlists.service.ts';
import { type ApiClient, apiClientFor, assertProblem, type Json } from '../helpers/activity-api.ts';
import { ADMIN, ALICE, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let alice: ApiClient;
let admin: ApiClient;
/** Track ids by path, per library. */
let fixture: { id: string; path: string }[];
let second: { id: string; path: string }[];

function tracksOf(libraryId: number): { id: string; path: string }[] {
  return server.db
    .prepare('SELECT id, path FROM track WHERE library_id = ? ORDER BY path')
    .all(libraryId) as { id: string; path: string }[];
}

before(async () => {
  server = await startSubsonicServer();
  alice = apiClientFor(server, ALICE.username);
  admin = apiClientFor(server, ADMIN.username);
  fixture = tracksOf(server.libraries.fixture);
  second = tracksOf(server.libraries.second);
  assert.ok(fixture.length >= 10 && second.length >= 2);
});
after(async () => {
  await server?.close();
});

const t = (index: number) => fixture[index]!.id;

async function create(body: Json, client = alice): Promise<Json> {
  return client.ok('POST', '/playlists', body, 201);
}

/** Every entry's track id, through the native API, page by page. */
async function entryIds(id: string, client = alice, limit = 500): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await client.ok('GET', `/playlists/${id}/tracks${query}`);
    for (const [index, entry] of page.items.entries()) assert.equal(entry.position, ids.length + index);
    ids.push(...page.items.map((entry: Json) => entry.track.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/** The same playlist's entries as Subsonic's getPlaylist lists them. */
async function subsonicEntryIds(id: string): Promise<string[]> {
  const answer = await server.json('getPlaylist', { id }, { user: ALICE });
  assert.equal(answer.status, 'ok');
  return answer.playlist.entry.map((entry: Json) => entry.id);
}

describe('playlists', () => {
  it('creates a playlist with tracks, comment and visibility, and shows it with its first page of entries', async () => {
    const created = await create({
      name: '  Road trip ',
      comment: 'for the car',
      public: true,
      trackIds: [t(0), t(1), t(0), second[0]!.id],
    });
    assert.match(created.id, /^pl-/);
    assert.equal(created.name, 'Road trip');
    assert.equal(created.comment, 'for the car');
    assert.equal(created.public, true);
    assert.equal(created.songCount, 4);
    assert.deepEqual(created.owner, { id: server.userId('alice'), username: 'alice' });
    assert.equal(created.readonly, false);
    assert.equal(created.imported, false);
    assert.ok(created.duration > 0);

    const detail = await alice.ok('GET', `/playlists/${created.id}?limit=3`);
    assert.equal(detail.name, 'Road trip');
    assert.deepEqual(
      detail.tracks.items.map((entry: Json) => [entry.position, entry.track.id]),
      [
        [0, t(0)],
        [1, t(1)],
        [2, t(0)],
      ],
    );
    assert.equal(detail.tracks.items[0].track.title.length > 0, true);
    assert.ok(detail.tracks.nextCursor);
    const rest = await alice.ok(
      'GET',
      `/playlists/${created.id}/tracks?limit=3&cursor=${encodeURIComponent(detail.tracks.nextCursor)}`,
    );
    assert.deepEqual(
      rest.items.map((entry: Json) => [entry.position, entry.track.id]),
      [[3, second[0]!.id]],
    );
    assert.equal(rest.nextCursor, null);
    assert.deepEqual(await subsonicEntryIds(created.id), [t(0), t(1), t(0), second[0]!.id]);
  });

  it('lists own and public playlists by name in pages, with a cursor that continues where the page ended', async () => {
    for (const name of ['b-list', 'A-list', 'c-list']) await create({ name });
    await create({ name: 'admin private' }, admin);
    await create({ name: 'admin public', public: true }, admin);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await alice.ok('GET', `/playlists?limit=2${query}`);
      assert.ok(page.items.length <= 2);
      names.push(...page.items.map((playlist: Json) => playlist.name));
      cursor = page.nextCursor;
    } while (cursor);
    assert.ok(names.includes('admin public'), 'public playlists of others are listed');
    assert.ok(!names.includes('admin private'), 'private playlists of others are not');
    const folded = (name: string) => name.toLowerCase();
    const expected = [...names].sort((a, b) => (folded(a) < folded(b) ? -1 : folded(a) > folded(b) ? 1 : 0));
    assert.deepEqual(names, expected, 'ordered by name, case-insensitively');
    assert.equal(new Set(names).size >= 5, true);

    assertProblem(await alice.get('/playlists?cursor=bm9wZQ'), 400, /cursor/);
    assertProblem(await alice.get('/playlists?limit=501'), 400, /limit/);
    assertProblem(await alice.get('/playlists?owner=admin'), 403);
    await create({ name: 'alice private' });
    const alicesOnly = await admin.ok('GET', '/playlists?owner=alice&limit=500');
    const alicesNames = alicesOnly.items.map((playlist: Json) => playlist.name);
    assert.ok(alicesNames.includes('alice private'), "an admin lists someone's private playlists with owner");
    assert.ok(!alicesNames.includes('admin public'));
  });

  it('changes name, comment and visibility; an empty name or an unknown field is a 400', async () => {
    const { id } = await create({ name: 'Before' });
    const changed = await alice.ok('PATCH', `/playlists/${id}`, {
      name: 'After',
      comment: 'new',
      public: true,
    });
    assert.equal(changed.name, 'After');
    assert.equal(changed.comment, 'new');
    assert.equal(changed.public, true);
    const subsonic = await server.json('getPlaylist', { id }, { user: ALICE });
    assert.equal(subsonic.playlist.name, 'After');
    assert.equal(subsonic.playlist.public, true);
    assertProblem(await alice.patch(`/playlists/${id}`, { name: '   ' }), 400, /name/);
    assertProblem(await alice.patch(`/playlists/${id}`, { owner: 'bob' }), 400);
    await alice.ok('DELETE', `/playlists/${id}`, undefined, 204);
    assertProblem(await alice.get(`/playlists/${id}`), 404);
  });

  it('adds tracks at a position or at the end, and refuses positions past the end', async () => {
    const { id } = await create({ name: 'Adding', trackIds: [t(0), t(1)] });
    await alice.ok('POST', `/playlists/${id}/tracks`, { trackIds: [t(2), t(2)], position: 1 });
    let changed = await alice.ok('POST', `/playlists/${id}/tracks`, { trackIds: [t(3)] });
    assert.equal(changed.songCount, 5);
    changed = await alice.ok('POST', `/playlists/${id}/tracks`, { trackIds: [t(4)], position: 5 });
    assert.deepEqual(await entryIds(id), [t(0), t(2), t(2), t(1), t(3), t(4)]);
    assertProblem(
      await alice.post(`/playlists/${id}/tracks`, { trackIds: [t(4)], position: 7 }),
      400,
      /position 7/,
    );
    assertProblem(await alice.post(`/playlists/${id}/tracks`, { trackIds: [] }), 400);
    assertProblem(
      await alice.post(`/playlists/${id}/tracks`, { trackIds: ['tr-nothing'] }),
      404,
      /tr-nothing/,
    );
    assert.deepEqual(await subsonicEntryIds(id), [t(0), t(2), t(2), t(1), t(3), t(4)]);
  });

  it('removes entries by position, so the second of two equal tracks goes and the first stays', async () => {
    const { id } = await create({ name: 'Removing', trackIds: [t(0), t(1), t(0), t(2), t(0)] });
    await alice.ok('DELETE', `/playlists/${id}/tracks?positions=2`);
    assert.deepEqual(await entryIds(id), [t(0), t(1), t(2), t(0)]);
    await alice.ok('DELETE', `/playlists/${id}/tracks?positions=0&positions=3`);
    assert.deepEqual(await entryIds(id), [t(1), t(2)]);
    assertProblem(await alice.delete(`/playlists/${id}/tracks?positions=2`), 400, /outside/);
    assertProblem(await alice.delete(`/playlists/${id}/tracks?positions=-1`), 400);
    assertProblem(await alice.delete(`/playlists/${id}/tracks`), 400);
    assert.deepEqual(await entryIds(id), [t(1), t(2)], 'a refused change changes nothing');
  });

  it('moves ranges of entries by position, duplicates included', async () => {
    const [a, b, c, d, e] = [t(0), t(1), t(2), t(3), t(4)];
    const { id } = await create({ name: 'Moving', trackIds: [a, b, c, d, e] });
    const move = (from: number, count: number, to: number) =>
      alice.ok('POST', `/playlists/${id}/tracks/move`, { from, count, to });

    await move(3, 2, 0);
    assert.deepEqual(await entryIds(id), [d, e, a, b, c]);
    await move(0, 2, 3);
    assert.deepEqual(await entryIds(id), [a, b, c, d, e]);
    await alice.ok('POST', `/playlists/${id}/tracks/move`, { from: 4, to: 1 });
    assert.deepEqual(await entryIds(id), [a, e, b, c, d]);

    // [a x a y]: moving the second a (position 2) to the end leaves the first in place.
    const dup = await create({ name: 'Dup moves', trackIds: [a, b, a, c] });
    await alice.ok('POST', `/playlists/${dup.id}/tracks/move`, { from: 2, count: 1, to: 3 });
    assert.deepEqual(await entryIds(dup.id), [a, b, c, a]);
    await alice.ok('POST', `/playlists/${dup.id}/tracks/move`, { from: 3, count: 1, to: 1 });
    assert.deepEqual(await entryIds(dup.id), [a, a, b, c]);
    assert.deepEqual(await subsonicEntryIds(dup.id), [a, a, b, c]);

    assertProblem(await alice.post(`/playlists/${dup.id}/tracks/move`, { from: 3, count: 2, to: 0 }), 400);
    assertProblem(
      await alice.post(`/playlists/${dup.id}/tracks/move`, { from: 0, count: 2, to: 3 }),
      400,
      /to must/,
    );
    assertProblem(await alice.post(`/playlists/${dup.id}/tracks/move`, { from: 0, count: 0, to: 0 }), 400);
    assert.deepEqual(await entryIds(dup.id), [a, a, b, c]);
  });

  it(`holds at most ${PLAYLIST_MAX_ENTRIES} entries and 5000 ids a request; beyond is a 400 problem`, async () => {
    const batch = Array.from({ length: 5000 }, () => t(0));
    assertProblem(
      await alice.post('/playlists', { name: 'Too many', trackIds: [...batch, t(0)] }),
      400,
      /trackIds/,
    );
    const { id } = await create({ name: 'Huge', trackIds: batch });
    for (let count = batch.length; count < PLAYLIST_MAX_ENTRIES - batch.length; count += batch.length)
      await alice.ok('POST', `/playlists/${id}/tracks`, { trackIds: batch });
    // The last entry differs, to see it move.
    await alice.ok('POST', `/playlists/${id}/tracks`, { trackIds: [...batch.slice(1), t(1)] });
    const full = await alice.ok('GET', `/playlists/${id}?limit=1`);
    assert.equal(full.songCount, PLAYLIST_MAX_ENTRIES);
    assertProblem(
      await alice.post(`/playlists/${id}/tracks`, { trackIds: [t(1)] }),
      400,
      new RegExp(`at most ${PLAYLIST_MAX_ENTRIES}`),
    );
    // Moving within a full playlist is fine: the count does not change.
    await alice.ok('POST', `/playlists/${id}/tracks/move`, { from: PLAYLIST_MAX_ENTRIES - 1, to: 0 });
    const first = await alice.ok('GET', `/playlists/${id}?limit=2`);
    assert.deepEqual(
      first.tracks.items.map((entry: Json) => entry.track.id),
      [t(1), t(0)],
    );
    const positions = Array.from({ length: 5001 }, () => 0).join(',');
    assertProblem(await alice.delete(`/playlists/${id}/tracks?positions=${positions}`), 400);
    await alice.ok('DELETE', `/playlists/${id}`, undefined, 204);
  });
});

describe('M3U', () => {
  let mixed: Json;

  before(async () => {
    // Both libraries, a repeat, and a track under a non-ASCII path.
    const tokyo = fixture.find((track) => track.path.startsWith('東京/'))!;
    mixed = await create({
      name: 'Mixed #1',
      trackIds: [t(0), tokyo.id, second[1]!.id, t(0), second[0]!.id],
    });
  });

  it('exports M3U8 with #EXTINF lines and library-relative paths, and imports it back to the same tracks in order', async () => {
    const exported = await alice.get(`/playlists/${mixed.id}/m3u`);
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-type') ?? '', /^audio\/x-mpegurl; charset=utf-8/);
    assert.match(exported.headers.get('content-disposition') ?? '', /attachment; filename="Mixed #1\.m3u8"/);
    const lines = exported.text.trimEnd().split('\n');
    assert.equal(lines[0], '#EXTM3U');
    assert.equal(lines[1], '#PLAYLIST:Mixed #1');
    assert.match(lines[2]!, /^#EXTINF:\d+,.+ - .+$/);
    assert.equal(lines[3], fixture[0]!.path);
    assert.ok(lines.includes(second[1]!.path));
    assert.ok(lines.some((line) => line.startsWith('東京/')));
    assert.ok(!lines.some((line) => line.startsWith('/')), 'no absolute paths by default');

    const imported = await alice.call('POST', '/playlists/import?name=Round%20trip', exported.text);
    assert.equal(imported.status, 201, imported.text);
    assert.equal(imported.body.matched, 5);
    assert.deepEqual(imported.body.unmatched, []);
    assert.equal(imported.body.playlist.name, 'Round trip');
    assert.equal(imported.body.playlist.owner.username, 'alice');
    assert.equal(imported.body.playlist.readonly, false);
    assert.deepEqual(await entryIds(imported.body.playlist.id), await entryIds(mixed.id));
  });

  it("exports the server's absolute paths for admins only, and those import back too", async () => {
    assertProblem(await alice.get(`/playlists/${mixed.id}/m3u?paths=absolute`), 403);
    assertProblem(await alice.get(`/playlists/${mixed.id}/m3u?paths=other`), 400);
    const exported = await admin.get(`/playlists/${mixed.id}/m3u?paths=absolute`);
    assert.equal(exported.status, 200);
    const paths = exported.text.split('\n').filter((line) => line && !line.startsWith('#'));
    assert.equal(paths.length, 5);
    for (const line of paths) {
      assert.ok(path.isAbsolute(line), line);
      assert.ok(fs.existsSync(line), `${line} is the real file`);
    }
    const imported = await alice.call('POST', '/playlists/import', exported.text);
    assert.equal(imported.status, 201, imported.text);
    assert.equal(imported.body.playlist.name, 'Mixed #1', 'named by #PLAYLIST');
    assert.deepEqual(await entryIds(imported.body.playlist.id), await entryIds(mixed.id));
  });

  it('matches paths written elsewhere by their trailing folders and names, and reports what matched nothing', async () => {
    const text = [
      '#EXTM3U',
      '#EXTINF:1,Artist A - One',
      `/home/someone/Music/${fixture[0]!.path}`,
      'http://radio.example/stream',
      `D:\\Music\\${fixture[1]!.path.replaceAll('/', '\\')}`,
      'Nowhere/nothing.mp3',
      `file:///mnt/music/${encodeURI(fixture[2]!.path)}`,
      '',
    ].join('\r\n');
    const imported = await alice.call('POST', '/playlists/import?public=true', text);
    assert.equal(imported.status, 201, imported.text);
    assert.equal(imported.body.playlist.name, 'Imported playlist');
    assert.equal(imported.body.playlist.public, true);
    assert.equal(imported.body.matched, 3);
    assert.equal(imported.body.unmatchedCount, 2);
    assert.deepEqual(imported.body.unmatched, [
      { line: 4, entry: 'http://radio.example/stream' },
      { line: 6, entry: 'Nowhere/nothing.mp3' },
    ]);
    assert.deepEqual(await entryIds(imported.body.playlist.id), [t(0), t(1), t(2)]);

    assertProblem(
      await alice.call('POST', '/playlists/import', '#EXTM3U\n# nothing here\n'),
      400,
      /no entries/,
    );
  });

  it('writes a file the scanner imports from the library root with the same tracks', async () => {
    const single = await create({ name: 'Scanner', trackIds: [t(3), t(0), t(3)] });
    const exported = await alice.get(`/playlists/${single.id}/m3u`);
    const root = server.db
      .prepare('SELECT path FROM library WHERE id = ?')
      .pluck()
      .get(server.libraries.fixture) as string;
    const file = path.join(root, 'Scanner.m3u8');
    fs.writeFileSync(file, exported.text);
    try {
      await server.scanner.scan();
      const found = (await alice.ok('GET', '/playlists?limit=500')).items.find(
        (playlist: Json) => playlist.imported && playlist.name === 'Scanner',
      );
      assert.ok(found, 'the scanner imported the file');
      assert.equal(found.readonly, true);
      assert.deepEqual(await entryIds(found.id), [t(3), t(0), t(3)]);
      // An imported playlist is read-only: the file is the source of truth.
      assertProblem(await admin.patch(`/playlists/${found.id}`, { name: 'x' }), 403);
      assertProblem(await alice.post(`/playlists/${found.id}/tracks`, { trackIds: [t(0)] }), 403);
    } finally {
      fs.rmSync(file);
    }
  });
});
