// First middleware of every request: decides who the client is (src/http/client-address.ts; from here on
// ctx.ip is that address, never a header from an untrusted peer), gives the request an id (a sane
// incoming X-Request-Id is kept so a proxy's id follows the request), a child logger that stamps the id
// on every line, and, once the response is done, one access-log line and the HTTP metrics. The path is
// logged without its query string: Subsonic clients put passwords there.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../shared/logger.ts';
import type { ClientAddresses } from './client-address.ts';
import type { AppMiddleware } from './context.ts';
import type { HttpMetrics } from './metrics.ts';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestContext(
  logger: Logger,
  metrics: HttpMetrics,
  clients: ClientAddresses,
): AppMiddleware {
  return async (ctx, next) => {
    const client = clients.resolve(ctx.req);
    ctx.state.client = client;
    ctx.request.ip = client.address;
    const incoming = ctx.get('X-Request-Id');
    const requestId = SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ reqId: requestId });
    ctx.state.requestId = requestId;
    ctx.state.log = log;
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    // 'close' comes after the body is fully sent (or the client went away), so streams are timed whole.
    ctx.res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = ctx.res.statusCode;
      const route = ctx.state.routeLabel ?? 'unmatched';
      metrics.observeRequest(ctx.method, route, status, seconds);
      const line: Record<string, unknown> = {
        method: ctx.method,
        path: ctx.path,
        ip: client.address,
        status,
        durationMs: Math.round(seconds * 1e4) / 10,
      };
      if (ctx.state.user) line.user = ctx.state.user.username;
      if (!ctx.res.writableFinished) line.aborted = true;
      log.info(line, 'request');
    });
    await next();
  };
}
