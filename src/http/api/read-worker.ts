// What a read worker does with a native API job: runs the read route (route.read) named by the job on the
// worker's own read-only connection, through the same runRead as the main thread, and answers with its
// JSON text, or only its gzip form when the client takes gzip. The main thread has authenticated the caller;
// the worker trusts the user object it is sent. Routes are found in index.ts, the list of every route.
import { answered, failed } from '../read-answer.ts';
import type { ApiReadJob, ReadAnswer, ReadWorkerContext } from '../read-pool.ts';
import { apiRoutes } from './index.ts';
import { type AnyReadRoute, isReadRoute, routeKey, runRead } from './route.ts';

const readRoutes = new Map<string, AnyReadRoute>(
  apiRoutes.filter(isReadRoute).map((definition) => [routeKey(definition), definition]),
);

export function runApiReadJob(
  { db, catalog, config, logger }: ReadWorkerContext,
  job: ApiReadJob,
): ReadAnswer {
  const definition = readRoutes.get(job.route);
  if (!definition)
    return { id: job.id, ok: false, message: `${job.route} is not a read route of src/http/api/index.ts` };
  try {
    const body = runRead(
      definition,
      { db, catalog, config, log: logger.child({ reqId: job.requestId }) },
      job,
    );
    return answered(job.id, { contentType: 'application/json', body }, { gzip: job.gzip, keepText: false });
  } catch (error) {
    return failed(job.id, error);
  }
}
