// HLS routes (signed URLs only; errors are problem details):
//   GET /api/v1/media/hls/:trackId/master.m3u8             the variants (bitrates) of a track
//   GET /api/v1/media/hls/:trackId/:bitrate/index.m3u8     one variant's segments
//   GET /api/v1/media/hls/:trackId/:bitrate/:index.ts      one segment (MPEG-TS, AAC), made on demand
// A player fetches every URI of a playlist as it is, with no credentials, so each URI carries its own
// signature (src/streaming/signed-urls.ts) naming the user; the user's rights are checked again on every
// request. URIs inside playlists are relative, so the server works under any base path and behind a
// reverse proxy that rewrites it. The Subsonic hls.m3u8 endpoint builds its playlists with the same
// functions. Segment format, gapless cutting and the cache: src/streaming/hls.ts and docs/hls.md.
import type Router from '@koa/router';
import { findUserRowById } from '../../accounts/users.repository.ts';
import { loadUser, type User } from '../../accounts/users.service.ts';
import { viewerFor } from '../../catalog/access.ts';
import type { CatalogReader } from '../../catalog/reader.ts';
import { TonearmError } from '../../shared/errors.ts';
import {
  chooseBitrates,
  HLS_PLAYLIST_TYPE,
  HLS_SEGMENT_TYPE,
  type HlsSegments,
  isOfferedBitrate,
  masterPlaylist,
  mediaPlaylist,
  planSegments,
} from '../../streaming/hls.ts';
import { type MediaFile, openMediaFile } from '../../streaming/media-file.ts';
import type { UrlSigner } from '../../streaming/signed-urls.ts';
import type { Services } from '../services.ts';
import type { AppContext, AppState } from '../context.ts';
import { sendFile } from '../send-file.ts';

export const HLS_ROOT = '/api/v1/media/hls';
/** How long the URIs inside a playlist stay valid: a long track, paused for a while. */
export const HLS_URL_TTL_SECONDS = 6 * 3600;

/** The directory of a track's HLS files, without the base path, ending in '/'. */
export function hlsTrackDirectory(trackId: string): string {
  return `${HLS_ROOT}/${encodeURIComponent(trackId)}/`;
}

/** `target` (a path, possibly with a query) relative to the directory `fromDirectory` (ending in '/'). */
export function relativeUri(fromDirectory: string, target: string): string {
  const queryAt = target.indexOf('?');
  const targetPath = queryAt < 0 ? target : target.slice(0, queryAt);
  const query = queryAt < 0 ? '' : target.slice(queryAt);
  const from = fromDirectory.split('/').slice(1, -1);
  const to = targetPath.split('/').slice(1);
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++;
  return `${'../'.repeat(from.length - common)}${to.slice(common).join('/')}${query}`;
}

export interface PlaylistInput {
  signer: UrlSigner;
  media: MediaFile;
  userId: string;
  /** The directory (without base path, ending in '/') the playlist is served from: URIs are relative to it. */
  servedFrom: string;
}

/** A master playlist of the given bitrates, each a signed link to its media playlist. */
export function signedMasterPlaylist(input: PlaylistInput & { bitrates: readonly number[] }): string {
  const directory = hlsTrackDirectory(input.media.track.id);
  return masterPlaylist(
    input.bitrates.map((bitrate) => ({
      bitrate,
      uri: relativeUri(
        input.servedFrom,
        input.signer.sign(`${directory}${bitrate}/index.m3u8`, {}, input.userId, HLS_URL_TTL_SECONDS),
      ),
    })),
  );
}

/** One variant's media playlist, each segment a signed link. */
export function signedMediaPlaylist(input: PlaylistInput & { bitrate: number }): string {
  const directory = `${hlsTrackDirectory(input.media.track.id)}${input.bitrate}/`;
  return mediaPlaylist(planSegments(input.media.track), (segment) =>
    relativeUri(
      input.servedFrom,
      input.signer.sign(`${directory}${segment.index}.ts`, {}, input.userId, HLS_URL_TTL_SECONDS),
    ),
  );
}

export function sendPlaylist(ctx: AppContext, text: string): void {
  ctx.status = 200;
  ctx.type = HLS_PLAYLIST_TYPE;
  // The URIs inside carry signatures that expire: a stored copy would go stale.
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = text;
}

