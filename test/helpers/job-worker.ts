// Run as a child process: opens the database, runs a JobQueue with the "sum" job of
// test/jobs/queue.test.ts, and prints "progress <n>" after each checkpoint, so the test can kill -9 it in
// the middle of the job.   node job-worker.ts <database file>
import { Database } from '../../src/db/database.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { registerSumJob } from '../jobs/sum-job.ts';

const db = Database.open(process.argv[2]!);
const queue = new JobQueue({ db, logger: silentLogger, pollMs: 20 });
registerSumJob(queue, db, (done) => process.stdout.write(`progress ${done}\n`), 15);
queue.start();
setInterval(() => {}, 60_000);
