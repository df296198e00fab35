// search3, search2 and the legacy search end to end: the empty-query sync (every song exactly once across
// pages, per-type paging, no cap on counts, count=0), FTS queries, trailing `*`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Json, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let trackCount: number;
before(async () => {
  server = await startSubsonicServer();
  trackCount = server.db.prepare('SELECT count(*) FROM track').pluck().get() as number;
});
after(() => server.close());

const search3 = async (params: Record<string, string | number>) =>
  (await server.json('search3', params)).searchResult3 as Json;

describe('search3 with an empty query', () => {
  for (const query of ['', '""', '*', undefined]) {
    test(`query ${JSON.stringify(query)} pages every song exactly once in pages of 2`, async () => {
      const seen: string[] = [];
      for (let offset = 0; ; offset += 2) {
        const page = await search3({
          ...(query === undefined ? {} : { query }),
          songCount: 2,
          songOffset: offset,
          artistCount: 0,
          albumCount: 0,
        });
        // count=0: none of that type (an empty array or no key, both accepted by clients).
        assert.equal((page.artist ?? []).length, 0);
        assert.equal((page.album ?? []).length, 0);
        const songs = (page.song ?? []) as Json[];
        seen.push(...songs.map((song) => song.id));
        if (songs.length < 2) break;
      }
      assert.equal(seen.length, trackCount);
      assert.equal(new Set(seen).size, trackCount);
    });
  }

  test('large counts are not capped, each type pages on its own', async () => {
    const albums = server.db.prepare('SELECT count(*) FROM album').pluck().get() as number;
    const all = await search3({ query: '""', songCount: 10000, albumCount: 10000, artistCount: 10000 });
    assert.equal(all.song.length, trackCount);
    assert.equal(all.album.length, albums);
    const albumArtists = server.db
      .prepare('SELECT count(*) FROM artist WHERE album_count > 0')
      .pluck()
      .get() as number;
    assert.equal(all.artist.length, albumArtists);
    const page = await search3({
      query: '',
      songCount: 1,
      songOffset: 3,
      albumCount: 1,
      albumOffset: 2,
      artistCount: 1,
      artistOffset: 1,
    });
    assert.equal(page.song[0].id, all.song[3].id);
    assert.equal(page.album[0].id, all.album[2].id);
    assert.equal(page.artist[0].id, all.artist[1].id);
    assert.equal((await server.json('search3', { query: '', songCount: -1 })).error.code, 0);
  });
});

describe('search3, search2 and search with terms', () => {
  test('FTS query finds songs, albums and artists; trailing * is stripped', async () => {
    const result = await search3({ query: 'beyonce*' });
    assert.deepEqual(
      result.artist.map((a: Json) => a.name),
      ['Beyoncé'],
    );
    assert.deepEqual(
      result.album.map((a: Json) => a.name),
      ['Hi-Res'],
    );
    assert.deepEqual(result.song.map((s: Json) => s.title).sort(), ['Alpha', 'Beta']);
    const none = await search3({ query: 'zzzzqqqq' });
    assert.equal([...(none.artist ?? []), ...(none.album ?? []), ...(none.song ?? [])].length, 0);
  });

  test('search2 gives folder-style types; musicFolderId restricts', async () => {
    const result = (await server.json('search2', { query: 'song' })).searchResult2;
    assert.ok(result.song.length > 0);
    const lib2 = (await server.json('search2', { query: 'song', musicFolderId: server.libraries.second }))
      .searchResult2;
    assert.deepEqual(lib2.song.map((s: Json) => s.title).sort(), ['Root Song', 'Zed Song']);
    const albums = (await server.json('search2', { query: 'double' })).searchResult2.album as Json[];
    assert.equal(albums[0]?.isDir, true);
  });

  test('legacy search answers searchResult with offset and totalHits', async () => {
    const result = (await server.json('search', { any: 'song', count: 2 })).searchResult;
    assert.equal(result.offset, 0);
    assert.ok(result.totalHits >= 4);
    assert.equal(result.match.length, 2);
    const later = (await server.json('search', { newerThan: Date.now() + 60_000 })).searchResult;
    assert.equal(later.totalHits, 0);
    assert.equal((later.match ?? []).length, 0);
  });
});
