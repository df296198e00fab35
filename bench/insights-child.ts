// Runs one insights computation on a database in its own process, as `tonearm serve` runs its jobs, and
// prints one JSON line: how long it took and the process's peak RSS (the figure issue 14 caps).
//   node bench/insights-child.ts DB_FILE full|incremental|mixes
//   full: the insights-recompute job's work (neighbour lists, totals, trends), through the job queue;
//   incremental: the insights-update job; mixes: every listener's daily mixes (what a full recompute
//   queues after itself), then the trends on their own.
import { Database } from '../src/db/database.ts';
import { MIXES_JOB, RECOMPUTE_JOB, registerInsightJobs, UPDATE_JOB } from '../src/insights/jobs.ts';
import { usersWithPlays } from '../src/insights/personal.repository.ts';
import { type RecomputeCheckpoint, recomputeInsights } from '../src/insights/recompute.ts';
import { computeTrends } from '../src/insights/trending.ts';
import { JobQueue } from '../src/jobs/queue.ts';
import { silentLogger } from '../src/shared/logger.ts';

const [file, mode] = process.argv.slice(2);
if (!file || !['full', 'incremental', 'mixes'].includes(mode ?? '')) {
  process.stderr.write('usage: node bench/insights-child.ts DB_FILE full|incremental|mixes\n');
  process.exit(2);
}
const db = Database.open(file);
const queue = new JobQueue({ db, logger: silentLogger });
const figures: Record<string, number> = { rssBeforeMb: Math.round(process.memoryUsage().rss / 2 ** 20) };
const started = process.hrtime.bigint();
const seconds = () => Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(2));
if (mode === 'full') {
  // The job's handler without the mixes it queues after itself (measured apart).
  queue.register<unknown, RecomputeCheckpoint>(RECOMPUTE_JOB, (context) => recomputeInsights(db, context));
  const { id } = queue.enqueue(RECOMPUTE_JOB);
  await queue.runDue();
  const job = queue.find(id)!;
  if (job.state !== 'done') throw new Error(`the recompute ended ${job.state}: ${job.last_error}`);
  figures.seconds = seconds();
} else if (mode === 'incremental') {
  registerInsightJobs(queue, db);
  const { id } = queue.enqueue(UPDATE_JOB);
  await queue.runDue();
  const job = queue.find(id)!;
  if (job.state !== 'done') throw new Error(`the update ended ${job.state}: ${job.last_error}`);
  figures.seconds = seconds();
} else {
  registerInsightJobs(queue, db);
  const users = usersWithPlays(db);
  for (const userId of users) queue.enqueue(MIXES_JOB, { key: userId, payload: { userId } });
  await queue.runDue();
  figures.seconds = seconds();
  figures.users = users.length;
  const trendsStarted = process.hrtime.bigint();
  computeTrends(db, Date.now());
  figures.trendsSeconds = Number((Number(process.hrtime.bigint() - trendsStarted) / 1e9).toFixed(2));
}
figures.maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
figures.trackLists = db.sqlite
  .prepare('SELECT count(DISTINCT track_id) FROM track_similar')
  .pluck()
  .get() as number;
figures.artistLists = db.sqlite
  .prepare('SELECT count(DISTINCT artist_id) FROM artist_similar')
  .pluck()
  .get() as number;
process.stdout.write(`${JSON.stringify(figures)}\n`);
await db.close();
