// HLS routes (signed URLs only; errors are problem details):
//   GET /api/v1/media/hls/:trackId/master.m3u8             the variants (bitrates) of a track
//   GET /api/v1/media/hls/:trackId/:bitrate/index.m3u8     one variant's segments
//   GET /api/v1/media/hls/:trackId/:bitrate/:index.ts      one segment (MPEG-TS, AAC), made on demand
// A player fetches every URI of a playlist as it is, with no credentials, so each URI carries its own
// signature (src/streaming/signed-urls.ts) naming the user; here the signature is checked and the user
// found, and playback (src/streaming/playback.ts) checks again on every request that they may still play
// the track. The Subsonic hls.m3u8 endpoint links here. Plan, playlists, segments and their cache:
// src/streaming/hls/ and docs/hls.md.
import type Router from '@koa/router';
import { findUserRowById } from '../../accounts/users.repository.ts';
import { loadUser, type User } from '../../accounts/users.service.ts';
import { TonearmError } from '../../shared/errors.ts';
import { HLS_ROOT } from '../../streaming/hls/playlists.ts';
import type { SegmentFile } from '../../streaming/hls/segments.ts';
import type { Services } from '../services.ts';
import type { AppContext, AppState } from '../context.ts';
import { sendPlaylist, sendSegment } from '../send-playback.ts';

export function mountHls(router: Router<AppState>, deps: Services): void {
  const { playback } = deps;

  router.get(`${HLS_ROOT}/:trackId/master.m3u8`, async (ctx) => {
    ctx.state.routeLabel = `${HLS_ROOT}/:trackId/master.m3u8`;
    const user = signedUser(ctx, deps);
    sendPlaylist(ctx, await playback.hlsMaster(user, ctx.params.trackId!));
  });

  router.get(`${HLS_ROOT}/:trackId/:bitrate/index.m3u8`, async (ctx) => {
    ctx.state.routeLabel = `${HLS_ROOT}/:trackId/:bitrate/index.m3u8`;
    const user = signedUser(ctx, deps);
    sendPlaylist(ctx, await playback.hlsVariant(user, ctx.params.trackId!, ctx.params.bitrate!));
  });

  router.get(`${HLS_ROOT}/:trackId/:bitrate/:segment`, async (ctx) => {
    ctx.state.routeLabel = `${HLS_ROOT}/:trackId/:bitrate/:segment`;
    const user = signedUser(ctx, deps);
    // A player that moves on (a seek, a switch of variant) drops requests: their runs may stop.
    const gone = new AbortController();
    ctx.res.once('close', () => gone.abort());
    let segment: SegmentFile;
    try {
      segment = await playback.hlsSegment(
        user,
        ctx.params.trackId!,
        ctx.params.bitrate!,
        ctx.params.segment!,
        {
          log: ctx.state.log,
          signal: gone.signal,
        },
      );
    } catch (error) {
      // Nobody to answer (the access log marks the request aborted).
      if (gone.signal.aborted) {
        ctx.status = 499;
        return;
      }
      throw error; // problem details, with Retry-After when busy
    }
    await sendSegment(ctx, segment);
  });
}

/** The user a signed request speaks for (whether they may still play the track is playback's to say). */
function signedUser(ctx: AppContext, deps: Services): User {
  const basePath = deps.config.basePath;
  const signedPath = basePath && ctx.path.startsWith(basePath) ? ctx.path.slice(basePath.length) : ctx.path;
  const { userId } = deps.urlSigner.verify(signedPath, new URLSearchParams(ctx.querystring));
  const row = findUserRowById(deps.db, userId);
  if (!row) throw new TonearmError('FORBIDDEN', 'this link is not valid: its user no longer exists');
  return loadUser(deps.db, row);
}
