// getCoverArt and getAvatar over a real server and scanned libraries: the right picture for each kind of
// id (folder image, embedded picture, artist image, folder, playlist mosaic), resized images that really
// decode to the asked size, the placeholder when there is no art or only broken art, ETag/304 and the
// disk cache, clear errors for bad sizes and unknown ids, and no picture from outside a library or from
// a library the caller may not see.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { parseFile, selectCover } from 'music-metadata';
import sharp, { type Sharp } from 'sharp';
import { artworkCacheDir } from '../../src/artwork/artwork-cache.ts';
import { avatarDir, setAvatar } from '../../src/artwork/avatar.ts';
import { makeAudio } from '../helpers/audio.ts';
import {
  ADMIN,
  ALICE,
  BOB,
  type Credentials,
  type Params,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';
import { validateSubsonicXml } from '../helpers/xsd.ts';

let server: SubsonicServer;
let fixtureRoot: string;
const outsideDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-art-outside-'));

const COLOURS = [
  { name: 'Colour Red', rgb: [220, 30, 30] },
  { name: 'Colour Green', rgb: [30, 200, 40] },
  { name: 'Colour Blue', rgb: [30, 40, 220] },
  { name: 'Colour Yellow', rgb: [230, 220, 30] },
  { name: 'Colour Cyan', rgb: [30, 220, 220] },
] as const;

function solid(rgb: readonly number[], width = 64, height = 64): Sharp {
  return sharp({
    create: { width, height, channels: 3, background: { r: rgb[0]!, g: rgb[1]!, b: rgb[2]! } },
  });
}

async function addAlbum(folder: string, album: string, extra: { cover?: 'embedded-jpeg' } = {}) {
  await makeAudio(path.join(fixtureRoot, folder, `01 - ${album}.${extra.cover ? 'wv' : 'mp3'}`), {
    format: extra.cover ? 'wv' : 'mp3',
    ...(extra.cover ? { cover: extra.cover } : {}),
    tags: { title: `${album} Song`, artist: 'Painter', album, album_artist: 'Painter', track: '1' },
  });
}

before(async () => {
  server = await startSubsonicServer();
  fixtureRoot = one('SELECT path AS value FROM library WHERE id = ?', server.libraries.fixture);
  // Solid colours make a mosaic checkable pixel by pixel.
  for (const colour of COLOURS) {
    await addAlbum(`Extra/${colour.name}`, colour.name);
    await solid(colour.rgb)
      .png()
      .toFile(path.join(fixtureRoot, `Extra/${colour.name}/cover.png`));
  }
  // Another album in the red folder: a different album with the same picture.
  await makeAudio(path.join(fixtureRoot, 'Extra/Colour Red/02 - B-Side.mp3'), {
    format: 'mp3',
    tags: {
      title: 'B-Side Song',
      artist: 'Painter',
      album: 'Red B-Sides',
      album_artist: 'Painter',
      track: '2',
    },
  });
  await addAlbum('Extra/Alpha', 'Alpha Cover');
  await sharp({
    create: { width: 800, height: 400, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } },
  })
    .png()
    .toFile(path.join(fixtureRoot, 'Extra/Alpha/cover.png'));
  await addAlbum('Extra/Big', 'Big Cover');
  await solid([90, 90, 90], 3000, 1500).jpeg().toFile(path.join(fixtureRoot, 'Extra/Big/cover.jpg'));
  await addAlbum('Extra/Broken', 'Broken Cover');
  // A JPEG signature followed by noise: looks like a cover, cannot be decoded.
  fs.writeFileSync(
    path.join(fixtureRoot, 'Extra/Broken/cover.jpg'),
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3000, 0x5a)]),
  );
  // WavPack keeps its picture in an APEv2 tag.
  await addAlbum('Extra/Wavy', 'Wavy Album', { cover: 'embedded-jpeg' });
  await server.scanner.scan();
  await solid([255, 0, 255]).jpeg().toFile(path.join(outsideDir, 'outside.jpg'));
});

after(async () => {
  await server?.close();
  fs.rmSync(outsideDir, { recursive: true, force: true });
});

// Database.prepare caches statements by their text and pluck() changes a cached statement for every
// user of that text, so these queries read a `value` column instead of plucking.
function one<T = string>(sql: string, ...params: unknown[]): T {
  return (server.db.prepare(sql).get(...params) as { value: T }).value;
}
const albumId = (name: string) => one('SELECT id AS value FROM album WHERE name = ?', name);
const trackId = (title: string) => one('SELECT id AS value FROM track WHERE title = ?', title);
const artistId = (name: string) => one('SELECT id AS value FROM artist WHERE name = ?', name);
const folderId = (relPath: string) =>
  one('SELECT id AS value FROM folder WHERE library_id = ? AND path = ?', server.libraries.fixture, relPath);
