// Errors outside the Subsonic API become RFC 9457 problem details. Messages of deliberate errors
// (TonearmError, or HTTP errors marked safe to expose) are shown; anything else is logged with its
// stack and answered with a generic 500 that names the request id.
import type { Database } from '../db/database.ts';
import { errorCatalogue, isTonearmError } from '../shared/errors.ts';
import { nodeHttp } from './commonjs.ts';
import type { AppContext, AppMiddleware } from './context.ts';
import { sendJson } from './json-response.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

export function problemDetails(db: Database): AppMiddleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        sendProblem(ctx, {
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: `nothing is served at ${ctx.path}`,
        });
      }
    } catch (error) {
      sendProblem(ctx, toProblem(ctx, db.explainFailure(error)));
      // "Come back later" (throttled logins, busy transcoders): how much later.
      if (isTonearmError(error) && error.retryAfterSeconds !== undefined && !ctx.headerSent) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
      }
    }
  };
}

/** `error` as problem details (a storage fault already made clear by Database.explainFailure). */
export function toProblem(ctx: AppContext, error: unknown): Problem {
  if (isTonearmError(error)) {
    if (error.retryAfterSeconds !== undefined && !ctx.headerSent)
      ctx.set('Retry-After', String(error.retryAfterSeconds));
    if (error.httpStatus === 503) ctx.state.log.warn({ code: error.code }, error.message);
    return {
      type: `urn:tonearm:error:${error.code}`,
      title: errorCatalogue[error.code].summary,
      status: error.httpStatus,
      detail: error.message,
    };
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const title = nodeHttp.STATUS_CODES[status] ?? 'Bad Request';
    const expose = (error as { expose?: unknown }).expose === true;
    return { type: 'about:blank', title, status, detail: expose ? (error as Error).message : title };
  }
  ctx.state.log.error({ err: error }, 'request failed');
  return {
    type: 'urn:tonearm:error:INTERNAL',
    title: 'Internal Server Error',
    status: 500,
    detail: `an unexpected error occurred; request id ${ctx.state.requestId}`,
  };
}

function sendProblem(ctx: AppContext, problem: Problem): void {
  if (ctx.headerSent) return;
  ctx.status = problem.status;
  // The request id is in every problem, so a user's report can be matched with the server log.
  sendJson(ctx, { ...problem, requestId: ctx.state.requestId }, 'application/problem+json');
}
