// Browsing endpoints end to end over two scanned libraries: folders, indexes, directories, artists,
// albums, songs, genres, per-user library access and legacy (DSub) answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ALICE,
  BOB,
  type Json,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
before(async () => {
  server = await startSubsonicServer();
});
after(() => server.close());

const ids = (list: Json[] | undefined) => (list ?? []).map((item) => item.id as string);

describe('getMusicFolders', () => {
  test('lists both libraries with int ids, in JSON and XML', async () => {
    const json = await server.json('getMusicFolders');
    assert.deepEqual(json.musicFolders.musicFolder, [
      { id: server.libraries.fixture, name: 'fixture' },
      { id: server.libraries.second, name: 'second' },
    ]);
    const xml = await server.xml('getMusicFolders');
    assert.equal(xml.musicFolders[0].musicFolder.length, 2);
  });
});

describe('getIndexes', () => {
  test('indexes the top-level folders by letter after articles, loose root files as child', async () => {
    const { indexes } = await server.json('getIndexes');
    assert.equal(typeof indexes.lastModified, 'number');
    assert.equal(indexes.ignoredArticles, server.config.scanner.ignoredArticles);
    const byLetter = Object.fromEntries(
      (indexes.index as Json[]).map((group) => [group.name, group.artist.map((a: Json) => a.name)]),
    );
    assert.deepEqual(byLetter.A, ['Artist A', 'Artist B']);
    assert.deepEqual(byLetter.Z, ['The Zeds']); // "The" is an ignored article
    assert.ok(!Object.values(byLetter).flat().includes('Broken'), 'folders without audio are left out');
    assert.deepEqual(
      (indexes.child as Json[]).map((child) => child.title),
      ['Root Song'],
    );
    assert.equal(indexes.child[0].isDir, false);
  });

  test('musicFolderId restricts, an unknown one is 70, a bad one 0', async () => {
    const { indexes } = await server.json('getIndexes', { musicFolderId: server.libraries.second });
    assert.deepEqual(
      (indexes.index as Json[]).map((group) => group.name),
      ['Z'],
    );
    assert.equal((await server.json('getIndexes', { musicFolderId: 99 })).error.code, 70);
    assert.equal((await server.json('getIndexes', { musicFolderId: 'x' })).error.code, 0);
  });

  test('ifModifiedSince at or after lastModified gives no index entries', async () => {
    const { indexes } = await server.json('getIndexes');
    const again = await server.json('getIndexes', { ifModifiedSince: indexes.lastModified });
    assert.deepEqual(again.indexes, {
      lastModified: indexes.lastModified,
      ignoredArticles: indexes.ignoredArticles,
    });
    const older = await server.json('getIndexes', { ifModifiedSince: indexes.lastModified - 1 });
    assert.ok(older.indexes.index.length > 0);
  });
});

describe('getMusicDirectory', () => {
  test('walks the real folder tree: sub-folders as isDir children, files as songs', async () => {
    const { indexes } = await server.json('getIndexes');
    const artistA = (indexes.index as Json[])
      .flatMap((group) => group.artist)
      .find((a: Json) => a.name === 'Artist A');
    const top = (await server.json('getMusicDirectory', { id: artistA.id })).directory;
    assert.equal(top.name, 'Artist A');
    assert.equal(top.child.length, 1);
    assert.equal(top.child[0].isDir, true);
    assert.equal(top.child[0].title, '2001 - First Album');
    assert.match(top.child[0].coverArt, /^al-/);
    const albumDir = (await server.json('getMusicDirectory', { id: top.child[0].id })).directory;
    assert.equal(albumDir.parent, artistA.id);
    assert.deepEqual(
      albumDir.child.map((c: Json) => c.title),
      ['One', 'Two', 'Three', 'Four'],
    );
    assert.ok(albumDir.child.every((c: Json) => c.isDir === false && c.parent === top.child[0].id));
  });

  test('accepts album and artist ids; albums under an artist are isDir', async () => {
    const album = (await server.json('getAlbumList2', { type: 'alphabeticalByName', size: 1 })).albumList2
      .album[0];
    const dir = (await server.json('getMusicDirectory', { id: album.id })).directory;
    assert.equal(dir.name, album.name);
    assert.equal(dir.child.length, album.songCount);
    const artistDir = (await server.json('getMusicDirectory', { id: album.artistId })).directory;
    assert.ok(artistDir.child.length >= 1);
    assert.ok(artistDir.child.every((c: Json) => c.isDir === true));
  });

  test('missing id is 10, unknown id is 70', async () => {
    assert.equal((await server.json('getMusicDirectory')).error.code, 10);
    assert.equal((await server.json('getMusicDirectory', { id: 'fo-nope' })).error.code, 70);
    assert.equal((await server.json('getMusicDirectory', { id: 'what' })).error.code, 70);
  });
});

