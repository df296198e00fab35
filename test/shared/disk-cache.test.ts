// The disk cache behind transcodes, HLS segments and artwork, on its own: least recently used out first,
// the byte bound after every publish, the policies (low water, grace, the newest staying), atomic
// publishing, what a restart finds, and a cache that is off.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { DiskCache, type DiskCacheOptions } from '../../src/shared/disk-cache.ts';

const temp: string[] = [];
after(() => {
  for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-disk-cache-'));
  temp.push(dir);
  return dir;
}

/** Flat entries named `<key>.bin`, as the transcode and artwork caches name theirs. */
function cache(options: Partial<DiskCacheOptions> & { folder: string; maxBytes: number }): DiskCache {
  const made = new DiskCache({ keyOf: (name) => /^([a-z0-9]+)\.bin$/.exec(name)?.[1], ...options });
  made.open();
  return made;
}

function put(store: DiskCache, key: string, bytes: number): Promise<unknown> {
  return store.write(key, `${key}.bin`, Buffer.alloc(bytes, key.charCodeAt(0)));
}

const keysOnDisk = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.bin'))
    .map((name) => name.slice(0, -4))
    .sort();

it('evicts the least recently used entries first and stays within its size', async () => {
  const dir = folder();
  const store = cache({ folder: dir, maxBytes: 300 });
  for (const key of ['a', 'b', 'c']) await put(store, key, 100);
  assert.equal(store.bytes, 300);
  // a is used again, so b is now the oldest.
  assert.ok(store.get('a'));
  await put(store, 'd', 100);
  assert.deepEqual(keysOnDisk(dir), ['a', 'c', 'd']);
  assert.equal(store.get('b'), undefined);
  await put(store, 'e', 150);
  assert.deepEqual(keysOnDisk(dir), ['d', 'e'], 'a and c went, oldest first, until e fitted');
  assert.ok(store.bytes <= 300);
  assert.equal(store.count, 2);
});

it('frees down to its low water mark, so a full cache does not evict on every write', async () => {
  const dir = folder();
  const store = cache({ folder: dir, maxBytes: 1000, lowWater: 0.5 });
  for (const key of ['a', 'b', 'c', 'd', 'e']) await put(store, key, 200);
  assert.equal(store.bytes, 1000);
  await put(store, 'f', 200);
  assert.deepEqual(keysOnDisk(dir), ['e', 'f']);
  assert.equal(store.bytes, 400);
});

it('keeps entries used within the grace time, and the newest when asked, even over its size', async () => {
  const dir = folder();
  const graceful = cache({ folder: dir, maxBytes: 100, graceMs: 60_000 });
  await put(graceful, 'a', 100);
  await put(graceful, 'b', 100);
  assert.deepEqual(keysOnDisk(dir), ['a', 'b'], 'a was used a moment ago: it may still be being sent');

  const other = folder();
  const newest = cache({ folder: other, maxBytes: 100, keepNewest: true });
  await put(newest, 'a', 50);
  await put(newest, 'b', 500);
  assert.deepEqual(keysOnDisk(other), ['b'], 'larger than the whole cache, and kept');
  assert.equal(newest.bytes, 500);
});

it('does not keep what cannot fit, or anything when its size is 0', async () => {
  const dir = folder();
  const small = cache({ folder: dir, maxBytes: 100 });
  assert.equal(await put(small, 'a', 101), undefined);
  const part = small.partFile('b.bin');
  fs.writeFileSync(part, Buffer.alloc(200));
  assert.equal(await small.publish('b', 'b.bin', part), undefined);
  assert.equal(fs.existsSync(part), false, 'the .part file is removed');
  const off = cache({ folder: folder(), maxBytes: 0 });
  assert.equal(off.enabled, false);
  assert.equal(await put(off, 'c', 1), undefined);
  assert.deepEqual(keysOnDisk(dir), []);
});

it('publishes whole files only: an entry appears under its name once its .part file is renamed', async () => {
  const dir = folder();
  const store = cache({ folder: dir, maxBytes: 1000 });
  const part = store.partFile('a.bin');
  assert.ok(part.startsWith(dir + path.sep) && part.endsWith('.part'));
  fs.writeFileSync(part, 'half');
  assert.equal(store.get('a'), undefined);
  assert.deepEqual(keysOnDisk(dir), []);
  fs.appendFileSync(part, ' and the rest');
  const entry = await store.publish('a', 'a.bin', part);
  assert.equal(entry?.file, path.join(dir, 'a.bin'));
  assert.equal(fs.readFileSync(entry!.file, 'utf8'), 'half and the rest');
  assert.equal(fs.existsSync(part), false);
});

it('finds its entries again after a restart, oldest first, and removes crash leftovers', async () => {
  const dir = folder();
  const first = cache({ folder: dir, maxBytes: 1000 });
  for (const key of ['a', 'b', 'c']) await put(first, key, 100);
  // Written long ago in the order c, a, b: that is their use order after a restart.
  for (const [key, minutesAgo] of [
    ['c', 30],
    ['a', 20],
    ['b', 10],
  ] as const) {
    const when = new Date(Date.now() - minutesAgo * 60_000);
    fs.utimesSync(path.join(dir, `${key}.bin`), when, when);
  }
  const stale = path.join(dir, 'd.bin.123-abcd.part');
  fs.writeFileSync(stale, 'a crash left this');
  const old = new Date(Date.now() - 10 * 60_000);
  fs.utimesSync(stale, old, old);
  const young = path.join(dir, 'e.bin.456-abcd.part');
  fs.writeFileSync(young, 'another process is writing this');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an entry');

  const second = cache({ folder: dir, maxBytes: 1000, stalePartMs: 60_000 });
  assert.equal(second.bytes, 300);
  assert.equal(fs.existsSync(stale), false);
  assert.equal(fs.existsSync(young), true, 'a .part file younger than stalePartMs may be in use');
  assert.equal(fs.existsSync(path.join(dir, 'notes.txt')), true);

  // A smaller size at start evicts what no longer fits, least recently used first.
  await new Promise((resolve) => setTimeout(resolve, 50));
  cache({ folder: dir, maxBytes: 150 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(keysOnDisk(dir), ['b']);
});

it('keeps entries in subfolders and removes a subfolder with its last entry', async () => {
  const dir = folder();
  const store = cache({
    folder: dir,
    maxBytes: 150,
    keyOf: (name) => (/^[a-z]+\/\d+\.ts$/.test(name) ? name : undefined),
  });
  fs.mkdirSync(path.join(dir, 'one'));
  fs.mkdirSync(path.join(dir, 'two'));
  await store.write('one/0.ts', 'one/0.ts', Buffer.alloc(100));
  await store.write('two/0.ts', 'two/0.ts', Buffer.alloc(100));
  assert.equal(fs.existsSync(path.join(dir, 'one')), false);
  assert.equal(fs.existsSync(path.join(dir, 'two', '0.ts')), true);
  const restarted = cache({
    folder: dir,
    maxBytes: 150,
    keyOf: (name) => (/^[a-z]+\/\d+\.ts$/.test(name) ? name : undefined),
  });
  assert.equal(restarted.count, 1);
});

it('checks that an entry is still there when asked to, and takes in a file it did not know', async () => {
  const dir = folder();
  const store = cache({ folder: dir, maxBytes: 1000 });
  await put(store, 'a', 100);
  fs.rmSync(path.join(dir, 'a.bin'));
  assert.ok(store.get('a'), 'get() trusts what it knows');
  assert.equal(await store.find('a'), undefined);
  assert.equal(store.bytes, 0, 'a vanished file is forgotten');
  fs.writeFileSync(path.join(dir, 'b.bin'), Buffer.alloc(10));
  assert.equal(await store.find('b'), undefined, 'without its name the key is unknown');
  assert.equal((await store.find('b', 'b.bin'))?.size, 10);
  assert.equal(store.bytes, 10);
});
