// The disk cache of finished images: <dataDir>/cache/artwork/<key>.<ext>, where the key is a SHA-256 of
// what the image was made from (source file and its size and mtime, or the audio file holding it) and how
// (size, encoder version): a changed cover gets a new key, so entries never need invalidating, only
// evicting. Why:
// - Files, not buffers: the HTTP layer serves them with sendFile (Range, HEAD, ETag from size+mtime, 304).
// - Atomic: written to a `.part` name and renamed, so a reader never sees half an image and a crash
//   leaves only `.part` files, removed at the next start.
// - One production per key: concurrent requests for the same missing image share its promise.
// - LRU within artwork.cacheSize bytes. The order lives in memory (a Map in use order, seeded from file
//   mtimes at start); files are never touched on a hit, which keeps hits free of writes and keeps each
//   file's mtime, hence its ETag, stable.
// - cacheSize 0 (or an image larger than the whole cache, or a disk that refuses the write): the image
//   is answered from memory and not kept.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
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

interface CacheEntry {
  file: string;
  size: number;
  mtimeMs: number;
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

const caches = new WeakMap<Database, ArtworkCache>();

/** The one cache of a server (keyed by its database, so test servers side by side keep theirs apart). */
export function artworkCacheFor(db: Database, config: Config): ArtworkCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new ArtworkCache({ dir: artworkCacheDir(config), maxBytes: config.artwork.cacheSize });
    caches.set(db, cache);
  }
  return cache;
}

export class ArtworkCache {
  readonly dir: string;
  private readonly maxBytes: number;
  /** Most recently used last. */
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<ArtworkImage>>();
  private total = 0;
  private enabled: boolean;
  private ready: Promise<void> | undefined;

  constructor(options: { dir: string; maxBytes: number }) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.enabled = options.maxBytes > 0;
  }

  /** Bytes held and entries, for tests and metrics. */
  get usage(): { bytes: number; entries: number } {
    return { bytes: this.total, entries: this.entries.size };
  }

  /** Whether key is cached (and marks it used); for callers that remember the image itself. */
  holds(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return true;
  }

  /** The cached image of key, if there is one (and marks it used). */
  async lookup(key: string, log?: Logger): Promise<ArtworkImage | undefined> {
    await this.init(log);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return fileImage(entry.file, entry.size, entry.mtimeMs, entry.contentType);
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
    if (!this.enabled || image.data.length > this.maxBytes) return inMemory();
    const file = path.join(this.dir, `${key}.${extensionOf(image.contentType)}`);
    const part = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
    try {
      await fs.promises.writeFile(part, image.data);
      await fs.promises.rename(part, file);
      const stat = await fs.promises.stat(file);
      const previous = this.entries.get(key);
      if (previous) this.total -= previous.size;
      this.entries.delete(key);
      this.entries.set(key, { file, size: stat.size, mtimeMs: stat.mtimeMs, contentType: image.contentType });
      this.total += stat.size;
      await this.evict(key);
      return fileImage(file, stat.size, stat.mtimeMs, image.contentType);
    } catch (error) {
      await fs.promises.rm(part, { force: true }).catch(() => undefined);
      log?.warn({ err: error, dir: this.dir }, 'artwork cache: cannot write; answering from memory');
      return inMemory();
    }
  }

  /** Drops least recently used entries until the cache fits (never the one just written). */
  private async evict(keep?: string): Promise<void> {
    if (this.total <= this.maxBytes) return;
    const target = this.maxBytes * LOW_WATER;
    for (const [key, entry] of this.entries) {
      if (this.total <= target) break;
      if (key === keep) continue;
      this.entries.delete(key);
      this.total -= entry.size;
      // A request that already opened the file keeps reading it: unlinking does not cut an open file.
      await fs.promises.rm(entry.file, { force: true }).catch(() => undefined);
    }
  }

  /** Loads what an earlier run left (oldest first) and removes crash leftovers; once. */
  private init(log: Logger | undefined): Promise<void> {
    this.ready ??= this.load().catch((error: unknown) => {
      this.enabled = false;
      log?.warn({ err: error, dir: this.dir }, 'artwork cache unavailable; images are made per request');
    });
    return this.ready;
  }

  private async load(): Promise<void> {
    if (!this.enabled) return;
    await fs.promises.mkdir(this.dir, { recursive: true });
    const found: [string, CacheEntry][] = [];
    for (const name of await fs.promises.readdir(this.dir)) {
      const file = path.join(this.dir, name);
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (name.endsWith('.part')) {
        if (Date.now() - stat.mtimeMs > STALE_PART_MS) await fs.promises.rm(file, { force: true });
        continue;
      }
      const match = /^([0-9a-f]{64})\.([a-z]+)$/.exec(name);
      const contentType = match ? typeOfExtension(match[2]!) : undefined;
      if (!match || !contentType) continue;
      found.push([match[1]!, { file, size: stat.size, mtimeMs: stat.mtimeMs, contentType }]);
    }
    found.sort((a, b) => a[1].mtimeMs - b[1].mtimeMs);
    for (const [key, entry] of found) {
      this.entries.set(key, entry);
      this.total += entry.size;
    }
    await this.evict();
  }
}
