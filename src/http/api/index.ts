// Every route of the native JSON API (/api/v1), in the order the OpenAPI document lists them. Each group
// lives in its own file as a list of route declarations (route.ts).
import type { AnyRoute } from './route.ts';
import { securityRoutes } from './security.routes.ts';

export const apiRoutes: readonly AnyRoute[] = [...securityRoutes];