export function mountHls(router: Router<AppState>, deps: Services): void {
  const catalog = deps.catalog;
  router.get(`${HLS_ROOT}/:trackId/master.m3u8`, async (ctx) => {
    ctx.state.routeLabel = `${HLS_ROOT}/:trackId/master.m3u8`;
    const { user, media } = await authorise(ctx, deps, catalog, ctx.params.trackId!);
    sendPlaylist(
      ctx,
      signedMasterPlaylist({
        signer: deps.urlSigner,
        media,
        userId: user.id,
        servedFrom: hlsTrackDirectory(media.track.id),
        bitrates: chooseBitrates(media.track, undefined, user.maxBitRate),
      }),
    );
  });

  router.get(`${HLS_ROOT}/:trackId/:bitrate/index.m3u8`, async (ctx) => {
    ctx.state.routeLabel = `${HLS_ROOT}/:trackId/:bitrate/index.m3u8`;
    const { user, media } = await authorise(ctx, deps, catalog, ctx.params.trackId!);
    const bitrate = variantBitrate(ctx.params.bitrate!, media, user);
    sendPlaylist(
      ctx,
      signedMediaPlaylist({
        signer: deps.urlSigner,
        media,
        userId: user.id,
        servedFrom: `${hlsTrackDirectory(media.track.id)}${bitrate}/`,
        bitrate,
      }),
    );
  });

  router.get(`${HLS_ROOT}/:trackId/:bitrate/:segment`, async (ctx) => {
    ctx.state.routeLabel = `${HLS_ROOT}/:trackId/:bitrate/:segment`;
    const { user, media } = await authorise(ctx, deps, catalog, ctx.params.trackId!);
    const bitrate = variantBitrate(ctx.params.bitrate!, media, user);
    // A segment is named by its number and nothing else: the file it maps to is built from a hash.
    const name = /^(\d{1,6})\.ts$/.exec(ctx.params.segment!);
    const plan = planSegments(media.track);
    const index = name ? Number(name[1]) : -1;
    if (index < 0 || index >= plan.segments.length) {
      throw new TonearmError(
        'NOT_FOUND',
        `this track has no HLS segment "${ctx.params.segment!.slice(0, 40)}"`,
      );
    }
    // A player that moves on (a seek, a switch of variant) drops requests: their runs may stop.
    const gone = new AbortController();
    ctx.res.once('close', () => gone.abort());
    let segment: Awaited<ReturnType<HlsSegments['segment']>>;
    try {
      segment = await deps.hls.segment({
        media,
        plan,
        bitrate,
        index,
        log: ctx.state.log,
        signal: gone.signal,
      });
    } catch (error) {
      // Nobody to answer (the access log marks the request aborted).
      if (gone.signal.aborted) {
        ctx.status = 499;
        return;
      }
      throw error; // problem details, with Retry-After when busy
    }
    // The same URL path always holds the same bytes for a given file version.
    ctx.set('Cache-Control', 'private, max-age=86400');
    await sendFile(ctx, { ...segment, contentType: HLS_SEGMENT_TYPE });
  });
}

/** The user a signed request speaks for, if they still may play the track. */
async function authorise(
  ctx: AppContext,
  deps: Services,
  catalog: CatalogReader,
  trackId: string,
): Promise<{ user: User; media: MediaFile }> {
  const basePath = deps.config.basePath;
  const signedPath = basePath && ctx.path.startsWith(basePath) ? ctx.path.slice(basePath.length) : ctx.path;
  const { userId } = deps.urlSigner.verify(signedPath, new URLSearchParams(ctx.querystring));
  const row = findUserRowById(deps.db, userId);
  if (!row) throw new TonearmError('FORBIDDEN', 'this link is not valid: its user no longer exists');
  const user = loadUser(deps.db, row);
  if (!user.roles.stream) throw new TonearmError('FORBIDDEN', `${user.username} may not stream music`);
  const media = await openMediaFile(deps.db, trackId, viewerFor(catalog, user).libraryIds);
  return { user, media };
}

/** The bitrate of a variant URL, if it is one this user may still get for this track. */
function variantBitrate(text: string, media: MediaFile, user: User): number {
  const bitrate = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!isOfferedBitrate(media.track, bitrate, user.maxBitRate)) {
    throw new TonearmError('BAD_REQUEST', `${text.slice(0, 20)} is not an HLS variant of this track for you`);
  }
  return bitrate;
}
