// A job for the queue's tests: adds 1..payload.to into setting "sum" in chunks of 100, each chunk and its
// checkpoint written in one transaction (so an interrupted run resumes exactly where it stood), `pauseMs`
// between chunks.
import type { Database } from '../../src/db/database.ts';
import type { JobQueue } from '../../src/jobs/queue.ts';

export const SUM_KEY = 'test-sum';

export function registerSumJob(
  queue: JobQueue,
  db: Database,
  onProgress: (done: number) => void = () => {},
  pauseMs = 0,
): void {
  queue.register<{ to: number }, { done: number }>(
    'sum',
    async ({ payload, checkpoint, saveCheckpoint, signal }) => {
      let done = checkpoint?.done ?? 0;
      while (done < payload.to) {
        if (signal.aborted) return;
        const next = Math.min(payload.to, done + 100);
        let chunk = 0;
        for (let value = done + 1; value <= next; value++) chunk += value;
        saveCheckpoint({ done: next }, () => {
          db.sqlite
            .prepare(
              `INSERT INTO setting (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value`,
            )
            .run(SUM_KEY, String(chunk));
        });
        done = next;
        onProgress(done);
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    },
  );
}

export function sumOf(db: Database): number {
  return Number(db.sqlite.prepare('SELECT value FROM setting WHERE key = ?').pluck().get(SUM_KEY) ?? 0);
}
