// Every route of the native JSON API (/api/v1), in the order the OpenAPI document lists them (the session
// routes come first: src/http/api/auth.routes.ts, built in app.ts). Each group lives in its own file as a
// list of route declarations (route.ts).
import { annotationRoutes } from './annotations.routes.ts';
import { playlistRoutes } from './playlists.routes.ts';
import { queueRoutes } from './queue.routes.ts';
import { radioRoutes } from './radio.routes.ts';
import type { AnyRoute } from './route.ts';
import { securityRoutes } from './security.routes.ts';
import { shareRoutes } from './shares.routes.ts';

export const apiRoutes: readonly AnyRoute[] = [
  ...securityRoutes,
  ...playlistRoutes,
  ...annotationRoutes,
  ...queueRoutes,
  ...shareRoutes,
  ...radioRoutes,
];
