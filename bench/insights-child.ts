// Runs one insights computation on a database in its own process, as `tonearm serve` would run the job,
// and prints one JSON line: how long it took and the process's peak RSS (the figure issue 14 caps).
//   node bench/insights-child.ts DB_FILE full|incremental
import { Database } from '../src/db/database.ts';
import { RECOMPUTE_JOB, registerInsightJobs, UPDATE_JOB } from '../src/insights/jobs.ts';
import { computeTrends } from '../src/insights/trending.ts';
import { JobQueue } from '../src/jobs/queue.ts';
import { silentLogger } from '../src/shared/logger.ts';

const [file, mode] = process.argv.slice(2);
if (!file || (mode !== 'full' && mode !== 'incremental')) {
  process.stderr.write('usage: node bench/insights-child.ts DB_FILE full|incremental\n');
  process.exit(2);
}
const db = Database.open(file);
const queue = new JobQueue({ db, logger: silentLogger });
registerInsightJobs(queue, db);
const rssBefore = process.memoryUsage().rss;
const started = process.hrtime.bigint();
const { id } = queue.enqueue(mode === 'full' ? RECOMPUTE_JOB : UPDATE_JOB);
// The job, then (full) the mixes of every listener it queues after itself.
await queue.runDue();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const job = queue.find(id)!;
if (job.state !== 'done') throw new Error(`the ${mode} job ended ${job.state}: ${job.last_error}`);
// The trends, which the update refreshes at most every ten minutes, measured on their own.
const trendsStarted = process.hrtime.bigint();
computeTrends(db, Date.now());
const trendsSeconds = Number((Number(process.hrtime.bigint() - trendsStarted) / 1e9).toFixed(2));
const mixes = db.sqlite.prepare('SELECT count(DISTINCT user_id) FROM user_mix').pluck().get() as number;
const counts = {
  trackLists: db.sqlite.prepare('SELECT count(DISTINCT track_id) FROM track_similar').pluck().get(),
  trackRows: db.sqlite.prepare('SELECT count(*) FROM track_similar').pluck().get(),
  artistLists: db.sqlite.prepare('SELECT count(DISTINCT artist_id) FROM artist_similar').pluck().get(),
};
process.stdout.write(
  `${JSON.stringify({
    /** The job alone. */
    seconds: Number(((job.finished_at! - job.started_at!) / 1000).toFixed(2)),
    /** With the mixes it queued. */
    withMixesSeconds: Number(seconds.toFixed(2)),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    rssBeforeMb: Math.round(rssBefore / 2 ** 20),
    mixUsers: mixes,
    trendsSeconds,
    ...counts,
  })}\n`,
);
await db.close();
