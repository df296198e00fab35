// A read worker thread (started by the read pool, src/http/read-pool.ts): opens its own read-only
// connection to the database (SQLite's WAL lets readers run beside the writer) and answers the jobs it is
// sent: read-only Subsonic endpoints and the native API's read routes.
import { parentPort, workerData } from 'node:worker_threads';
import { CatalogReader } from '../catalog/reader.ts';
import type { Config } from '../config/schema.ts';
import { Database } from '../db/database.ts';
import { runApiReadJob } from '../http/api/read-worker.ts';
import type { ReadJob, ReadWorkerContext } from '../http/read-pool.ts';
import { runSubsonicReadJob } from '../http/subsonic/read-worker.ts';
import { createLogger } from '../shared/logger.ts';

const { dbFile, config } = workerData as { dbFile: string; config: Config };
const db = Database.open(dbFile, { readonly: true });
const context: ReadWorkerContext = {
  db,
  catalog: new CatalogReader(db),
  config,
  logger: createLogger(config.logLevel, undefined, config.logFormat).child({ component: 'read-worker' }),
};

parentPort!.on('message', (job: ReadJob) => {
  const answer = job.api === 'native' ? runApiReadJob(context, job) : runSubsonicReadJob(context, job);
  // The gzip buffer moves to the main thread instead of being copied.
  const transfer = answer.ok && answer.gzipped ? [answer.gzipped.buffer as ArrayBuffer] : [];
  parentPort!.postMessage(answer, transfer);
});
// Modules loaded and the database open: the pool may send jobs (until then the main thread answers).
parentPort!.postMessage({ ready: true });
