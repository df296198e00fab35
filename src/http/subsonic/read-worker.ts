// What a read worker does with a Subsonic job: runs a read-only endpoint (endpoint.readOnly) on the
// worker's own read-only connection to the database and answers with the serialised (and, when the client
// takes it, gzipped) body. The main thread has authenticated the caller; the worker trusts the user object
// it is sent. The thread itself (its database, its messages) is src/app/read-worker.ts.
import { answered, failed } from '../read-answer.ts';
import type { ReadAnswer, ReadWorkerContext, SubsonicReadJob } from '../read-pool.ts';
import type { ReadOnlyEndpoint, SubsonicEndpoint } from './endpoint.ts';
import { defaultEndpoints } from './handlers/index.ts';
import { SubsonicParams } from './params.ts';
import { envelope, resolveFormat, serialize } from './serializer.ts';

const isReadOnly = (endpoint: SubsonicEndpoint): endpoint is ReadOnlyEndpoint => endpoint.readOnly === true;
const endpoints = new Map<string, ReadOnlyEndpoint>(
  defaultEndpoints.filter(isReadOnly).map((endpoint) => [endpoint.name, endpoint]),
);

export function runSubsonicReadJob(
  { db, catalog, config, logger }: ReadWorkerContext,
  job: SubsonicReadJob,
): ReadAnswer {
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
    return answered(job.id, serialize(format, envelope('ok', result)), {
      gzip: job.gzip,
      keepText: true,
      headers,
    });
  } catch (error) {
    return failed(job.id, error);
  }
}
