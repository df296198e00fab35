// The transcode cache on disk: finished transcodes under <dataDir>/cache/transcode/<key>.<suffix>, the key a
// hash of everything that shapes the output (track, file version, profile and its arguments, bitrate,
// offset, channels), so a changed file or profile is simply a new entry. A transcode in progress is a
// .part file in the same folder (transcoder.ts); only a complete one is published, so a cache hit is
// always a whole file that can be served with Range. Size bound, eviction and restarts: disk-cache.ts.
import { createHash } from 'node:crypto';
import { type CacheFile, DiskCache } from '../shared/disk-cache.ts';
import type { Logger } from '../shared/logger.ts';

export type CachedTranscode = CacheFile;

export interface TranscodeKeyParts {
  trackId: string;
  fileSize: number;
  fileMtimeMs: number;
  profileName: string;
  profileArguments: readonly string[];
  bitrate: number;
  offset: number;
  channels: number;
}

export function transcodeKey(parts: TranscodeKeyParts): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        parts.trackId,
        parts.fileSize,
        Math.floor(parts.fileMtimeMs),
        parts.profileName,
        parts.profileArguments,
        parts.bitrate,
        parts.offset,
        parts.channels,
      ]),
    )
    .digest('hex')
    .slice(0, 40);
}

/** The name of a transcode's file in the folder. */
export function transcodeFileName(key: string, suffix: string): string {
  return `${key}.${suffix}`;
}

export function createTranscodeCache(folder: string, maxBytes: number, logger: Logger): DiskCache {
  return new DiskCache({
    folder,
    maxBytes,
    keyOf: (name) => /^([0-9a-f]{40})\.[a-z0-9]+$/.exec(name)?.[1],
    // Files are read by sendFile after they are written: their access time tells the use order best.
    orderByAccess: true,
    logger,
    label: 'transcode cache',
  });
}
