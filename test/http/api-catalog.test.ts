// The native API's library routes end to end, over the two scanned libraries of the Subsonic test server
// (real encoded audio, real SQLite, real HTTP; every answer checked against its route's schema by the test
// server): libraries, artists, albums, tracks, genres, folders, search, lyrics and artwork; every sort
// walked page by page through cursors (each item exactly once, in the order of one big page); filters;
// the caller's own marks on every item; 404 and 400 problems; and a user limited to one library seeing
// none of the other's items, on the native API and on Subsonic alike.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { updateUser } from '../../src/accounts/users.service.ts';
import { ALBUM_SORTS, ARTIST_SORTS, TRACK_SORTS } from '../../src/catalog/sorts.ts';
import {
  ADMIN,
  ALICE,
  BOB,
  type Json,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
const keys: Record<string, string> = {};

before(async () => {
  server = await startSubsonicServer();
  for (const user of [ADMIN, ALICE, BOB]) keys[user.username] = createApiKey(server.db, user.username).key;
  await updateUser(server.db, BOB.username, { libraryIds: [server.libraries.second] });
  // Alice's marks, made through Subsonic as a client would.
  const albums = (
    await server.json('getAlbumList2', { type: 'alphabeticalByName', size: 100 }, { user: ALICE })
  ).albumList2.album as Json[];
  const songs = (await server.json('search3', { query: '', songCount: 100 }, { user: ALICE })).searchResult3
    .song as Json[];
  const byName = (name: string) => albums.find((album) => album.name === name)!;
  for (const [index, name] of ['First Album', 'Hits', 'Double'].entries()) {
    await server.json('star', { albumId: byName(name).id }, { user: ALICE });
    await server.json('setRating', { id: byName(name).id, rating: index + 3 }, { user: ALICE });
  }
  await server.json('star', { artistId: byName('First Album').artistId }, { user: ALICE });
  for (const [index, song] of songs.slice(0, 5).entries()) {
    await server.json('star', { id: song.id }, { user: ALICE });
    await server.json('setRating', { id: song.id, rating: (index % 5) + 1 }, { user: ALICE });
    for (let play = 0; play <= index; play++)
      await server.json(
        'scrobble',
        { id: song.id, time: 1_700_000_000_000 + index * 1000 + play },
        { user: ALICE },
      );
  }
});
after(() => server?.close());

interface Answer {
  status: number;
  type: string;
  body: Json;
}

async function get(path: string, user = ADMIN): Promise<Answer> {
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
    headers: { Authorization: `Bearer ${keys[user.username]}` },
  });
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    type,
    body: type.includes('json') ? ((await response.json()) as Json) : {},
  };
}

async function ok(path: string, user = ADMIN): Promise<Json> {
  const answer = await get(path, user);
  assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function problem(path: string, status: number, detail: RegExp, user = ADMIN): Promise<void> {
  const answer = await get(path, user);
  assert.equal(answer.status, status, `${path}: ${JSON.stringify(answer.body)}`);
  assert.match(answer.type, /application\/problem\+json/);
  assert.equal(answer.body.status, status);
  assert.match(answer.body.detail, detail);
}

const query = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(
    Object.entries(params)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]): [string, string] => [key, String(value)]),
  ).toString();

/** Every page of a list through its cursors; each page's items, and the items of all pages in order. */
async function walk(path: string, params: Record<string, string | number | undefined>, user = ADMIN) {
  const items: Json[] = [];
  const pages: Json[][] = [];
  let cursor = params.cursor as string | undefined;
  do {
    const body = await ok(`${path}?${query({ ...params, cursor })}`, user);
    pages.push(body.items);
    items.push(...body.items);
    cursor = body.nextCursor ?? undefined;
    assert.ok(pages.length < 200, 'the walk ends');
  } while (cursor);
  return { items, pages };
}

const idsOf = (items: Json[]) => items.map((item) => item.id as string);
const names = (items: Json[]) => items.map((item) => (item.name ?? item.title) as string).sort();

