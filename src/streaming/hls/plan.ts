// HLS for audio, the plan: which variants (bitrates) a track is offered at, how it is cut into segments,
// and the ffmpeg arguments of one segment. Pure. The playlists that describe the plan are playlists.ts;
// the segments themselves, made by ffmpeg when first asked for and kept on disk, are segments.ts.
//
// Segment format: MPEG-TS carrying AAC-LC (CODECS "mp4a.40.2"), the one HLS audio format every player
// takes: Safari and iOS natively, hls.js by remuxing TS to fMP4 for Media Source Extensions, Chromium's
// own HLS player, Android's ExoPlayer. fMP4 would need one init segment shared by independently made
// fragments, and packed ADTS audio is less widely supported (see docs/hls.md).
//
// Gapless boundaries. Each segment is a separate ffmpeg run, and an AAC encoder starts every run with a
// "priming" frame of 1024 samples of start-up output. Players (hls.js among them) lay a segment's frames
// end to end after the previous segment's, so a priming frame left in would add a 23 ms click and shift
// the timeline a frame per segment. So:
//   - segments are whole numbers of AAC frames at a fixed output rate (44.1 or 48 kHz), and every
//     segment starts where the previous one ended, to the sample;
//   - ffmpeg starts encoding PREROLL_FRAMES frames early, so the encoder has the real preceding audio
//     in its overlap window, and the priming and pre-roll frames are dropped before muxing (the `noise`
//     bitstream filter's `drop` expression, ffmpeg ≥ 5.0);
//   - `-frames:a` stops after exactly the segment's frames; `-output_ts_offset` makes the timestamps
//     those of the segment's place in the track, so consecutive segments continue each other's clock;
//   - `-mpegts_copyts 1` keeps the muxer from adding its own delay, and a larger PES payload keeps the TS
//     overhead near 13 % (128 kbit/s) instead of the 70 % of one PES packet per AAC frame.
import { createHash } from 'node:crypto';
import { TonearmError } from '../../shared/errors.ts';
import type { MediaFile, StreamTrack } from '../media-file.ts';

/** kbit/s of the variants a master playlist offers when nobody asked for others. */
export const DEFAULT_HLS_BITRATES: readonly number[] = [64, 128, 256];
export const MIN_HLS_BITRATE = 32;
// ffmpeg's AAC encoder gives no more than ~240 kbit/s for stereo at 44.1 kHz, whatever is asked.
export const MAX_HLS_BITRATE = 256;

const AAC_FRAME_SAMPLES = 1024;
const TARGET_SEGMENT_SECONDS = 6;
const PREROLL_FRAMES = 2;
/** A last piece shorter than this joins the segment before it. */
const SHORTEST_LAST_SEGMENT_SECONDS = 0.05;
/** Bump when the ffmpeg arguments change what a segment holds: old cache entries are then ignored. */
const SEGMENT_FORMAT_VERSION = 1;

/**
 * The bitrates (kbit/s, ascending) a track is offered at: the requested ones (or the defaults) within
 * MIN…MAX_HLS_BITRATE, none above the user's limit, and none above a lossy source's own bitrate (that
 * would only spend bytes on its artefacts). At least one is always left.
 */
export function chooseBitrates(
  track: Pick<StreamTrack, 'bitrate' | 'lossless'>,
  requested: readonly number[] | undefined,
  userMaxBitRate: number,
): number[] {
  let ceiling = MAX_HLS_BITRATE;
  if (userMaxBitRate > 0) ceiling = Math.min(ceiling, userMaxBitRate);
  if (!track.lossless && track.bitrate > 0) ceiling = Math.min(ceiling, track.bitrate);
  ceiling = Math.max(ceiling, MIN_HLS_BITRATE);
  const wanted = (requested && requested.length > 0 ? requested : DEFAULT_HLS_BITRATES).map((bitrate) =>
    Math.min(Math.max(Math.round(bitrate), MIN_HLS_BITRATE), MAX_HLS_BITRATE),
  );
  const kept = [...new Set(wanted.filter((bitrate) => bitrate <= ceiling))].sort((a, b) => a - b);
  return kept.length > 0 ? kept : [Math.min(ceiling, ...wanted)];
}

/**
 * A bitrate as a client asks for a variant: kbit/s, in the video form `1000@480x360` too (the size is
 * ignored). BAD_REQUEST for anything else.
 */
export function parseHlsBitrate(text: string): number {
  const match = /^\s*(\d{1,6})(?:@\d{1,5}x\d{1,5})?\s*$/.exec(text);
  const bitrate = match ? Number(match[1]) : 0;
  if (!(bitrate > 0)) {
    throw new TonearmError(
      'BAD_REQUEST',
      `bitRate must be a positive number of kbit/s (like 128 or 128@480x360), not "${text.slice(0, 40)}"`,
    );
  }
  return bitrate;
}

