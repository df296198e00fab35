// A restart in the middle of the real recompute job: a child process runs it and is killed (kill -9)
// part way through the track neighbours; the job is found running, queued again, resumed from its
// checkpoint, and its result (neighbour lists, totals, trends) equals an uninterrupted run's on a copy of
// the same database.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Database } from '../../src/db/database.ts';
import { RECOMPUTE_JOB, type RecomputeCheckpoint } from '../../src/insights/recompute.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { makeTempDatabase } from '../helpers/http.ts';
import { CHUNK_SIZE, registerRecompute } from './recompute-job.ts';
import { NOW, seedTasteHistory } from './taste-history.ts';

const WORKER = fileURLToPath(new URL('../helpers/insights-worker.ts', import.meta.url));

/** Everything the recompute writes, without the times rows were written. */
function results(db: Database): unknown {
  const all = (sql: string) => db.sqlite.prepare(sql).all();
  return {
    tracks: all('SELECT track_id, similar_id, score FROM track_similar ORDER BY track_id, similar_id'),
    artists: all('SELECT artist_id, similar_id, score FROM artist_similar ORDER BY artist_id, similar_id'),
    totals: all('SELECT * FROM insight_total ORDER BY kind, subject_id'),
    trends: all(
      'SELECT period, kind, rank, subject_id, score, plays, listeners FROM trend ORDER BY period, kind, rank',
    ),
  };
}

async function runToEnd(db: Database): Promise<void> {
  const queue = new JobQueue({ db, logger: silentLogger, pollMs: 10 });
  registerRecompute(queue, db, NOW);
  queue.start();
  while (
    db.sqlite.prepare("SELECT count(*) FROM job WHERE state IN ('queued', 'running')").pluck().get() !== 0
  )
    await new Promise((resolve) => setTimeout(resolve, 10));
  await queue.stop();
}

describe('insights recompute', () => {
  it('resumes after a kill -9 part way and ends with what an uninterrupted run gives', async () => {
    const { db, cleanup } = await makeTempDatabase();
    const copyFile = `${db.file}.uninterrupted`;
    try {
      await seedTasteHistory(db, { usersPerGenre: 4, sessions: 12, heldOutSessions: 0 });
      await db.sqlite.backup(copyFile);

      // Uninterrupted, on the copy.
      const copy = Database.open(copyFile);
      try {
        const queue = new JobQueue({ db: copy, logger: silentLogger });
        registerRecompute(queue, copy, NOW);
        queue.enqueue(RECOMPUTE_JOB);
        await queue.runDue();
        const expected = results(copy);
        assert.ok((expected as { tracks: unknown[] }).tracks.length > 1000, 'a real amount of lists');

        // Interrupted: killed in the middle of the track lists.
        const queued = new JobQueue({ db, logger: silentLogger });
        registerRecompute(queued, db, NOW);
        const { id } = queued.enqueue(RECOMPUTE_JOB);
        const child = spawn(process.execPath, [WORKER, db.file, String(NOW)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let output = '';
        await new Promise<void>((resolve, reject) => {
          child.stdout!.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            if ((output.match(/progress track/g) ?? []).length >= 8) resolve();
          });
          child.once('exit', (code) =>
            reject(new Error(`the worker exited (${code}) before it was part way`)),
          );
        });
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        const killed = queued.find(id)!;
        assert.equal(killed.state, 'running', 'left running by the killed process');
        const checkpoint = JSON.parse(killed.checkpoint!) as RecomputeCheckpoint;
        assert.equal(checkpoint.phase, 'track');
        assert.ok(
          checkpoint.done >= 8 * CHUNK_SIZE && checkpoint.done < checkpoint.total,
          `killed part way (${checkpoint.done} of ${checkpoint.total})`,
        );
        assert.notDeepEqual(results(db), expected, 'the killed run had not finished');

        await runToEnd(db);
        assert.equal(queued.find(id)!.state, 'done');
        assert.equal(queued.find(id)!.attempts, 1, 'the killed attempt did not count');
        assert.deepEqual(results(db), expected);
      } finally {
        copy.sqlite.close();
      }
    } finally {
      fs.rmSync(copyFile, { force: true });
      await cleanup();
    }
  });
});