/** Walks a list in small pages and checks it against one big page of the same sort: same items, same order. */
async function checkWalk(
  path: string,
  params: Record<string, string | number | undefined>,
  pageSize: number,
  user = ADMIN,
) {
  const whole = await ok(`${path}?${query({ ...params, limit: 500 })}`, user);
  assert.equal(whole.nextCursor, null);
  const { items, pages } = await walk(path, { ...params, limit: pageSize }, user);
  const ids = idsOf(items);
  assert.equal(new Set(ids).size, ids.length, `${path} ${JSON.stringify(params)}: an item came twice`);
  assert.deepEqual(ids, idsOf(whole.items), `${path} ${JSON.stringify(params)}: pages differ from one page`);
  assert.ok(
    pages.slice(0, -1).every((page) => page.length === pageSize),
    'every page but the last is full',
  );
  return whole.items as Json[];
}

function assertOrdered<T>(values: T[], compare: (a: T, b: T) => number, what: string) {
  for (let index = 1; index < values.length; index++)
    assert.ok(
      compare(values[index - 1]!, values[index]!) <= 0,
      `${what}: ${values[index - 1]} before ${values[index]}`,
    );
}

describe('GET /libraries', () => {
  it('lists the caller’s libraries with counts, scan time, offline state and root folder', async () => {
    const { items } = await ok('/libraries');
    assert.deepEqual(
      items.map((library: Json) => library.name),
      ['fixture', 'second'],
    );
    const second = items[1];
    assert.equal(second.trackCount, 2);
    assert.equal(second.albumCount, 2);
    assert.equal(second.offline, null);
    assert.ok(Date.parse(second.lastScanAt) > 0);
    assert.match(second.rootFolderId, /^fo-/);
    const tracks = (await ok('/tracks?limit=500')).items.length;
    assert.equal(items[0].trackCount + second.trackCount, tracks);
  });
});

describe('paging walks: every sort, both orders, each item exactly once', () => {
  it('albums', async () => {
    for (const sort of ALBUM_SORTS)
      for (const order of ['asc', 'desc'])
        await checkWalk('/albums', { sort, order, seed: sort === 'random' ? 42 : undefined }, 2, ALICE);
  });
  it('tracks', async () => {
    for (const sort of TRACK_SORTS)
      for (const order of ['asc', 'desc']) await checkWalk('/tracks', { sort, order }, 3, ALICE);
  });
  it('artists', async () => {
    for (const sort of ARTIST_SORTS)
      for (const order of ['asc', 'desc']) await checkWalk('/artists', { sort, order }, 2, ALICE);
  });
  it('lists hold every visible item (sorts by marks: the marked ones)', async () => {
    const all = async (path: string) => new Set(idsOf((await ok(`${path}limit=500`, ALICE)).items));
    const albums = await all('/albums?');
    assert.equal(
      albums.size,
      (await ok('/libraries')).items.reduce((sum: number, l: Json) => sum + l.albumCount, 0),
    );
    for (const sort of ['name', 'artist', 'year', 'recentlyAdded', 'random'])
      assert.deepEqual(await all(`/albums?sort=${sort}&`), albums, sort);
    const tracks = await all('/tracks?');
    for (const sort of ['title', 'artist', 'album', 'year', 'recentlyAdded', 'duration'])
      assert.deepEqual(await all(`/tracks?sort=${sort}&`), tracks, sort);
    assert.equal((await all('/albums?sort=starredAt&')).size, 3);
    assert.equal((await all('/albums?sort=rating&')).size, 3);
    assert.equal((await all('/tracks?sort=playCount&')).size, 5);
    assert.equal((await all('/tracks?sort=lastPlayed&')).size, 5);
    assert.equal((await all('/artists?sort=starredAt&')).size, 1);
    // Playing a track counts as a play of its album too.
    const playedAlbums = (await ok('/albums?sort=playCount&limit=500', ALICE)).items as Json[];
    assert.ok(playedAlbums.length > 0 && playedAlbums.every((album) => album.playCount > 0));
  });
});

