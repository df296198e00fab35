// The job table (migration 0013): what src/jobs/queue.ts keeps of every background job.
import type { Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { JobTable } from '../db/schema.ts';

export type JobRow = Selectable<JobTable>;
export type JobState = JobRow['state'];

/**
 * Queues a job unless one of the same kind and key is already queued or running; returns its id and
 * whether this call created it.
 */
export function insertJob(
  db: Database,
  job: { kind: string; key: string; payload: string; maxAttempts: number; runAt: number; now: number },
): { id: number; created: boolean } {
  return db.transaction(() => {
    const pending = db.first(
      db.kysely
        .selectFrom('job')
        .select('id')
        .where('kind', '=', job.kind)
        .where('key', '=', job.key)
        .where('state', 'in', ['queued', 'running']),
    );
    if (pending) return { id: pending.id, created: false };
    const inserted = db.first(
      db.kysely
        .insertInto('job')
        .values({
          kind: job.kind,
          key: job.key,
          state: 'queued',
          payload: job.payload,
          max_attempts: job.maxAttempts,
          run_at: job.runAt,
          created_at: job.now,
          updated_at: job.now,
        })
        .returning('id'),
    )!;
    return { id: inserted.id, created: true };
  });
}

/** The next due queued job of a kind not in `busyKinds`, earliest first. */
export function nextDueJob(db: Database, now: number, busyKinds: readonly string[]): JobRow | undefined {
  let query = db.kysely
    .selectFrom('job')
    .selectAll()
    .where('state', '=', 'queued')
    .where('run_at', '<=', now)
    .orderBy('run_at')
    .orderBy('id')
    .limit(1);
  if (busyKinds.length > 0) query = query.where('kind', 'not in', busyKinds);
  return db.first(query);
}

export function markRunning(db: Database, id: number, now: number): void {
  db.run(
    db.kysely
      .updateTable('job')
      .set((eb) => ({ state: 'running', started_at: now, updated_at: now, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id),
  );
}

export function saveCheckpoint(db: Database, id: number, checkpoint: string, now: number): void {
  db.run(db.kysely.updateTable('job').set({ checkpoint, updated_at: now }).where('id', '=', id));
}

export function markDone(db: Database, id: number, now: number): void {
  db.run(
    db.kysely
      .updateTable('job')
      .set({ state: 'done', finished_at: now, updated_at: now, last_error: null })
      .where('id', '=', id),
  );
}

/** A failed attempt: queued again at `retryAt`, or failed for good when it is null. */
export function markFailed(
  db: Database,
  id: number,
  error: string,
  retryAt: number | null,
  now: number,
): void {
  db.run(
    db.kysely
      .updateTable('job')
      .set(
        retryAt === null
          ? { state: 'failed', finished_at: now, updated_at: now, last_error: error }
          : { state: 'queued', run_at: retryAt, updated_at: now, last_error: error },
      )
      .where('id', '=', id),
  );
}

/**
 * Back to the queue, keeping its checkpoint: a job interrupted by a stop, or found running at start-up
 * (the process was killed). The interrupted attempt does not count against its attempts.
 */
export function requeue(db: Database, where: { id?: number }, now: number): number {
  let query = db.kysely
    .updateTable('job')
    .set((eb) => ({ state: 'queued', updated_at: now, run_at: now, attempts: eb('attempts', '-', 1) }))
    .where('state', '=', 'running');
  if (where.id !== undefined) query = query.where('id', '=', where.id);
  return db.run(query).changes;
}

export function findJob(db: Database, id: number): JobRow | undefined {
  return db.first(db.kysely.selectFrom('job').selectAll().where('id', '=', id));
}

/** Jobs, most recently changed first, optionally of one state; `before` continues a page. */
export function listJobs(
  db: Database,
  options: {
    state?: JobState | undefined;
    limit: number;
    before?: { updatedAt: number; id: number } | undefined;
  },
): JobRow[] {
  let query = db.kysely.selectFrom('job').selectAll().orderBy('updated_at', 'desc').orderBy('id', 'desc');
  if (options.state) query = query.where('state', '=', options.state);
  const before = options.before;
  if (before)
    query = query.where((eb) =>
      eb.or([
        eb('updated_at', '<', before.updatedAt),
        eb.and([eb('updated_at', '=', before.updatedAt), eb('id', '<', before.id)]),
      ]),
    );
  return db.all(query.limit(options.limit));
}

/** Finished jobs (done or failed) older than `before` go. */
export function pruneFinishedJobs(db: Database, before: number): number {
  return db.run(
    db.kysely.deleteFrom('job').where('state', 'in', ['done', 'failed']).where('updated_at', '<', before),
  ).changes;
}