const libraryBytes = (relPath: string) => fs.readFileSync(path.join(fixtureRoot, relPath));

interface Fetched {
  response: Response;
  bytes: Buffer;
  type: string;
}

async function get(endpoint: string, params: Params, user: Credentials = ALICE, init: RequestInit = {}) {
  const response = await fetch(server.url(endpoint, params, { user }), init);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { response, bytes, type: response.headers.get('content-type') ?? '' } satisfies Fetched;
}

/** A cover that must be an image; returns it with its decoded facts. */
async function cover(params: Params, user: Credentials = ALICE) {
  const fetched = await get('getCoverArt', params, user);
  assert.equal(fetched.response.status, 200);
  assert.match(
    fetched.type,
    /^image\//,
    `${JSON.stringify(params)}: ${fetched.bytes.toString().slice(0, 300)}`,
  );
  const meta = await sharp(fetched.bytes).metadata();
  assert.equal(
    `image/${meta.format === 'jpeg' ? 'jpeg' : meta.format}`,
    fetched.type,
    'type matches the bytes',
  );
  return { ...fetched, meta };
}

async function expectError(fetched: Fetched, code: number): Promise<string> {
  assert.equal(fetched.response.status, 200);
  assert.match(fetched.type, /^text\/xml/);
  const text = fetched.bytes.toString();
  assert.match(text, new RegExp(`<error code="${code}" message="[^"]+"`), text);
  return text;
}

/** The placeholder: a grey PNG. */
async function assertPlaceholder(bytes: Buffer, size: number): Promise<void> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, size);
  assert.equal(info.height, size);
  assert.deepEqual([...data.subarray(0, 3)], [0xe3, 0xe3, 0xe3], 'a grey corner');
}

async function pixel(bytes: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (Math.floor(y) * info.width + Math.floor(x)) * info.channels;
  return [...data.subarray(at, at + 3)];
}

function assertColour(actual: number[], expected: readonly number[], what: string): void {
  for (const [index, value] of expected.entries())
    assert.ok(Math.abs(actual[index]! - value) < 30, `${what}: ${actual} is not ${expected}`);
}

const cacheFiles = () =>
  fs.existsSync(artworkCacheDir(server.config)) ? fs.readdirSync(artworkCacheDir(server.config)) : [];

it('serves a folder cover as it is without a size, and scaled to fit with one', async () => {
  const first = albumId('First Album');
  const original = await cover({ id: first });
  assert.equal(original.type, 'image/jpeg');
  assert.ok(original.bytes.equals(libraryBytes('Artist A/2001 - First Album/folder.jpg')));
  assert.match(original.response.headers.get('cache-control') ?? '', /private, max-age=\d+/);
  // 0 is "the original" as Navidrome reads it.
  assert.ok((await cover({ id: first, size: 0 })).bytes.equals(original.bytes));

  const small = await cover({ id: first, size: 100 });
  assert.equal(small.meta.format, 'jpeg');
  assert.deepEqual([small.meta.width, small.meta.height], [100, 100]);
  // Never enlarged: the 200 px cover stays 200 px.
  const large = await cover({ id: first, size: 1000 });
  assert.deepEqual([large.meta.width, large.meta.height], [200, 200]);
  // The aspect ratio is kept, and a huge size is capped at 2048.
  const big = await cover({ id: albumId('Big Cover'), size: 99999 });
  assert.deepEqual([big.meta.width, big.meta.height], [2048, 1024]);
  const wide = await cover({ id: albumId('Big Cover'), size: 300 });
  assert.deepEqual([wide.meta.width, wide.meta.height], [300, 150]);
});

it('keeps the alpha channel of a transparent cover (PNG), and JPEG otherwise', async () => {
  const alpha = await cover({ id: albumId('Alpha Cover'), size: 200 });
  assert.equal(alpha.meta.format, 'png');
  assert.equal(alpha.meta.hasAlpha, true);
  assert.deepEqual([alpha.meta.width, alpha.meta.height], [200, 100]);
});

