// Answers a stream request for a track the caller may play: decides original vs transcode
// (src/streaming/decision.ts) with the user's and the player's limits, then sends the original (Range,
// HEAD, ETag: send-file.ts), a cached transcode (also with Range) or a live one (Accept-Ranges: none,
// optionally with an estimated Content-Length). Shared by Subsonic stream, the native stream route and
// signed URLs. Streaming never counts as a play.
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
import type { Transcoder } from '../streaming/transcoder.ts';
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

export function decide(
  input: Omit<StreamTrackInput, 'transcoder' | 'estimateContentLength'>,
): StreamDecision {
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

export async function streamTrack(ctx: AppContext, input: StreamTrackInput): Promise<void> {
  const { media } = input;
  const decision = decide(input);
  ctx.set('Cache-Control', 'private, max-age=0, must-revalidate');
  if (decision.kind === 'raw') {
    sendFile(ctx, {
      file: media.file,
      size: media.size,
      mtimeMs: media.mtimeMs,
      contentType: media.track.contentType,
    });
    return;
  }
  const { profile, bitrate, offset } = decision;
  ctx.state.log.debug(
    { track: media.track.id, profile: profile.name, bitrate, offset, reason: decision.reason },
    'transcoding',
  );
  const estimate = estimatedLength(media.track.duration, offset, bitrate);
  if (ctx.method === 'HEAD') {
    // What a GET would be, without starting ffmpeg for it.
    ctx.status = 200;
    ctx.type = profile.contentType;
    ctx.set('Accept-Ranges', 'none');
    if (input.estimateContentLength && estimate > 0) ctx.length = estimate;
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
  if (output.kind === 'cached') {
    sendFile(ctx, { ...output.entry, contentType: profile.contentType });
    return;
  }
  ctx.status = 200;
  ctx.type = profile.contentType;
  ctx.set('Accept-Ranges', 'none');
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (input.estimateContentLength && estimate > 0) {
    // The promise of a length must be kept exactly, or the connection breaks: cut or pad to it.
    ctx.length = estimate;
    const body = output.stream.pipe(exactLength(estimate));
    body.on('close', () => output.stream.destroy());
    ctx.body = body;
  } else {
    ctx.body = output.stream;
  }
}

/** Passes exactly `length` bytes: truncates a longer stream, pads a shorter one with zeros. */
function exactLength(length: number): Transform {
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
