// Playback: transcoding profiles, players, signed media URLs, the media itself (stream and download) and
// HLS. The media routes take a signed URL instead of credentials, since an <audio> element sends no
// headers; HLS routes take nothing else, because a player fetches every URI of a playlist as it is (each
// URI carries its own signature naming the user, src/streaming/signed-urls.ts). Playback
// (src/streaming/playback.ts) checks on every request that the user may still play the track. Plan,
// playlists, segments and their cache: src/streaming/hls/ and docs/hls.md.
import { z } from 'zod';
import type { User } from '../../accounts/users.service.ts';
import { TonearmError } from '../../shared/errors.ts';
import { HLS_PLAYLIST_TYPE } from '../../streaming/hls/playlists.ts';
import { HLS_SEGMENT_TYPE, type SegmentFile } from '../../streaming/hls/segments.ts';
import type { PlayerSighting } from '../../streaming/players.ts';
import {
  isBuiltInProfile,
  listProfiles,
  removeProfile,
  saveProfile,
  type TranscodeProfile,
} from '../../streaming/profiles.ts';
import type { AppContext } from '../context.ts';
import { sendMediaFile, sendPlaylist, sendSegment, sendStream } from '../send-playback.ts';
import type { Caller } from './caller.ts';
import { API_PREFIX, type AnyRoute, route } from './route.ts';
import { idParams, page, queryBoolean } from './schemas.ts';

/** How long a signed media URL stays valid unless asked otherwise: a long album, paused over lunch. */
export const DEFAULT_URL_TTL_SECONDS = 6 * 3600;
const MAX_URL_TTL_SECONDS = 7 * 24 * 3600;

const profileSchema = z
  .object({
    name: z.string(),
    suffix: z.string(),
    contentType: z.string(),
    codec: z.string(),
    lossless: z.boolean(),
    defaultBitrate: z.number().int().describe('kbit/s when neither the client nor a limit asks for one.'),
    maxBitrate: z.number().int().describe("The encoder's ceiling in kbit/s (0 = none)."),
    arguments: z.array(z.string()).describe('ffmpeg output arguments; {bitrate} is replaced.'),
    builtIn: z.boolean(),
  })
  .meta({ id: 'TranscodeProfile' });

const profileBody = z.strictObject({
  suffix: z.string(),
  contentType: z.string(),
  codec: z.string(),
  lossless: z.boolean().optional(),
  defaultBitrate: z.number().int().optional(),
  maxBitrate: z.number().int().optional(),
  arguments: z.array(z.string()),
});

const playerSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    username: z.string(),
    client: z.string(),
    userAgent: z.string(),
    name: z.string(),
    maxBitRate: z.number().int().describe('kbit/s, 0 = no limit of its own.'),
    format: z.string().describe("A profile name, 'raw', or '' (no preference)."),
    lastSeenAt: z.number().int().describe('Milliseconds since 1970.'),
    lastAddress: z.string(),
  })
  .meta({ id: 'Player' });

const playerBody = z.strictObject({
  name: z.string().optional(),
  maxBitRate: z.number().int().optional(),
  format: z.string().optional(),
});

const mediaUrlsBody = z.strictObject({
  trackId: z.string().min(1),
  format: z.string().optional(),
  maxBitRate: z.number().int().min(0).optional(),
  ttlSeconds: z.number().int().min(60).max(MAX_URL_TTL_SECONDS).optional(),
});

const trackParams = z.object({ trackId: z.string().min(1) });
const variantParams = trackParams.extend({ bitrate: z.string() });

function profileJson(profile: TranscodeProfile): z.input<typeof profileSchema> {
  return { ...profile, arguments: [...profile.arguments] };
}

/** The web app (or the client the query names) as a player. */
function webPlayer(ctx: AppContext, user: User, client: string | undefined): PlayerSighting {
  return {
    userId: user.id,
    client: client ?? 'tonearm-web',
    userAgent: ctx.get('User-Agent'),
    address: ctx.ip,
  };
}

/** HLS URIs are signed URLs only: credentials in headers do not reach a player's segment requests. */
function signedUser(caller: Caller | undefined): User {
  if (caller?.via !== 'signed-url')
    throw new TonearmError('FORBIDDEN', 'this link is not valid: HLS is reached through signed URLs only');
  return caller.user;
}

