// What admins see of the background jobs (GET /api/v1/admin/jobs, `tonearm jobs`).
import type { Database } from '../db/database.ts';
import { type JobRow, type JobState, listJobs } from './jobs.repository.ts';

export type { JobState } from './jobs.repository.ts';
export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'done', 'failed'];

export interface JobView {
  id: number;
  kind: string;
  key: string;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  lastError: string | null;
  /** The checkpoint the job saved (its progress), as it saved it. */
  progress: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface JobPosition {
  updatedAt: number;
  id: number;
}

function viewOf(row: JobRow): JobView {
  return {
    id: row.id,
    kind: row.kind,
    key: row.key,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    lastError: row.last_error,
    progress: row.checkpoint === null ? null : (JSON.parse(row.checkpoint) as unknown),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Jobs, most recently changed first; `after` is the last of the previous page. */
export function jobsPage(
  db: Database,
  options: { state?: JobState | undefined; limit: number; after?: JobPosition | undefined },
): { items: JobView[]; next: JobPosition | null } {
  const rows = listJobs(db, { state: options.state, limit: options.limit + 1, before: options.after });
  const items = rows.slice(0, options.limit).map(viewOf);
  const last = items.at(-1);
  return {
    items,
    next: rows.length > options.limit && last ? { updatedAt: last.updatedAt, id: last.id } : null,
  };
}
