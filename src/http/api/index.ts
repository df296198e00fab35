// Every route of the native JSON API (/api/v1), in the order the OpenAPI document lists them. Each group
// lives in its own file as a list of route declarations (route.ts).
import { albumRoutes } from './albums.routes.ts';
import { artistRoutes } from './artists.routes.ts';
import { catalogRoutes } from './catalog.routes.ts';
import type { AnyRoute } from './route.ts';
import { trackRoutes } from './tracks.routes.ts';

export const apiRoutes: readonly AnyRoute[] = [
  ...catalogRoutes,
  ...artistRoutes,
  ...albumRoutes,
  ...trackRoutes,
];
