// The native API's OpenAPI document as the server would serve it, built from the same route declarations
// (no server running, no database). The web app's API types are generated from it (api-types.ts).
import { authRoutes } from '../../src/http/api/auth.routes.ts';
import { apiRoutes } from '../../src/http/api/index.ts';
import { openApiDocument } from '../../src/http/api/openapi.ts';
import { OIDC_LOGIN_PATH, oidcRoutes } from '../../src/http/api/oidc.routes.ts';

/** Every route a server can mount, OIDC and the proxy-header login included, at the root path. */
export function fullOpenApiDocument(): Record<string, unknown> {
  const routes = [
    ...authRoutes({
      verifier: undefined as never,
      throttle: undefined as never,
      proxyHeader: true,
      oidc: { displayName: 'OIDC', loginPath: OIDC_LOGIN_PATH },
    }),
    ...oidcRoutes(undefined),
    ...apiRoutes,
  ];
  return openApiDocument(routes, '');
}
