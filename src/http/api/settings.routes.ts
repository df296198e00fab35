// Server settings (administrators): the switches stored in the database that change at once
// (accounts/server-settings.ts), and read-only facts about the running server. Everything else is
// configuration (config file, TONEARM_* variables, flags) and needs a restart.
import { z } from 'zod';
import {
  changeServerSettings,
  readServerSettings,
  serverSettingsSchema,
} from '../../accounts/server-settings.ts';
import { listLibraries } from '../../library/library.repository.ts';
import { SERVER_VERSION } from '../version.ts';
import { auditRequest } from './audit-request.ts';
import { type AnyRoute, route } from './route.ts';
import { isoOrNull, isoTime } from './schemas.ts';

const settingsSchema = serverSettingsSchema.meta({ id: 'ServerSettings' });

const serverFactsSchema = z
  .object({
    version: z.string(),
    nodeVersion: z.string(),
    dataFolder: z.string(),
    basePath: z.string(),
    libraries: z.array(
      z.object({
        id: z.number().int(),
        name: z.string(),
        path: z.string(),
        online: z.boolean(),
        offlineSince: isoTime.nullable(),
        offlineReason: z.string().nullable(),
        lastScanAt: isoTime.nullable(),
      }),
    ),
    ffmpeg: z.object({
      path: z.string(),
      available: z.boolean().describe('It starts: transcoding and HLS can work.'),
    }),
  })
  .meta({ id: 'ServerFacts' });

export const settingsRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/admin/settings',
    tag: 'Settings',
    summary: 'The server-wide switches',
    access: 'admin',
    response: settingsSchema,
    handle: ({ services }) => readServerSettings(services.db),
  }),
  route({
    method: 'patch',
    path: '/admin/settings',
    tag: 'Settings',
    summary: 'Change server-wide switches (at once, for every request after)',
    description: 'Only the settings given change; answers all of them.',
    access: 'admin',
    body: serverSettingsSchema.partial().strict(),
    response: settingsSchema,
    handle: ({ ctx, services, user, body }) => {
      const changed = changeServerSettings(services.db, body);
      const settings = readServerSettings(services.db);
      if (changed.length > 0) {
        const values = Object.fromEntries(changed.map((key) => [key, settings[key]]));
        auditRequest(ctx, services.db, user, 'settings.changed', user, { detail: values });
        ctx.state.log.info({ user: user.username, ...values }, 'server settings changed');
      }
      return settings;
    },
  }),
  route({
    method: 'get',
    path: '/admin/server',
    tag: 'Settings',
    summary: 'Facts about the running server: version, data folder, libraries, ffmpeg',
    access: 'admin',
    response: serverFactsSchema,
    handle: async ({ services }) => ({
      version: SERVER_VERSION,
      nodeVersion: process.versions.node,
      dataFolder: services.config.dataDir,
      basePath: services.config.basePath,
      libraries: listLibraries(services.db).map((library) => ({
        id: library.id,
        name: library.name,
        path: library.path,
        online: library.offline_since === null,
        offlineSince: isoOrNull(library.offline_since),
        offlineReason: library.offline_reason,
        lastScanAt: isoOrNull(library.last_scan_at),
      })),
      ffmpeg: {
        path: services.config.transcoding.ffmpeg,
        available: await services.transcoder.ffmpegAvailable(),
      },
    }),
  }),
];