it('extracts embedded pictures, and falls back from a track to its album', async () => {
  const beta = trackId('Beta');
  const file = path.join(fixtureRoot, 'Beyoncé/2010 - Hi-Res/02 - Beta.m4a');
  const embedded = selectCover((await parseFile(file)).common.picture)!;
  const original = await cover({ id: beta });
  assert.equal(original.type, 'image/jpeg');
  assert.ok(original.bytes.equals(Buffer.from(embedded.data)), 'the embedded bytes, untouched');
  const resized = await cover({ id: beta, size: 64 });
  // JPEG: the placeholder would be a PNG of the same size.
  assert.deepEqual([resized.meta.format, resized.meta.width, resized.meta.height], ['jpeg', 64, 64]);
  // The album's cover is its track's picture; a track without one of its own shows the album's.
  assert.ok((await cover({ id: albumId('Hi-Res') })).bytes.equals(original.bytes));
  assert.ok((await cover({ id: trackId('Alpha') })).bytes.equals(original.bytes));
  // A song without a picture of its own, in an album with a folder image.
  const one = await cover({ id: trackId('One') });
  assert.ok(one.bytes.equals(libraryBytes('Artist A/2001 - First Album/folder.jpg')));
  // A picture in an APEv2 tag (WavPack).
  const wavy = await cover({ id: trackId('Wavy Album Song'), size: 50 });
  assert.deepEqual([wavy.meta.format, wavy.meta.width, wavy.meta.height], ['jpeg', 50, 50]);
});

it('serves artist images, else an album cover of the artist', async () => {
  const artistA = await cover({ id: artistId('Artist A') });
  assert.ok(artistA.bytes.equals(libraryBytes('Artist A/artist.jpg')));
  const artistB = await cover({ id: artistId('Artist B') });
  assert.ok(artistB.bytes.equals(libraryBytes('Artist B/Double/cover.jpg')));
});

it('serves folder covers: the folder image, else the album below', async () => {
  const double = await cover({ id: folderId('Artist B/Double') });
  assert.ok(double.bytes.equals(libraryBytes('Artist B/Double/cover.jpg')));
  const disc = await cover({ id: folderId('Artist B/Double/CD 1') });
  assert.ok(disc.bytes.equals(libraryBytes('Artist B/Double/cover.jpg')));
});

it('answers a placeholder for items without art, one cached image per size', async () => {
  const hits = await cover({ id: albumId('Hits'), size: 300 });
  assert.equal(hits.type, 'image/png');
  await assertPlaceholder(hits.bytes, 300);
  const mixtape = await cover({ id: albumId('Mixtape'), size: 300 });
  assert.equal(mixtape.response.headers.get('etag'), hits.response.headers.get('etag'));
  await assertPlaceholder((await cover({ id: albumId('Hits') })).bytes, 512);
});

it('logs an undecodable cover and answers the placeholder', async () => {
  const broken = await cover({ id: albumId('Broken Cover'), size: 120 });
  await assertPlaceholder(broken.bytes, 120);
  assert.match(server.logText(), /cover picture unreadable/);
  assert.match(server.logText(), /Extra\/Broken\/cover\.jpg/);
});

it('makes a 2×2 mosaic of the first four distinct album covers of a playlist', async () => {
  const songs = COLOURS.map((colour) => trackId(`${colour.name} Song`));
  const bSide = trackId('B-Side Song');
  assert.notEqual(one('SELECT album_id AS value FROM track WHERE id = ?', bSide), albumId('Colour Red'));
  // The second red entry is the same album, the B-side another album with the same picture: neither
  // may take a tile.
  const ids = [songs[0]!, songs[0]!, bSide, songs[1]!, songs[2]!, songs[3]!, songs[4]!];
  const created = await server.json('createPlaylist', { name: 'Colours', songId: ids }, { user: ALICE });
  const playlist = created.playlist.id as string;
  const mosaic = await cover({ id: playlist, size: 200 });
  assert.equal(mosaic.meta.format, 'jpeg');
  assert.deepEqual([mosaic.meta.width, mosaic.meta.height], [200, 200]);
  const quadrants = [
    [50, 50],
    [150, 50],
    [50, 150],
    [150, 150],
  ] as const;
  for (const [index, [x, y]] of quadrants.entries())
    assertColour(await pixel(mosaic.bytes, x, y), COLOURS[index]!.rgb, `tile ${index}`);
  assert.deepEqual([(await cover({ id: playlist })).meta.width], [600], 'a mosaic without a size is 600 px');

  // Fewer than four albums: the first cover alone.
  const pair = await server.json(
    'createPlaylist',
    { name: 'Pair', songId: [songs[2]!, songs[1]!] },
    { user: ALICE },
  );
  const single = await cover({ id: pair.playlist.id, size: 32 });
  assertColour(await pixel(single.bytes, 16, 16), COLOURS[2]!.rgb, 'single cover');

  // Private: the owner and admins see it, others get "not found".
  await cover({ id: playlist }, ADMIN);
  await expectError(await get('getCoverArt', { id: playlist }, BOB), 70);
  await server.json('updatePlaylist', { playlistId: playlist, public: true }, { user: ALICE });
  await cover({ id: playlist, size: 201 }, BOB);
});

