// Whether a stream request gets the original file or a transcode, and which. Pure: the caller looks up the
// profiles and limits. The rules, in order:
//   - format=raw: the original, whatever the limits (the client asked for exactly that).
//   - the limit is the lowest non-zero of the request's maxBitRate, the user's and the player's;
//   - a format (the request's, else the player's preferred one) transcodes unless the source already is
//     that codec and within the limit (and no timeOffset asks to start later);
//   - no format: the original when within the limit, else the default format;
//   - the bitrate is the request's maxBitRate, else the profile's default, lowered to the limit, to the
//     encoder's ceiling and — for lossy sources — to the source's own bitrate (never upsample);
//   - a lossless target under a limit cannot keep the limit, so the default (lossy) format is used.
import { TonearmError } from '../shared/errors.ts';
import type { StreamTrack } from './media-file.ts';
import { sourceCodec, type TranscodeProfile } from './profiles.ts';

export interface StreamOptions {
  /** The request's format ('' = none asked). */
  format: string;
  /** The request's maxBitRate in kbit/s, 0 = none. */
  maxBitRate: number;
  /** Seconds into the track to start from (transcodeOffset). */
  timeOffset: number;
}

export interface StreamLimits {
  /** The user's maxBitRate (0 = none). */
  userMaxBitRate: number;
  /** The player's maxBitRate (0 = none). */
  playerMaxBitRate: number;
  /** The player's preferred format ('' = none). */
  playerFormat: string;
  /** The format lossless files become under a limit when none was asked (transcoding.defaultFormat). */
  defaultFormat: string;
}

export type StreamDecision =
  | { kind: 'raw'; reason: string }
  | { kind: 'transcode'; profile: TranscodeProfile; bitrate: number; offset: number; reason: string };

export type ProfileLookup = (name: string) => TranscodeProfile | undefined;

/** Parses the Subsonic stream parameters; bad values are a clear BAD_REQUEST (Subsonic error 0). */
export function parseStreamOptions(params: {
  format?: string | undefined;
  maxBitRate?: string | undefined;
  timeOffset?: string | undefined;
}): StreamOptions {
  const maxBitRate = params.maxBitRate?.trim() ?? '';
  if (maxBitRate !== '' && !/^\d{1,6}$/.test(maxBitRate)) {
    throw new TonearmError(
      'BAD_REQUEST',
      `maxBitRate must be a whole number of kbit/s (0 = no limit), not "${params.maxBitRate}"`,
    );
  }
  const timeOffset = params.timeOffset?.trim() ?? '';
  if (timeOffset !== '' && !/^\d{1,7}(\.\d+)?$/.test(timeOffset)) {
    throw new TonearmError(
      'BAD_REQUEST',
      `timeOffset must be a number of seconds from 0, not "${params.timeOffset}"`,
    );
  }
  return {
    format: (params.format ?? '').trim().toLowerCase(),
    maxBitRate: maxBitRate === '' ? 0 : Number(maxBitRate),
    timeOffset: timeOffset === '' ? 0 : Number(timeOffset),
  };
}

function lowestLimit(...limits: number[]): number {
  const set = limits.filter((limit) => limit > 0);
  return set.length === 0 ? 0 : Math.min(...set);
}

export function decideStream(
  track: Pick<StreamTrack, 'codec' | 'suffix' | 'bitrate' | 'lossless' | 'duration'>,
  options: StreamOptions,
  limits: StreamLimits,
  lookup: ProfileLookup,
): StreamDecision {
  if (options.format === 'raw') return { kind: 'raw', reason: 'format=raw' };
  if (!options.format && limits.playerFormat === 'raw')
    return { kind: 'raw', reason: 'the player takes originals' };
  const limit = lowestLimit(options.maxBitRate, limits.userMaxBitRate, limits.playerMaxBitRate);
  const source = sourceCodec(track.codec, track.suffix);
  const withinLimit = limit === 0 || (track.bitrate > 0 && track.bitrate <= limit);
  const offset =
    options.timeOffset > 0 && options.timeOffset < Math.max(track.duration, 1) ? options.timeOffset : 0;

  const asked = options.format || limits.playerFormat;
  let profile: TranscodeProfile | undefined;
  if (asked) {
    profile = lookup(asked);
    if (!profile) {
      // The player's stored format may name a profile an admin removed since: fall back, don't fail.
      if (options.format) throw new TonearmError('BAD_REQUEST', `unknown format "${options.format}"`);
    }
  }
  if (profile) {
    if (profile.codec === source && withinLimit && offset === 0) {
      return { kind: 'raw', reason: `source is already ${profile.codec}` };
    }
  } else {
    if (withinLimit && offset === 0)
      return { kind: 'raw', reason: limit ? 'within the bitrate limit' : 'no limit' };
    // Start later in the file: re-encode in the source's own format when there is a profile for it.
    profile = (!withinLimit ? undefined : lookup(source)) ?? lookup(limits.defaultFormat);
    if (!profile)
      throw new TonearmError('TRANSCODE_FAILED', `no transcode profile "${limits.defaultFormat}"`);
  }
  if (profile.lossless && limit > 0) {
    const fallback = lookup(limits.defaultFormat);
    if (fallback && !fallback.lossless) profile = fallback;
  }

  let bitrate = 0;
  if (!profile.lossless) {
    bitrate = options.maxBitRate > 0 ? options.maxBitRate : profile.defaultBitrate;
    if (limit > 0) bitrate = Math.min(bitrate, limit);
    if (profile.maxBitrate > 0) bitrate = Math.min(bitrate, profile.maxBitrate);
    if (!track.lossless && track.bitrate > 0) bitrate = Math.min(bitrate, track.bitrate);
    bitrate = Math.max(bitrate, 8);
  }
  const reason =
    offset > 0
      ? `start at ${offset}s`
      : asked
        ? `format ${profile.name} asked`
        : `over the ${limit} kbit/s limit`;
  return { kind: 'transcode', profile, bitrate, offset, reason };
}

/** Content-Length a client may be told in advance (estimateContentLength): duration × bitrate. */
export function estimatedLength(durationSeconds: number, offset: number, bitrate: number): number {
  return Math.max(0, Math.round(((durationSeconds - offset) * bitrate * 1000) / 8));
}
