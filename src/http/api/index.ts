// Every route of the native JSON API (/api/v1), in the order the OpenAPI document lists them (the session
// routes come first: src/http/api/auth.routes.ts, built in app.ts). Each group lives in its own file as a
// list of route declarations (route.ts).
import { albumRoutes } from './albums.routes.ts';
import { annotationRoutes } from './annotations.routes.ts';
import { apiKeyRoutes } from './api-keys.routes.ts';
import { artistRoutes } from './artists.routes.ts';
import { catalogRoutes } from './catalog.routes.ts';
import { eventRoutes } from './events.routes.ts';
import { insightRoutes } from './insights.routes.ts';
import { jobRoutes } from './jobs.routes.ts';
import { listeningRoutes } from './listening.routes.ts';
import { notificationRoutes } from './notifications.routes.ts';
import { playbackRoutes } from './playback.routes.ts';
import { playlistRoutes } from './playlists.routes.ts';
import { queueRoutes } from './queue.routes.ts';
import { radioRoutes } from './radio.routes.ts';
import type { AnyRoute } from './route.ts';
import { scanRoutes } from './scans.routes.ts';
import { securityRoutes } from './security.routes.ts';
import { settingsRoutes } from './settings.routes.ts';
import { shareRoutes } from './shares.routes.ts';
import { trackRoutes } from './tracks.routes.ts';
import { uploadRoutes } from './uploads.routes.ts';
import { userRoutes } from './users.routes.ts';

export const apiRoutes: readonly AnyRoute[] = [
  ...securityRoutes,
  ...userRoutes,
  ...apiKeyRoutes,
  ...catalogRoutes,
  ...artistRoutes,
  ...albumRoutes,
  ...trackRoutes,
  ...playlistRoutes,
  ...annotationRoutes,
  ...listeningRoutes,
  ...insightRoutes,
  ...notificationRoutes,
  ...queueRoutes,
  ...shareRoutes,
  ...radioRoutes,
  ...scanRoutes,
  ...jobRoutes,
  ...settingsRoutes,
  ...playbackRoutes,
  ...uploadRoutes,
  ...eventRoutes,
];
