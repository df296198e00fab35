// Every route of the native JSON API (/api/v1), in the order the OpenAPI document lists them. Each group
// lives in its own file as a list of route declarations (route.ts).
import { eventRoutes } from './events.routes.ts';
import type { AnyRoute } from './route.ts';
import { uploadRoutes } from './uploads.routes.ts';

export const apiRoutes: readonly AnyRoute[] = [...uploadRoutes, ...eventRoutes];
