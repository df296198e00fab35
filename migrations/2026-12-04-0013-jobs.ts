// Background jobs (issue 14): a persistent queue (src/jobs/queue.ts). A job is queued for a time, run
// once due, at most one at a time per kind, retried with backoff when it fails, and kept afterwards for
// admins to see. `checkpoint` is what a running job saved of its progress: a job found `running` at
// start-up (the server was stopped or killed mid-job) is queued again and resumes from there. The
// partial unique index lets one job per kind and key wait or run at a time (enqueueing it again is a
// no-op). Frozen once shipped.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `CREATE TABLE job (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL,
      key TEXT NOT NULL DEFAULT '',
      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
      payload TEXT NOT NULL DEFAULT '{}',
      checkpoint TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      max_attempts INTEGER NOT NULL,
      run_at INTEGER NOT NULL,
      started_at INTEGER,
      finished_at INTEGER,
      last_error TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    `CREATE UNIQUE INDEX job_pending ON job (kind, key) WHERE state IN ('queued', 'running')`,
    `CREATE INDEX job_due ON job (state, run_at, id)`,
    `CREATE INDEX job_by_update ON job (updated_at, id)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
