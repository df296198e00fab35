// What a read worker does with a job: runs a read-only Subsonic endpoint (endpoint.readOnly) on the
// worker's own read-only connection to the database and answers with the serialised (and, when the client
// takes it, gzipped) body. The main thread has authenticated the caller; the worker trusts the user object
// it is sent. The thread itself (its database, its messages) is src/app/read-worker.ts.
import type { CatalogReader } from '../../catalog/reader.ts';
import type { Config } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import { isTonearmError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { gzipAnswer } from './compression.ts';
import type { ReadOnlyEndpoint, SubsonicEndpoint } from './endpoint.ts';
import { defaultEndpoints } from './handlers/index.ts';
import { SubsonicParams } from './params.ts';
import type { ReadAnswer, ReadJob } from './read-pool.ts';
import { envelope, resolveFormat, serialize } from './serializer.ts';

const isReadOnly = (endpoint: SubsonicEndpoint): endpoint is ReadOnlyEndpoint => endpoint.readOnly === true;
const endpoints = new Map<string, ReadOnlyEndpoint>(
  defaultEndpoints.filter(isReadOnly).map((endpoint) => [endpoint.name, endpoint]),
);

export interface ReadWorkerContext {
  /** The worker's read-only connection. */
  db: Database;
  /** The catalog's state for that connection. */
  catalog: CatalogReader;
  config: Config;
  logger: Logger;
}

export function runReadJob({ db, catalog, config, logger }: ReadWorkerContext, job: ReadJob): ReadAnswer {
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
