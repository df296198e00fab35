// Kept answers of the native API's read routes (src/http/answer-cache.ts): a repeat is answered without
// a read worker and byte for byte the same, any write shows at once, one user's answer never reaches
// another, a shuffle without a seed is never kept, and browsers revalidate with ETags (304). The cache
// itself: bounded by bytes, oldest out first, emptied by the idle release (test/app/idle-memory.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { updateUser } from '../../src/accounts/users.service.ts';
import { Database } from '../../src/db/database.ts';
import { AnswerCache } from '../../src/http/answer-cache.ts';
import { makeTempDatabase } from '../helpers/http.ts';
import {
  ALICE,
  BOB,
  type Json,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
const keys: Record<string, string> = {};

before(async () => {
  server = await startSubsonicServer({ readWorkers: 1 });
  for (const user of [ALICE, BOB]) keys[user.username] = createApiKey(server.db, user.username).key;
  await updateUser(server.db, BOB.username, { libraryIds: [server.libraries.second] });
});
after(() => server?.close());

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Answers the read workers gave meanwhile. */
  byWorker: number;
}

async function get(path: string, user = ALICE, headers: Record<string, string> = {}): Promise<Answer> {
  const before = server.readPool!.answered;
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
    headers: { Authorization: `Bearer ${keys[user.username]}`, ...headers },
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    byWorker: server.readPool!.answered - before,
  };
}

async function send(method: string, path: string, user = ALICE, body?: unknown): Promise<number> {
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${keys[user.username]}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('kept answers of read routes', () => {
  it('answers a repeat without a worker, the same bytes, with an ETag and Cache-Control private', async () => {
    const first = await get('/albums?limit=5&sort=name');
    assert.equal(first.status, 200);
    assert.equal(first.byWorker, 1, 'the first request is made by a worker');
    const again = await get('/albums?limit=5&sort=name');
    assert.equal(again.byWorker, 0, 'the repeat is kept');
    assert.equal(again.text, first.text);
    assert.match(first.headers.get('etag') ?? '', /^"[A-Za-z0-9_-]+"$/);
    assert.equal(again.headers.get('etag'), first.headers.get('etag'));
    assert.equal(first.headers.get('cache-control'), 'private, no-cache');
    // Another query is another answer.
    const other = await get('/albums?limit=4&sort=name');
    assert.equal(other.byWorker, 1);
    assert.notEqual(other.headers.get('etag'), first.headers.get('etag'));
  });

  it('shows a write at once: a star changes the answer and its ETag', async () => {
    const before = await get('/albums?limit=3&sort=name');
    const album = (JSON.parse(before.text) as Json).items[0];
    assert.equal(album.starredAt, null);
    assert.equal(await send('PUT', `/stars/${album.id}`), 204);
    const after = await get('/albums?limit=3&sort=name');
    assert.equal(after.byWorker, 1, 'made again after the write');
    assert.ok((JSON.parse(after.text) as Json).items[0].starredAt, 'the star shows');
    assert.notEqual(after.headers.get('etag'), before.headers.get('etag'));
    assert.equal(await send('DELETE', `/stars/${album.id}`), 204);
  });

  it("never gives one user's answer to another (marks, library restrictions)", async () => {
    const alices = await get('/albums?limit=50');
    const album = (JSON.parse(alices.text) as Json).items[0];
    assert.equal(await send('PUT', `/stars/${album.id}`), 204);
    const starred = JSON.parse((await get('/albums?limit=50')).text) as Json;
    assert.ok(starred.items[0].starredAt);
    const bobs = await get('/albums?limit=50', BOB);
    assert.equal(bobs.byWorker, 1, "Bob's answer is his own");
    const bobItems = (JSON.parse(bobs.text) as Json).items as Json[];
    assert.ok(bobItems.length < starred.items.length, 'Bob sees only his library');
    assert.ok(
      bobItems.every((item) => item.starredAt === null),
      "Alice's star is not Bob's",
    );
    assert.notEqual(bobs.headers.get('etag'), alices.headers.get('etag'));
    assert.equal(await send('DELETE', `/stars/${album.id}`), 204);
  });

  it('answers 304 to If-None-Match with the current ETag, and the new answer once it changed', async () => {
    const first = await get('/genres');
    const etag = first.headers.get('etag')!;
    const revalidated = await get('/genres', ALICE, { 'If-None-Match': etag });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.text, '');
    assert.equal(revalidated.byWorker, 0);
    assert.equal(revalidated.headers.get('etag'), etag);
    // Bob's ETag for the same path is not Alice's: a shared browser cache cannot cross users.
    assert.equal((await get('/genres', BOB, { 'If-None-Match': etag })).status, 200);
    const album = (JSON.parse((await get('/albums?limit=1')).text) as Json).items[0];
    assert.equal(await send('PUT', `/ratings/${album.id}`, ALICE, { rating: 4 }), 204);
    const changed = await get('/genres', ALICE, { 'If-None-Match': etag });
    assert.equal(changed.status, 200, 'any write makes a new version');
    assert.notEqual(changed.headers.get('etag'), etag);
    // The same ETag whatever the encoding: Vary tells caches the bodies differ.
    const identity = await get('/genres', ALICE, { 'Accept-Encoding': 'identity' });
    assert.equal(identity.headers.get('etag'), changed.headers.get('etag'));
  });

  it('keeps no shuffle without a seed (each request shuffles anew), but one with a seed', async () => {
    const unseeded = await get('/albums?limit=3&sort=random');
    const again = await get('/albums?limit=3&sort=random');
    assert.equal(unseeded.headers.get('etag'), null);
    assert.equal(again.byWorker, 1, 'made again');
    const seeded = await get('/albums?limit=3&sort=random&seed=42');
    assert.ok(seeded.headers.get('etag'));
    assert.equal((await get('/albums?limit=3&sort=random&seed=42')).byWorker, 0);
  });

  it('drops kept answers when another process changes the database (a CLI, sqlite3)', async () => {
    const before = await get('/artists');
    const count = ((JSON.parse(before.text) as Json).items as Json[]).length;
    const other = Database.open(server.db.file);
    other.sqlite
      .prepare("UPDATE artist SET name = 'Renamed Elsewhere' WHERE id = ?")
      .run(((JSON.parse(before.text) as Json).items as Json[])[0]!.id);
    await other.close();
    const after = await get('/artists');
    assert.equal(after.byWorker, 1);
    assert.match(after.text, /Renamed Elsewhere/);
    assert.equal(((JSON.parse(after.text) as Json).items as Json[]).length, count);
  });
});

