// Scanning (getScanStatus, startScan), the not-yet-supported families (videos, podcasts, jukebox), and
// the XSD check: every catalog endpoint's XML for DSub validates against the Subsonic 1.16.1 schema.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { markLibraryOffline, markLibraryOnline } from '../../src/library/library.repository.ts';
import { ALICE, BOB, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';
import { validateSubsonicXml } from '../helpers/xsd.ts';

let server: SubsonicServer;
before(async () => {
  server = await startSubsonicServer();
});
after(() => server.close());

describe('scanning', () => {
  test('getScanStatus reports the finished scan', async () => {
    const status = (await server.json('getScanStatus')).scanStatus;
    assert.equal(status.scanning, false);
    assert.equal(status.count, server.db.prepare('SELECT count(*) FROM track').pluck().get());
    assert.ok(status.folderCount > 0);
    assert.match(status.lastScan, /^\d{4}-\d\d-\d\dT/);
  });

  test('getScanStatus lists the libraries a user may see, online or offline since when and why', async () => {
    const { fixture, second } = server.libraries;
    assert.deepEqual((await server.json('getScanStatus')).scanStatus.library, [
      { id: fixture, name: 'fixture', online: true },
      { id: second, name: 'second', online: true },
    ]);
    const since = Date.UTC(2026, 11, 3, 10, 0, 0);
    markLibraryOffline(server.db, second, 'folder missing', since);
    try {
      assert.deepEqual((await server.json('getScanStatus')).scanStatus.library[1], {
        id: second,
        name: 'second',
        online: false,
        offlineSince: '2026-12-03T10:00:00.000Z',
        offlineReason: 'folder missing',
      });
      // Only the libraries the user may see.
      server.db
        .prepare('DELETE FROM user_library WHERE user_id = ? AND library_id = ?')
        .run(server.userId('bob'), fixture);
      assert.deepEqual(
        (await server.json('getScanStatus', {}, { user: BOB })).scanStatus.library.map(
          (library: { id: number }) => library.id,
        ),
        [second],
      );
      // DSub gets the schema's attributes only.
      const dsub = await server.xmlText('getScanStatus', {}, { client: 'DSub' });
      assert.doesNotMatch(dsub, /<library|offline/);
      validateSubsonicXml(dsub);
      assert.match(
        await server.xmlText('getScanStatus'),
        /<library id="\d+" name="second" online="false" offlineSince="2026-12-03T10:00:00.000Z" offlineReason="folder missing"\/>/,
      );
      // Its songs stay listed, and streaming one says why it does not play.
      const song = server.db
        .prepare('SELECT id FROM track WHERE library_id = ? ORDER BY path LIMIT 1')
        .pluck()
        .get(second) as string;
      const stream = await (await fetch(server.url('stream', { id: song }))).text();
      assert.match(
        stream,
        /<error code="0" message="library &quot;second&quot; is offline \(folder missing since 2026-12-03T10:00:00.000Z\): &quot;Root Song&quot; plays again when its folder is back"/,
      );
      assert.equal(
        server.db.prepare('SELECT count(*) FROM track WHERE missing_since IS NOT NULL').pluck().get(),
        0,
        'the song is not flagged missing: its disk is',
      );
    } finally {
      markLibraryOnline(server.db, second, undefined);
    }
  });

  test('startScan is for admins (50 otherwise) and answers scanning=true at once', async () => {
    assert.equal((await server.json('startScan', {}, { user: ALICE })).error.code, 50);
    assert.equal((await server.json('startScan', { fullScan: 'maybe' })).error.code, 0);
    const started = (await server.json('startScan', { fullScan: true })).scanStatus;
    assert.equal(started.scanning, true);
    const until = Date.now() + 20_000;
    while (server.scanner.isScanning && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await server.json('getScanStatus')).scanStatus.scanning, false);
    assert.equal(server.scanner.progress().lastReport?.full, true);
  });
});

