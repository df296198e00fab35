// `tonearm jobs`: the server's background jobs (src/jobs), most recently changed first, as a table or as
// JSON lines.
import type { Database } from '../db/database.ts';
import { type JobState, jobsPage } from '../jobs/jobs.ts';
import { TonearmError } from '../shared/errors.ts';
import { printTable } from './output.ts';

export interface JobsFlags {
  state?: JobState;
  limit?: string;
  json?: boolean;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;

const time = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function runJobsCommand(db: Database, flags: JobsFlags): void {
  const limit =
    flags.limit === undefined ? DEFAULT_LIMIT : /^\d+$/.test(flags.limit) ? Number(flags.limit) : 0;
  if (!(limit >= 1 && limit <= MAX_LIMIT))
    throw new TonearmError(
      'INVALID_INPUT',
      `--limit takes a number from 1 to ${MAX_LIMIT}, not "${flags.limit}"`,
    );
  const { items } = jobsPage(db, { state: flags.state, limit });
  if (flags.json) {
    for (const job of items) process.stdout.write(`${JSON.stringify(job)}\n`);
    return;
  }
  if (items.length === 0) {
    process.stdout.write('no jobs\n');
    return;
  }
  printTable(
    items.map((job) => ({
      id: String(job.id),
      kind: job.kind,
      key: job.key,
      state: job.state,
      attempts: `${job.attempts}/${job.maxAttempts}`,
      due: time(job.runAt),
      finished: time(job.finishedAt),
      error: job.lastError ?? '',
    })),
    ['id', 'kind', 'key', 'state', 'attempts', 'due', 'finished', 'error'],
  );
}
