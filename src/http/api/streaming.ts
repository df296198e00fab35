// Native API for playback (JSON; errors are problem details):
//   GET    /api/v1/transcoding/profiles          every profile (built-in and the admin's)
//   PUT    /api/v1/transcoding/profiles/:name    add or replace an admin profile          (admins)
//   DELETE /api/v1/transcoding/profiles/:name    remove an admin profile                  (admins)
//   GET    /api/v1/players[?all=true]            the caller's players (admins: everybody's with all)
//   PATCH  /api/v1/players/:id                   name, maxBitRate, format (its user or an admin)
//   DELETE /api/v1/players/:id
//   POST   /api/v1/media/urls                    signed, expiring stream/download/HLS URLs for a track
//   GET    /api/v1/media/stream/:trackId         the track, raw or transcoded (signed URL or credentials)
//   GET    /api/v1/media/download/:trackId       the original file as an attachment
import type Router from '@koa/router';
import { z } from 'zod';
import type { User } from '../../accounts/users.service.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { PlayerSighting } from '../../streaming/players.ts';
import {
  isBuiltInProfile,
  listProfiles,
  removeProfile,
  saveProfile,
  type TranscodeProfile,
} from '../../streaming/profiles.ts';
import type { Services } from '../services.ts';
import type { AppContext, AppState } from '../context.ts';
import { sendJson } from '../json-response.ts';
import { sendMediaFile, sendStream } from '../send-playback.ts';
import {
  type ApiAuthenticator,
  authenticateApiRequest,
  authenticateMediaRequest,
  requireAdmin,
} from './auth.ts';
import { readJson } from '../json-body.ts';

/** How long a signed media URL stays valid unless asked otherwise: a long album, paused over lunch. */
export const DEFAULT_URL_TTL_SECONDS = 6 * 3600;
const MAX_URL_TTL_SECONDS = 7 * 24 * 3600;

const profileBody = z.strictObject({
  suffix: z.string(),
  contentType: z.string(),
  codec: z.string(),
  lossless: z.boolean().optional(),
  defaultBitrate: z.number().int().optional(),
  maxBitrate: z.number().int().optional(),
  arguments: z.array(z.string()),
});

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

function profileJson(profile: TranscodeProfile) {
  return {
    name: profile.name,
    suffix: profile.suffix,
    contentType: profile.contentType,
    codec: profile.codec,
    lossless: profile.lossless,
    defaultBitrate: profile.defaultBitrate,
    maxBitrate: profile.maxBitrate,
    arguments: profile.arguments,
    builtIn: profile.builtIn,
  };
}

export function mountStreamingApi(router: Router<AppState>, deps: Services, auth: ApiAuthenticator): void {
  const { db, players, playback } = deps;
  const caller = (ctx: AppContext) => authenticateApiRequest(ctx, auth);
  const label = (ctx: AppContext, route: string) => {
    ctx.state.routeLabel = route;
    ctx.set('Cache-Control', 'no-store');
  };

  router.get('/api/v1/transcoding/profiles', async (ctx) => {
    label(ctx, '/api/v1/transcoding/profiles');
    await caller(ctx);
    sendJson(ctx, { profiles: listProfiles(db).map(profileJson) });
  });
  router.put('/api/v1/transcoding/profiles/:name', async (ctx) => {
    label(ctx, '/api/v1/transcoding/profiles/:name');
    requireAdmin(await caller(ctx));
    const body = await readJson(ctx, profileBody);
    const profile = saveProfile(db, { ...body, name: ctx.params.name! });
    ctx.state.log.info({ profile: profile.name }, 'transcode profile saved');
    sendJson(ctx, profileJson(profile));
  });
  router.delete('/api/v1/transcoding/profiles/:name', async (ctx) => {
    label(ctx, '/api/v1/transcoding/profiles/:name');
    requireAdmin(await caller(ctx));
    const name = ctx.params.name!;
    if (!removeProfile(db, name)) {
      throw new TonearmError(
        'NOT_FOUND',
        isBuiltInProfile(name)
          ? `${name} is a built-in profile; it can be replaced but not removed`
          : `no profile named ${name}`,
      );
    }
    ctx.status = 204;
  });

  router.get('/api/v1/players', async (ctx) => {
    label(ctx, '/api/v1/players');
    const user = await caller(ctx);
    sendJson(ctx, { players: players.list(user, ctx.query.all === 'true') });
  });
  router.patch('/api/v1/players/:id', async (ctx) => {
    label(ctx, '/api/v1/players/:id');
    const user = await caller(ctx);
    sendJson(ctx, players.update(user, ctx.params.id!, await readJson(ctx, playerBody)));
  });
  router.delete('/api/v1/players/:id', async (ctx) => {
    label(ctx, '/api/v1/players/:id');
    players.delete(await caller(ctx), ctx.params.id!);
    ctx.status = 204;
  });

  router.post('/api/v1/media/urls', async (ctx) => {
    label(ctx, '/api/v1/media/urls');
    const user = await caller(ctx);
    const body = await readJson(ctx, mediaUrlsBody);
    // Only tracks the caller may play get a link; the check is made again when the link is used.
    await playback.track(user, body.trackId);
    const ttl = body.ttlSeconds ?? DEFAULT_URL_TTL_SECONDS;
    const streamParams: Record<string, string | number> = {};
    if (body.format) streamParams.format = body.format;
    if (body.maxBitRate) streamParams.maxBitRate = body.maxBitRate;
    const id = encodeURIComponent(body.trackId);
    const prefix = deps.config.basePath;
    sendJson(ctx, {
      stream: prefix + deps.urlSigner.sign(`/api/v1/media/stream/${id}`, streamParams, user.id, ttl),
      download: prefix + deps.urlSigner.sign(`/api/v1/media/download/${id}`, {}, user.id, ttl),
      hls: prefix + deps.urlSigner.sign(`/api/v1/media/hls/${id}/master.m3u8`, {}, user.id, ttl),
      expiresAt: new Date(Date.now() + ttl * 1000).toISOString(),
    });
  });

  router.get('/api/v1/media/stream/:trackId', async (ctx) => {
    ctx.state.routeLabel = '/api/v1/media/stream/:trackId';
    const user = await authenticateMediaRequest(ctx, auth);
    const plan = await playback.stream({
      user,
      trackId: ctx.params.trackId!,
      params: {
        format: ctx.query.format as string | undefined,
        maxBitRate: ctx.query.maxBitRate as string | undefined,
        timeOffset: ctx.query.timeOffset as string | undefined,
      },
      player: webPlayer(ctx, user),
      estimateContentLength: ctx.query.estimateContentLength === 'true',
    });
    await sendStream(ctx, plan, playback);
  });

  router.get('/api/v1/media/download/:trackId', async (ctx) => {
    ctx.state.routeLabel = '/api/v1/media/download/:trackId';
    const user = await authenticateMediaRequest(ctx, auth);
    const plan = await playback.downloadTrack(user, ctx.params.trackId!);
    await sendMediaFile(ctx, plan.media, { asDownload: true });
  });

  /** The web app (or the client the query names) as a player. */
  function webPlayer(ctx: AppContext, user: User): PlayerSighting {
    return {
      userId: user.id,
      client: typeof ctx.query.client === 'string' ? ctx.query.client : 'tonearm-web',
      userAgent: ctx.get('User-Agent'),
      address: ctx.ip,
    };
  }
}
