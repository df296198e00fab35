// Everything Tonearm does with pixels, through sharp (libvips). Why it looks like this:
// - Only bytes whose magic number says JPEG, PNG, GIF, WebP or AVIF reach a decoder. Covers come from
//   music folders and from tags inside audio files, i.e. from anyone; sharp would also happily open SVG,
//   TIFF or PDF, whose loaders are a larger attack surface than a cover needs.
// - sharp runs each job on a libuv thread, the same pool that serves the file reads of every stream. A
//   grid of 50 uncached covers must not take that pool over, so jobs go through a small queue (one job on
//   two cores, two from four) and libvips uses one thread per job.
// - Decoding is capped at 64 megapixels (a decompression bomb would otherwise take gigabytes).
// - sharp is loaded on the first image job, not at start-up: libvips and its binding take ~9 MB of memory in
//   every thread that loads them, and a server whose covers are all cached never needs them.
import os from 'node:os';
import type { OverlayOptions, Sharp } from 'sharp';

export type ImageType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'image/avif' | 'image/bmp';

export interface EncodedImage {
  data: Buffer;
  contentType: 'image/jpeg' | 'image/png';
}

/** Bytes enough to tell the image types apart. */
export const SNIFF_BYTES = 32;
const MAX_INPUT_PIXELS = 64_000_000;
const JPEG_QUALITY = 85;
/** The grey behind mosaic tiles and the placeholder's background. */
export const NEUTRAL_GREY = '#e3e3e3';

/** The image type the bytes really are (file names and tags lie), or undefined. */
export function sniffImageType(head: Uint8Array): ImageType | undefined {
  const bytes = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, SNIFF_BYTES));
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a)
    return 'image/png';
  const ascii = bytes.toString('latin1');
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return 'image/gif';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'image/webp';
  if (ascii.slice(4, 8) === 'ftyp' && /^avi[fs]$/.test(ascii.slice(8, 12))) return 'image/avif';
  if (ascii.startsWith('BM') && bytes.length >= 14) return 'image/bmp';
  return undefined;
}

/** Whether sharp may decode this type. BMP is a real image type that the bundled libvips cannot read. */
export function isDecodable(type: ImageType | undefined): boolean {
  return type !== undefined && type !== 'image/bmp';
}

/** The usual file extension of a type, for cache file names. */
export function extensionOf(type: string): string {
  const extensions: Record<string, string> = {
    'image/jpeg': 'jpg',
    'image/png': 'png',
    'image/gif': 'gif',
    'image/webp': 'webp',
    'image/avif': 'avif',
    'image/bmp': 'bmp',
  };
  return extensions[type] ?? 'bin';
}

export function typeOfExtension(extension: string): ImageType | undefined {
  const types: Record<string, ImageType> = {
    jpg: 'image/jpeg',
    png: 'image/png',
    gif: 'image/gif',
    webp: 'image/webp',
    avif: 'image/avif',
    bmp: 'image/bmp',
  };
  return types[extension];
}

/** Runs at most `limit` tasks at once, the others wait in arrival order. */
export class WorkQueue {
  private readonly limit: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Tasks running and waiting, for tests and metrics. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

export const imageWork = new WorkQueue(Math.min(2, Math.floor(os.availableParallelism() / 2)));

type SharpFactory = typeof import('sharp')['default'];

let sharpLoaded: Promise<SharpFactory> | undefined;
function loadSharp(): Promise<SharpFactory> {
  sharpLoaded ??= import('sharp').then(({ default: sharp }) => {
    // One libvips thread per job (the queue above bounds the jobs), and no libvips operation cache:
    // finished images are cached on disk, and an idle server should hold no decoded pixels.
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return sharpLoaded;
}

async function open(input: Uint8Array | Buffer): Promise<Sharp> {
  const sharp = await loadSharp();
  // failOn 'error': real-world covers often carry harmless warnings (odd EXIF, extra bytes); only
  // undecodable data fails. Only the first frame of an animated GIF or WebP is used.
  return sharp(input, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS, animated: false });
}

/**
 * The image scaled to fit in size×size, keeping its aspect ratio and never enlarged (what Subsonic
 * clients expect of `size`). JPEG, or PNG when the image has an alpha channel. Rejects what cannot be
 * decoded.
 */
export function resizeImage(input: Uint8Array, size: number): Promise<EncodedImage> {
  return imageWork.run(async () => {
    const image = await open(input);
    const { hasAlpha } = await image.metadata();
    const pipeline = image.rotate().resize(size, size, { fit: 'inside', withoutEnlargement: true });
    return hasAlpha
      ? { data: await pipeline.png({ compressionLevel: 8 }).toBuffer(), contentType: 'image/png' }
      : { data: await pipeline.jpeg({ quality: JPEG_QUALITY }).toBuffer(), contentType: 'image/jpeg' };
  });
}

/**
 * A size×size JPEG of four images in a 2×2 grid, each cropped to a square (a playlist's cover). A tile
 * that is undefined or cannot be decoded stays grey.
 */
export function mosaicImage(tiles: readonly (Uint8Array | undefined)[], size: number): Promise<EncodedImage> {
  return imageWork.run(async () => {
    const left = Math.floor(size / 2);
    const top = Math.floor(size / 2);
    const placed: OverlayOptions[] = [];
    for (const [index, tile] of tiles.slice(0, 4).entries()) {
      if (!tile) continue;
      const column = index % 2;
      const row = Math.floor(index / 2);
      const width = column === 0 ? left : size - left;
      const height = row === 0 ? top : size - top;
      try {
        const input = await (await open(tile))
          .rotate()
          .resize(width, height, { fit: 'cover' })
          .flatten({ background: NEUTRAL_GREY })
          .png({ compressionLevel: 0 })
          .toBuffer();
        placed.push({ input, left: column === 0 ? 0 : left, top: row === 0 ? 0 : top });
      } catch {
        // left grey: one broken cover should not cost the playlist its picture
      }
    }
    const sharp = await loadSharp();
    const data = await sharp({ create: { width: size, height: size, channels: 3, background: NEUTRAL_GREY } })
      .composite(placed)
      .jpeg({ quality: JPEG_QUALITY })
      .toBuffer();
    return { data, contentType: 'image/jpeg' };
  });
}

/** Renders an SVG made by Tonearm itself (placeholders); never pass outside SVG here. */
export function renderOwnSvg(svg: string): Promise<EncodedImage> {
  return imageWork.run(async () => {
    const sharp = await loadSharp();
    const data = await sharp(Buffer.from(svg)).png({ compressionLevel: 9 }).toBuffer();
    return { data, contentType: 'image/png' };
  });
}

/**
 * An uploaded picture made into an avatar: EXIF orientation applied, at most max×max, PNG, metadata
 * dropped. Rejects what cannot be decoded.
 */
export function normaliseToPng(input: Uint8Array, max: number): Promise<Buffer> {
  return imageWork.run(async () =>
    (await open(input))
      .rotate()
      .resize(max, max, { fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer(),
  );
}
