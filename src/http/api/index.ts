// Every route of the native JSON API (/api/v1), in the order the OpenAPI document lists them. Each group
// lives in its own file as a list of route declarations (route.ts).
import { apiKeyRoutes } from './api-keys.routes.ts';
import { playbackRoutes } from './playback.routes.ts';
import type { AnyRoute } from './route.ts';
import { scanRoutes } from './scans.routes.ts';
import { settingsRoutes } from './settings.routes.ts';
import { userRoutes } from './users.routes.ts';

export const apiRoutes: readonly AnyRoute[] = [
  ...userRoutes,
  ...apiKeyRoutes,
  ...scanRoutes,
  ...settingsRoutes,
  ...playbackRoutes,
];
