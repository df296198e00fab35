// Run as a child process: runs the real insights recompute job on a database and prints "progress
// <phase> <done>" after each checkpoint, pausing 20 ms there, so the test can kill -9 it part way.
//   node insights-worker.ts <database file> <now ms>
import { Database } from '../../src/db/database.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { registerRecompute } from '../insights/recompute-job.ts';

const db = Database.open(process.argv[2]!);
const queue = new JobQueue({ db, logger: silentLogger, pollMs: 20 });
const pause = new Int32Array(new SharedArrayBuffer(4));
registerRecompute(queue, db, Number(process.argv[3]), (checkpoint) => {
  process.stdout.write(`progress ${checkpoint.phase} ${checkpoint.done}\n`);
  Atomics.wait(pause, 0, 0, 20);
});
queue.start();
setInterval(() => {}, 60_000);
