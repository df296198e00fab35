// Cover art by id, for Subsonic getCoverArt and (later) the native and signed cover routes; no HTTP here.
// One CoverArt per server (made with the app) holds the image cache and what it remembers of answers.
// The answer is a file to send (or bytes, when the cache is off) with its type, size, mtime and ETag.
//
// - No size (or 0): the original bytes, as Navidrome does, with the type sniffed from the bytes. A folder
//   image is served straight from the library; an embedded picture is extracted once into the cache.
// - A size: scaled to fit size×size (aspect kept, never enlarged; at most MAX_ARTWORK_SIZE), made once per
//   source version and size and cached (artwork-cache.ts).
// - No picture, or only broken ones (logged as a warning, then skipped for a while): a grey placeholder.
// - Hot path: a request that repeats within MEMO_TTL_MS, while the database is unchanged, is answered from
//   memory: no query beyond the change check, and no file system call for a cached image (one stat for a
//   library original). So a resized cover whose source was deleted or replaced is served from the cache
//   until then; a rescan or any other write shows the change at once. Otherwise the source is resolved
//   again (a realpath and a stat) and a cached image is found by its key without reading the source: an
//   audio file is parsed only the first time its picture is needed.
import fs from 'node:fs';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import {
  type ArtworkCache,
  type ArtworkImage,
  cacheKey,
  fileImage,
  type ProducedImage,
} from './artwork-cache.ts';
import {
  isDecodable,
  mosaicImage,
  renderOwnSvg,
  resizeImage,
  SNIFF_BYTES,
  sniffImageType,
} from './images.ts';
import { coverPlaceholderSvg, DEFAULT_PLACEHOLDER_SIZE } from './placeholder.ts';
import {
  type ArtSource,
  type ArtworkViewer,
  type Candidate,
  coverCandidates,
  type FileSource,
  fingerprint,
} from './sources.ts';

export type { ArtworkImage } from './artwork-cache.ts';
export type { ArtworkViewer } from './sources.ts';

/** Larger sizes are served at this size: no client shows covers bigger, and it bounds the work. */
export const MAX_ARTWORK_SIZE = 2048;
/** A playlist mosaic asked for without a size. */
const MOSAIC_DEFAULT_SIZE = 600;
/** Part of every cache key: bump it when the encoding of cached images changes. */
const RENDER_VERSION = 1;
const MEMO_TTL_MS = 30_000;
const MEMO_MAX = 5_000;
/** How long a broken picture is skipped before it is tried again (its file's mtime changing retries at once). */
const UNUSABLE_TTL_MS = 5 * 60_000;
const UNUSABLE_MAX = 1_000;

export interface CoverArtRequest {
  /** A cover-art id as the APIs hand out: tr-, al-, ar-, fo- or pl-. */
  id: string;
  /** Pixels to fit in (size×size); undefined for the original image. Parse with parseArtworkSize. */
  size?: number | undefined;
  /** Libraries the caller may see; undefined = all. */
  libraryIds: readonly number[] | undefined;
  /** The caller, for playlists (their own and public ones; admins all). Without one: public ones only. */
  viewer?: ArtworkViewer | undefined;
  /** For warnings about broken pictures. */
  log?: Logger | undefined;
}

/**
 * The `size` parameter: a whole number of pixels, capped at MAX_ARTWORK_SIZE; absent, empty or 0 mean
 * the original image (0 as Navidrome reads it); anything else is BAD_REQUEST.
 */
export function parseArtworkSize(text: string | undefined): number | undefined {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return undefined;
  if (!/^\d+$/.test(trimmed)) {
    throw new TonearmError(
      'BAD_REQUEST',
      `parameter size must be a whole number of pixels (1 to ${MAX_ARTWORK_SIZE}; 0 or none for the original image)`,
    );
  }
  const size = Number(trimmed);
  return size === 0 ? undefined : Math.min(size, MAX_ARTWORK_SIZE);
}

interface Remembered {
  image: ArtworkImage;
  /** The cache entry behind the image; the memo is void once it is evicted. */
  key: string | undefined;
  version: string;
  at: number;
}

interface CoverState {
  cache: ArtworkCache;
  /** Answers by id, size and caller scope (most recently used last). */
  memo: Map<string, Remembered>;
  /** Fingerprints of sources that failed, with when. */
  unusable: Map<string, number>;
}

/** A server's cover art: its image cache, and the answers and broken pictures it remembers. */
export class CoverArt {
  private readonly state: CoverState;

  constructor(cache: ArtworkCache) {
    this.state = { cache, memo: new Map(), unusable: new Map() };
  }

  /** The cover image of an id; NOT_FOUND (Subsonic 70) for an unknown id or one the caller may not see. */
  image(db: Database, config: Config, request: CoverArtRequest): Promise<ArtworkImage> {
    return coverArt(this.state, db, config, request);
  }
}

