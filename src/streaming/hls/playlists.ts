// HLS playlists: the master playlist (one entry per variant) and a variant's media playlist (every
// segment of the plan, plan.ts), as text; and the signed ones the two front ends serve (the native routes
// of src/http/api/playback.routes.ts and Subsonic hls.m3u8). A player fetches every URI of a playlist as it
// is, with no credentials, so each URI carries its own signature (signed-urls.ts) naming the user, whose
// rights are checked again on every request. URIs are relative, so the server works under any base path
// and behind a reverse proxy that rewrites it.
import type { MediaFile } from '../media-file.ts';
import type { UrlSigner } from '../signed-urls.ts';
import { type HlsSegment, planSegments, type SegmentPlan } from './plan.ts';

export const HLS_CODECS = 'mp4a.40.2';
export const HLS_PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
/** Where the segments and variant playlists are served, without the base path. */
export const HLS_ROOT = '/api/v1/media/hls';
/** How long the URIs inside a playlist stay valid: a long track, paused for a while. */
export const HLS_URL_TTL_SECONDS = 6 * 3600;
// TS overhead (headers, PES, PAT/PMT) on top of the AAC bitrate, rounded up: measured 7–24 %.
const TS_OVERHEAD = 1.25;

/** The master playlist: one entry per bitrate, each pointing at that variant's media playlist. */
export function masterPlaylist(variants: readonly { bitrate: number; uri: string }[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const variant of variants) {
    const bandwidth = Math.ceil(variant.bitrate * 1000 * TS_OVERHEAD);
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth},CODECS="${HLS_CODECS}"`, variant.uri);
  }
  return `${lines.join('\n')}\n`;
}

/** A variant's media playlist: every segment with its exact length, the whole track (VOD). */
export function mediaPlaylist(plan: SegmentPlan, uriOf: (segment: HlsSegment) => string): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${plan.targetDuration}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  for (const segment of plan.segments) lines.push(`#EXTINF:${segment.duration.toFixed(6)},`, uriOf(segment));
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

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