describe('sort orders', () => {
  it('albums: year with undated last both ways, date added, names ignoring articles', async () => {
    for (const order of ['asc', 'desc']) {
      const years = (await ok(`/albums?sort=year&order=${order}&limit=500`)).items.map((a: Json) => a.year);
      const dated = years.filter((year: number | null) => year !== null);
      assert.deepEqual(
        years.slice(dated.length),
        years.slice(dated.length).map(() => null),
        'undated last',
      );
      assertOrdered(dated, (a: number, b: number) => (order === 'asc' ? a - b : b - a), `year ${order}`);
    }
    const added = (await ok('/albums?sort=recentlyAdded&limit=500')).items.map((a: Json) =>
      Date.parse(a.createdAt),
    );
    assertOrdered(added, (a: number, b: number) => b - a, 'recentlyAdded defaults to newest first');
    const names = (await ok('/artists?sort=name&limit=500')).items.map((a: Json) => a.name as string);
    assert.ok(names.indexOf('The Zeds') > names.indexOf('Rooty'), '"The Zeds" files under Z, after Rooty');
    assert.ok(names.indexOf('The Zeds') < names.indexOf('東京楽団'));
  });

  it('tracks by album or artist keep each album together in play order, even descending', async () => {
    for (const sort of ['album', 'artist'])
      for (const order of ['asc', 'desc']) {
        const tracks = (await ok(`/tracks?sort=${sort}&order=${order}&limit=500`)).items as Json[];
        const albums = tracks.map((track) => track.albumId);
        const runs = albums.filter((id, index) => id !== albums[index - 1]);
        assert.equal(new Set(runs).size, runs.length, `${sort} ${order}: an album's tracks are together`);
        for (const album of runs) {
          const inAlbum = tracks.filter((track) => track.albumId === album);
          assert.deepEqual(
            idsOf(inAlbum),
            idsOf((await ok(`/albums/${album}`)).tracks),
            `${sort} ${order}: album order inside ${album}`,
          );
        }
      }
    const byName = (await ok('/tracks?sort=album&limit=500')).items.map((track: Json) => track.albumName);
    assert.ok(byName.indexOf('Double') < byName.indexOf('First Album'));
  });

  it('tracks by duration, counts and marks', async () => {
    const durations = (await ok('/tracks?sort=duration&limit=500')).items.map((t: Json) => t.duration);
    assertOrdered(durations, (a: number, b: number) => a - b, 'duration');
    const plays = (await ok('/tracks?sort=playCount&limit=500', ALICE)).items.map((t: Json) => t.playCount);
    assert.deepEqual(plays, [5, 4, 3, 2, 1]);
    const ratings = (await ok('/albums?sort=rating&order=asc&limit=500', ALICE)).items.map(
      (a: Json) => a.rating,
    );
    assert.deepEqual(ratings, [3, 4, 5]);
    const counts = (await ok('/artists?sort=trackCount&limit=500')).items.map((a: Json) => a.trackCount);
    assertOrdered(counts, (a: number, b: number) => b - a, 'trackCount');
  });

  it('random follows its seed: the same seed the same order, the cursor keeps it', async () => {
    const first = idsOf((await ok('/albums?sort=random&seed=7&limit=500')).items);
    assert.deepEqual(idsOf((await ok('/albums?sort=random&seed=7&limit=500')).items), first);
    const others = await Promise.all(
      [8, 9, 10].map(async (seed) => idsOf((await ok(`/albums?sort=random&seed=${seed}&limit=500`)).items)),
    );
    assert.ok(
      others.some((ids) => JSON.stringify(ids) !== JSON.stringify(first)),
      'another seed, another order',
    );
    // Without a seed one is chosen; its cursor goes on in that order.
    const page = await ok('/albums?sort=random&limit=3');
    const rest = await walk('/albums', { sort: 'random', limit: 3, cursor: page.nextCursor });
    const ids = [...idsOf(page.items), ...idsOf(rest.items)];
    assert.equal(new Set(ids).size, first.length);
    assert.equal(ids.length, first.length);
    await problem(
      `/albums?sort=random&seed=8&limit=3&cursor=${(await ok('/albums?sort=random&seed=7&limit=3')).nextCursor}`,
      400,
      /seed/,
    );
  });
});

