// A read worker: runs read-only Subsonic endpoints (endpoint.readOnly) on its own read-only connection to
// the database and answers with the serialised (and, when the client takes it, gzipped) body. The main
// thread has authenticated the caller; the worker trusts the user object it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { CatalogReader } from '../../catalog/reader.ts';
import type { Config } from '../../config/schema.ts';
import { Database } from '../../db/database.ts';
import { isTonearmError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import { gzipAnswer } from './compression.ts';
import { RESPONDED, type SubsonicEndpoint } from './endpoint.ts';
import { defaultEndpoints } from './handlers/index.ts';
import { SubsonicParams } from './params.ts';
import type { ReadAnswer, ReadJob } from './read-pool.ts';
import { envelope, resolveFormat, serialize } from './serializer.ts';

const { dbFile, config } = workerData as { dbFile: string; config: Config };
const db = Database.open(dbFile, { readonly: true });
const catalog = new CatalogReader(db);
const logger = createLogger(config.logLevel, undefined, config.logFormat).child({ component: 'read-worker' });
const endpoints = new Map<string, SubsonicEndpoint>(
  defaultEndpoints.filter((endpoint) => endpoint.readOnly).map((endpoint) => [endpoint.name, endpoint]),
);

function run(job: ReadJob): ReadAnswer {
  const endpoint = endpoints.get(job.name);
  if (!endpoint) return { id: job.id, ok: false, message: `${job.name} is not a read-only endpoint` };
  const params = SubsonicParams.parse(job.query, job.body);
  const { format } = resolveFormat(params.get('f'), params.get('callback'));
  const headers: [string, string][] = [];
  try {
    const result = endpoint.handle({
      params,
      db,
      catalog,
      user: job.user,
      client: params.get('c') ?? '',
      player: job.player,
      format,
      log: logger.child({ reqId: job.requestId }),
      config,
      setHeader: (name, value) => headers.push([name, value]),
    });
    if (result instanceof Promise || result === RESPONDED) {
      return { id: job.id, ok: false, message: `${job.name} is marked readOnly but is not synchronous` };
    }
    const answer = serialize(format, envelope('ok', result));
    const compressed = job.gzip ? gzipAnswer(answer.body) : undefined;
    // A copy with its own memory: a small Buffer may live in Node's shared pool, which must not move.
    const gzipped = compressed ? new Uint8Array(compressed) : undefined;
    return { id: job.id, ok: true, contentType: answer.contentType, body: answer.body, gzipped, headers };
  } catch (error) {
    if (isTonearmError(error)) return { id: job.id, ok: false, code: error.code, message: error.message };
    const failure = error as Error;
    return { id: job.id, ok: false, message: failure.message, stack: failure.stack };
  }
}

parentPort!.on('message', (job: ReadJob) => {
  const answer = run(job);
  // The gzip buffer moves to the main thread instead of being copied.
  const transfer = answer.ok && answer.gzipped ? [answer.gzipped.buffer as ArrayBuffer] : [];
  parentPort!.postMessage(answer, transfer);
});
// Modules loaded and the database open: the pool may send jobs (until then the main thread answers).
parentPort!.postMessage({ ready: true });
