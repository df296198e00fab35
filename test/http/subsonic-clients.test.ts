// Each major client's start-up and sync sequence (opensubsonic-reference §6), replayed with its own
// transport habits (format, protocol version, .view or not, auth style), checking that the data a
// client builds its library from is complete and consistently shaped.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SubsonicAPI } from 'subsonic-api';
import { ADMIN, type Json, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';
import { validateSubsonicXml } from '../helpers/xsd.ts';

interface Transport {
  client: string;
  version: string;
  format: 'json' | 'xml';
  view: boolean;
  auth: 'plain' | 'enc' | 'token';
}

let server: SubsonicServer;
let totals: { songs: number; albums: number; albumArtists: number };

before(async () => {
  server = await startSubsonicServer();
  const count = (sql: string) => server.db.prepare(sql).pluck().get() as number;
  totals = {
    songs: count('SELECT count(*) FROM track'),
    albums: count('SELECT count(*) FROM album'),
    albumArtists: count('SELECT count(*) FROM artist WHERE album_count > 0'),
  };
});
after(() => server?.close());

function authParams(transport: Transport): Record<string, string> {
  if (transport.auth === 'plain') return { p: ADMIN.password };
  if (transport.auth === 'enc') return { p: `enc:${Buffer.from(ADMIN.password, 'utf8').toString('hex')}` };
  const salt = randomBytes(6).toString('hex');
  return {
    t: createHash('md5')
      .update(ADMIN.password + salt)
      .digest('hex'),
    s: salt,
  };
}

async function call(
  transport: Transport,
  endpoint: string,
  params: Record<string, string | number | string[]> = {},
): Promise<Json> {
  const search = new URLSearchParams({
    u: ADMIN.username,
    ...authParams(transport),
    v: transport.version,
    c: transport.client,
  });
  if (transport.format === 'json') search.set('f', 'json');
  for (const [key, value] of Object.entries(params))
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  const response = await fetch(
    `${server.baseUrl}/rest/${endpoint}${transport.view ? '.view' : ''}?${search}`,
  );
  assert.equal(response.status, 200, `${transport.client} ${endpoint}: HTTP ${response.status}`);
  if (transport.format === 'xml') {
    assert.match(response.headers.get('content-type') ?? '', /^text\/xml/);
    const text = await response.text();
    validateSubsonicXml(text);
    if (transport.client === 'DSub') {
      // DSub's pull parser takes any nested <artist>/<album>/<song> for an entry: no OpenSubsonic nesting.
      // (<artists ignoredArticles=…> is getArtists' own container; OpenSubsonic's nested artists carry an id.)
      // (<artists ignoredArticles=…> is getArtists' own container; OpenSubsonic's nested artists carry an id.)
      assert.doesNotMatch(
        text,
        /<(genres|albumArtists|contributors|replayGain|discTitles|originalReleaseDate|recordLabels)\b|<artists id=/,
        `${endpoint} has OpenSubsonic elements for DSub`,
      );
    }
    assert.match(text, /status="ok"/, `${transport.client} ${endpoint}: ${text.slice(0, 300)}`);
    return { text };
  }
  const body = ((await response.json()) as Json)['subsonic-response'] as Json;
  assert.equal(body.status, 'ok', `${transport.client} ${endpoint}: ${JSON.stringify(body.error)}`);
  assert.equal(body.version, '1.16.1');
  assert.equal(body.type, 'tonearm');
  assert.equal(body.openSubsonic, true);
  return body;
}

/** A JSON list that must be an array whenever present (clients' typed parsers). */
function list(value: unknown): Json[] {
  if (value === undefined) return [];
  assert.ok(Array.isArray(value), `expected an array, got ${JSON.stringify(value).slice(0, 100)}`);
  return value as Json[];
}

function assertSong(song: Json): void {
  for (const field of ['id', 'title', 'size', 'suffix', 'duration', 'type', 'albumId', 'artistId', 'parent'])
    assert.ok(song[field] !== undefined, `song lacks ${field}`);
  assert.equal(typeof song.id, 'string');
  assert.equal(typeof song.duration, 'number');
  assert.equal(song.isDir, false);
}

describe('client start-up and sync sequences', () => {
  it('DSub: XML, 1.2.0, .view, enc: passwords, folder browsing', async () => {
    const dsub: Transport = { client: 'DSub', version: '1.2.0', format: 'xml', view: true, auth: 'enc' };
    await call(dsub, 'ping');
    const license = await call(dsub, 'getLicense');
    assert.match(license.text, /<license [^>]*valid="true"/);
    await call(dsub, 'getUser', { username: ADMIN.username });
    const folders = await call(dsub, 'getMusicFolders');
    assert.match(folders.text, /<musicFolder id="\d+"/);
    const indexes = await call(dsub, 'getIndexes');
    const folderId = /<artist id="([^"]+)"/.exec(indexes.text)![1]!;
    const directory = await call(dsub, 'getMusicDirectory', { id: folderId });
    const childDir = /<child id="([^"]+)"[^>]*isDir="true"/.exec(directory.text)?.[1];
    if (childDir) await call(dsub, 'getMusicDirectory', { id: childDir });
    await call(dsub, 'getArtists');
    const newest = await call(dsub, 'getAlbumList2', { type: 'newest', size: 20, offset: 0 });
    const albumId = /<album id="([^"]+)"/.exec(newest.text)![1]!;
    const album = await call(dsub, 'getAlbum', { id: albumId });
    const songId = /<song id="([^"]+)"/.exec(album.text)![1]!;
    await call(dsub, 'getAlbumList2', { type: 'recent', size: 20, offset: 0 });
    await call(dsub, 'getAlbumList', { type: 'newest', size: 20, offset: 0 });
    await call(dsub, 'getBookmarks');
    await call(dsub, 'scrobble', { id: songId, submission: 'false' });
    await call(dsub, 'scrobble', { id: songId, submission: 'true', time: Date.now() });
    await call(dsub, 'savePlayQueue', { id: songId, current: songId, position: 1000 });
    await call(dsub, 'getPlayQueue');
  });

  it('Symfonium: JSON, token auth, three independent search3 "" loops', async () => {
    const symfonium: Transport = {
      client: 'Symfonium',
      version: '1.13.0',
      format: 'json',
      view: true,
      auth: 'token',
    };
    await call(symfonium, 'ping');
    await call(symfonium, 'getOpenSubsonicExtensions');
    const page = 5;
    const collect = async (kind: 'artist' | 'album' | 'song') => {
      const ids: string[] = [];
      for (let offset = 0; ; offset += page) {
        const params: Record<string, string | number> = {
          query: '""',
          artistCount: 0,
          albumCount: 0,
          songCount: 0,
        };
        params[`${kind}Count`] = page;
        params[`${kind}Offset`] = offset;
        const result = (await call(symfonium, 'search3', params)).searchResult3 as Json;
        assert.ok(result, 'searchResult3 present');
        const items = list(result[kind]);
        for (const other of ['artist', 'album', 'song'].filter((name) => name !== kind))
          assert.equal(list(result[other]).length, 0, `${other}Count=0 returns none`);
        ids.push(...items.map((item) => item.id as string));
        if (items.length < page) break;
      }
      return ids;
    };
    const songs = await collect('song');
    assert.equal(songs.length, totals.songs, 'every song');
    assert.equal(new Set(songs).size, songs.length, 'exactly once');
    const albums = await collect('album');
    assert.equal(new Set(albums).size, totals.albums);
    const artists = await collect('artist');
    assert.ok(artists.length >= totals.albumArtists);
    const genres = list(((await call(symfonium, 'getGenres')).genres as Json).genre);
    assert.ok(
      genres.length > 0 &&
        genres.every((genre) => typeof genre.value === 'string' && typeof genre.songCount === 'number'),
    );
    await call(symfonium, 'getBookmarks');
    await call(symfonium, 'getPlaylists');
    await call(symfonium, 'getArtistInfo2', { id: artists[0]! });
    await call(symfonium, 'scrobble', { id: songs[0]!, submission: 'false' });
  });

  it('Substreamer: start-up list calls and the albumCount=10000 full album list', async () => {
    const substreamer: Transport = {
      client: 'substreamer8',
      version: '1.15.0',
      format: 'json',
      view: true,
      auth: 'token',
    };
    await call(substreamer, 'ping');
    await call(substreamer, 'getOpenSubsonicExtensions');
    const user = (await call(substreamer, 'getUser', { username: ADMIN.username })).user as Json;
    assert.equal(user.adminRole, true);
    const scan = (await call(substreamer, 'getScanStatus')).scanStatus as Json;
    assert.equal(typeof scan.scanning, 'boolean');
    for (const type of ['newest', 'recent', 'frequent', 'random'])
      await call(substreamer, 'getAlbumList2', { type, size: 20 });
    await call(substreamer, 'getStarred2');
    const all = (
      await call(substreamer, 'search3', { query: '', albumCount: 10000, songCount: 0, artistCount: 0 })
    ).searchResult3 as Json;
    const albums = list(all.album);
    assert.equal(albums.length, totals.albums, 'every album in one answer, no cap');
    const artists = (await call(substreamer, 'getArtists')).artists as Json;
    assert.equal(typeof artists.ignoredArticles, 'string');
    await call(substreamer, 'getPlaylists');
    await call(substreamer, 'getGenres');
    for (const album of albums) {
      const full = (await call(substreamer, 'getAlbum', { id: album.id as string })).album as Json;
      for (const song of list(full.song)) assertSong(song);
    }
  });

  it('Feishin: song count probes with search3 and genre pages', async () => {
    const feishin: Transport = {
      client: 'Feishin',
      version: '1.13.0',
      format: 'json',
      view: false,
      auth: 'plain',
    };
    await call(feishin, 'ping');
    await call(feishin, 'getOpenSubsonicExtensions');
    await call(feishin, 'getMusicFolders');
    await call(feishin, 'getArtists');
    await call(feishin, 'getGenres');
    await call(feishin, 'getPlaylists');
    await call(feishin, 'getAlbumList2', { type: 'alphabeticalByName', size: 500, offset: 0 });
    const probe = async (offset: number) =>
      list(
        (
          (
            await call(feishin, 'search3', {
              query: '""',
              songCount: 1,
              songOffset: offset,
              albumCount: 0,
              artistCount: 0,
            })
          ).searchResult3 as Json
        ).song,
      ).length;
    assert.equal(await probe(0), 1);
    assert.equal(await probe(totals.songs - 1), 1);
    assert.equal(await probe(totals.songs), 0);
    const genre = list(((await call(feishin, 'getGenres')).genres as Json).genre)[0]!.value as string;
    const byGenre = list(
      ((await call(feishin, 'getSongsByGenre', { genre, count: 500 })).songsByGenre as Json).song,
    );
    assert.ok(byGenre.length > 0);
    await call(feishin, 'getStarred');
    await call(feishin, 'getLyricsBySongId', { id: byGenre[0]!.id as string });
    await call(feishin, 'getTopSongs', { artist: byGenre[0]!.artist as string });
    await call(feishin, 'getSimilarSongs', { id: byGenre[0]!.id as string });
  });

  it('Tempo: no .view, decades by year in both directions, play queue', async () => {
    const tempo: Transport = {
      client: 'Tempo',
      version: '1.15.0',
      format: 'json',
      view: false,
      auth: 'plain',
    };
    await call(tempo, 'getOpenSubsonicExtensions');
    await call(tempo, 'ping');
    await call(tempo, 'getRandomSongs', { size: 10 });
    const year = new Date().getFullYear();
    await call(tempo, 'getAlbumList2', { type: 'byYear', size: 500, fromYear: year, toYear: year });
    const oldest = list(
      (
        (await call(tempo, 'getAlbumList2', { type: 'byYear', size: 1, fromYear: 1900, toYear: year }))
          .albumList2 as Json
      ).album,
    );
    const newest = list(
      (
        (await call(tempo, 'getAlbumList2', { type: 'byYear', size: 1, fromYear: year, toYear: 1900 }))
          .albumList2 as Json
      ).album,
    );
    assert.equal(oldest.length, 1);
    assert.ok(
      (oldest[0]!.year as number) <= (newest[0]!.year as number),
      'ascending from 1900, descending from now',
    );
    await call(tempo, 'getStarred2');
    for (const type of ['frequent', 'newest', 'recent'])
      await call(tempo, 'getAlbumList2', { type, size: 20 });
    await call(tempo, 'getPlaylists');
    await call(tempo, 'getShares');
    const song = list(((await call(tempo, 'getRandomSongs', { size: 1 })).randomSongs as Json).song)[0]!;
    await call(tempo, 'getTopSongs', { artist: song.artist as string });
    await call(tempo, 'getSimilarSongs2', { id: song.artistId as string });
    await call(tempo, 'getPlayQueue');
    await call(tempo, 'getLyrics', { artist: song.artist as string, title: song.title as string });
  });

  it('Strawberry: albumList2 pages of 500 then every album with complete songs', async () => {
    const strawberry: Transport = {
      client: 'Strawberry',
      version: '1.11.0',
      format: 'json',
      view: true,
      auth: 'enc',
    };
    await call(strawberry, 'ping');
    const albums: Json[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = list(
        (
          (await call(strawberry, 'getAlbumList2', { type: 'alphabeticalByName', size: 500, offset }))
            .albumList2 as Json
        ).album,
      );
      albums.push(...page);
      if (page.length < 500) break;
    }
    assert.equal(albums.length, totals.albums);
    for (const album of albums) {
      assert.ok(album.id && album.artist && album.name, 'albums need id, artist and name');
      const full = (await call(strawberry, 'getAlbum', { id: album.id as string })).album as Json;
      assert.ok(Array.isArray(full.song), 'song key present');
      for (const song of full.song as Json[]) assertSong(song);
    }
  });

  it('Sublime Music: pages until an empty page, folder and tag browsing, ratings (via subsonic-api)', async () => {
    const api = new SubsonicAPI({
      url: server.baseUrl,
      auth: { username: ADMIN.username, password: ADMIN.password },
    });
    const ping = await api.ping();
    assert.equal(ping.status, 'ok');
    const artists = await api.getArtists();
    const first = artists.artists.index?.[0]?.artist?.[0];
    assert.ok(first);
    const artist = await api.getArtist({ id: first.id });
    assert.ok((artist.artist.album ?? []).length > 0);
    await api.getArtistInfo2({ id: first.id });
    let offset = 0;
    let seen = 0;
    for (;;) {
      const page = await api.getAlbumList2({ type: 'alphabeticalByName', size: 500, offset });
      const albums = page.albumList2.album ?? [];
      if (albums.length === 0) break;
      seen += albums.length;
      offset += albums.length;
    }
    assert.equal(seen, totals.albums);
    const album = await api.getAlbum({ id: (artist.artist.album ?? [])[0]!.id });
    await api.getIndexes();
    await api.getGenres();
    await api.getPlaylists();
    await api.getPlayQueue();
    await api.search3({ query: 'one' });
    const song = album.album.song?.[0];
    assert.ok(song);
    await api.setRating({ id: song.id, rating: 4 });
    assert.equal((await api.getSong({ id: song.id })).song.userRating, 4);
  });
});