describe('filters', () => {
  it('albums: genre, years, compilation, artist, starred, minRating, library', async () => {
    assert.deepEqual(names((await ok('/albums?genre=Rock')).items), ['First Album']);
    assert.deepEqual(names((await ok('/albums?yearFrom=1999&yearTo=2001')).items), ['Double', 'First Album']);
    assert.ok(names((await ok('/albums?compilation=true')).items).includes('Hits'));
    assert.ok(!names((await ok('/albums?compilation=false')).items).includes('Hits'));
    const first = (await ok('/albums?genre=Rock')).items[0];
    assert.deepEqual(names((await ok(`/albums?artistId=${first.artistId}`)).items), ['First Album']);
    assert.deepEqual(names((await ok('/albums?starred=true', ALICE)).items), [
      'Double',
      'First Album',
      'Hits',
    ]);
    assert.equal((await ok('/albums?starred=true')).items.length, 0, "the admin's own stars: none");
    assert.deepEqual(names((await ok('/albums?minRating=4', ALICE)).items), ['Double', 'Hits']);
    assert.deepEqual(names((await ok(`/albums?library=${server.libraries.second}`)).items), [
      'Root Album',
      'Zed Album',
    ]);
    await checkWalk('/albums', { genre: 'Pop', sort: 'name' }, 1);
  });

  it('tracks: album, artist, genre, years, lossless, starred', async () => {
    const album = (await ok('/albums?genre=Rock')).items[0];
    const tracks = (await ok(`/tracks?albumId=${album.id}&sort=album`)).items as Json[];
    assert.deepEqual(
      tracks.map((track) => track.title),
      ['One', 'Two', 'Three', 'Four'],
    );
    const guest = tracks[1]!.artists.find((artist: Json) => artist.name === 'Guest Star');
    assert.deepEqual(names((await ok(`/tracks?artistId=${guest.id}`)).items), ['Two']);
    assert.deepEqual(names((await ok(`/tracks?artistId=${album.artistId}`)).items), [
      'Four',
      'One',
      'Three',
      'Two',
    ]);
    assert.ok((await ok('/tracks?genre=Pop&limit=500')).items.every((t: Json) => t.genres.includes('Pop')));
    assert.ok((await ok('/tracks?lossless=true&limit=500')).items.every((t: Json) => t.lossless));
    assert.ok((await ok('/tracks?lossless=false&limit=500')).items.every((t: Json) => !t.lossless));
    const years = (await ok('/tracks?yearFrom=2010&yearTo=2015&limit=500')).items.map((t: Json) => t.year);
    assert.ok(years.length > 0 && years.every((year: number) => year >= 2010 && year <= 2015));
    assert.equal((await ok('/tracks?starred=true&limit=500', ALICE)).items.length, 5);
    await checkWalk('/tracks', { lossless: 'true', sort: 'year', order: 'desc' }, 2);
  });

  it('artists: name text, genre, starred', async () => {
    assert.deepEqual(names((await ok('/artists?q=zed')).items), ['The Zeds']);
    assert.deepEqual(names((await ok('/artists?q=100%25')).items), [], 'a % is a literal');
    assert.deepEqual(names((await ok('/artists?genre=Jazz')).items), ['Rooty', 'The Zeds']);
    assert.deepEqual(names((await ok('/artists?starred=true', ALICE)).items), ['Artist A']);
  });
});

