// The real recompute job (src/insights/recompute.ts) registered for the restart test: small chunks, a
// fixed clock, and a hook after each checkpoint (the child process prints progress there and slows
// down, so the test can kill it part way).
import type { Database } from '../../src/db/database.ts';
import { RECOMPUTE_JOB, type RecomputeCheckpoint, recomputeInsights } from '../../src/insights/recompute.ts';
import type { JobQueue } from '../../src/jobs/queue.ts';

export const CHUNK_SIZE = 10;

export function registerRecompute(
  queue: JobQueue,
  db: Database,
  now: number,
  afterCheckpoint: (checkpoint: RecomputeCheckpoint) => void = () => {},
): void {
  queue.register<unknown, RecomputeCheckpoint>(RECOMPUTE_JOB, (context) =>
    recomputeInsights(
      db,
      {
        ...context,
        saveCheckpoint(value, write) {
          context.saveCheckpoint(value, write);
          afterCheckpoint(value);
        },
      },
      () => now,
      { chunkSize: CHUNK_SIZE },
    ),
  );
}
