// transcodedSuffix / transcodedContentType in song entries: what `stream` would send this caller's player
// instead of the original, by the same decision stream makes (src/streaming/decision.ts) with no
// per-request format or bitrate. DSub and Ultrasonic name their cached files and pick their decoder by
// it, so a flac sent as mp3 is not saved as ".flac".
import type { Track } from '../../catalog/model.ts';
import { decideStream, type StreamOptions } from '../../streaming/decision.ts';
import { findProfile, type TranscodeProfile } from '../../streaming/profiles.ts';
import type { SubsonicRequest } from './endpoint.ts';

export type TranscodedAs = (track: Track) => { suffix: string; contentType: string } | undefined;

const NOTHING_ASKED: StreamOptions = { format: '', maxBitRate: 0, timeOffset: 0 };

/** The prediction for this request; undefined when every song goes out as it is (no limit, no format). */
export function transcodedAs(request: SubsonicRequest): TranscodedAs | undefined {
  const { user, player } = request;
  if (!user) return undefined;
  const limits = {
    userMaxBitRate: user.maxBitRate,
    playerMaxBitRate: player?.maxBitRate ?? 0,
    playerFormat: player?.format ?? '',
    defaultFormat: request.config.transcoding.defaultFormat,
  };
  if (!limits.userMaxBitRate && !limits.playerMaxBitRate && !limits.playerFormat) return undefined;
  // One lookup per profile name per answer, not one per song.
  const profiles = new Map<string, TranscodeProfile | undefined>();
  const lookup = (name: string): TranscodeProfile | undefined => {
    if (!profiles.has(name)) profiles.set(name, findProfile(request.db, name));
    return profiles.get(name);
  };
  return (track) => {
    const source = {
      codec: track.codec ?? '',
      suffix: track.suffix,
      bitrate: track.bitrate ?? 0,
      lossless: track.lossless,
      duration: track.duration,
    };
    try {
      const decision = decideStream(source, NOTHING_ASKED, limits, lookup);
      if (decision.kind === 'raw') return undefined;
      return { suffix: decision.profile.suffix, contentType: decision.profile.contentType };
    } catch {
      return undefined; // no usable profile: stream would answer with an error, the entry stays as it is
    }
  };
}