describe('one item, its parts', () => {
  it('an artist, its albums, top tracks and similar artists', async () => {
    const artistA = (await ok('/artists?q=Artist A')).items[0];
    assert.deepEqual(await ok(`/artists/${artistA.id}`), artistA);
    assert.deepEqual(names((await ok(`/artists/${artistA.id}/albums`)).items), ['First Album']);
    const top = (await ok(`/artists/${artistA.id}/top-tracks?limit=2`)).items;
    assert.equal(top.length, 2);
    assert.ok(Array.isArray((await ok(`/artists/${artistA.id}/similar`)).items));
  });

  it('an album with its discs and tracks in play order', async () => {
    const double = (await ok('/albums?yearFrom=1999&yearTo=1999')).items[0];
    const detail = await ok(`/albums/${double.id}`);
    assert.equal(detail.name, 'Double');
    assert.deepEqual(
      detail.discs.map((disc: Json) => disc.number),
      [1, 2],
    );
    assert.deepEqual(
      detail.tracks.map((track: Json) => track.title),
      ['Side A', 'Side B'],
    );
  });

  it('a track, its lyrics: synced lines in ms, plain text', async () => {
    const tracks = (await ok('/tracks?limit=500')).items as Json[];
    const one = tracks.find((track) => track.title === 'One')!;
    const three = tracks.find((track) => track.title === 'Three')!;
    const synced = await ok(`/tracks/${one.id}/lyrics`);
    const set = synced.items.find((lyrics: Json) => lyrics.synced);
    assert.ok(set, 'the .lrc beside One');
    assert.ok(set.lines.every((line: Json) => typeof line.startMs === 'number'));
    assert.equal(set.text, set.lines.map((line: Json) => line.text).join('\n'));
    const plain = await ok(`/tracks/${three.id}/lyrics`);
    assert.ok(
      plain.items.some(
        (lyrics: Json) => !lyrics.synced && lyrics.lines.every((l: Json) => l.startMs === null),
      ),
    );
    assert.deepEqual(await ok(`/tracks/${three.id}`), three);
  });

  it("every item carries the caller's own marks", async () => {
    const aliceStarred = (await ok('/albums?starred=true&sort=name', ALICE)).items as Json[];
    const first = aliceStarred.find((album) => album.name === 'First Album')!;
    assert.ok(Date.parse(first.starredAt) > 0);
    assert.equal(first.rating, 3);
    const asAdmin = await ok(`/albums/${first.id}`);
    assert.equal(asAdmin.starredAt, null);
    assert.equal(asAdmin.rating, null);
    const played = (await ok('/tracks?sort=playCount', ALICE)).items[0];
    assert.equal(played.playCount, 5);
    assert.ok(Date.parse(played.lastPlayedAt) > 0);
    const again = await ok(`/tracks/${played.id}`, ALICE);
    assert.equal(again.playCount, 5);
    assert.equal((await ok(`/tracks/${played.id}`)).playCount, 0);
  });
});

describe('folders', () => {
  it('roots are the libraries; a folder pages through its sub-folders, then its files', async () => {
    const roots = (await ok('/folders')).items as Json[];
    assert.deepEqual(
      roots.map((root) => root.name),
      ['fixture', 'second'],
    );
    const fixtureRoot = await ok(`/folders/${roots[0]!.id}?limit=500`);
    assert.equal(fixtureRoot.isRoot, true);
    const kinds = fixtureRoot.items.map((item: Json) => item.kind);
    assert.deepEqual(kinds, [...kinds].sort(), 'folders before tracks');
    assert.ok(!fixtureRoot.items.some((item: Json) => item.folder?.name === 'Broken'), 'no dead ends');
    const { items, pages } = await walk(`/folders/${roots[0]!.id}`, { limit: 2 });
    assert.deepEqual(items, fixtureRoot.items);
    assert.ok(pages.length > 2);
    const artistA = items.find((item) => item.folder?.name === 'Artist A')!.folder;
    const albumFolder = (await ok(`/folders/${artistA.id}`)).items[0].folder;
    const files = (await ok(`/folders/${albumFolder.id}`)).items as Json[];
    assert.deepEqual(
      files.map((item) => item.track.title),
      ['One', 'Two', 'Three', 'Four'],
    );
    assert.equal((await ok(`/folders/${albumFolder.id}`)).folder.parentId, artistA.id);
  });
});

describe('search', () => {
  it('matches as you type, grouped, ranked as search3', async () => {
    for (const typed of ['be', 'bey', 'beyon', 'beyonce'])
      assert.deepEqual(names((await ok(`/search?q=${typed}`)).artists), ['Beyoncé'], typed);
    const grouped = await ok('/search?q=zed');
    assert.deepEqual(names(grouped.artists), ['The Zeds']);
    assert.deepEqual(names(grouped.albums), ['Zed Album']);
    assert.deepEqual(names(grouped.tracks), ['Zed Song']);
    const search3 = (await server.json('search3', { query: 'one' })).searchResult3;
    const native = await ok('/search?q=one');
    assert.deepEqual(idsOf(native.tracks), idsOf(search3.song ?? []));
    assert.deepEqual(idsOf(native.albums), idsOf(search3.album ?? []));
    const onlyTracks = await ok('/search?q=zed&types=tracks&limit=1');
    assert.deepEqual(
      [onlyTracks.artists.length, onlyTracks.albums.length, onlyTracks.tracks.length],
      [0, 0, 1],
    );
    const empty = await ok('/search?q=%20');
    assert.deepEqual(empty, { artists: [], albums: [], tracks: [] });
    await problem('/search?q=a&types=songs', 400, /types/);
  });
});

