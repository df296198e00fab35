// Sends a cover or an avatar (src/artwork) for both APIs: a cached or library file through sendFile (Range,
// HEAD, ETag, 304), or bytes made for this request only (the cache is off) with an ETag naming them.
// Caching: ids are stable but a cover can change (a new cover.jpg, a rescan), so clients keep an image an
// hour and then revalidate with its ETag (a 304 costs no image work).
import type { ArtworkImage } from '../artwork/cover-art.ts';
import type { AppContext } from './context.ts';
import { sendFile } from './send-file.ts';

const CACHE_CONTROL = 'private, max-age=3600';

export async function sendImage(ctx: AppContext, image: ArtworkImage): Promise<void> {
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
