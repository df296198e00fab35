// The artwork module's parts on their own: the disk cache (LRU within its size, one production per key,
// crash leftovers, what a restart finds, no caching at 0 bytes), the size parameter, type sniffing, and
// a server whose cache is off answering covers from memory with a working ETag.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import sharp from 'sharp';
import { createUser } from '../../src/accounts/users.service.ts';
import {
  ArtworkCache,
  artworkCacheDir,
  cacheKey,
  createArtworkCache,
} from '../../src/artwork/artwork-cache.ts';
import { CoverArt, MAX_ARTWORK_SIZE, parseArtworkSize } from '../../src/artwork/cover-art.ts';
import { sniffImageType } from '../../src/artwork/images.ts';
import { createServices } from '../../src/app/services.ts';
import { createApp } from '../../src/http/app.ts';
import { startServer } from '../../src/http/server.ts';
import { isTonearmError } from '../../src/shared/errors.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { makeAudio, makeImage } from '../helpers/audio.ts';
import { openScanHarness } from '../helpers/scan.ts';

const temp: string[] = [];
after(() => {
  for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-artwork-'));
  temp.push(dir);
  return dir;
}

const bytes = (length: number, fill: number) => ({
  data: Buffer.alloc(length, fill),
  contentType: 'image/png',
});

it('evicts the least recently used images beyond its size, never the one just written', async () => {
  const dir = tempDir();
  const cache = new ArtworkCache({ dir, maxBytes: 3000 });
  const keys = ['a', 'b', 'c', 'd'].map((name) => cacheKey('test', name));
  for (const [index, key] of keys.slice(0, 3).entries())
    await cache.getOrCreate(key, async () => bytes(1000, index));
  assert.deepEqual(cache.usage, { bytes: 3000, entries: 3 });
  // a is used again, so b is now the oldest.
  assert.ok(await cache.lookup(keys[0]!));
  await cache.getOrCreate(keys[3]!, async () => bytes(1000, 3));
  assert.ok(cache.usage.bytes <= 3000);
  assert.equal(await cache.lookup(keys[1]!), undefined, 'b evicted');
  assert.ok(await cache.lookup(keys[0]!), 'a kept');
  assert.ok(await cache.lookup(keys[3]!), 'd kept');
  assert.equal(fs.existsSync(path.join(dir, `${keys[1]}.png`)), false, 'its file is gone too');
  // An image larger than the whole cache is answered from memory and not kept.
  const huge = await cache.getOrCreate(cacheKey('test', 'huge'), async () => bytes(5000, 9));
  assert.equal(huge.file, undefined);
  assert.equal(huge.data?.length, 5000);
});

it('makes a missing image once for concurrent requests, and not at all when cached', async () => {
  const cache = new ArtworkCache({ dir: tempDir(), maxBytes: 1_000_000 });
  let made = 0;
  const produce = async () => {
    made++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return bytes(100, 1);
  };
  const key = cacheKey('test', 'shared');
  const answers = await Promise.all(Array.from({ length: 8 }, () => cache.getOrCreate(key, produce)));
  assert.equal(made, 1);
  assert.equal(new Set(answers.map((answer) => answer.file)).size, 1);
  await cache.getOrCreate(key, produce);
  assert.equal(made, 1);
  // A failed production is the caller's, and the next request tries again.
  const failing = cacheKey('test', 'failing');
  await assert.rejects(
    cache.getOrCreate(failing, async () => {
      throw new Error('broken picture');
    }),
    /broken picture/,
  );
  assert.ok((await cache.getOrCreate(failing, async () => bytes(10, 2))).file);
});

it('finds its images again after a restart and removes crash leftovers', async () => {
  const dir = tempDir();
  const first = new ArtworkCache({ dir, maxBytes: 10_000 });
  const key = cacheKey('test', 'kept');
  const image = await first.getOrCreate(key, async () => bytes(500, 7));
  const stale = path.join(dir, `${key}.png.123-abcd.part`);
  fs.writeFileSync(stale, 'half an image');
  const old = new Date(Date.now() - 10 * 60_000);
  fs.utimesSync(stale, old, old);
  fs.writeFileSync(path.join(dir, 'unrelated.txt'), 'not ours');

  const second = new ArtworkCache({ dir, maxBytes: 10_000 });
  const found = await second.lookup(key);
  assert.deepEqual(
    { file: found?.file, size: found?.size, etag: found?.etag },
    { file: image.file, size: 500, etag: image.etag },
  );
  assert.equal(fs.existsSync(stale), false);
  assert.deepEqual(second.usage, { bytes: 500, entries: 1 });
  // A smaller limit at start evicts what no longer fits.
  const third = new ArtworkCache({ dir, maxBytes: 100 });
  assert.equal(await third.lookup(key), undefined);
});

it('keeps nothing when its size is 0', async () => {
  const dir = path.join(tempDir(), 'artwork');
  const cache = new ArtworkCache({ dir, maxBytes: 0 });
  const image = await cache.getOrCreate(cacheKey('test', 'zero'), async () => bytes(100, 1));
  assert.equal(image.file, undefined);
  assert.equal(image.data?.length, 100);
  assert.match(image.etag, /^"[0-9a-f]+"$/);
  assert.equal(fs.existsSync(dir), false);
});

it('reads the size parameter: pixels, capped; 0 or none for the original; anything else refused', () => {
  assert.equal(parseArtworkSize(undefined), undefined);
  assert.equal(parseArtworkSize(''), undefined);
  assert.equal(parseArtworkSize('0'), undefined);
  assert.equal(parseArtworkSize(' 300 '), 300);
  assert.equal(parseArtworkSize('1'), 1);
  assert.equal(parseArtworkSize('99999999999999999999'), MAX_ARTWORK_SIZE);
  for (const bad of ['-1', 'abc', '1.5', '1e3', '+5', '0x10', '300px', 'NaN'])
    assert.throws(
      () => parseArtworkSize(bad),
      (error: unknown) => isTonearmError(error) && error.code === 'BAD_REQUEST' && /size/.test(error.message),
      bad,
    );
});

it('tells image types by their bytes, not their names', async () => {
  const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  const jpeg = await sharp(png).jpeg().toBuffer();
  const webp = await sharp(png).webp().toBuffer();
  const gif = await sharp(png).gif().toBuffer();
  assert.equal(sniffImageType(png), 'image/png');
  assert.equal(sniffImageType(jpeg), 'image/jpeg');
  assert.equal(sniffImageType(webp), 'image/webp');
  assert.equal(sniffImageType(gif), 'image/gif');
  assert.equal(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
  assert.equal(sniffImageType(Buffer.from('ID3\u0004')), undefined);
  assert.equal(sniffImageType(Buffer.alloc(0)), undefined);
});

it('with the cache off, answers covers from memory with an ETag that revalidates', async () => {
  const music = tempDir();
  await makeAudio(path.join(music, 'Band/Record/01 - Song.mp3'), {
    format: 'mp3',
    tags: { title: 'Song', artist: 'Band', album: 'Record', album_artist: 'Band', track: '1' },
  });
  await makeImage(path.join(music, 'Band/Record/cover.jpg'), { width: 300, height: 300 });
  const harness = await openScanHarness([music], { overrides: { artwork: { cacheSize: '0' } } });
  temp.push(harness.dataDir);
  try {
    await harness.scanner.scan();
    const db = harness.runtime.db;
    const albumId = (
      db.prepare("SELECT id AS value FROM album WHERE name = 'Record'").get() as { value: string }
    ).value;
    const covers = new CoverArt(createArtworkCache(harness.config));
    const direct = await covers.image(db, harness.config, { id: albumId, size: 100, libraryIds: undefined });
    assert.equal(direct.file, undefined);
    assert.deepEqual((await sharp(direct.data).metadata()).width, 100);

    await createUser(db, { username: 'carol', password: 'carol-pass', isAdmin: true });
    const app = createApp(createServices({ config: harness.config, db, logger: silentLogger }));
    const server = await startServer(app, {
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      shutdownTimeoutMs: 1000,
    });
    try {
      const url = `${server.url}/rest/getCoverArt?u=carol&p=carol-pass&v=1.16.1&c=test&id=${albumId}&size=120`;
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/jpeg');
      const image = Buffer.from(await response.arrayBuffer());
      assert.equal((await sharp(image).metadata()).width, 120);
      const etag = response.headers.get('etag')!;
      const again = await fetch(url, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304);
      assert.equal((await again.arrayBuffer()).byteLength, 0);
      assert.equal(fs.existsSync(artworkCacheDir(harness.config)), false, 'nothing written');
    } finally {
      await server.close();
    }
  } finally {
    await harness.close();
  }
});