/** Whether a variant in a URL is still one this user may get for this track (limits may have changed). */
export function isOfferedBitrate(
  track: Pick<StreamTrack, 'bitrate' | 'lossless'>,
  bitrate: number,
  userMaxBitRate: number,
): boolean {
  return chooseBitrates(track, [bitrate], userMaxBitRate)[0] === bitrate;
}

export interface HlsSegment {
  index: number;
  /** Seconds from the start of the track. */
  start: number;
  /** Seconds, as the playlist states it. */
  duration: number;
  /** Whole AAC frames before this segment. */
  firstFrame: number;
  /** AAC frames in this segment; undefined for the last one, which runs to the end of the file. */
  frames: number | undefined;
}

export interface SegmentPlan {
  sampleRate: number;
  channels: number;
  framesPerSegment: number;
  segments: HlsSegment[];
  /** EXT-X-TARGETDURATION: the longest segment in whole seconds. */
  targetDuration: number;
}

/**
 * How a track is cut: ~6 s segments of whole AAC frames. The output rate is 48 kHz for sources of the
 * 48 kHz family and 44.1 kHz otherwise, so most files are not resampled; stereo unless the source is mono.
 */
export function planSegments(
  track: Pick<StreamTrack, 'duration' | 'sampleRate' | 'channels' | 'title'>,
): SegmentPlan {
  if (!(track.duration > 0)) {
    throw new TonearmError(
      'TRANSCODE_FAILED',
      `the length of "${track.title}" is unknown, so it cannot be cut into HLS segments; a rescan may find it`,
    );
  }
  const sampleRate = track.sampleRate > 0 && track.sampleRate % 48_000 === 0 ? 48_000 : 44_100;
  const channels = track.channels === 1 ? 1 : 2;
  const framesPerSegment = Math.floor((TARGET_SEGMENT_SECONDS * sampleRate) / AAC_FRAME_SAMPLES);
  const segmentSeconds = (framesPerSegment * AAC_FRAME_SAMPLES) / sampleRate;
  const count = Math.max(1, Math.ceil((track.duration - SHORTEST_LAST_SEGMENT_SECONDS) / segmentSeconds));
  const segments: HlsSegment[] = [];
  for (let index = 0; index < count; index++) {
    const last = index === count - 1;
    const start = index * segmentSeconds;
    segments.push({
      index,
      start,
      duration: last ? track.duration - start : segmentSeconds,
      firstFrame: index * framesPerSegment,
      frames: last ? undefined : framesPerSegment,
    });
  }
  // RFC 8216: every EXTINF, rounded to the nearest integer, is at most the target duration.
  const targetDuration = Math.max(1, ...segments.map((segment) => Math.round(segment.duration)));
  return { sampleRate, channels, framesPerSegment, segments, targetDuration };
}

/** Seconds with microsecond precision, as ffmpeg parses them. */
function seconds(frames: number, sampleRate: number): string {
  return ((frames * AAC_FRAME_SAMPLES) / sampleRate).toFixed(6);
}

/** The ffmpeg arguments of one segment (input options before -i, output options after it). */
export function segmentArguments(
  plan: SegmentPlan,
  segment: HlsSegment,
  bitrate: number,
): { input: string[]; output: string[] } {
  // The first segment has nothing before it to pre-roll over.
  const preroll = Math.min(PREROLL_FRAMES, segment.firstFrame);
  const fromFrame = segment.firstFrame - preroll;
  const input = fromFrame > 0 ? ['-ss', seconds(fromFrame, plan.sampleRate)] : [];
  // Reading a few frames past the end gives the encoder the audio its last frame overlaps with.
  if (segment.frames !== undefined) input.push('-t', seconds(preroll + segment.frames + 3, plan.sampleRate));
  const output = [
    ...['-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1'],
    ...['-ac', String(plan.channels), '-ar', String(plan.sampleRate)],
    ...['-c:a', 'aac', '-b:a', `${bitrate}k`],
    // Drops the encoder's priming frame and the pre-roll; counts what is left.
    ...['-bsf:a', `noise=drop=lt(n\\,${preroll + 1})`],
    ...(segment.frames !== undefined ? ['-frames:a', String(segment.frames)] : []),
    ...['-output_ts_offset', seconds(fromFrame, plan.sampleRate)],
    ...['-mpegts_copyts', '1', '-muxdelay', '1', '-pes_payload_size', '16384'],
    ...['-f', 'mpegts'],
  ];
  return { input, output };
}

/** Names one variant of one version of a file: a changed file or format gets new segments. */
export function segmentCacheKey(media: MediaFile, plan: SegmentPlan, bitrate: number): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        SEGMENT_FORMAT_VERSION,
        media.track.id,
        media.size,
        Math.floor(media.mtimeMs),
        plan.sampleRate,
        plan.channels,
        plan.framesPerSegment,
        bitrate,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
}