describe('getArtists / getArtist / getAlbum / getSong', () => {
  test('getArtists lists album artists only, grouped, sorted', async () => {
    const { artists } = await server.json('getArtists');
    assert.equal(artists.ignoredArticles, server.config.scanner.ignoredArticles);
    const names = (artists.index as Json[]).flatMap((group) => group.artist.map((a: Json) => a.name));
    assert.ok(names.includes('Various Artists'));
    assert.ok(
      !names.includes('Guest Star') && !names.includes('Jane Composer'),
      'track-only artists are not listed',
    );
    const zeds = (artists.index as Json[]).find((group) => group.name === 'Z');
    assert.ok(zeds?.artist.some((a: Json) => a.name === 'The Zeds'));
    for (const artist of (artists.index as Json[]).flatMap((group) => group.artist)) {
      assert.equal(typeof artist.id, 'string');
      assert.equal(typeof artist.albumCount, 'number');
    }
  });

  test('getArtist has albums, getAlbum has songs in disc/track order, getSong one song', async () => {
    const { artists } = await server.json('getArtists');
    const artistB = (artists.index as Json[])
      .flatMap((group) => group.artist)
      .find((a: Json) => a.name === 'Artist B');
    const artist = (await server.json('getArtist', { id: artistB.id })).artist;
    assert.equal(artist.album.length, 1);
    assert.equal(artist.album[0].name, 'Double');
    const album = (await server.json('getAlbum', { id: artist.album[0].id })).album;
    assert.ok(Array.isArray(album.song));
    assert.deepEqual(
      album.song.map((s: Json) => [s.discNumber, s.title]),
      [
        [1, 'Side A'],
        [2, 'Side B'],
      ],
    );
    for (const song of album.song)
      for (const key of [
        'id',
        'title',
        'size',
        'suffix',
        'duration',
        'type',
        'albumId',
        'artistId',
        'parent',
      ])
        assert.ok(key in song, key);
    const song = (await server.json('getSong', { id: album.song[0].id })).song;
    assert.equal(song.title, 'Side A');
    assert.equal((await server.json('getSong', { id: 'tr-none' })).error.code, 70);
    assert.equal((await server.json('getAlbum')).error.code, 10);
    assert.equal((await server.json('getArtist', { id: 'ar-none' })).error.code, 70);
  });

  test('DSub gets no OpenSubsonic fields; others do', async () => {
    const album = (await server.json('getAlbumList2', { type: 'alphabeticalByName', size: 1 })).albumList2
      .album[0];
    const modern = (await server.json('getAlbum', { id: album.id })).album;
    assert.ok('genres' in modern && 'artists' in modern.song[0]);
    const legacy = (await server.json('getAlbum', { id: album.id }, { client: 'DSub' })).album;
    assert.ok(!('genres' in legacy) && !('artists' in legacy.song[0]) && !('contributors' in legacy.song[0]));
    const xml = await server.xmlText('getAlbum', { id: album.id }, { client: 'DSub' });
    assert.ok(!xml.includes('<artists') && !xml.includes('<genres'));
  });
});

describe('getGenres', () => {
  test('value, songCount and albumCount; XML text; restricted by musicFolderId', async () => {
    const { genres } = await server.json('getGenres');
    assert.deepEqual(
      genres.genre.find((g: Json) => g.value === 'Rock'),
      { songCount: 4, albumCount: 1, value: 'Rock' },
    );
    const xml = await server.xml('getGenres');
    assert.ok(xml.genres[0].genre.some((g: Json) => g._ === 'Rock' && g.$.songCount === '4'));
    const second = (await server.json('getGenres', { musicFolderId: server.libraries.second })).genres;
    assert.deepEqual(second.genre, [{ songCount: 2, albumCount: 2, value: 'Jazz' }]);
  });
});

describe('per-user library access', () => {
  test('a user restricted to one library sees only it everywhere', async () => {
    const bobId = server.userId(BOB.username);
    server.db.prepare('DELETE FROM user_library WHERE user_id = ?').run(bobId);
    server.db
      .prepare('INSERT INTO user_library (user_id, library_id) VALUES (?, ?)')
      .run(bobId, server.libraries.second);
    const folders = (await server.json('getMusicFolders', {}, { user: BOB })).musicFolders
      .musicFolder as Json[];
    assert.deepEqual(
      folders.map((f) => f.id),
      [server.libraries.second],
    );
    assert.equal(
      (await server.json('getIndexes', { musicFolderId: server.libraries.fixture }, { user: BOB })).error
        .code,
      70,
    );
    const names = ((await server.json('getArtists', {}, { user: BOB })).artists.index as Json[]).flatMap(
      (g) => g.artist.map((a: Json) => a.name),
    );
    assert.deepEqual(names.sort(), ['Rooty', 'The Zeds']);
    const all = (await server.json('search3', { query: '', songCount: 100 }, { user: BOB })).searchResult3;
    assert.deepEqual(all.song.map((s: Json) => s.title).sort(), ['Root Song', 'Zed Song']);
    const album = (await server.json('getAlbumList2', { type: 'alphabeticalByName', size: 1 })).albumList2
      .album[0];
    assert.equal((await server.json('getAlbum', { id: album.id }, { user: BOB })).error.code, 70);
  });

  test('a normal user granted every library sees what the admin sees', async () => {
    // Libraries added after a user was created are granted to admins only (accounts migration 0002).
    server.db
      .prepare('INSERT OR IGNORE INTO user_library (user_id, library_id) SELECT ?, id FROM library')
      .run(server.userId(ALICE.username));
    const admin = await server.json('search3', { query: '', songCount: 500 });
    const alice = await server.json('search3', { query: '', songCount: 500 }, { user: ALICE });
    assert.deepEqual(ids(alice.searchResult3.song), ids(admin.searchResult3.song));
  });
});
