// Artist/album info, similar and top songs, lyrics (getLyrics, getLyricsBySongId) and the extensions
// that advertise them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { updateInsights } from '../../src/insights/recompute.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { type Json, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
const artistId = (name: string) =>
  server.db.prepare('SELECT id FROM artist WHERE name = ?').pluck().get(name) as string;
const trackId = (title: string) =>
  server.db.prepare('SELECT id FROM track WHERE title = ?').pluck().get(title) as string;
before(async () => {
  server = await startSubsonicServer();
});
after(() => server.close());

describe('artist and album info', () => {
  test('getArtistInfo2: similar artists share genres; child elements in XML', async () => {
    const info = (await server.json('getArtistInfo2', { id: artistId('Artist A') })).artistInfo2;
    assert.equal(info.biography, '');
    // Artist A (Rock, Pop) shares Pop with Beyoncé.
    assert.deepEqual(
      info.similarArtist.map((a: Json) => a.name),
      ['Beyoncé'],
    );
    assert.equal(typeof info.similarArtist[0].albumCount, 'number');
    const xml = await server.xmlText('getArtistInfo2', { id: artistId('Artist A') });
    // Every info field, empty when unknown, in the schema's order before the similar artists.
    assert.match(
      xml,
      /<artistInfo2><biography><\/biography><musicBrainzId>[^<]*<\/musicBrainzId><lastFmUrl><\/lastFmUrl><smallImageUrl><\/smallImageUrl><mediumImageUrl><\/mediumImageUrl><largeImageUrl><\/largeImageUrl><similarArtist /,
    );
    const v1 = (await server.json('getArtistInfo', { id: trackId('One'), count: 0 })).artistInfo;
    assert.equal((v1.similarArtist ?? []).length, 0);
    assert.equal((await server.json('getArtistInfo', { id: 'ar-nope' })).error.code, 70);
    assert.equal((await server.json('getArtistInfo2')).error.code, 10);
  });

  test('getAlbumInfo and getAlbumInfo2 both answer albumInfo, with the MusicBrainz id', async () => {
    const album = server.db.prepare("SELECT id FROM album WHERE name = 'Release'").pluck().get() as string;
    for (const endpoint of ['getAlbumInfo', 'getAlbumInfo2']) {
      const info = (await server.json(endpoint, { id: album })).albumInfo;
      assert.deepEqual(info, {
        notes: '',
        musicBrainzId: '9e7a0a4c-1111-4c7a-9f00-000000000001',
        lastFmUrl: '',
        smallImageUrl: '',
        mediumImageUrl: '',
        largeImageUrl: '',
      });
    }
    assert.equal((await server.json('getAlbumInfo', { id: trackId('M1') })).albumInfo.notes, '');
  });
});

describe('similar and top songs', () => {
  test('getSimilarSongs(2) give songs of the artist and similar artists, not the seed', async () => {
    const songs = (await server.json('getSimilarSongs', { id: trackId('One'), count: 50 })).similarSongs
      .song as Json[];
    assert.ok(songs.length > 0);
    assert.ok(!songs.some((song) => song.title === 'One'));
    const two = (await server.json('getSimilarSongs2', { id: artistId('Artist A'), count: 2 })).similarSongs2
      .song as Json[];
    assert.equal(two.length, 2);
  });

  test('getTopSongs by name and by id: most played first, then album order', async () => {
    // Two plays of Three, scrobbled, taken in by the models' update (the job, run here at once).
    for (const time of [Date.now() - 3_600_000, Date.now() - 1_800_000])
      assert.equal(
        (await server.json('scrobble', { id: trackId('Three'), submission: 'true', time })).status,
        'ok',
      );
    await updateInsights(server.db, { signal: new AbortController().signal, log: silentLogger });
    const byName = (await server.json('getTopSongs', { artist: 'artist a' })).topSongs.song as Json[];
    assert.deepEqual(
      byName.map((s) => s.title),
      ['Three', 'One', 'Two', 'Four'],
    );
    const byId = (await server.json('getTopSongs', { id: artistId('Artist A'), artist: 'nobody', count: 2 }))
      .topSongs.song as Json[];
    assert.deepEqual(
      byId.map((s) => s.title),
      ['Three', 'One'],
    );
    assert.equal(
      ((await server.json('getTopSongs', { artist: 'Nobody At All' })).topSongs.song ?? []).length,
      0,
    );
    assert.equal((await server.json('getTopSongs')).error.code, 10);
  });
});

describe('lyrics', () => {
  test('getLyrics by artist and title; nothing found is lyrics with empty text', async () => {
    const found = (await server.json('getLyrics', { artist: 'Artist A', title: 'Three' })).lyrics;
    assert.deepEqual(found, { artist: 'Artist A', title: 'Three', value: 'Unsynced words\nMore words' });
    const xml = await server.xml('getLyrics', { artist: 'Artist A', title: 'Three' });
    assert.equal(xml.lyrics[0]._, 'Unsynced words\nMore words');
    assert.deepEqual((await server.json('getLyrics', { artist: 'x', title: 'nothing here' })).lyrics, {
      artist: 'x',
      title: 'nothing here',
      value: '',
    });
    assert.deepEqual((await server.json('getLyrics')).lyrics, { value: '' });
  });

  test('getLyricsBySongId gives structured lyrics, synced lines with start', async () => {
    const list = (await server.json('getLyricsBySongId', { id: trackId('One') })).lyricsList;
    const synced = (list.structuredLyrics as Json[]).find((set) => set.synced);
    assert.ok(synced);
    assert.equal(synced.lang, 'und');
    assert.equal(synced.offset, 0);
    assert.deepEqual(synced.line, [
      { start: 500, value: 'First line' },
      { start: 1250, value: 'Second line' },
    ]);
    const plain = (await server.json('getLyricsBySongId', { id: trackId('Three') })).lyricsList
      .structuredLyrics[0];
    assert.equal(plain.synced, false);
    assert.ok(plain.line.every((line: Json) => !('start' in line)));
    assert.deepEqual((await server.json('getLyricsBySongId', { id: trackId('Two') })).lyricsList, {
      structuredLyrics: [],
    });
    assert.equal((await server.json('getLyricsBySongId', { id: 'tr-none' })).error.code, 70);
  });

  test('songLyrics and topSongsByArtistId are advertised', async () => {
    const extensions = (await server.json('getOpenSubsonicExtensions')).openSubsonicExtensions as Json[];
    assert.deepEqual(
      extensions.find((e) => e.name === 'songLyrics'),
      { name: 'songLyrics', versions: [1] },
    );
    assert.deepEqual(
      extensions.find((e) => e.name === 'topSongsByArtistId'),
      { name: 'topSongsByArtistId', versions: [1] },
    );
  });
});