export const playbackRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/transcoding/profiles',
    tag: 'Playback',
    summary: 'Every transcoding profile (built-in and the admin’s)',
    access: 'user',
    response: page(profileSchema),
    // A handful: one page, in the house list shape.
    handle: ({ services }) => ({ items: listProfiles(services.db).map(profileJson), nextCursor: null }),
  }),
  route({
    method: 'put',
    path: '/transcoding/profiles/:name',
    tag: 'Playback',
    summary: 'Add or replace an admin profile',
    description:
      'arguments are ffmpeg output arguments, e.g. ["-c:a", "libmp3lame", "-b:a", "{bitrate}k", "-f", "mp3"]; ' +
      'file names, inputs and a missing container are refused. A built-in profile may be replaced.',
    access: 'admin',
    params: z.object({ name: z.string() }),
    body: profileBody,
    response: profileSchema,
    handle: ({ ctx, services, params, body }) => {
      const profile = saveProfile(services.db, { ...body, name: params.name });
      ctx.state.log.info({ profile: profile.name }, 'transcode profile saved');
      return profileJson(profile);
    },
  }),
  route({
    method: 'delete',
    path: '/transcoding/profiles/:name',
    tag: 'Playback',
    summary: 'Remove an admin profile (built-ins cannot be removed: 404)',
    access: 'admin',
    params: z.object({ name: z.string() }),
    status: 204,
    errors: [404],
    handle: ({ services, params }) => {
      if (!removeProfile(services.db, params.name)) {
        throw new TonearmError(
          'NOT_FOUND',
          isBuiltInProfile(params.name)
            ? `${params.name} is a built-in profile; it can be replaced but not removed`
            : `no profile named ${params.name}`,
        );
      }
    },
  }),

  route({
    method: 'get',
    path: '/players',
    tag: 'Playback',
    summary: 'The clients the caller streamed from (admins: everybody’s with all=true)',
    access: 'user',
    query: z.object({ all: queryBoolean.optional() }),
    response: page(playerSchema),
    handle: ({ services, user, query }) => ({
      items: services.players.list(user, query.all === true),
      nextCursor: null,
    }),
  }),
  route({
    method: 'patch',
    path: '/players/:id',
    tag: 'Playback',
    summary: 'Set a player’s name, bitrate limit or format (its user or an admin)',
    access: 'user',
    params: idParams,
    body: playerBody,
    response: playerSchema,
    errors: [404],
    handle: ({ services, user, params, body }) => services.players.update(user, params.id, body),
  }),
  route({
    method: 'delete',
    path: '/players/:id',
    tag: 'Playback',
    summary: 'Forget a player (its user or an admin)',
    access: 'user',
    params: idParams,
    status: 204,
    errors: [404],
    handle: ({ services, user, params }) => services.players.delete(user, params.id),
  }),

  route({
    method: 'post',
    path: '/media/urls',
    tag: 'Playback',
    summary: 'Signed, expiring stream, download and HLS URLs for a track',
    description:
      'The URLs carry no credentials and work only as signed (any change voids them), until they expire, ' +
      'and only while the user may still play the track.',
    access: 'user',
    body: mediaUrlsBody,
    response: z.object({
      stream: z.string(),
      download: z.string(),
      hls: z.string(),
      expiresAt: z.iso.datetime(),
    }),
    errors: [404],
    handle: async ({ services, user, body }) => {
      // Only tracks the caller may play get a link; the check is made again when the link is used.
      await services.playback.track(user, body.trackId);
      const ttl = body.ttlSeconds ?? DEFAULT_URL_TTL_SECONDS;
      const streamParams: Record<string, string | number> = {};
      if (body.format) streamParams.format = body.format;
      if (body.maxBitRate) streamParams.maxBitRate = body.maxBitRate;
      const media = `${API_PREFIX}/media`;
      const id = encodeURIComponent(body.trackId);
      const sign = (path: string, params: Record<string, string | number> = {}) =>
        services.config.basePath + services.urlSigner.sign(path, params, user.id, ttl);
      return {
        stream: sign(`${media}/stream/${id}`, streamParams),
        download: sign(`${media}/download/${id}`),
        hls: sign(`${media}/hls/${id}/master.m3u8`),
        expiresAt: new Date(Date.now() + ttl * 1000).toISOString(),
      };
    },
  }),
  route({
    method: 'get',
    path: '/media/stream/:trackId',
    tag: 'Playback',
    summary: 'The track, as it is or transcoded (as Subsonic stream)',
    description:
      'Range, HEAD and ETag for originals and cached transcodes; 429 + Retry-After beyond the transcode limits.',
    access: 'user',
    signedUrl: true,
    params: trackParams,
    query: z.object({
      format: z.string().optional().describe("A profile name or 'raw'."),
      maxBitRate: z.string().optional().describe('kbit/s'),
      timeOffset: z.string().optional().describe('Seconds to start at (transcodes).'),
      estimateContentLength: z
        .string()
        .optional()
        .describe("'true': promise the transcode's length up front."),
      client: z.string().optional().describe('The player to count this as (default tonearm-web).'),
    }),
    produces: ['audio/*'],
    errors: [404, 416, 503],
    handle: async ({ ctx, services, user, params, query }) => {
      const plan = await services.playback.stream({
        user,
        trackId: params.trackId,
        params: { format: query.format, maxBitRate: query.maxBitRate, timeOffset: query.timeOffset },
        player: webPlayer(ctx, user, query.client),
        estimateContentLength: query.estimateContentLength === 'true',
      });
      await sendStream(ctx, plan, services.playback);
    },
  }),
  route({
    method: 'get',
    path: '/media/download/:trackId',
    tag: 'Playback',
    summary: 'The original file as an attachment',
    access: 'user',
    signedUrl: true,
    params: trackParams,
    produces: ['audio/*'],
    errors: [404, 503],
    handle: async ({ ctx, services, user, params }) => {
      const plan = await services.playback.downloadTrack(user, params.trackId);
      await sendMediaFile(ctx, plan.media, { asDownload: true });
    },
  }),

  // Declared public so that a request without a signature gets this route's 403, not a 401 asking for
  // credentials that HLS would not take; signedUser refuses every caller but a signed URL.
  route({
    method: 'get',
    path: '/media/hls/:trackId/master.m3u8',
    tag: 'Playback',
    summary: 'HLS master playlist: the variants (bitrates) of a track (signed URL only)',
    access: 'public',
    signedUrl: true,
    params: trackParams,
    produces: [HLS_PLAYLIST_TYPE],
    errors: [404],
    handle: async ({ ctx, services, caller, params }) => {
      sendPlaylist(ctx, await services.playback.hlsMaster(signedUser(caller), params.trackId));
    },
  }),
  route({
    method: 'get',
    path: '/media/hls/:trackId/:bitrate/index.m3u8',
    tag: 'Playback',
    summary: 'HLS media playlist: one variant’s segments (signed URL only)',
    access: 'public',
    signedUrl: true,
    params: variantParams,
    produces: [HLS_PLAYLIST_TYPE],
    errors: [404],
    handle: async ({ ctx, services, caller, params }) => {
      const user = signedUser(caller);
      sendPlaylist(ctx, await services.playback.hlsVariant(user, params.trackId, params.bitrate));
    },
  }),
  route({
    method: 'get',
    path: '/media/hls/:trackId/:bitrate/:segment',
    tag: 'Playback',
    summary: 'One HLS segment (MPEG-TS, AAC), made on demand (signed URL only)',
    description: '429 + Retry-After while the segment makers are busy.',
    access: 'public',
    signedUrl: true,
    params: variantParams.extend({ segment: z.string().describe('N.ts') }),
    produces: [HLS_SEGMENT_TYPE],
    errors: [404, 503],
    handle: async ({ ctx, services, caller, params }) => {
      const user = signedUser(caller);
      // A player that moves on (a seek, a switch of variant) drops requests: their runs may stop.
      const gone = new AbortController();
      ctx.res.once('close', () => gone.abort());
      let segment: SegmentFile;
      try {
        segment = await services.playback.hlsSegment(user, params.trackId, params.bitrate, params.segment, {
          log: ctx.state.log,
          signal: gone.signal,
        });
      } catch (error) {
        // Nobody to answer (the access log marks the request aborted).
        if (gone.signal.aborted) {
          ctx.status = 499;
          ctx.respond = false;
          return;
        }
        throw error; // problem details, with Retry-After when busy
      }
      await sendSegment(ctx, segment);
    },
  }),
];
