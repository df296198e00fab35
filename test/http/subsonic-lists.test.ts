// Album and song lists end to end: every getAlbumList2 type, paging stability, byYear both ways, errors,
// getAlbumList (Child albums), random songs, songs by genre, starred items.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ALICE, type Json, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let albumIds: string[];
before(async () => {
  server = await startSubsonicServer();
  albumIds = server.db.prepare('SELECT id FROM album ORDER BY id').pluck().all() as string[];
  // The admin's marks on three albums, set directly: the activity endpoints are tested elsewhere.
  const admin = server.userId('admin');
  const mark = server.db.prepare(
    'INSERT INTO annotation (user_id, item_id, play_count, last_played_at, starred_at, rating) VALUES (?, ?, ?, ?, ?, ?)',
  );
  mark.run(admin, albumIds[0], 5, 3000, 1000, 2);
  mark.run(admin, albumIds[1], 9, 1000, 2000, 5);
  mark.run(admin, albumIds[2], 1, 2000, null, null);
});
after(() => server.close());

const list2 = async (params: Record<string, string | number>, options = {}) =>
  ((await server.json('getAlbumList2', params, options)).albumList2.album ?? []) as Json[];
const names = (albums: Json[]) => albums.map((album) => album.name);

describe('getAlbumList2', () => {
  test('every type answers AlbumID3 albums with artist', async () => {
    for (const type of [
      'random',
      'newest',
      'highest',
      'frequent',
      'recent',
      'alphabeticalByName',
      'alphabeticalByArtist',
      'starred',
    ]) {
      const albums = await list2({ type, size: 500 });
      assert.ok(albums.length > 0, type);
      for (const album of albums) {
        assert.equal(typeof album.id, 'string');
        assert.equal(typeof album.artist, 'string', `${type} album without artist`);
        assert.equal(typeof album.songCount, 'number');
      }
    }
  });

  test('alphabeticalByName pages are stable and complete; x-total-count is sent', async () => {
    const all = names(await list2({ type: 'alphabeticalByName', size: 500 }));
    assert.equal(all.length, albumIds.length);
    assert.deepEqual(
      all,
      [...all].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
    );
    const paged: string[] = [];
    for (let offset = 0; offset < all.length; offset += 3)
      paged.push(...names(await list2({ type: 'alphabeticalByName', size: 3, offset })));
    assert.deepEqual(paged, all);
    assert.deepEqual(await list2({ type: 'alphabeticalByName', size: 3, offset: all.length }), []);
    const response = await fetch(
      server.url('getAlbumList2', { type: 'newest', size: 1 }, { format: 'json' }),
    );
    assert.equal(response.headers.get('x-total-count'), String(albumIds.length));
  });

  test('annotation types follow the viewer (admin) marks, not another user', async () => {
    assert.deepEqual(
      (await list2({ type: 'highest' })).map((a) => a.id),
      [albumIds[1], albumIds[0]],
    );
    assert.deepEqual(
      (await list2({ type: 'frequent' })).map((a) => a.id),
      [albumIds[1], albumIds[0], albumIds[2]],
    );
    assert.deepEqual(
      (await list2({ type: 'recent' })).map((a) => a.id),
      [albumIds[0], albumIds[2], albumIds[1]],
    );
    assert.deepEqual(
      (await list2({ type: 'starred' })).map((a) => a.id),
      [albumIds[1], albumIds[0]],
    );
    assert.deepEqual(await list2({ type: 'starred' }, { user: ALICE }), []);
  });

  test('byYear ascending and descending, byGenre, alphabeticalByArtist', async () => {
    const up = await list2({ type: 'byYear', fromYear: 1970, toYear: 2010 });
    assert.deepEqual(
      up.map((a) => a.year),
      [1975, 1980, 1999, 2001, 2010],
    );
    const down = await list2({ type: 'byYear', fromYear: 2010, toYear: 1970 });
    assert.deepEqual(
      down.map((a) => a.year),
      [2010, 2001, 1999, 1980, 1975],
    );
    assert.deepEqual(names(await list2({ type: 'byGenre', genre: 'Jazz' })), ['Root Album', 'Zed Album']);
    const byArtist = await list2({ type: 'alphabeticalByArtist', size: 500 });
    assert.equal(byArtist[0]?.artist, 'Artist A');
  });

  test('size is clamped to 500 and defaults to 10; errors: type, byYear, byGenre, values', async () => {
    assert.equal((await list2({ type: 'newest', size: 100000 })).length, albumIds.length);
    assert.equal((await list2({ type: 'newest' })).length, Math.min(10, albumIds.length));
    assert.equal((await server.json('getAlbumList2')).error.code, 10);
    assert.equal((await server.json('getAlbumList2', { type: 'bogus' })).error.code, 0);
    assert.equal((await server.json('getAlbumList2', { type: 'byYear', fromYear: 2000 })).error.code, 10);
    assert.equal(
      (await server.json('getAlbumList2', { type: 'byYear', fromYear: 'x', toYear: 1 })).error.code,
      0,
    );
    assert.equal((await server.json('getAlbumList2', { type: 'byGenre' })).error.code, 10);
    assert.equal((await server.json('getAlbumList2', { type: 'newest', offset: -1 })).error.code, 0);
    assert.equal((await server.json('getAlbumList2', { type: 'newest', musicFolderId: 42 })).error.code, 70);
  });

  test('musicFolderId keeps one library', async () => {
    assert.deepEqual(
      names(await list2({ type: 'alphabeticalByName', musicFolderId: server.libraries.second })),
      ['Root Album', 'Zed Album'],
    );
  });
});