describe('videos, podcasts, jukebox', () => {
  test('lists are empty, actions are error 0, unknown video is 70', async () => {
    assert.deepEqual((await server.json('getVideos')).videos, {});
    assert.deepEqual((await server.json('getPodcasts', { includeEpisodes: false })).podcasts, {});
    assert.deepEqual((await server.json('getNewestPodcasts')).newestPodcasts, {});
    assert.equal((await server.json('getVideoInfo', { id: 'v1' })).error.code, 70);
    assert.equal((await server.json('getVideoInfo')).error.code, 10);
    for (const [endpoint, params] of [
      ['refreshPodcasts', {}],
      ['createPodcastChannel', { url: 'http://example.com/feed' }],
      ['deletePodcastChannel', { id: 'x' }],
      ['deletePodcastEpisode', { id: 'x' }],
      ['downloadPodcastEpisode', { id: 'x' }],
      ['getPodcastEpisode', { id: 'x' }],
      ['jukeboxControl', { action: 'status' }],
    ] as const) {
      const error = (await server.json(endpoint, params)).error;
      assert.equal(error.code, 0, endpoint);
      assert.match(error.message, /not supported/);
    }
    assert.equal((await server.json('jukeboxControl')).error.code, 10);
  });
});

describe('XML for DSub validates against the Subsonic 1.16.1 XSD', () => {
  test('every catalog endpoint', async () => {
    const id = (sql: string) => server.db.prepare(sql).pluck().get() as string;
    const album = id("SELECT id FROM album WHERE name = 'First Album'");
    const artist = id("SELECT id FROM artist WHERE name = 'Artist A'");
    const track = id("SELECT id FROM track WHERE title = 'One'");
    const folder = id("SELECT id FROM folder WHERE path = 'Artist A'");
    const admin = server.userId('admin');
    server.db
      .prepare(
        'INSERT INTO annotation (user_id, item_id, starred_at, rating, play_count) VALUES (?, ?, 1, 3, 2), (?, ?, 1, NULL, 0), (?, ?, 1, 4, 1)',
      )
      .run(admin, album, admin, artist, admin, track);
    const calls: [string, Record<string, string | number>][] = [
      ['getMusicFolders', {}],
      ['getIndexes', {}],
      ['getIndexes', { ifModifiedSince: Number.MAX_SAFE_INTEGER }],
      ['getMusicDirectory', { id: folder }],
      ['getMusicDirectory', { id: album }],
      ['getMusicDirectory', { id: artist }],
      ['getArtists', {}],
      ['getArtist', { id: artist }],
      ['getAlbum', { id: album }],
      ['getSong', { id: track }],
      ['getGenres', {}],
      ['getArtistInfo', { id: artist }],
      ['getArtistInfo2', { id: artist }],
      ['getAlbumInfo', { id: album }],
      ['getAlbumInfo2', { id: album }],
      ['getSimilarSongs', { id: track }],
      ['getSimilarSongs2', { id: artist }],
      ['getTopSongs', { artist: 'Artist A' }],
      ['getLyrics', { artist: 'Artist A', title: 'Three' }],
      ['getLyrics', { artist: 'x', title: 'y' }],
      ['getAlbumList', { type: 'alphabeticalByName', size: 500 }],
      ['getAlbumList2', { type: 'alphabeticalByName', size: 500 }],
      ['getAlbumList2', { type: 'starred' }],
      ['getRandomSongs', { size: 500 }],
      ['getSongsByGenre', { genre: 'Rock' }],
      ['getStarred', {}],
      ['getStarred2', {}],
      ['search', { any: 'song' }],
      ['search2', { query: '' }],
      ['search3', { query: '""', songCount: 500, albumCount: 500, artistCount: 500 }],
      ['getScanStatus', {}],
      ['getVideos', {}],
      ['getPodcasts', {}],
      ['getNewestPodcasts', {}],
      ['getAlbum', { id: 'al-missing' }],
    ];
    for (const [endpoint, params] of calls) {
      const text = await server.xmlText(endpoint, params, { client: 'DSub' });
      assert.doesNotThrow(() => validateSubsonicXml(text), `${endpoint} ${JSON.stringify(params)}`);
    }
  });

  test('the check rejects an invalid document', () => {
    assert.throws(() =>
      validateSubsonicXml(
        '<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1"><album/></subsonic-response>',
      ),
    );
  });
});