it('revalidates with ETag (304) and answers HEAD without a body', async () => {
  const first = await cover({ id: albumId('Double'), size: 150 });
  const etag = first.response.headers.get('etag')!;
  assert.ok(etag);
  const again = await get('getCoverArt', { id: albumId('Double'), size: 150 }, ALICE, {
    headers: { 'If-None-Match': etag },
  });
  assert.equal(again.response.status, 304);
  assert.equal(again.bytes.length, 0);
  const head = await get('getCoverArt', { id: albumId('Double'), size: 150 }, ALICE, { method: 'HEAD' });
  assert.equal(head.response.status, 200);
  assert.equal(Number(head.response.headers.get('content-length')), first.bytes.length);
  assert.equal(head.bytes.length, 0);
});

it('resizes once into the disk cache, also for concurrent requests', async () => {
  const id = albumId('Colour Cyan');
  const before = cacheFiles().length;
  const answers = await Promise.all(Array.from({ length: 12 }, () => cover({ id, size: 77 })));
  assert.equal(new Set(answers.map((answer) => answer.response.headers.get('etag'))).size, 1);
  const files = cacheFiles();
  assert.equal(files.length, before + 1, 'one cache file for twelve requests');
  assert.ok(
    files.every((name) => /^[0-9a-f]{64}\.(jpg|png)$/.test(name)),
    'no .part files left',
  );
  const cached = files.map((name) => fs.readFileSync(path.join(artworkCacheDir(server.config), name)));
  assert.ok(
    cached.some((bytes) => bytes.equals(answers[0]!.bytes)),
    'the answer is the cache file',
  );
  // A second request is the same file, not a new resize.
  const later = await cover({ id, size: 77 });
  assert.equal(later.response.headers.get('etag'), answers[0]!.response.headers.get('etag'));
  assert.equal(cacheFiles().length, before + 1);
});

it('follows a deleted or replaced cover: placeholder, never a broken answer', async () => {
  const id = albumId('Colour Yellow');
  const coverFile = path.join(fixtureRoot, 'Extra/Colour Yellow/cover.png');
  const resized = await cover({ id, size: 90 });
  await cover({ id });
  fs.rmSync(coverFile);
  // The original was a library file: it is checked, so the answer changes at once.
  await assertPlaceholder((await cover({ id })).bytes, 512);
  // A resized image is remembered until the database changes (or 30 s): still the cached picture.
  const remembered = await cover({ id, size: 90 });
  assert.ok(remembered.bytes.equals(resized.bytes));
  await server.json('star', { albumId: id }, { user: ALICE });
  await assertPlaceholder((await cover({ id, size: 90 })).bytes, 90);
  // A new picture under the same name is a new cache entry.
  await solid([10, 10, 10]).png().toFile(coverFile);
  assertColour(await pixel((await cover({ id, size: 91 })).bytes, 5, 5), [10, 10, 10], 'the new cover');
});

it('rejects bad sizes and missing or unknown ids with a clear error', async () => {
  const id = albumId('First Album');
  for (const size of ['-1', 'abc', '1.5', '10px', '0x10']) {
    const text = await expectError(await get('getCoverArt', { id, size }), 0);
    assert.match(text, /size/);
  }
  const json = await server.json('getCoverArt', { id, size: -5 });
  assert.equal(json.status, 'failed');
  assert.equal(json.error.code, 0);
  await expectError(await get('getCoverArt', {}), 10);
  for (const unknown of ['al-doesnotexist', 'tr-00000000000000000000', 'zz-1', 'pl-nothing', 'x'.repeat(500)])
    await expectError(await get('getCoverArt', { id: unknown }), 70);
  // DSub reads the error of a binary endpoint as XML: it validates against the schema.
  const dsub = await fetch(server.url('getCoverArt', { id: 'al-missing' }, { client: 'DSub' }));
  assert.match(dsub.headers.get('content-type') ?? '', /^text\/xml/);
  validateSubsonicXml(await dsub.text());
});

