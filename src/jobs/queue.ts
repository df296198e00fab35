// A persistent queue of background jobs in SQLite (docs/insights.md, "Background jobs"): recomputing
// recommendations, trends and statistics runs here, off the request path, and survives restarts.
//   - A job has a kind (its handler), a key (one job per kind and key waits or runs at a time: queueing
//     the same work twice is a no-op), a JSON payload and a time it is due.
//   - At most one job of a kind runs at a time; jobs of different kinds run side by side.
//   - A handler that throws is tried again after a backoff (30 s, doubling, at most an hour) until
//     maxAttempts; then the job is failed, its last error kept.
//   - A handler saves its progress with checkpoint(); a job interrupted by a stop, or found running at
//     start-up (the process was killed), is queued again and its handler gets that checkpoint back, so
//     long work resumes instead of starting over, and its result is the same as an uninterrupted run's as
//     long as each checkpoint is written with the work it stands for (in one transaction).
//   - Finished jobs are kept a week for the admin's list (GET /api/v1/admin/jobs, `tonearm jobs`).
import type { Database } from '../db/database.ts';
import type { Logger } from '../shared/logger.ts';
import {
  findJob,
  insertJob,
  type JobRow,
  markDone,
  markFailed,
  markRunning,
  nextDueJob,
  pruneFinishedJobs,
  requeue,
  saveCheckpoint,
} from './jobs.repository.ts';

export const RETRY_BASE_MS = 30_000;
export const RETRY_MAX_MS = 3_600_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Finished jobs are listed this long. */
export const FINISHED_JOBS_KEPT_MS = 7 * 86_400_000;
const POLL_MS = 1_000;

export interface JobContext<P = unknown, C = unknown> {
  id: number;
  payload: P;
  /** What an earlier, interrupted run of this job saved; undefined on a first run. */
  checkpoint: C | undefined;
  /** Saves progress (JSON); pass `write` to do the work it stands for in the same transaction. */
  saveCheckpoint(value: C, write?: () => void): void;
  /** 1 on the first try. */
  attempt: number;
  /** Aborted when the queue stops: save a checkpoint and return (or throw) soon. */
  signal: AbortSignal;
  log: Logger;
}

export type JobHandler<P = unknown, C = unknown> = (context: JobContext<P, C>) => Promise<void> | void;

interface Registration {
  handler: JobHandler<never, never>;
  maxAttempts: number;
}

export interface JobQueueOptions {
  db: Database;
  logger: Logger;
  clock?: () => number;
  pollMs?: number;
}

/** The delay before try `attempt + 1` after `attempt` failed. */
export function retryDelay(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
}

export class JobQueue {
  private readonly db: Database;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly pollMs: number;
  private readonly handlers = new Map<string, Registration>();
  /** Running jobs by kind. */
  private readonly running = new Map<string, { id: number; done: Promise<void>; abort: AbortController }>();
  private timer: NodeJS.Timeout | undefined;
  /** Polling for due jobs (start); without it, runDue runs them when called. */
  private started = false;
  /** stop() was called: no job starts any more, running ones are interrupted. */
  private stopping = false;

  constructor(options: JobQueueOptions) {
    this.db = options.db;
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
    this.pollMs = options.pollMs ?? POLL_MS;
  }

  register<P, C>(kind: string, handler: JobHandler<P, C>, options: { maxAttempts?: number } = {}): void {
    if (this.handlers.has(kind)) throw new Error(`job kind ${kind} is registered twice`);
    this.handlers.set(kind, {
      handler: handler as JobHandler<never, never>,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    });
  }

  /** Queues a job (a no-op when one of this kind and key is already queued or running). */
  enqueue(
    kind: string,
    options: { key?: string; payload?: unknown; runAt?: number } = {},
  ): { id: number; created: boolean } {
    const registration = this.handlers.get(kind);
    if (!registration) throw new Error(`no job kind ${kind}`);
    const now = this.clock();
    const queued = insertJob(this.db, {
      kind,
      key: options.key ?? '',
      payload: JSON.stringify(options.payload ?? {}),
      maxAttempts: registration.maxAttempts,
      runAt: options.runAt ?? now,
      now,
    });
    if (queued.created && this.started && !this.stopping) queueMicrotask(() => this.runDue());
    return queued;
  }

