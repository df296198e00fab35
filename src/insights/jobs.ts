// The insights' background work (docs/insights.md, "Recomputing"), on the server's job queue:
//   - insights-update every two minutes while plays wait to be taken in (and hourly without, for the
//     trends, which age);
//   - insights-recompute nightly (04:00), at start when the models are still empty, and after a change
//     that takes listening out (a user forgetting their history or keeping it to themselves);
//   - mixes for every listener after each full recompute, and for one user when theirs are a day old.
import type { Database } from '../db/database.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { scheduleJob } from '../jobs/schedule.ts';
import { dirtyCount, neighbourListCount } from './model.repository.ts';
import { MIXES_JOB, RECOMPUTE_JOB, UPDATE_JOB } from './job-kinds.ts';
import { pruneStations, usersWithPlays } from './personal.repository.ts';
import type { RecomputeCheckpoint } from './recompute.ts';

export { MIXES_JOB, RECOMPUTE_JOB, UPDATE_JOB };

const UPDATE_EVERY = '2m';
const RECOMPUTE_AT = '0 4 * * *';

/** Registers the handlers; their code (the models) loads when a job first runs, not at start. */
export function registerInsightJobs(jobs: JobQueue, db: Database, clock: () => number = Date.now): void {
  jobs.register<unknown, RecomputeCheckpoint>(RECOMPUTE_JOB, async (context) => {
    const { recomputeInsights } = await import('./recompute.ts');
    await recomputeInsights(db, context, clock);
    if (context.signal.aborted) return;
    for (const userId of usersWithPlays(db)) jobs.enqueue(MIXES_JOB, { key: userId, payload: { userId } });
  });
  jobs.register(UPDATE_JOB, async (context) => {
    const { updateInsights } = await import('./recompute.ts');
    await updateInsights(db, context, clock);
  });
  jobs.register<{ userId: string }, never>(MIXES_JOB, async ({ payload }) => {
    const { refreshMixes } = await import('./mixes.ts');
    refreshMixes(db, payload.userId, clock());
  });
}

/** Queues the work above on its schedule; returns a stop. */
export function scheduleInsightJobs(jobs: JobQueue, db: Database): { stop(): void } {
  if (neighbourListCount(db, 'track_similar') === 0 && dirtyCount(db) > 0) jobs.enqueue(RECOMPUTE_JOB);
  // New plays are taken in within minutes; without any, trends still age and are redone hourly.
  let quietRuns = 0;
  const update = scheduleJob(UPDATE_EVERY, () => {
    if (dirtyCount(db) > 0 || ++quietRuns % 30 === 0) jobs.enqueue(UPDATE_JOB);
  });
  const recompute = scheduleJob(RECOMPUTE_AT, () => jobs.enqueue(RECOMPUTE_JOB));
  return {
    stop() {
      update.stop();
      recompute.stop();
    },
  };
}

/** Listening left the models (a history forgotten, a user keeping theirs private): rebuild them. */
export function listeningWithdrawn(jobs: JobQueue | undefined): void {
  jobs?.enqueue(RECOMPUTE_JOB);
}

/** Queues a refresh of a user's mixes. */
export function refreshMixesLater(jobs: JobQueue | undefined, userId: string): void {
  jobs?.enqueue(MIXES_JOB, { key: userId, payload: { userId } });
}

/** Above this many new plays at once (an imported history), a full recompute beats the update. */
export const REBUILD_AFTER_PLAYS = 10_000;

/** After a history import: many new plays are taken in by a full recompute, queued now. */
export function historyImported(jobs: JobQueue, newPlays: number): boolean {
  if (newPlays < REBUILD_AFTER_PLAYS) return false;
  jobs.enqueue(RECOMPUTE_JOB);
  return true;
}

/** Stations are kept a week after they were last asked for anything. */
export const STATION_KEPT_MS = 7 * 86_400_000;

/** Drops stations unused for a week (the hourly housekeeping); returns how many. */
export function pruneOldStations(db: Database, now = Date.now()): number {
  return pruneStations(db, now - STATION_KEPT_MS);
}
