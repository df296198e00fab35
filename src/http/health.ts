// /health for the Docker HEALTHCHECK, load balancers and people: no authentication. What the statuses mean
// and how faults clear: src/system/health.ts.
import type Router from '@koa/router';
import type { HealthMonitor } from '../system/health.ts';
import type { AppState } from './context.ts';
import { sendJson } from './json-response.ts';

export function mountHealth(router: Router<AppState>, monitor: HealthMonitor): void {
  router.get(['/health', '/api/health'], (ctx) => {
    ctx.state.routeLabel = '/health';
    ctx.set('Cache-Control', 'no-store');
    const report = monitor.check();
    ctx.status = report.status === 'error' ? 503 : 200;
    sendJson(ctx, report);
  });
}