  /** Queues again what was running when the process last ended, then runs due jobs as they come. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    const resumed = requeue(this.db, {}, this.clock());
    if (resumed > 0)
      this.logger.info({ jobs: resumed }, 'jobs interrupted by the last stop are queued again');
    this.timer = setInterval(() => this.runDue(), this.pollMs);
    this.timer.unref();
    this.runDue();
  }

  /** Stops taking jobs; running ones are told to stop (signal), awaited, and queued again unfinished. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    clearInterval(this.timer);
    for (const job of this.running.values()) job.abort.abort();
    await Promise.all([...this.running.values()].map((job) => job.done));
  }

  /**
   * Starts every due job whose kind is not running, and the next of each kind as one finishes; resolves
   * once nothing due is left to start (tests call it instead of waiting for the poll).
   */
  async runDue(): Promise<void> {
    for (;;) {
      const started: Promise<void>[] = [];
      while (!this.stopping) {
        const job = nextDueJob(this.db, this.clock(), [...this.running.keys()]);
        if (!job) break;
        started.push(this.run(job));
      }
      if (started.length === 0) return;
      await Promise.all(started);
    }
  }

  /** Drops finished jobs past their listing time; returns how many. */
  prune(): number {
    return pruneFinishedJobs(this.db, this.clock() - FINISHED_JOBS_KEPT_MS);
  }

  private run(job: JobRow): Promise<void> {
    const registration = this.handlers.get(job.kind);
    const now = this.clock();
    if (!registration) {
      // A kind this version no longer has (or not yet: a newer version queued it): leave it be, later.
      markFailed(this.db, job.id, `no handler for job kind ${job.kind}`, now + RETRY_MAX_MS, now);
      return Promise.resolve();
    }
    markRunning(this.db, job.id, now);
    const abort = new AbortController();
    const log = this.logger.child({ job: job.id, kind: job.kind });
    const context: JobContext<never, never> = {
      id: job.id,
      payload: JSON.parse(job.payload) as never,
      checkpoint: (job.checkpoint === null ? undefined : JSON.parse(job.checkpoint)) as never,
      saveCheckpoint: (value, write) => {
        this.db.transaction(() => {
          write?.();
          saveCheckpoint(this.db, job.id, JSON.stringify(value), this.clock());
        });
      },
      attempt: job.attempts + 1,
      signal: abort.signal,
      log,
    };
    // In the map before the handler runs: one that throws at once finishes synchronously.
    const entry = { id: job.id, abort, done: Promise.resolve() };
    this.running.set(job.kind, entry);
    entry.done = (async () => {
      try {
        await registration.handler(context);
        if (abort.signal.aborted && this.stopping) requeue(this.db, { id: job.id }, this.clock());
        else markDone(this.db, job.id, this.clock());
      } catch (error) {
        if (abort.signal.aborted && this.stopping) {
          requeue(this.db, { id: job.id }, this.clock());
        } else {
          const attempt = job.attempts + 1;
          const final = attempt >= registration.maxAttempts;
          const message = error instanceof Error ? error.message : String(error);
          markFailed(
            this.db,
            job.id,
            message,
            final ? null : this.clock() + retryDelay(attempt),
            this.clock(),
          );
          log.warn(
            { err: error, attempt, final },
            final ? 'job failed for good' : 'job failed; it will be tried again',
          );
        }
      } finally {
        this.running.delete(job.kind);
        if (this.started && !this.stopping) queueMicrotask(() => this.runDue());
      }
    })();
    return entry.done;
  }

  /** A job as stored (tests, the admin routes). */
  find(id: number): JobRow | undefined {
    return findJob(this.db, id);
  }
}
