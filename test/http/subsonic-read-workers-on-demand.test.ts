// Read workers run only while there is work (src/http/read-pool.ts): none at start, one started
// by the first read-only request (which the main thread answers meanwhile), another when every running
// worker is busy, and a worker with nothing to do for a while is stopped. Whatever the pool is doing, every
// request gets its full answer. The idle time is injected, and the tests wait on the pool's events.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import { after, before, it } from 'node:test';
import type { SubsonicReadJob } from '../../src/http/read-pool.ts';
import { type Json, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let quick: SubsonicServer;
before(async () => {
  [server, quick] = await Promise.all([
    startSubsonicServer({ readWorkers: 2, readWorkersOnDemand: {} }),
    startSubsonicServer({ readWorkers: 1, readWorkersOnDemand: { idleMs: 50 } }),
  ]);
});
after(async () => {
  await server?.close();
  await quick?.close();
});

/** Threads of this process that are worker threads (Linux names them), or undefined without /proc. */
function workerThreads(): number | undefined {
  const tasks = '/proc/self/task';
  if (!fs.existsSync(tasks)) return undefined;
  let count = 0;
  for (const task of fs.readdirSync(tasks)) {
    try {
      if (fs.readFileSync(`${tasks}/${task}/comm`, 'utf8').trim() === 'WorkerThread') count++;
    } catch {
      // the thread ended while we looked
    }
  }
  return count;
}

function assertWorkerThreads(expected: number): void {
  const counted = workerThreads();
  if (counted !== undefined) assert.equal(counted, expected, 'worker threads in /proc/self/task');
}

const SEARCH = { query: '', songCount: 50, albumCount: 10, artistCount: 10 };

/** The answer without what differs between two scans of the same files. */
function comparable(answer: Json): unknown {
  return JSON.parse(JSON.stringify(answer), (key, value) =>
    key === 'created' || key === 'lastModified' ? undefined : value,
  );
}

/** A job for the pool itself: what it answers does not matter, only that it keeps a worker busy. */
const job: Omit<SubsonicReadJob, 'id'> = {
  api: 'subsonic',
  name: 'getGenres',
  query: 'f=json',
  body: undefined,
  user: undefined,
  player: undefined,
  requestId: 'test',
  gzip: false,
};

it('stops a worker that has had nothing to do, and starts one again when a request comes', async () => {
  const pool = quick.readPool!;
  const ready = once(pool, 'ready');
  assert.equal((await quick.json('search3', SEARCH)).status, 'ok');
  await ready;
  // The injected idle time is 50 ms: the worker stops by itself.
  await once(pool, 'stopped');
  assert.equal(pool.running + pool.starting, 0);
  assertWorkerThreads(0);

  const answered = pool.answered;
  const again = once(pool, 'ready');
  assert.equal((await quick.json('search3', SEARCH)).status, 'ok');
  assert.equal(pool.answered, answered, 'the main thread answered while a worker started again');
  await again;
  assert.equal(pool.running, 1);
  // And stops again, leaving no thread behind for the tests below, which count threads.
  await once(pool, 'stopped');
  assertWorkerThreads(0);
});

it('starts no worker until a read-only request needs one, and answers that request itself', async () => {
  const pool = server.readPool!;
  assert.equal(pool.running + pool.starting, 0);
  assertWorkerThreads(0);

  const ready = once(pool, 'ready');
  const first = await server.json('search3', SEARCH);
  assert.equal(first.status, 'ok');
  assert.equal(pool.answered, 0, 'the main thread answered while the worker started');
  await ready;
  assert.equal(pool.running, 1, 'one worker, not the configured two: one client is not load');
  assertWorkerThreads(1);

  const second = await server.json('search3', SEARCH);
  assert.equal(pool.answered, 1, 'answered by the worker');
  assert.deepEqual(comparable(second), comparable(first));
});

it('starts another worker only when every running one is busy, up to the configured count', async () => {
  const pool = server.readPool!;
  await pool.warmUp(1);
  assert.equal(pool.running, 1);
  // Two jobs at once: the first finds the worker free, the second finds it busy and asks for another.
  const jobs = [pool.run(job), pool.run(job)];
  assert.equal(pool.starting, 1);
  const ready = once(pool, 'ready');
  await Promise.allSettled(jobs);
  await ready;
  assert.equal(pool.running, 2);
  assertWorkerThreads(2);
  // Both busy, but two is the limit.
  const more = [pool.run(job), pool.run(job), pool.run(job)];
  assert.equal(pool.starting, 0);
  assert.equal(pool.running, 2);
  await Promise.allSettled(more);
});

it('answers every request while workers start and stop', async () => {
  const pool = server.readPool!;
  const expected = comparable(await server.json('search3', SEARCH));
  // Every worker stopped, then a burst: the first requests start workers, the main thread answers them.
  pool.stopIdleWorkers();
  assert.equal(pool.running, 0);
  const duringStart = await Promise.all(Array.from({ length: 24 }, () => server.json('search3', SEARCH)));
  for (const answer of duringStart) assert.deepEqual(comparable(answer), expected);

  // Another burst, stopping whatever worker has nothing to do each time an answer comes back.
  await pool.warmUp(1);
  const duringStop = await Promise.all(
    Array.from({ length: 24 }, async () => {
      const answer = await server.json('search3', SEARCH);
      pool.stopIdleWorkers();
      return answer;
    }),
  );
  for (const answer of duringStop) assert.deepEqual(comparable(answer), expected);
  assert.ok(pool.answered > 0, 'workers answered some of them');
});
