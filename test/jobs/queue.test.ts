// The persistent job queue (src/jobs/queue.ts) on a real database: one job per kind and key at a time,
// one running per kind, retries with backoff until failed for good, a stop that queues the job again,
// and a kill -9 in the middle of a job after which a new process resumes it from its checkpoint and ends
// with the same result as an uninterrupted run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listJobs } from '../../src/jobs/jobs.repository.ts';
import { JobQueue, RETRY_BASE_MS, retryDelay } from '../../src/jobs/queue.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { makeTempDatabase } from '../helpers/http.ts';
import { registerSumJob, sumOf } from './sum-job.ts';

const JOB_WORKER = fileURLToPath(new URL('../helpers/job-worker.ts', import.meta.url));
const TO = 20_000;
const EXPECTED_SUM = (TO * (TO + 1)) / 2;

describe('job queue', () => {
  it('keeps one job per kind and key waiting, and runs it once', async () => {
    const { db, cleanup } = await makeTempDatabase();
    try {
      const queue = new JobQueue({ db, logger: silentLogger });
      let runs = 0;
      queue.register('count', () => {
        runs++;
      });
      const first = queue.enqueue('count', { key: 'user-1' });
      const again = queue.enqueue('count', { key: 'user-1' });
      const other = queue.enqueue('count', { key: 'user-2' });
      assert.equal(first.created, true);
      assert.deepEqual(again, { id: first.id, created: false });
      assert.equal(other.created, true);
      await queue.runDue();
      assert.equal(runs, 2);
      assert.equal(queue.find(first.id)?.state, 'done');
      assert.equal(
        queue.enqueue('count', { key: 'user-1' }).created,
        true,
        'a finished job does not block a new one',
      );
      assert.throws(() => queue.enqueue('nothing'), /no job kind nothing/);
    } finally {
      await cleanup();
    }
  });

  it('runs one job of a kind at a time, kinds side by side, and due ones only', async () => {
    const { db, cleanup } = await makeTempDatabase();
    try {
      let now = 1_000_000;
      const queue = new JobQueue({ db, logger: silentLogger, clock: () => now });
      const log: string[] = [];
      const gate = Promise.withResolvers<void>();
      queue.register<{ name: string }, never>('slow', async ({ payload }) => {
        log.push(`start ${payload.name}`);
        await gate.promise;
        log.push(`end ${payload.name}`);
      });
      queue.register<{ name: string }, never>('quick', ({ payload }) => {
        log.push(`quick ${payload.name}`);
      });
      queue.enqueue('slow', { key: 'a', payload: { name: 'a' } });
      queue.enqueue('slow', { key: 'b', payload: { name: 'b' } });
      queue.enqueue('quick', { payload: { name: 'q' } });
      queue.enqueue('quick', { key: 'later', payload: { name: 'later' }, runAt: now + 60_000 });
      const pass = queue.runDue();
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(log, ['start a', 'quick q'], 'b waits for a; the quick kind runs beside it');
      gate.resolve();
      await pass;
      await queue.runDue();
      assert.deepEqual(log, ['start a', 'quick q', 'end a', 'start b', 'end b']);
      now += 60_000;
      await queue.runDue();
      assert.equal(log.at(-1), 'quick later', 'run once due');
    } finally {
      await cleanup();
    }
  });

  it('tries a failing job again after a growing delay, then fails it for good with its error', async () => {
    const { db, cleanup } = await makeTempDatabase();
    try {
      let now = 5_000_000;
      const queue = new JobQueue({ db, logger: silentLogger, clock: () => now });
      const attempts: number[] = [];
      queue.register(
        'flaky',
        ({ attempt }) => {
          attempts.push(attempt);
          throw new Error(`broken ${attempt}`);
        },
        { maxAttempts: 3 },
      );
      const { id } = queue.enqueue('flaky');
      await queue.runDue();
      let row = queue.find(id)!;
      assert.equal(row.state, 'queued');
      assert.equal(row.run_at, now + RETRY_BASE_MS);
      assert.equal(row.last_error, 'broken 1');
      await queue.runDue();
      assert.deepEqual(attempts, [1], 'not before it is due');
      now += RETRY_BASE_MS;
      await queue.runDue();
      row = queue.find(id)!;
      assert.equal(row.run_at, now + retryDelay(2));
      assert.equal(retryDelay(2), 2 * RETRY_BASE_MS);
      now += retryDelay(2);
      await queue.runDue();
      row = queue.find(id)!;
      assert.deepEqual(attempts, [1, 2, 3]);
      assert.equal(row.state, 'failed');
      assert.equal(row.attempts, 3);
      assert.equal(row.last_error, 'broken 3');
      assert.equal(retryDelay(30), 3_600_000, 'capped at an hour');
      assert.deepEqual(
        listJobs(db, { state: 'failed', limit: 10 }).map((job) => job.id),
        [id],
      );
    } finally {
      await cleanup();
    }
  });

  it('queues a job interrupted by a stop again, and the next start resumes it from its checkpoint', async () => {
    const { db, cleanup } = await makeTempDatabase();
    try {
      const progress: number[] = [];
      const first = new JobQueue({ db, logger: silentLogger, pollMs: 10 });
      registerSumJob(first, db, (done) => progress.push(done), 5);
      first.start();
      const { id } = first.enqueue('sum', { payload: { to: TO } });
      while (progress.length < 5) await new Promise((resolve) => setTimeout(resolve, 5));
      await first.stop();
      const stopped = first.find(id)!;
      assert.equal(stopped.state, 'queued');
      assert.equal(stopped.attempts, 0, 'an interrupted attempt is not a failed one');
      const savedAt = (JSON.parse(stopped.checkpoint!) as { done: number }).done;
      assert.ok(savedAt > 0 && savedAt < TO, `stopped part way (${savedAt})`);

      const resumedFrom: number[] = [];
      const second = new JobQueue({ db, logger: silentLogger, pollMs: 10 });
      registerSumJob(second, db, (done) => resumedFrom.push(done));
      second.start();
      while (second.find(id)!.state !== 'done') await new Promise((resolve) => setTimeout(resolve, 10));
      await second.stop();
      assert.equal(resumedFrom[0], savedAt + 100, 'resumed after the checkpoint, not from the start');
      assert.equal(sumOf(db), EXPECTED_SUM, 'the same result as an uninterrupted run');
    } finally {
      await cleanup();
    }
  });

  it('resumes a job after the process running it was killed (kill -9), with the uninterrupted result', async () => {
    const { db, cleanup } = await makeTempDatabase();
    try {
      const file = db.file;
      // Queued by this process, run by the child.
      const queue = new JobQueue({ db, logger: silentLogger });
      registerSumJob(queue, db);
      const { id } = queue.enqueue('sum', { payload: { to: TO } });
      const child = spawn(process.execPath, [JOB_WORKER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if ((output.match(/progress/g) ?? []).length >= 20) resolve();
        });
        child.once('exit', (code) =>
          reject(new Error(`the worker exited (${code}) before its job was part way`)),
        );
      });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const killed = queue.find(id)!;
      assert.equal(killed.state, 'running', 'left running by the killed process');
      const savedAt = (JSON.parse(killed.checkpoint!) as { done: number }).done;
      assert.ok(savedAt < TO, `killed part way (${savedAt} of ${TO})`);
      assert.equal(sumOf(db), (savedAt * (savedAt + 1)) / 2, 'the work and its checkpoint went in together');

      queue.start();
      while (queue.find(id)!.state !== 'done') await new Promise((resolve) => setTimeout(resolve, 10));
      await queue.stop();
      assert.equal(sumOf(db), EXPECTED_SUM);
      assert.equal(queue.find(id)!.attempts, 1, 'the killed attempt did not count');
    } finally {
      await cleanup();
    }
  });

  it('keeps finished jobs a week', async () => {
    const { db, cleanup } = await makeTempDatabase();
    try {
      let now = 10_000_000_000;
      const queue = new JobQueue({ db, logger: silentLogger, clock: () => now });
      queue.register('noop', () => {});
      queue.enqueue('noop');
      await queue.runDue();
      now += 7 * 86_400_000 - 1;
      assert.equal(queue.prune(), 0);
      now += 2;
      assert.equal(queue.prune(), 1);
    } finally {
      await cleanup();
    }
  });
});