it('never serves a file outside a library, whatever the id or the catalog row', async () => {
  for (const id of [
    '../../../../etc/passwd',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'al-../../../etc/passwd',
    'fo-..%2F..%2F',
    `tr-${'../'.repeat(10)}etc/passwd`,
    '/etc/passwd',
  ])
    await expectError(await get('getCoverArt', { id }), 70);
  // A catalog row naming a path out of the library, and a cover that is a symlink out of it.
  const mixtape = albumId('Mixtape');
  server.db
    .prepare('UPDATE album SET cover_library_id = ?, cover_path = ? WHERE id = ?')
    .run(server.libraries.fixture, `../${path.basename(outsideDir)}/outside.jpg`, mixtape);
  await assertPlaceholder((await cover({ id: mixtape })).bytes, 512);
  const green = path.join(fixtureRoot, 'Extra/Colour Green/cover.png');
  fs.rmSync(green);
  fs.symlinkSync(path.join(outsideDir, 'outside.jpg'), green);
  await server.json('star', { albumId: mixtape }, { user: ALICE }); // a database change: nothing remembered
  await assertPlaceholder((await cover({ id: albumId('Colour Green') })).bytes, 512);
  await assertPlaceholder((await cover({ id: albumId('Colour Green'), size: 40 })).bytes, 40);
});

it('answers 70 for items in libraries the caller may not see', async () => {
  const updated = await server.json('updateUser', {
    username: 'bob',
    musicFolderId: server.libraries.second,
  });
  assert.equal(updated.status, 'ok');
  for (const id of [
    albumId('First Album'),
    trackId('Beta'),
    artistId('Artist A'),
    folderId('Artist B/Double'),
  ]) {
    await expectError(await get('getCoverArt', { id }, BOB), 70);
    await cover({ id }, ALICE);
  }
  await assertPlaceholder((await cover({ id: albumId('Zed Album'), size: 64 }, BOB)).bytes, 64);
});

it('getAvatar: your own or, for admins, anyone; a placeholder until one is set', async () => {
  const own = await get('getAvatar', { username: 'alice' });
  assert.equal(own.response.status, 200);
  assert.equal(own.type, 'image/png');
  const meta = await sharp(own.bytes).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 256, 256]);
  // The colour is the user's own: alice and admin differ.
  const admins = await get('getAvatar', { username: 'admin' }, ADMIN);
  assert.notDeepEqual(await pixel(own.bytes, 2, 2), await pixel(admins.bytes, 2, 2));
  assert.equal((await get('getAvatar', { username: 'ALICE' })).response.status, 200);
  assert.ok((await get('getAvatar', { username: 'alice' }, ADMIN)).bytes.equals(own.bytes));

  await expectError(await get('getAvatar', { username: 'admin' }, ALICE), 50);
  await expectError(await get('getAvatar', { username: 'nobody' }, ALICE), 50);
  await expectError(await get('getAvatar', { username: 'nobody' }, ADMIN), 70);
  await expectError(await get('getAvatar', {}, ALICE), 10);
});

it('setAvatar stores a normalised PNG that getAvatar then serves', async () => {
  const alice = one('SELECT id AS value FROM user WHERE username = ?', 'alice');
  const photo = await solid([200, 100, 50], 1200, 900).jpeg().toBuffer();
  const changedAt = await setAvatar(server.db, server.config, alice, photo);
  const stored = path.join(avatarDir(server.config), `${alice}.png`);
  const meta = await sharp(stored).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 512, 384]);
  assert.equal(one<number>('SELECT avatar_changed_at AS value FROM user WHERE id = ?', alice), changedAt);
  const served = await get('getAvatar', { username: 'alice' });
  assert.equal(served.type, 'image/png');
  assert.ok(served.bytes.equals(fs.readFileSync(stored)));
  const user = await server.json('getUser', { username: 'alice' }, { user: ALICE });
  assert.equal(Date.parse(user.user.avatarLastChanged), changedAt);

  const rejects = (image: Buffer, code: string) =>
    assert.rejects(setAvatar(server.db, server.config, alice, image), { code });
  await rejects(Buffer.from('not an image at all'), 'INVALID_INPUT');
  await rejects(
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 1)]),
    'INVALID_INPUT',
  );
  await rejects(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'INVALID_INPUT');
  await assert.rejects(setAvatar(server.db, server.config, 'us-nobody', photo), { code: 'NOT_FOUND' });
  await assert.rejects(setAvatar(server.db, server.config, '../../etc', photo), { code: 'NOT_FOUND' });
  // The failed attempts left the stored avatar alone.
  assert.ok((await get('getAvatar', { username: 'alice' })).bytes.equals(served.bytes));
});