describe('AnswerCache', () => {
  const answer = (bytes: number) => ({
    contentType: 'application/json',
    body: '',
    gzipped: Buffer.alloc(bytes),
  });

  it('keeps answers up to its byte budget, the least recently used going first', async () => {
    const { db, cleanup } = await makeTempDatabase();
    try {
      const cache = new AnswerCache(db, { maxBytes: 9_000 });
      const version = cache.currentVersion();
      cache.set('a', answer(2_000), version);
      cache.set('b', answer(2_000), version);
      cache.set('c', answer(2_000), version);
      assert.ok(cache.get('a', version), 'a is now the most recently used');
      cache.set('d', answer(2_000), version);
      cache.set('e', answer(2_000), version);
      assert.deepEqual(cache.size, { entries: 4, bytes: 8_000 });
      assert.equal(cache.get('b', version), undefined, 'b, least recently used, went first');
      assert.ok(cache.get('a', version));
      // More than a quarter of the budget: not kept at all (one answer must not empty the cache).
      cache.set('big', answer(2_300), version);
      assert.equal(cache.get('big', version), undefined);
      assert.equal(cache.size.entries, 4);
    } finally {
      await cleanup();
    }
  });

  it('keeps nothing made before a write, and nothing once cleared (the server went idle)', async () => {
    const { db, cleanup } = await makeTempDatabase();
    try {
      const cache = new AnswerCache(db, { maxBytes: 10_000 });
      const before = cache.currentVersion();
      db.sqlite.prepare("INSERT INTO setting (key, value) VALUES ('answer-cache-test', '1')").run();
      cache.set('made-before', answer(100), before);
      const now = cache.currentVersion();
      assert.notEqual(now, before);
      assert.equal(cache.get('made-before', now), undefined);
      cache.set('kept', answer(100), now);
      assert.ok(cache.get('kept', now));
      cache.clear();
      assert.equal(cache.get('kept', cache.currentVersion()), undefined, 'dropped');
      assert.deepEqual(cache.size, { entries: 0, bytes: 0 });
      const off = new AnswerCache(db, { maxBytes: 0 });
      off.set('x', answer(1), off.currentVersion());
      assert.equal(off.size.entries, 0);
    } finally {
      await cleanup();
    }
  });
});