async function coverArt(
  state: CoverState,
  db: Database,
  config: Config,
  request: CoverArtRequest,
): Promise<ArtworkImage> {
  const memoKey = [
    request.id,
    request.size ?? 0,
    request.libraryIds?.join(',') ?? '*',
    // Only playlists depend on who asks beyond their libraries.
    request.id.startsWith('pl-') ? `${request.viewer?.userId ?? ''}/${request.viewer?.isAdmin === true}` : '',
  ].join('\u0000');
  const version = db.recentChangeVersion();
  const remembered = state.memo.get(memoKey);
  if (remembered) {
    state.memo.delete(memoKey);
    const fresh = remembered.version === version && Date.now() - remembered.at < MEMO_TTL_MS;
    if (fresh && (await stillThere(state.cache, remembered))) {
      state.memo.set(memoKey, remembered);
      return remembered.image;
    }
  }
  const candidates = coverCandidates(db, config, request);
  const found = await firstImage(state, candidates, request.size, request.log);
  const answer = found ?? (await placeholderImage(state.cache, request.size, request.log));
  if (answer.image.file !== undefined) {
    state.memo.set(memoKey, { image: answer.image, key: answer.key, version, at: Date.now() });
    if (state.memo.size > MEMO_MAX) state.memo.delete(state.memo.keys().next().value!);
  }
  return answer.image;
}

/**
 * A cache file is there while the cache holds its key (only the cache deletes it). A library original is
 * checked with one stat, so a cover deleted or edited since is never sent broken or stale.
 */
async function stillThere(cache: ArtworkCache, remembered: Remembered): Promise<boolean> {
  if (remembered.key !== undefined) return cache.holds(remembered.key);
  const { file, size, mtimeMs } = remembered.image;
  const stat = file === undefined ? undefined : await fs.promises.stat(file).catch(() => undefined);
  return stat !== undefined && stat.size === size && stat.mtimeMs === mtimeMs;
}

interface Answer {
  image: ArtworkImage;
  /** Its cache key; undefined when it is a library file served as it is. */
  key: string | undefined;
}

async function firstImage(
  state: CoverState,
  candidates: Candidate[],
  size: number | undefined,
  log: Logger | undefined,
): Promise<Answer | undefined> {
  for (const candidate of candidates) {
    const source = await candidate();
    if (!source) continue;
    const print = fingerprint(source);
    const failedAt = state.unusable.get(print);
    if (failedAt !== undefined && Date.now() - failedAt < UNUSABLE_TTL_MS) continue;
    try {
      return await render(state.cache, source, size, log);
    } catch (error) {
      log?.warn({ err: error, file: describe(source) }, 'cover picture unreadable; using the next choice');
      state.unusable.delete(print);
      state.unusable.set(print, Date.now());
      if (state.unusable.size > UNUSABLE_MAX) state.unusable.delete(state.unusable.keys().next().value!);
    }
  }
  return undefined;
}

function describe(source: ArtSource): string {
  return source.kind === 'mosaic' ? source.tiles.map((tile) => tile.file).join(', ') : source.file;
}

async function render(
  cache: ArtworkCache,
  source: ArtSource,
  size: number | undefined,
  log: Logger | undefined,
): Promise<Answer> {
  if (source.kind === 'image' && size === undefined) {
    // The original, straight from the library: no copy, and sendFile's ETag follows the file itself.
    const type = sniffImageType(await readHead(source.file));
    if (!type) throw new Error('not a JPEG, PNG, GIF, WebP, AVIF or BMP image');
    return { image: fileImage(source.file, source.size, source.mtimeMs, type), key: undefined };
  }
  const key = cacheKey('cover', RENDER_VERSION, fingerprint(source), size ?? 'original');
  const image = await cache.getOrCreate(key, () => produce(source, size), log);
  return { image, key };
}

async function produce(source: ArtSource, size: number | undefined): Promise<ProducedImage> {
  if (source.kind === 'mosaic') {
    const tiles = await Promise.all(source.tiles.map((tile) => pictureBytes(tile).catch(() => undefined)));
    return mosaicImage(tiles, size ?? MOSAIC_DEFAULT_SIZE);
  }
  const bytes = await pictureBytes(source);
  if (!bytes) throw new Error('no picture in the file');
  const type = sniffImageType(bytes);
  if (!type) throw new Error('not a JPEG, PNG, GIF, WebP, AVIF or BMP image');
  // Originals as they are; a BMP cannot be decoded here, so it too is sent as it is rather than not at all.
  if (size === undefined || !isDecodable(type)) return { data: Buffer.from(bytes), contentType: type };
  return resizeImage(bytes, size);
}

async function pictureBytes(source: FileSource): Promise<Uint8Array | undefined> {
  if (source.kind === 'image') return fs.promises.readFile(source.file);
  // music-metadata is loaded by the first embedded cover, not at start-up (the main thread needs it for
  // nothing else: tags are read in the scanner's worker threads).
  const { embeddedPicture } = await import('./embedded-picture.ts');
  return embeddedPicture(source.file);
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function placeholderImage(
  cache: ArtworkCache,
  size: number | undefined,
  log: Logger | undefined,
): Promise<Answer> {
  const pixels = size ?? DEFAULT_PLACEHOLDER_SIZE;
  const key = cacheKey('placeholder', RENDER_VERSION, pixels);
  const image = await cache.getOrCreate(key, () => renderOwnSvg(coverPlaceholderSvg(pixels)), log);
  return { image, key };
}
