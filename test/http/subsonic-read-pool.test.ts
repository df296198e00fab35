// Read-only endpoints run in worker threads (src/http/read-pool.ts) with their own read-only
// connection. What a client gets must not depend on where an endpoint ran: the same answer, headers,
// error envelopes and gzip as on the main thread; and a worker that dies must not cost more than the
// requests it was answering.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { ALICE, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let pooled: SubsonicServer;
let plain: SubsonicServer;
before(async () => {
  [pooled, plain] = await Promise.all([
    startSubsonicServer({ readWorkers: 2 }),
    startSubsonicServer({ readWorkers: 0 }),
  ]);
});
after(async () => {
  await pooled?.close();
  await plain?.close();
});

/** The answer without what differs between two scans of the same files (ids are stable, dates are not). */
function comparable(answer: unknown): unknown {
  return JSON.parse(JSON.stringify(answer), (key, value) =>
    key === 'created' || key === 'lastModified' ? undefined : value,
  );
}

it('answers read-only endpoints from a worker exactly as the main thread does', async () => {
  const before = pooled.readPool!.answered;
  const calls: [string, Record<string, string | number>][] = [
    ['getArtists', {}],
    ['getAlbumList2', { type: 'alphabeticalByName', size: 5 }],
    ['search3', { query: 'one' }],
    ['getRandomSongs', { size: 0 }],
    ['getGenres', {}],
  ];
  for (const [endpoint, params] of calls) {
    for (const format of ['json', 'xml'] as const) {
      const [fromWorker, fromMain] = await Promise.all([
        pooled.xmlText(endpoint, { ...params, f: format }),
        plain.xmlText(endpoint, { ...params, f: format }),
      ]);
      if (format === 'json')
        assert.deepEqual(comparable(JSON.parse(fromWorker)), comparable(JSON.parse(fromMain)), endpoint);
      else
        assert.equal(
          fromWorker.replace(/ (created|lastModified)="[^"]*"/g, ''),
          fromMain.replace(/ (created|lastModified)="[^"]*"/g, ''),
          endpoint,
        );
    }
  }
  // Every one of them went through a worker (getArtists and getGenres once per format: later ones are cached).
  assert.ok(
    pooled.readPool!.answered - before >= calls.length * 2,
    `answered ${pooled.readPool!.answered - before}`,
  );
  const album = (await pooled.json('getAlbumList2', { type: 'newest', size: 1 })).albumList2.album[0];
  const full = await pooled.json('getAlbum', { id: album.id }, { user: ALICE });
  assert.equal(full.status, 'ok');
  assert.equal(full.album.song.length, album.songCount);
});

it('passes headers, per-user access, error envelopes and gzip through', async () => {
  const list = await fetch(
    pooled.url('getAlbumList2', { type: 'alphabeticalByName', size: 1 }, { format: 'json' }),
  );
  assert.ok(Number(list.headers.get('x-total-count')) > 1, 'x-total-count set by the worker');

  const missing = await pooled.json('getAlbum', { id: 'al-doesnotexist' });
  assert.equal(missing.status, 'failed');
  assert.equal(missing.error.code, 70);
  const bad = await pooled.json('getAlbumList2', { type: 'nonsense' });
  assert.equal(bad.error.code, 0);
  assert.match(bad.error.message, /type/);

  // Bob, limited to the second library: a worker applies his grants like the main thread does.
  const bob = { username: 'bob', password: 'bob-pass' };
  assert.equal(
    (await pooled.json('updateUser', { username: 'bob', musicFolderId: pooled.libraries.second })).status,
    'ok',
  );
  const everything = { query: '', songCount: 1000, albumCount: 0, artistCount: 0 };
  const bobs = (await pooled.json('search3', everything, { user: bob })).searchResult3.song as {
    path: string;
  }[];
  const all = (await pooled.json('search3', everything)).searchResult3.song as unknown[];
  assert.ok(bobs.length > 0 && bobs.length < all.length, `${bobs.length} of ${all.length}`);

  const raw = await fetch(pooled.url('getArtists', {}, { format: 'json' }), {
    headers: { 'accept-encoding': 'gzip' },
  });
  // fetch decodes gzip itself; ask node's http-level view through the header and a manual request.
  assert.equal(raw.headers.get('content-encoding'), 'gzip');
  const manual = await new Promise<Buffer>((resolve, reject) => {
    import('node:http').then(({ get }) =>
      get(
        pooled.url('search3', { query: '' }, { format: 'json' }),
        { headers: { 'accept-encoding': 'gzip' } },
        (response) => {
          assert.equal(response.headers['content-encoding'], 'gzip');
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve(Buffer.concat(chunks)));
        },
      ).on('error', reject),
    );
  });
  const decoded = JSON.parse(gunzipSync(manual).toString('utf8'));
  assert.ok(decoded['subsonic-response'].searchResult3.song.length > 0);
});

it('keeps answering when a worker dies, and starts a new one', async () => {
  const pool = pooled.readPool!;
  const workers = (pool as unknown as { slots: { worker: Worker }[] }).slots.map((slot) => slot.worker);
  await Promise.all(workers.map((worker) => worker.terminate()));
  assert.equal(pool.running, 0);
  // No worker running: the main thread answers instead of the request hanging.
  const meanwhile = await pooled.json('search3', { query: 'one' });
  assert.equal(meanwhile.status, 'ok');
  // A request a second later starts a new worker (not at once: a worker that cannot start must not loop).
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const ready = once(pool, 'ready');
  assert.equal((await pooled.json('search3', { query: 'one' })).status, 'ok');
  await ready;
  const before = pool.answered;
  assert.equal((await pooled.json('search3', { query: 'one' })).status, 'ok');
  assert.equal(pool.answered, before + 1, 'answered by a new worker');
});
