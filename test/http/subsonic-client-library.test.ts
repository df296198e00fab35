// Answers as third-party clients decode them: through the `subsonic-api` client library (JSON, token
// auth, `.view` names), field by field against what the spec marks required and the types strict clients
// map them to, and as XML against the official 1.16.1 schema. The cases are the ones real clients tripped
// over: an empty `lyrics` object, `hls.view`, info fields left out, and the playlist and user shapes read
// at start-up.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SubsonicAPI } from 'subsonic-api';
import {
  ADMIN,
  ALICE,
  type Credentials,
  type Json,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';
import { validateSubsonicXml } from '../helpers/xsd.ts';

let server: SubsonicServer;
let songId: string;
let artistId: string;

before(async () => {
  server = await startSubsonicServer();
  const song = (await server.json('search3', { query: 'One', songCount: 1, albumCount: 0, artistCount: 0 }))
    .searchResult3.song[0];
  songId = song.id;
  artistId = song.artistId;
});
after(() => server?.close());

function client(user: Credentials = ADMIN): SubsonicAPI {
  return new SubsonicAPI({ url: server.baseUrl, auth: { username: user.username, password: user.password } });
}

/** The XML answer, checked against the schema (as DSub, the strictest XML reader, asks by default). */
async function schemaValidXml(
  endpoint: string,
  params: Record<string, string> = {},
  options: { user?: Credentials; client?: string } = {},
): Promise<string> {
  const text = await server.xmlText(endpoint, params, { client: 'DSub', ...options });
  validateSubsonicXml(text);
  assert.match(text, /status="ok"/, text.slice(0, 300));
  return text;
}

type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'number[]' | 'string[]';

/** Every field is there with its type; `optional` fields may be absent but are typed when present. */
function assertFields(
  what: string,
  value: Json,
  required: Record<string, FieldType>,
  optional: Record<string, FieldType> = {},
): void {
  const check = (key: string, type: FieldType) => {
    const field = value[key];
    const label = `${what}.${key} = ${JSON.stringify(field)}`;
    switch (type) {
      case 'date':
        // The library turns `created`/`changed` into Dates; an unparsable string becomes an Invalid Date.
        assert.ok(field instanceof Date && !Number.isNaN(field.getTime()), `${label} is not a date`);
        break;
      case 'number':
        assert.ok(Number.isInteger(field), `${label} is not an integer`);
        break;
      case 'number[]':
        assert.ok(
          Array.isArray(field) && field.every(Number.isInteger),
          `${label} is not a list of integers`,
        );
        break;
      case 'string[]':
        assert.ok(Array.isArray(field) && field.every((item) => typeof item === 'string'), label);
        break;
      default:
        assert.equal(typeof field, type, `${label} is not a ${type}`);
    }
  };
  for (const [key, type] of Object.entries(required)) check(key, type);
  for (const [key, type] of Object.entries(optional)) if (value[key] !== undefined) check(key, type);
}

describe('answers decoded by the subsonic-api client library', () => {
  it('getLyrics with nothing found is lyrics with an empty value, and the artist and title asked', async () => {
    const api = client();
    const none = await api.getLyrics({ artist: 'Nobody', title: 'No Such Song' });
    assert.equal(none.status, 'ok');
    // The library's Lyrics type, and clients that read lyrics.value.length, need the text to be a string.
    assert.deepEqual(none.lyrics, { artist: 'Nobody', title: 'No Such Song', value: '' });
    assert.deepEqual((await api.getLyrics({ title: 'No Such Song' })).lyrics, {
      title: 'No Such Song',
      value: '',
    });
    const found = await api.getLyrics({ artist: 'Artist A', title: 'Three' });
    assert.equal(found.lyrics.value, 'Unsynced words\nMore words');

    const xml = await schemaValidXml('getLyrics', { artist: 'Nobody', title: 'No Such Song' });
    assert.match(xml, /<lyrics artist="Nobody" title="No Such Song"><\/lyrics>/);
    await schemaValidXml('getLyrics', {});
    await schemaValidXml('getLyrics', { artist: 'Artist A', title: 'Three' });
  });

  it('hls.view and hls answer as hls.m3u8, with and without .view', async () => {
    const api = client();
    const viaLibrary = await api.hls({ id: songId });
    assert.equal(viaLibrary.status, 200);
    const expected = await viaLibrary.text();
    assert.match(expected, /^#EXTM3U\n/);
    // The playlist carries freshly signed URLs, so compare its shape, not its bytes.
    const shape = (playlist: string) => playlist.replace(/\?[^\n]*/g, '?…');
    for (const name of ['hls.view', 'hls', 'hls.m3u8.view']) {
      const response = await fetch(server.url(name, { id: songId }, { client: 'DSub' }));
      assert.equal(response.status, 200, name);
      assert.match(response.headers.get('content-type') ?? '', /^application\/vnd\.apple\.mpegurl/, name);
      assert.equal(shape(await response.text()), shape(expected), name);
    }
    // Its errors are the same envelope too, schema-valid for DSub.
    const missing = await server.xmlText('hls.view', { id: 'tr-doesnotexist' }, { client: 'DSub' });
    validateSubsonicXml(missing);
    assert.match(missing, /<error code="70"/);
    // An alias is no wildcard.
    assert.match(
      await server.xmlText('hlsx.view', { id: songId }),
      /<error code="0" message="unknown endpoint: hlsx"/,
    );
  });

  it('getArtistInfo and getArtistInfo2 send every info field as a string, empty when unknown', async () => {
    const api = client();
    const infoFields = {
      biography: 'string',
      musicBrainzId: 'string',
      lastFmUrl: 'string',
      smallImageUrl: 'string',
      mediumImageUrl: 'string',
      largeImageUrl: 'string',
    } as const;
    const v1 = (await api.getArtistInfo({ id: artistId })).artistInfo;
    assertFields('artistInfo', v1, infoFields);
    for (const similar of v1.similarArtist ?? [])
      assertFields('similarArtist', similar, { id: 'string', name: 'string' });
    const v2 = (await api.getArtistInfo2({ id: artistId })).artistInfo2;
    assertFields('artistInfo2', v2, infoFields);
    assert.ok((v2.similarArtist ?? []).length > 0, 'the fixture has a similar artist');
    for (const similar of v2.similarArtist ?? [])
      assertFields('similarArtist', similar, { id: 'string', name: 'string', albumCount: 'number' });
    assert.equal(v2.biography, '');
    assert.equal(v2.largeImageUrl, '');

    for (const endpoint of ['getArtistInfo', 'getArtistInfo2']) {
      const xml = await schemaValidXml(endpoint, { id: artistId });
      for (const field of Object.keys(infoFields))
        assert.match(xml, new RegExp(`<${field}>[^<]*</${field}>`));
    }
    for (const endpoint of ['getAlbumInfo', 'getAlbumInfo2']) await schemaValidXml(endpoint, { id: songId });
  });

  it('getPlaylists: every playlist has the fields strict clients need, with their types', async () => {
    const admin = client();
    const made = await admin.createPlaylist({ name: 'Road trip', songId: [songId, songId] });
    assert.equal(made.status, 'ok');
    await admin.createPlaylist({ name: 'Still empty' });
    const alicePublic = (await client(ALICE).createPlaylist({ name: "Alice's", songId: [songId] })).playlist;
    await client(ALICE).updatePlaylist({ playlistId: alicePublic.id, public: true });

    const lists = (await admin.getPlaylists()).playlists.playlist ?? [];
    const byName = new Map(lists.map((list) => [list.name, list as Json]));
    assert.deepEqual([...byName.keys()].sort(), ["Alice's", 'Road trip', 'Still empty']);
    for (const list of byName.values()) {
      assertFields(
        `playlist ${list.name}`,
        list,
        {
          id: 'string',
          name: 'string',
          owner: 'string',
          public: 'boolean',
          songCount: 'number',
          duration: 'number',
          created: 'date',
          changed: 'date',
          readonly: 'boolean',
        },
        { comment: 'string', coverArt: 'string', allowedUser: 'string[]' },
      );
      assert.match(list.id, /^pl-/);
    }
    const trip = byName.get('Road trip')!;
    assert.equal(trip.songCount, 2);
    assert.equal(trip.owner, ADMIN.username);
    assert.equal(trip.public, false);
    assert.equal(trip.readonly, false);
    // The cover of a playlist with songs is one getCoverArt understands.
    const cover = await admin.getCoverArt({ id: trip.coverArt });
    assert.equal(cover.status, 200);
    assert.match(cover.headers.get('content-type') ?? '', /^image\//);
    assert.equal(byName.get('Still empty')!.songCount, 0);
    assert.equal(byName.get('Still empty')!.coverArt, undefined);
    const alices = byName.get("Alice's")!;
    assert.equal(alices.owner, ALICE.username);
    assert.equal(alices.public, true);
    assert.equal(alices.readonly, true, 'someone else’s public playlist');

    // DSub gets exactly the 1.16.1 schema; other clients the OpenSubsonic `readonly` on top, and nothing else.
    await schemaValidXml('getPlaylists');
    const modern = await server.xmlText('getPlaylists', {}, { client: 'Tempo' });
    assert.match(modern, / readonly="(true|false)"/);
    validateSubsonicXml(modern.replace(/ readonly="(true|false)"/g, ''));
    const one = await server.xmlText('getPlaylist', { id: trip.id }, { client: 'DSub' });
    validateSubsonicXml(one);
  });

  it('getUser: every role a boolean, the folders integers; also without a username', async () => {
    const roles = [
      'adminRole',
      'settingsRole',
      'downloadRole',
      'uploadRole',
      'playlistRole',
      'coverArtRole',
      'commentRole',
      'podcastRole',
      'streamRole',
      'jukeboxRole',
      'shareRole',
      'videoConversionRole',
    ];
    const userFields = {
      username: 'string',
      scrobblingEnabled: 'boolean',
      folder: 'number[]',
      ...Object.fromEntries(roles.map((role) => [role, 'boolean' as const])),
    } as Record<string, FieldType>;
    for (const [who, api] of [
      [ADMIN, client(ADMIN)],
      [ALICE, client(ALICE)],
    ] as const) {
      const user = (await api.getUser({ username: who.username })).user as Json;
      assertFields(`user ${who.username}`, user, userFields, { email: 'string', maxBitRate: 'number' });
      assert.equal(user.username, who.username);
      assert.deepEqual(
        user.folder,
        [server.libraries.fixture, server.libraries.second].sort((a, b) => a - b),
      );
      // The library lets the name out; the caller is meant, as on Navidrome.
      assert.deepEqual((await api.getUser()).user, user);
      const xml = await schemaValidXml('getUser', { username: who.username }, { user: who });
      assert.match(xml, /<folder>\d+<\/folder>/);
    }
    const admin = (await client(ADMIN).getUser({ username: ADMIN.username })).user;
    assert.equal(admin.adminRole, true);
    const alice = (await client(ALICE).getUser({ username: ALICE.username })).user;
    assert.equal(alice.adminRole, false);
    assert.equal(alice.videoConversionRole, false);
    // Not an admin: only herself.
    const refused = (await client(ALICE).getUser({ username: ADMIN.username })) as Json;
    assert.equal(refused.error?.code, 50);
  });
});
