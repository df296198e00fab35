// Answers a stream request for a track the caller may play: decides original vs transcode
// (src/streaming/decision.ts) with the user's and the player's limits, then sends the original (Range,
// HEAD, ETag: send-file.ts), a cached transcode (also with Range) or a live one (Accept-Ranges: none,
// optionally with an estimated Content-Length). Shared by Subsonic stream, the native stream route and
// signed URLs. Streaming never counts as a play.
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import type { User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import {
  decideStream,
  estimatedLength,
  type StreamDecision,
  type StreamOptions,
} from '../streaming/decision.ts';
import type { MediaFile } from '../streaming/media-file.ts';
import type { Player } from '../streaming/players.ts';
import { findProfile } from '../streaming/profiles.ts';
import type { TranscodeOutput, Transcoder } from '../streaming/transcoder.ts';
import type { AppContext } from './context.ts';
import { sendFile } from './send-file.ts';

export interface StreamTrackInput {
  db: Database;
  transcoder: Transcoder;
  media: MediaFile;
  options: StreamOptions;
  /** Whose limits apply and whose transcode slot is used. */
  user: Pick<User, 'id' | 'maxBitRate'>;
  player: Pick<Player, 'maxBitRate' | 'format'> | undefined;
  defaultFormat: string;
  /** estimateContentLength=true: give transcodes a Content-Length up front. */
  estimateContentLength: boolean;
}

function decide(input: Omit<StreamTrackInput, 'transcoder' | 'estimateContentLength'>): StreamDecision {
  return decideStream(
    input.media.track,
    input.options,
    {
      userMaxBitRate: input.user.maxBitRate,
      playerMaxBitRate: input.player?.maxBitRate ?? 0,
      playerFormat: input.player?.format ?? '',
      defaultFormat: input.defaultFormat,
    },
    (name) => findProfile(input.db, name),
  );
}

/**
 * A track's original file (Range, HEAD, ETag); as an attachment named after the file for downloads.
 * Revalidated on every use by default; public shares keep it out of caches altogether (no-store).
 */
export async function sendMediaFile(
  ctx: AppContext,
  media: MediaFile,
  options: { asDownload?: boolean; cacheControl?: string } = {},
): Promise<void> {
  ctx.set('Cache-Control', options.cacheControl ?? 'private, max-age=0, must-revalidate');
  await sendFile(ctx, {
    file: media.file,
    size: media.size,
    mtimeMs: media.mtimeMs,
    contentType: media.track.contentType,
    downloadName: options.asDownload ? path.basename(media.track.path) : undefined,
  });
}

/**
 * What the transcoder gave: a cached transcode with Range, or the live one (no ranges). `exactLength`
 * (estimateContentLength) promises that many bytes, and the body is cut or padded to keep the promise.
 */
export async function sendTranscode(
  ctx: AppContext,
  output: TranscodeOutput,
  contentType: string,
  exactLength?: number,
): Promise<void> {
  ctx.set('Cache-Control', 'private, max-age=0, must-revalidate');
  if (output.kind === 'cached') {
    await sendFile(ctx, { ...output.entry, contentType });
    return;
  }
  ctx.status = 200;
  ctx.type = contentType;
  ctx.set('Accept-Ranges', 'none');
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (exactLength) {
    ctx.length = exactLength;
    const body = output.stream.pipe(cutOrPad(exactLength));
    body.on('close', () => output.stream.destroy());
    ctx.body = body;
  } else {
    ctx.body = output.stream;
  }
}

export async function streamTrack(ctx: AppContext, input: StreamTrackInput): Promise<void> {
  const { media } = input;
  const decision = decide(input);
  if (decision.kind === 'raw') {
    await sendMediaFile(ctx, media);
    return;
  }
  const { profile, bitrate, offset } = decision;
  ctx.state.log.debug(
    { track: media.track.id, profile: profile.name, bitrate, offset, reason: decision.reason },
    'transcoding',
  );
  const estimate = input.estimateContentLength ? estimatedLength(media.track.duration, offset, bitrate) : 0;
  if (ctx.method === 'HEAD') {
    // What a GET would be, without starting ffmpeg for it.
    ctx.status = 200;
    ctx.type = profile.contentType;
    ctx.set('Accept-Ranges', 'none');
    ctx.set('Cache-Control', 'private, max-age=0, must-revalidate');
    if (estimate > 0) ctx.length = estimate;
    return;
  }
  const output = await input.transcoder.open({
    media,
    profile,
    bitrate,
    offset,
    userId: input.user.id,
    log: ctx.state.log,
  });
  await sendTranscode(ctx, output, profile.contentType, estimate);
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