describe('getAlbumList', () => {
  test('albums are folder-style Child entries with isDir true', async () => {
    const { albumList } = await server.json('getAlbumList', { type: 'alphabeticalByName', size: 500 });
    assert.equal(albumList.album.length, albumIds.length);
    for (const album of albumList.album) {
      assert.equal(album.isDir, true);
      assert.equal(typeof album.title, 'string');
    }
  });
});

describe('getRandomSongs, getSongsByGenre, getStarred(2)', () => {
  test('getRandomSongs honours size and filters', async () => {
    assert.equal((await server.json('getRandomSongs', { size: 3 })).randomSongs.song.length, 3);
    const jazz = (await server.json('getRandomSongs', { size: 500, genre: 'Jazz' })).randomSongs
      .song as Json[];
    assert.deepEqual(jazz.map((s) => s.title).sort(), ['Root Song', 'Zed Song']);
    const old = (await server.json('getRandomSongs', { size: 500, fromYear: 1970, toYear: 1985 })).randomSongs
      .song as Json[];
    assert.deepEqual(old.map((s) => s.year).sort(), [1975, 1980]);
    const lib2 = (await server.json('getRandomSongs', { size: 500, musicFolderId: server.libraries.second }))
      .randomSongs.song as Json[];
    assert.equal(lib2.length, 2);
  });

  test('getSongsByGenre pages without overlap; genre is required', async () => {
    const all = (await server.json('getSongsByGenre', { genre: 'Rock', count: 500 })).songsByGenre
      .song as Json[];
    assert.equal(all.length, 4);
    const first = (await server.json('getSongsByGenre', { genre: 'Rock', count: 2 })).songsByGenre
      .song as Json[];
    const second = (await server.json('getSongsByGenre', { genre: 'Rock', count: 2, offset: 2 })).songsByGenre
      .song as Json[];
    assert.deepEqual(
      [...first, ...second].map((s) => s.id),
      all.map((s) => s.id),
    );
    assert.equal((await server.json('getSongsByGenre')).error.code, 10);
  });

  test('getStarred and getStarred2 list the viewer starred artists, albums and songs', async () => {
    const admin = server.userId('admin');
    const track = server.db.prepare('SELECT id FROM track ORDER BY id LIMIT 1').pluck().get() as string;
    const artist = server.db.prepare("SELECT id FROM artist WHERE name = 'Mona'").pluck().get() as string;
    server.db
      .prepare('INSERT INTO annotation (user_id, item_id, starred_at) VALUES (?, ?, 10), (?, ?, 20)')
      .run(admin, track, admin, artist);
    const starred2 = (await server.json('getStarred2')).starred2;
    assert.deepEqual(
      starred2.artist.map((a: Json) => a.id),
      [artist],
    );
    assert.equal(typeof starred2.artist[0].albumCount, 'number');
    assert.deepEqual(
      starred2.album.map((a: Json) => a.id),
      [albumIds[1], albumIds[0]],
    );
    assert.deepEqual(
      starred2.song.map((s: Json) => s.id),
      [track],
    );
    const starred = (await server.json('getStarred')).starred;
    assert.equal(starred.album[0].isDir, true);
    assert.ok(!('albumCount' in starred.artist[0]));
    const none = (await server.json('getStarred2', {}, { user: ALICE })).starred2;
    assert.equal([...(none.artist ?? []), ...(none.album ?? []), ...(none.song ?? [])].length, 0);
  });
});
