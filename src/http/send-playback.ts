// Sends what playback (src/streaming/playback.ts) decided, the way players expect: the original file
// (Range, HEAD, ETag: send-file.ts), a cached transcode (also with Range) or a live one (Accept-Ranges:
// none, optionally with a promised Content-Length), HLS playlists and segments. No decisions here, only
// HTTP. Streaming never counts as a play.
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { HLS_PLAYLIST_TYPE } from '../streaming/hls/playlists.ts';
import { HLS_SEGMENT_TYPE, type SegmentFile } from '../streaming/hls/segments.ts';
import type { MediaFile } from '../streaming/media-file.ts';
import type { OpenedTranscode, Playback, StreamPlan } from '../streaming/playback.ts';
import type { AppContext } from './context.ts';
import { sendFile } from './send-file.ts';

const REVALIDATE = 'private, max-age=0, must-revalidate';

/**
 * A track's original file (Range, HEAD, ETag); as an attachment named after the file for downloads.
 * Revalidated on every use by default; public shares keep it out of caches altogether (no-store).
 */
export async function sendMediaFile(
  ctx: AppContext,
  media: MediaFile,
  options: { asDownload?: boolean; cacheControl?: string } = {},
): Promise<void> {
  ctx.set('Cache-Control', options.cacheControl ?? REVALIDATE);
  await sendFile(ctx, {
    file: media.file,
    size: media.size,
    mtimeMs: media.mtimeMs,
    contentType: media.track.contentType,
    downloadName: options.asDownload ? path.basename(media.track.path) : undefined,
  });
}

/** A planned stream: the original, or the transcode (opened here; a HEAD gets its headers without ffmpeg). */
export async function sendStream(ctx: AppContext, plan: StreamPlan, playback: Playback): Promise<void> {
  if (plan.kind === 'original') {
    await sendMediaFile(ctx, plan.media);
    return;
  }
  const { profile, bitrate, offset, reason } = plan;
  ctx.state.log.debug(
    { track: plan.media.track.id, profile: profile.name, bitrate, offset, reason },
    'transcoding',
  );
  if (ctx.method === 'HEAD') {
    // What a GET would be, without starting ffmpeg for it.
    ctx.status = 200;
    ctx.type = profile.contentType;
    ctx.set('Accept-Ranges', 'none');
    ctx.set('Cache-Control', REVALIDATE);
    if (plan.length) ctx.length = plan.length;
    return;
  }
  await sendTranscode(ctx, await playback.open(plan, ctx.state.log));
}

/**
 * A transcode: a cached one with Range, or the live one (no ranges). A promised length is kept: the body
 * is cut or padded to it.
 */
export async function sendTranscode(ctx: AppContext, opened: OpenedTranscode): Promise<void> {
  ctx.set('Cache-Control', REVALIDATE);
  if (opened.kind === 'cached-transcode') {
    await sendFile(ctx, { ...opened.file, contentType: opened.contentType });
    return;
  }
  const { stream, length } = opened;
  ctx.status = 200;
  ctx.type = opened.contentType;
  ctx.set('Accept-Ranges', 'none');
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (length) {
    ctx.length = length;
    const body = stream.pipe(cutOrPad(length));
    body.on('close', () => stream.destroy());
    ctx.body = body;
  } else {
    ctx.body = stream;
  }
}

/** An HLS playlist. */
export function sendPlaylist(ctx: AppContext, text: string): void {
  ctx.status = 200;
  ctx.type = HLS_PLAYLIST_TYPE;
  // The URIs inside carry signatures that expire: a stored copy would go stale.
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = text;
}

/** An HLS segment from the cache. */
export async function sendSegment(ctx: AppContext, segment: SegmentFile): Promise<void> {
  // The same URL path always holds the same bytes for a given file version.
  ctx.set('Cache-Control', 'private, max-age=86400');
  await sendFile(ctx, { ...segment, contentType: HLS_SEGMENT_TYPE });
}

/** Passes exactly `length` bytes: truncates a longer stream, pads a shorter one with zeros. */
function cutOrPad(length: number): Transform {
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const room = length - passed;
      if (room <= 0) return callback();
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      passed += piece.length;
      callback(null, piece);
    },
    flush(callback: TransformCallback) {
      if (passed < length) this.push(Buffer.alloc(length - passed));
      callback();
    },
  });
}
