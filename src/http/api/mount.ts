// The whole native API (/api/v1, the OpenAPI document and the docs page) on a router of its own. app.ts
// loads this module at the first request below /api: its route declarations and their zod schemas are
// ~3 MB of heap that a server whose clients all speak Subsonic never needs (docs/benchmarks.md, idle
// memory of issue 13). Everything it is built from exists before, so the first request pays only the
// module's loading (~30-60 ms once).
import type KoaRouter from '@koa/router';
import type { CredentialVerifier } from '../../accounts/credential-cache.ts';
import { OidcClient } from '../../accounts/oidc.ts';
import { TrustedProxies } from '../client-address.ts';
import { Router } from '../commonjs.ts';
import type { AppState } from '../context.ts';
import type { LoginThrottle } from '../login-throttle.ts';
import type { Services } from '../services.ts';
import { authRoutes } from './auth.routes.ts';
import { type ApiAuthenticator, createCallerResolver } from './auth.ts';
import { apiRoutes } from './index.ts';
import { OIDC_LOGIN_PATH, oidcRoutes } from './oidc.routes.ts';
import { mountOpenApi } from './openapi.ts';
import { mountRoutes } from './route.ts';

export interface NativeApiOptions {
  services: Services;
  /** Shared with the Subsonic API: one credential cache, one failed-login throttle. */
  verifier: CredentialVerifier;
  throttle: LoginThrottle;
  validateResponses?: boolean | undefined;
}

export function nativeApiRouter({
  services,
  verifier,
  throttle,
  validateResponses,
}: NativeApiOptions): KoaRouter<AppState> {
  const { config, db, logger } = services;
  const router = new Router<AppState>(config.basePath ? { prefix: config.basePath } : {});
  const apiAuth: ApiAuthenticator = {
    db,
    verifier,
    throttle,
    signer: services.urlSigner,
    basePath: config.basePath,
  };
  const proxyHeader = config.auth.proxyHeader
    ? {
        header: config.auth.proxyHeader,
        networks: new TrustedProxies(config.auth.proxyHeaderNetworks),
        createUsers: config.auth.proxyHeaderCreateUsers,
      }
    : undefined;
  const oidc = config.auth.oidc.issuer ? new OidcClient(config.auth.oidc, logger) : undefined;
  const routes = [
    ...authRoutes({
      verifier,
      throttle,
      proxyHeader: proxyHeader !== undefined,
      oidc: oidc && { displayName: config.auth.oidc.displayName, loginPath: OIDC_LOGIN_PATH },
    }),
    ...oidcRoutes(oidc),
    ...apiRoutes,
  ];
  mountRoutes(router, routes, {
    services,
    callers: createCallerResolver(apiAuth, services.sessions, proxyHeader),
    throttle,
    answers: services.answers,
    validateResponses,
  });
  mountOpenApi(router, routes, config.basePath);
  return router;
}
