// Builds the Koa application without listening (src/http/server.ts listens; tests use port 0).
// Everything is mounted under config.basePath, e.g. /music/rest/ping.
import Koa from 'koa';
import { passwordAuthSwitch } from '../accounts/auth-settings.ts';
import { createCredentialVerifier } from '../accounts/credential-cache.ts';
import { OidcClient } from '../accounts/oidc.ts';
import { checkExistingSecretKey, dataDirOf } from '../accounts/secret-key.ts';
import { HealthMonitor } from '../system/health.ts';
import { type ApiAuthenticator, createCallerResolver } from './api/auth.ts';
import { authRoutes } from './api/auth.routes.ts';
import { apiRoutes } from './api/index.ts';
import { OIDC_LOGIN_PATH, oidcRoutes } from './api/oidc.routes.ts';
import { mountOpenApi } from './api/openapi.ts';
import { mountRoutes } from './api/route.ts';
import { ClientAddresses, TrustedProxies } from './client-address.ts';
import { Router } from './commonjs.ts';
import type { AppState } from './context.ts';
import { mountHealth } from './health.ts';
import { mountHomePage } from './home-page.ts';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
import { createMetrics, mountMetrics } from './metrics.ts';
import { problemDetails } from './problem.ts';
import { cors } from './cors.ts';
import { requestContext } from './request-context.ts';
import { securityHeaders } from './security-headers.ts';
import { mountShares } from './share.ts';
import type { SubsonicEndpoint } from './subsonic/endpoint.ts';
import { defaultEndpoints } from './subsonic/handlers/index.ts';
import type { Services } from './services.ts';
import { mountSubsonic } from './subsonic/router.ts';

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
  const apiAuth: ApiAuthenticator = {
    db,
    verifier,
    throttle,
    signer: services.urlSigner,
    basePath: config.basePath,
  };
  mountHomePage(router, config);
  mountHealth(router, health);
  const proxyHeader = config.auth.proxyHeader
    ? {
        header: config.auth.proxyHeader,
        networks: new TrustedProxies(config.auth.proxyHeaderNetworks),
        createUsers: config.auth.proxyHeaderCreateUsers,
      }
    : undefined;
  const oidc = config.auth.oidc.issuer ? new OidcClient(config.auth.oidc, logger) : undefined;
  const nativeRoutes = [
    ...authRoutes({
      verifier,
      throttle,
      proxyHeader: proxyHeader !== undefined,
      oidc: oidc && { displayName: config.auth.oidc.displayName, loginPath: OIDC_LOGIN_PATH },
    }),
    ...oidcRoutes(oidc),
    ...apiRoutes,
  ];
  mountRoutes(router, nativeRoutes, {
    services,
    callers: createCallerResolver(apiAuth, services.sessions, proxyHeader),
    throttle,
    answers: services.answers,
    validateResponses: options.validateResponses,
  });
  mountOpenApi(router, nativeRoutes, config.basePath);
  mountShares(router, db, services.playback);
  mountMetrics(router, metrics);

  app.use(requestContext(logger, metrics, clients));
  app.use(securityHeaders());
  app.use(cors(config.http.corsOrigins));
  app.use(problemDetails(db));
  app.use(router.routes());

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
