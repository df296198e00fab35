// Every endpoint's XML answer for DSub (the strictest XML consumer) validates against the official
// Subsonic 1.16.1 schema: successful answers with realistic parameters, and error answers too. Only
// the root's OpenSubsonic attributes and the PlayQueue.current erratum are tolerated (test/helpers/xsd.ts).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { defaultEndpoints } from '../../src/http/subsonic/handlers/index.ts';
import {
  ADMIN,
  type Json,
  type Params,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';
import { validateSubsonicXml } from '../helpers/xsd.ts';

let server: SubsonicServer;
before(async () => {
  server = await startSubsonicServer();
});
after(() => server?.close());

it('every endpoint answers DSub with schema-valid XML', async () => {
  const first = async (endpoint: string, params: Params, pick: (answer: Json) => unknown) =>
    pick(await server.json(endpoint, params)) as string;
  const songId = await first(
    'search3',
    { query: '', songCount: 1, albumCount: 0, artistCount: 0 },
    (answer) => answer.searchResult3.song[0].id,
  );
  const album = await server.json('getSong', { id: songId });
  const albumId = album.song.albumId as string;
  const artistId = album.song.artistId as string;
  const folderId = album.song.parent as string;
  const playlistId = await first(
    'createPlaylist',
    { name: 'XSD list', songId: [songId, songId] },
    (answer) => answer.playlist.id,
  );
  const shareId = await first(
    'createShare',
    { id: songId, description: 'xsd' },
    (answer) => answer.shares.share[0].id,
  );
  await server.json('createInternetRadioStation', {
    name: 'Radio',
    streamUrl: 'https://radio.example/stream',
  });
  const radioId = await first(
    'getInternetRadioStations',
    {},
    (answer) => answer.internetRadioStations.internetRadioStation[0].id,
  );
  await server.json('createBookmark', { id: songId, position: 1000 });
  await server.json('addChatMessage', { message: 'hello' });
  await server.json('star', { id: songId, albumId, artistId });
  await server.json('scrobble', { id: songId, submission: 'false' });

  // Parameters that make each endpoint succeed (or, for deliberately unsupported ones, fail cleanly).
  const params: Record<string, Params> = {
    getUser: { username: ADMIN.username },
    createUser: { username: 'xsduser', password: 'pw', email: 'x@example.org' },
    updateUser: { username: 'xsduser', email: 'y@example.org' },
    deleteUser: { username: 'xsduser' },
    changePassword: { username: ADMIN.username, password: ADMIN.password },
    star: { id: songId },
    unstar: { id: songId },
    setRating: { id: songId, rating: 3 },
    scrobble: { id: songId, submission: 'true' },
    reportPlayback: { mediaId: songId, mediaType: 'song', positionMs: 0, state: 'starting' },
    getPlaylist: { id: playlistId },
    createPlaylist: { name: 'Another', songId },
    updatePlaylist: { playlistId, name: 'Renamed', songIndexToRemove: 0 },
    deletePlaylist: { id: playlistId },
    savePlayQueue: { id: songId, current: songId, position: 10 },
    savePlayQueueByIndex: { id: songId, currentIndex: 0 },
    createBookmark: { id: songId, position: 5 },
    deleteBookmark: { id: songId },
    createShare: { id: albumId },
    updateShare: { id: shareId, description: 'changed' },
    deleteShare: { id: shareId },
    createInternetRadioStation: { name: 'Other', streamUrl: 'https://radio.example/other' },
    updateInternetRadioStation: { id: radioId, name: 'Renamed', streamUrl: 'https://radio.example/stream' },
    deleteInternetRadioStation: { id: radioId },
    addChatMessage: { message: 'hi' },
    getMusicDirectory: { id: folderId },
    getArtist: { id: artistId },
    getAlbum: { id: albumId },
    getSong: { id: songId },
    getAlbumList: { type: 'newest' },
    getAlbumList2: { type: 'alphabeticalByName' },
    getSongsByGenre: { genre: 'Rock' },
    search: { any: 'a' },
    search2: { query: 'a' },
    search3: { query: '' },
    getArtistInfo: { id: artistId },
    getArtistInfo2: { id: artistId },
    getAlbumInfo: { id: albumId },
    getAlbumInfo2: { id: albumId },
    getSimilarSongs: { id: songId },
    getSimilarSongs2: { id: artistId },
    getTopSongs: { artist: 'Artist A' },
    getLyrics: { artist: 'Artist A', title: 'One' },
    getLyricsBySongId: { id: songId },
    getVideoInfo: { id: 'x' },
    getPodcastEpisode: { id: 'x' },
    createPodcastChannel: { url: 'https://podcast.example/feed' },
    deletePodcastChannel: { id: 'x' },
    deletePodcastEpisode: { id: 'x' },
    downloadPodcastEpisode: { id: 'x' },
    jukeboxControl: { action: 'get' },
    // Binary answers are not XML: asked for a song that does not exist, their error envelope is checked
    // here (the files they send are tested in subsonic-stream.test.ts).
    stream: { id: 'tr-doesnotexist' },
    download: { id: 'tr-doesnotexist' },
    getCoverArt: { id: 'al-doesnotexist' },
    getAvatar: { username: 'nobody' },
    'hls.m3u8': { id: 'tr-doesnotexist' },
  };
  // Endpoints whose OpenSubsonic-only payload has no element in the 1.16.1 schema.
  const openSubsonicOnly = new Set([
    'getOpenSubsonicExtensions',
    'tokenInfo',
    'getLyricsBySongId',
    'getPlayQueueByIndex',
    'getTranscodeDecision',
    // Answers media or plain HTTP errors, never XML (the transcoding extension's rule).
    'getTranscodeStream',
  ]);
  let validated = 0;
  const failed: string[] = [];
  for (const endpoint of defaultEndpoints) {
    if (openSubsonicOnly.has(endpoint.name)) continue;
    const text = await server.xmlText(endpoint.name, params[endpoint.name] ?? {}, { client: 'DSub' });
    assert.doesNotThrow(() => validateSubsonicXml(text), `${endpoint.name}: ${text.slice(0, 400)}`);
    if (!/status="ok"/.test(text)) failed.push(endpoint.name);
    validated++;
  }
  // Everything answers ok with realistic parameters, but what a music-only server does not do.
  assert.deepEqual(failed.sort(), [
    'createPodcastChannel',
    'deletePodcastChannel',
    'deletePodcastEpisode',
    'download',
    'downloadPodcastEpisode',
    'getAvatar',
    'getCoverArt',
    'getPodcastEpisode',
    'getVideoInfo',
    'hls.m3u8',
    'jukeboxControl',
    'refreshPodcasts',
    'stream',
  ]);
  // Errors validate too.
  for (const [endpoint, bad] of [
    ['getAlbum', { id: 'al-missing' }],
    ['getAlbumList2', { type: 'nonsense' }],
    ['getSong', {}],
  ] as const) {
    const text = await server.xmlText(endpoint, bad, { client: 'DSub' });
    assert.match(text, /status="failed"/);
    validateSubsonicXml(text);
  }
  assert.ok(validated >= defaultEndpoints.length - openSubsonicOnly.size);
});
