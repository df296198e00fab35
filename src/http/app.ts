// Builds the Koa application without listening (src/http/server.ts listens; tests use port 0).
// Everything is mounted under config.basePath, e.g. /music/rest/ping.

import type KoaRouter from '@koa/router';
import type { RouterMiddleware } from '@koa/router';
import Koa from 'koa';
import { passwordAuthSwitch } from '../accounts/auth-settings.ts';
import { createCredentialVerifier } from '../accounts/credential-cache.ts';
import { checkExistingSecretKey, dataDirOf } from '../accounts/secret-key.ts';
import { HealthMonitor } from '../system/health.ts';
import type { NativeApiOptions } from './api/mount.ts';
import { ClientAddresses } from './client-address.ts';
import { Router } from './commonjs.ts';
import type { AppState } from './context.ts';
import { cors } from './cors.ts';
import { mountHealth } from './health.ts';
import { mountHomePage } from './home-page.ts';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
import { createMetrics, mountMetrics } from './metrics.ts';
import { problemDetails } from './problem.ts';
import { requestContext } from './request-context.ts';
import { securityHeaders } from './security-headers.ts';
import type { Services } from './services.ts';
import { mountShares } from './share.ts';
import type { SubsonicEndpoint } from './subsonic/endpoint.ts';
import { defaultEndpoints } from './subsonic/handlers/index.ts';
import { mountSubsonic } from './subsonic/router.ts';
import { findWebAppBuild, type WebAppBuild, webAppFallback } from './web-app.ts';

/** Knobs of the HTTP layer itself (tests change them; serve takes the defaults). */
export interface AppOptions {
  /** Subsonic endpoints to serve; every implemented endpoint (handlers/index.ts) by default. */
  subsonicEndpoints?: readonly SubsonicEndpoint[];
  /** Failed-login rules (defaults in login-throttle.ts: per address+account backoff, per-address ceiling). */
  loginThrottle?: LoginThrottleOptions;
  /** How long a successful password check is remembered (default 60 s). */
  credentialCacheSeconds?: number;
  /** Check every native API answer against its schema (tests; a mismatch becomes a 500). */
  validateResponses?: boolean;
  /** The built web app to serve (web-app.ts); by default web/dist when it exists, false for none. */
  webApp?: WebAppBuild | false;
}

const CLIENT_GONE = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
]);

function isClientGone(error: unknown): boolean {
  return CLIENT_GONE.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Paths of the native API (below the base path): api/mount.ts serves them once loaded. */
const NATIVE_API_PATHS = [
  '/api/v1',
  '/api/v1/{*rest}',
  '/api/openapi.json',
  '/api/docs',
  '/api/docs/{*rest}',
];

/**
 * The native API's router, loaded at the first request for one of its paths (api/mount.ts says why).
 * The loaded router hangs on the dispatching middleware as `nativeApi` (tests list its routes).
 */
function mountNativeApiOnFirstUse(router: KoaRouter<AppState>, options: NativeApiOptions): void {
  let loading: Promise<KoaRouter<AppState>> | undefined;
  const dispatch: RouterMiddleware<AppState> & {
    nativeApi?: KoaRouter<AppState>;
    routes?: RouterMiddleware<AppState>;
  } = async (ctx, next) => {
    loading ??= import('./api/mount.ts').then(({ nativeApiRouter }) => {
      const loaded = nativeApiRouter(options);
      dispatch.nativeApi = loaded;
      dispatch.routes = loaded.routes();
      return loaded;
    });
    await loading;
    await dispatch.routes!(ctx, next);
  };
  router.all(NATIVE_API_PATHS, dispatch);
}

export function createApp(services: Services, options: AppOptions = {}): Koa<AppState> {
  const { config, db, logger } = services;
  const app = new Koa<AppState>();
  checkExistingSecretKey(db);
  const clients = new ClientAddresses(config.http.trustedProxies, logger);
  const health = new HealthMonitor({
    db,
    dataDir: dataDirOf(db),
    minFreeBytes: config.storage.minFreeSpace,
  });
  const metrics = createMetrics({
    db,
    health,
    logger,
    scanStatus: services.scanStatus,
    transcodes: services.transcoder,
  });
  const router = new Router<AppState>(config.basePath ? { prefix: config.basePath } : {});

  // One credential cache and one failed-login throttle for both APIs.
  const verifier = createCredentialVerifier(db, { ttlSeconds: options.credentialCacheSeconds ?? 60 });
  const throttle = new LoginThrottle(options.loginThrottle);
  mountSubsonic(router, {
    endpoints: options.subsonicEndpoints ?? defaultEndpoints,
    services,
    answers: services.answers,
    auth: { verifier, throttle, passwordAuthEnabled: passwordAuthSwitch(db) },
  });
  // The web app's page once it is built; until then the page that says how to connect a client.
  const webApp = options.webApp ?? findWebAppBuild();
  if (!webApp) mountHomePage(router, config);
  mountHealth(router, health);
  mountNativeApiOnFirstUse(router, {
    services,
    verifier,
    throttle,
    validateResponses: options.validateResponses,
  });
  mountShares(router, db, services.playback);
  mountMetrics(router, metrics);

  app.use(requestContext(logger, metrics, clients));
  app.use(securityHeaders());
  app.use(cors(config.http.corsOrigins));
  app.use(problemDetails(db));
  app.use(router.routes());
  if (webApp) app.use(webAppFallback(config, webApp));

  // Errors Koa catches itself (a response stream failing after the headers went out) land here. A listener
  // that hangs up mid-stream is everyday life for a music server, not an error.
  app.on('error', (error: unknown, ctx?: { state?: Partial<AppState> }) => {
    const log = ctx?.state?.log ?? logger;
    if (isClientGone(error))
      log.debug({ code: (error as NodeJS.ErrnoException).code }, 'client went away mid-response');
    else log.error({ err: error }, 'error after the response started');
  });
  return app;
}
