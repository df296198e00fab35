// The disk cache of finished images: <dataDir>/cache/artwork/<key>.<ext>, where the key is a SHA-256 of
// what the image was made from (source file and its size and mtime, or the audio file holding it) and how
// (size, encoder version): a changed cover gets a new key, so entries never need invalidating, only
// evicting. Why:
// - Files, not buffers: the HTTP layer serves them with sendFile (Range, HEAD, ETag from size+mtime, 304).
// - Atomic: written to a `.part` name and renamed, so a reader never sees half an image and a crash
//   leaves only `.part` files, removed at the next start.
// - One production per key: concurrent requests for the same missing image share its promise.
// - LRU within artwork.cacheSize bytes (src/shared/disk-cache.ts, as the transcode and HLS caches). The
//   order lives in memory (seeded from file mtimes at start); files are never touched on a hit, which
//   keeps hits free of writes and keeps each file's mtime, hence its ETag, stable. Eviction frees down to
//   90 % of the limit, so a full cache does not evict on every write.
// - cacheSize 0 (or an image larger than the whole cache, or a disk that refuses the write): the image
//   is answered from memory and not kept.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { DiskCache } from '../shared/disk-cache.ts';
import type { Logger } from '../shared/logger.ts';
import { extensionOf, typeOfExtension } from './images.ts';

interface ArtworkImageFacts {
  contentType: string;
  /** Bytes. */
  size: number;
  mtimeMs: number;
  /** The ETag an HTTP answer carries: for files the one sendFile derives from size and mtime. */
  etag: string;
}

/** A finished image: a file on disk (serve it with sendFile) or, when not cached, bytes in memory. */
export type ArtworkImage = ArtworkImageFacts &
  ({ file: string; data?: undefined } | { data: Buffer; file?: undefined });

export interface ProducedImage {
  data: Buffer;
  contentType: string;
}

/** Orphaned `.part` files older than this are a crash's leftovers (younger ones may be another writer's). */
const STALE_PART_MS = 60_000;
/** Eviction frees down to this share of the limit, so a full cache does not evict on every write. */
const LOW_WATER = 0.9;

/** The ETag sendFile gives a file of this size and mtime (send-file.ts), so both layers agree. */
export function fileEtag(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

export function fileImage(file: string, size: number, mtimeMs: number, contentType: string): ArtworkImage {
  return { file, size, mtimeMs, contentType, etag: fileEtag(size, mtimeMs) };
}

/** A cache key: SHA-256 (hex) of the parts. */
export function cacheKey(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

export function artworkCacheDir(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'cache', 'artwork');
}

/** The artwork cache of a server's configuration (one per server: made with the app). */
export function createArtworkCache(config: Pick<Config, 'dataDir' | 'artwork'>): ArtworkCache {
  return new ArtworkCache({ dir: artworkCacheDir(config), maxBytes: config.artwork.cacheSize });
}

export class ArtworkCache {
  readonly dir: string;
  private readonly files: DiskCache;
  private readonly inFlight = new Map<string, Promise<ArtworkImage>>();
  private enabled: boolean;
  private ready: Promise<void> | undefined;

  constructor(options: { dir: string; maxBytes: number }) {
    this.dir = options.dir;
    this.enabled = options.maxBytes > 0;
    this.files = new DiskCache({
      folder: options.dir,
      maxBytes: options.maxBytes,
      keyOf: (name) => {
        const match = /^([0-9a-f]{64})\.([a-z]+)$/.exec(name);
        return match && typeOfExtension(match[2]!) ? match[1] : undefined;
      },
      lowWater: LOW_WATER,
      stalePartMs: STALE_PART_MS,
    });
  }

  /** Bytes held and entries, for tests and metrics. */
  get usage(): { bytes: number; entries: number } {
    return { bytes: this.files.bytes, entries: this.files.count };
  }

  /** Whether key is cached (and marks it used); for callers that remember the image itself. */
  holds(key: string): boolean {
    return this.files.get(key) !== undefined;
  }

  /** The cached image of key, if there is one (and marks it used). */
  async lookup(key: string, log?: Logger): Promise<ArtworkImage | undefined> {
    await this.init(log);
    const entry = this.files.get(key);
    if (!entry) return undefined;
    return fileImage(entry.file, entry.size, entry.mtimeMs, contentTypeOf(entry.file));
  }

  /** The cached image of key, made by produce() when missing; produce's failure is the caller's. */
  async getOrCreate(key: string, produce: () => Promise<ProducedImage>, log?: Logger): Promise<ArtworkImage> {
    const cached = await this.lookup(key, log);
    if (cached) return cached;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const making = (async () => this.store(key, await produce(), log))();
    this.inFlight.set(key, making);
    try {
      return await making;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async store(key: string, image: ProducedImage, log: Logger | undefined): Promise<ArtworkImage> {
    const inMemory = (): ArtworkImage => ({
      data: image.data,
      size: image.data.length,
      mtimeMs: Date.now(),
      contentType: image.contentType,
      etag: `"${key.slice(0, 24)}"`,
    });
    if (!this.enabled) return inMemory();
    try {
      const stored = await this.files.write(key, `${key}.${extensionOf(image.contentType)}`, image.data);
      // Larger than the whole cache: answered from memory, not kept.
      if (!stored) return inMemory();
      return fileImage(stored.file, stored.size, stored.mtimeMs, image.contentType);
    } catch (error) {
      log?.warn({ err: error, dir: this.dir }, 'artwork cache: cannot write; answering from memory');
      return inMemory();
    }
  }

  /** Loads what an earlier run left (oldest first) and removes crash leftovers; once. */
  private init(log: Logger | undefined): Promise<void> {
    this.ready ??= (this.enabled ? this.files.openAsync() : Promise.resolve()).catch((error: unknown) => {
      this.enabled = false;
      log?.warn({ err: error, dir: this.dir }, 'artwork cache unavailable; images are made per request');
    });
    return this.ready;
  }
}

function contentTypeOf(file: string): string {
  return typeOfExtension(path.extname(file).slice(1)) ?? 'application/octet-stream';
}
