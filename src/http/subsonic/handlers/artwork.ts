// getCoverArt and getAvatar: images, or on any problem an error envelope (DSub tells the two apart by the
// Content-Type). The pictures come from src/artwork (choice of picture, resizing, disk cache, placeholders);
// here the parameters are read and the file is sent with sendFile (Range, HEAD, ETag, 304).
// Every authenticated user gets covers, whatever their coverArt role (that role is about changing covers),
// as with Navidrome; which items they see still follows their libraries. `id` is any coverArt id the API
// hands out and also a plain song, album, artist, folder or playlist id, as older clients send.
// Caching: ids are stable but a cover can change (a new cover.jpg, a rescan), so clients keep an image an
// hour and then revalidate with its ETag (a 304 costs no image work).
import { avatarImage } from '../../../artwork/avatar.ts';
import { type ArtworkImage, parseArtworkSize } from '../../../artwork/cover-art.ts';
import { viewerFor } from '../../../catalog/access.ts';
import type { AppContext } from '../../context.ts';
import { sendFile } from '../../send-file.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

const CACHE_CONTROL = 'private, max-age=3600';

async function sendImage(ctx: AppContext, image: ArtworkImage): Promise<void> {
  ctx.set('Cache-Control', CACHE_CONTROL);
  if (image.file !== undefined) {
    await sendFile(ctx, {
      file: image.file,
      size: image.size,
      mtimeMs: image.mtimeMs,
      contentType: image.contentType,
    });
    return;
  }
  // Made for this request only (the cache is off): the ETag names its content.
  ctx.set('ETag', image.etag);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.type = image.contentType;
  if (matchesEtag(ctx.get('If-None-Match'), image.etag)) {
    ctx.status = 304;
    ctx.body = null;
    return;
  }
  ctx.status = 200;
  ctx.body = image.data;
}

/**
 * If-None-Match as sendFile reads it. Not Koa's ctx.fresh: that refuses a 304 whenever the request says
 * Cache-Control: no-cache, which fetch() adds to every request carrying If-None-Match.
 */
function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch === '*' || ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

const getCoverArt: SubsonicEndpoint = {
  name: 'getCoverArt',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const user = request.user!;
    const id = request.params.required('id');
    const size = parseArtworkSize(request.params.get('size'));
    const image = await request.services.coverArt.image(request.db, request.config, {
      id,
      size,
      libraryIds: viewerFor(request.catalog, user).libraryIds,
      viewer: { userId: user.id, isAdmin: user.isAdmin },
      log: request.log,
    });
    await sendImage(ctx, image);
    return RESPONDED;
  },
};

const getAvatar: SubsonicEndpoint = {
  name: 'getAvatar',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const username = request.params.required('username');
    const image = await avatarImage(
      request.db,
      request.config,
      request.services.artworkCache,
      request.user!,
      username,
      request.log,
    );
    await sendImage(ctx, image);
    return RESPONDED;
  },
};

export const artworkEndpoints: readonly SubsonicEndpoint[] = [getCoverArt, getAvatar];
