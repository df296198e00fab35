import type Koa from 'koa';
import type { User } from '../accounts/users.service.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClientOrigin } from './client-address.ts';

/** What the middleware chain puts on ctx.state for everything after it. */
export interface AppState {
  requestId: string;
  /**
   * Who sent the request: the socket's peer, or behind a trusted proxy the forwarded client
   * (client-address.ts). `ctx.ip` is set to `client.address`.
   */
  client: ClientOrigin;
  /** Child logger carrying the request id; use it for every line about this request. */
  log: Logger;
  /** Route pattern for metrics (e.g. /rest/ping); unmatched requests leave it unset. */
  routeLabel?: string;
  /** The authenticated caller, once an API layer has decided who it is. */
  user?: User;
}

export type AppContext = Koa.ParameterizedContext<AppState>;
export type AppMiddleware = Koa.Middleware<AppState>;
