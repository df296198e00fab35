// Liveness for the Docker HEALTHCHECK and load balancers: no authentication, answers 503 when the
// database stops responding.
import type Router from '@koa/router';
import type { Database } from '../db/database.ts';
import type { AppState } from './context.ts';

export function mountHealth(router: Router<AppState>, db: Database): void {
  router.get(['/health', '/api/health'], (ctx) => {
    ctx.state.routeLabel = '/health';
    ctx.set('Cache-Control', 'no-store');
    const ok = db.responds();
    ctx.status = ok ? 200 : 503;
    ctx.body = ok ? { status: 'ok' } : { status: 'error', detail: 'the database does not respond' };
  });
}