describe('artwork', () => {
  it('serves covers with credentials or a signed URL, resized, revalidated with its ETag', async () => {
    const double = (await ok('/albums?yearFrom=1999&yearTo=1999')).items[0];
    const url = `${server.baseUrl}/api/v1/artwork/${double.coverArtId}?size=64`;
    const response = await fetch(url, { headers: { Authorization: `Bearer ${keys.admin}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^image\//);
    assert.equal(response.headers.get('cache-control'), 'private, max-age=3600');
    const etag = response.headers.get('etag')!;
    assert.ok((await response.arrayBuffer()).byteLength > 0);
    const again = await fetch(url, {
      headers: { Authorization: `Bearer ${keys.admin}`, 'If-None-Match': etag },
    });
    assert.equal(again.status, 304);
    const signed = server.services.urlSigner.sign(
      `/api/v1/artwork/${double.coverArtId}`,
      { size: 64 },
      server.userId('alice'),
      60,
    );
    const bySignature = await fetch(`${server.baseUrl}${signed}`);
    assert.equal(bySignature.status, 200);
    assert.equal((await fetch(url)).status, 401, 'neither credentials nor a signature');
    await problem('/artwork/al-nope', 404, /not found/);
  });
});

describe('problems', () => {
  it('unknown ids are 404', async () => {
    for (const path of [
      '/artists/ar-nope',
      '/artists/ar-nope/albums',
      '/artists/ar-nope/top-tracks',
      '/artists/ar-nope/similar',
      '/albums/al-nope',
      '/tracks/tr-nope',
      '/tracks/tr-nope/lyrics',
      '/folders/fo-nope',
    ])
      await problem(path, 404, /not found/);
    await problem('/albums?library=99', 404, /not found/);
  });

  it('a bad sort, order, filter or cursor is 400; a cursor only goes with its own list and sort', async () => {
    await problem('/albums?sort=loudness', 400, /sort/);
    await problem('/tracks?order=up', 400, /order/);
    await problem('/albums?minRating=9', 400, /minRating/);
    await problem('/albums?cursor=nonsense', 400, /cursor/);
    await problem(
      `/albums?cursor=${Buffer.from('["albums:name:asc",null,0,1,2,3,4,5,6,7,8]').toString('base64url')}`,
      400,
      /cursor/,
    );
    const byName = (await ok('/albums?sort=name&limit=2')).nextCursor;
    await problem(`/albums?sort=year&cursor=${byName}`, 400, /sort=name&order=asc/);
    await problem(`/albums?sort=name&order=desc&cursor=${byName}`, 400, /sort=name&order=asc/);
    await problem(`/tracks?cursor=${byName}`, 400, /another list/);
    const folders = (await ok('/folders')).items as Json[];
    const folderCursor = (await ok(`/folders/${folders[0]!.id}?limit=1`)).nextCursor;
    await problem(`/folders/${folders[1]!.id}?cursor=${folderCursor}`, 400, /another folder/);
    await problem('/genres?cursor=' + byName, 400, /genres/);
    assert.equal((await get('/albums', { ...ADMIN, username: 'nobody' })).status, 401);
  });
});

describe('library restrictions hold on both APIs alike', () => {
  it('a user limited to one library sees nothing of the other', async () => {
    const secondOnly = ['Root Album', 'Zed Album'];
    const fixtureAlbum = (await ok('/albums?genre=Rock')).items[0] as Json;
    const fixtureTrack = (await ok(`/tracks?albumId=${fixtureAlbum.id}`)).items[0] as Json;
    const fixtureArtist = fixtureAlbum.artistId as string;
    const [fixtureRoot, secondRoot] = (await ok('/folders')).items as [Json, Json];

    // Native API.
    assert.deepEqual(names((await ok('/libraries', BOB)).items), ['second']);
    assert.deepEqual(names((await walk('/albums', { limit: 1 }, BOB)).items), secondOnly);
    for (const sort of ALBUM_SORTS) {
      const ids = idsOf((await ok(`/albums?sort=${sort}&limit=500`, BOB)).items);
      assert.ok(!ids.includes(fixtureAlbum.id), sort);
    }
    assert.deepEqual(names((await ok('/artists?limit=500', BOB)).items), ['Rooty', 'The Zeds']);
    const bobTracks = (await ok('/tracks?limit=500', BOB)).items as Json[];
    assert.deepEqual(names(bobTracks), ['Root Song', 'Zed Song']);
    assert.ok(bobTracks.every((track) => track.libraryId === server.libraries.second));
    assert.deepEqual(names((await ok('/genres', BOB)).items), ['Jazz']);
    assert.deepEqual(names((await ok('/folders', BOB)).items), ['second']);
    assert.equal((await ok(`/folders/${secondRoot.id}`, BOB)).folder.id, secondRoot.id);
    await problem(`/folders/${fixtureRoot.id}`, 404, /not found/, BOB);
    await problem(`/albums/${fixtureAlbum.id}`, 404, /not found/, BOB);
    await problem(`/tracks/${fixtureTrack.id}`, 404, /not found/, BOB);
    await problem(`/tracks/${fixtureTrack.id}/lyrics`, 404, /not found/, BOB);
    await problem(`/artists/${fixtureArtist}`, 404, /not found/, BOB);
    await problem(`/artists/${fixtureArtist}/albums`, 404, /not found/, BOB);
    await problem(`/albums?library=${server.libraries.fixture}`, 404, /not found/, BOB);
    assert.deepEqual(await ok(`/tracks?albumId=${fixtureAlbum.id}`, BOB), { items: [], nextCursor: null });
    assert.deepEqual(await ok(`/albums?artistId=${fixtureArtist}`, BOB), { items: [], nextCursor: null });
    const hits = await ok('/search?q=one', BOB);
    assert.deepEqual([hits.artists, hits.albums, hits.tracks], [[], [], []]);
    assert.deepEqual(names((await ok('/search?q=zed', BOB)).albums), ['Zed Album']);
    await problem(`/artwork/${fixtureAlbum.coverArtId}`, 404, /not found/, BOB);
    assert.equal((await get(`/artwork/${(await ok('/albums', BOB)).items[0].coverArtId}`, BOB)).status, 200);

    // The same data through Subsonic.
    const sub = (endpoint: string, params = {}) => server.json(endpoint, params, { user: BOB });
    assert.deepEqual(
      (await sub('getMusicFolders')).musicFolders.musicFolder.map((folder: Json) => folder.name),
      ['second'],
    );
    assert.deepEqual(
      names(
        ((await sub('getAlbumList2', { type: 'alphabeticalByName', size: 500 })).albumList2.album ??
          []) as Json[],
      ),
      secondOnly,
    );
    assert.deepEqual(names((await sub('getArtists')).artists.index.flatMap((group: Json) => group.artist)), [
      'Rooty',
      'The Zeds',
    ]);
    assert.deepEqual(
      (await sub('getGenres')).genres.genre
        .filter((genre: Json) => genre.songCount > 0)
        .map((genre: Json) => genre.value),
      ['Jazz'],
    );
    const everything = (
      await sub('search3', { query: '', songCount: 500, albumCount: 500, artistCount: 500 })
    ).searchResult3;
    assert.deepEqual(names(everything.song), ['Root Song', 'Zed Song']);
    assert.deepEqual(idsOf((await sub('search3', { query: 'one' })).searchResult3.song ?? []), []);
    for (const [endpoint, id] of [
      ['getAlbum', fixtureAlbum.id],
      ['getSong', fixtureTrack.id],
      ['getArtist', fixtureArtist],
      ['getMusicDirectory', fixtureRoot.id],
    ])
      assert.equal((await sub(endpoint, { id })).error?.code, 70, endpoint);
    const cover = await fetch(server.url('getCoverArt', { id: fixtureAlbum.coverArtId }, { user: BOB }));
    assert.match(cover.headers.get('content-type')!, /xml/, 'an error envelope, not the picture');
    assert.match(await cover.text(), /code="70"/);
  });
});
