// Background jobs for admins (src/jobs): what is queued, running, done or failed, with attempts, the last
// error and the progress a job saved. Read-only: jobs are queued by the server itself.
import { z } from 'zod';
import { JOB_STATES, type JobView, jobsPage } from '../../jobs/jobs.ts';
import { encodeCursor } from '../../shared/cursor.ts';
import { cursorKey } from './activity-schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { isoOrNull, isoTime, page, pageQuery } from './schemas.ts';

const jobSchema = z
  .object({
    id: z.number().int(),
    kind: z.string(),
    key: z.string().describe('What the job is about within its kind (a user id, say); may be empty.'),
    state: z.enum(JOB_STATES as [string, ...string[]]),
    attempts: z.number().int().describe('Tries so far; a try cut short by a stop does not count.'),
    maxAttempts: z.number().int(),
    runAt: isoTime.describe('When it is (or was) due; after a failure, when it is tried again.'),
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    lastError: z.string().nullable(),
    progress: z.unknown().describe('What the job saved of its progress (resumed from after a restart).'),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Job' });

function jobJson(job: JobView): z.input<typeof jobSchema> {
  return {
    ...job,
    runAt: isoOrNull(job.runAt)!,
    startedAt: isoOrNull(job.startedAt),
    finishedAt: isoOrNull(job.finishedAt),
    createdAt: isoOrNull(job.createdAt)!,
    updatedAt: isoOrNull(job.updatedAt)!,
  };
}

function jobPosition(cursor: string): { updatedAt: number; id: number } {
  const [updatedAt, id] = cursorKey(cursor, ['number', 'number']);
  return { updatedAt: updatedAt as number, id: id as number };
}

export const jobRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/admin/jobs',
    tag: 'Jobs',
    summary: 'Background jobs, most recently changed first',
    description: 'Finished jobs are listed for a week. `state` lists one state only.',
    access: 'admin',
    query: z.object({ state: z.enum(JOB_STATES as [string, ...string[]]).optional(), ...pageQuery }),
    response: page(jobSchema),
    handle({ services, query }) {
      const result = jobsPage(services.db, {
        state: query.state as JobView['state'] | undefined,
        limit: query.limit,
        after: query.cursor === undefined ? undefined : jobPosition(query.cursor),
      });
      return {
        items: result.items.map(jobJson),
        nextCursor: result.next ? encodeCursor([result.next.updatedAt, result.next.id]) : null,
      };
    },
  }),
];
