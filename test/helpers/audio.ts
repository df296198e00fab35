// Real audio files for tests, made by ffmpeg at test time.
//
// Each distinct spec is encoded once into a shared cache folder (keyed by the spec, the ffmpeg version
// and HELPER_VERSION) and then copied, so a suite that needs 200 files encodes only the distinct ones.
// Cache entries are written under a temporary name and renamed, so parallel test processes never see a
// half-written file.
//
// Tags are written by ffmpeg (-metadata key=value, ffmpeg's generic key names). What each format gets:
//   mp3         ID3v2.4 (TIT2, TPE1, TPE2, TRCK, TPOS, TDRC, TCON, TCOM, TCMP, COMM, TXXX for other keys)
//   flac        Vorbis comments + PICTURE block
//   ogg, opus   Vorbis comments; the cover is a METADATA_BLOCK_PICTURE comment built here
//   m4a         iTunes ilst atoms (©nam, ©ART, aART, trkn, disk, ©day, ©gen, ©wrt, cpil, covr)
//   aiff        an ID3v2.4 "ID3 " chunk (ffmpeg's write_id3v2)
//   wav         an ID3v2.4 "id3 " chunk: ffmpeg's wav muxer only writes RIFF INFO (no album artist, disc,
//               composer or cover), so the tag is made by ffmpeg as an mp3 tag and moved into the WAV, as
//               Picard and foobar2000 store it
//   wv          APEv2 (ffmpeg); the cover is a "Cover Art (Front)" binary item added here
// Multi-valued tags (an array value): ffmpeg's CLI can set a key only once, so the values are passed
// joined by a marker byte and split afterwards into the format's own multi-value form: repeated Vorbis
// comments (flac, ogg, opus), NUL-separated ID3v2.4 text frames (mp3, aiff, wav) and NUL-separated
// APEv2 values (wv). m4a cannot hold several values through ffmpeg, so they are joined with "; " (the
// scanner's default separators split that again).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type AudioFormat = 'mp3' | 'flac' | 'ogg' | 'opus' | 'm4a' | 'wav' | 'aiff' | 'wv';

export interface AudioSpec {
  format: AudioFormat;
  /** Default 1. */
  durationSec?: number;
  /** Sine frequency in Hz, default 440. */
  frequency?: number;
  /** Default 44100. Ignored for opus, which is always 48000. */
  sampleRate?: number;
  /** Default 2. */
  channels?: 1 | 2;
  /** flac, wav, aiff, wv; default 16. */
  bitDepth?: 16 | 24;
  /** mp3, ogg, opus, m4a; defaults 128 (opus 96). */
  bitrateK?: number;
  /** ffmpeg -metadata keys (title, artist, album, album_artist, track "3/10", disc "1/2", date, genre,
   *  composer, compilation "1", comment, …). An array is a multi-valued tag; see the top of this file. */
  tags?: Record<string, string | string[]>;
  /** An embedded front cover (a 320×320 JPEG test pattern). */
  cover?: 'embedded-jpeg' | undefined;
  /** No tags and no cover (ignores tags and cover). mp3, m4a, wav, aiff and wv get no tag block at all;
   *  flac keeps an empty VORBIS_COMMENT block and ogg/opus their mandatory comment header (vendor only). */
  stripAllTags?: boolean;
}

export const AUDIO_FORMATS: readonly AudioFormat[] = [
  'mp3',
  'flac',
  'ogg',
  'opus',
  'm4a',
  'wav',
  'aiff',
  'wv',
];

/** Bump when the output for a given spec changes, so old cache entries are not reused. */
const HELPER_VERSION = 1;
const CACHE_DIR = path.join(os.tmpdir(), 'tonearm-audio-cache');
const COVER_SIZE = 320;
/** Joins the values of a multi-valued tag on ffmpeg's command line; split again after encoding. */
/** Quiet, non-interactive ffmpeg reading a generated (lavfi) source: the source description follows. */
const LAVFI_INPUT = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i'];
const MULTI = '\x1f';
const MULTI_BYTE = 0x1f;

export async function makeAudio(file: string, spec: AudioSpec): Promise<void> {
  const normal = normalise(spec);
  const key = JSON.stringify(['audio', HELPER_VERSION, await ffmpegVersion(), normal]);
  const cached = await cachedBuild(key, normal.format, (out) => encode(out, normal));
  copyTo(cached, file);
}

export async function makeImage(file: string, opts: { width?: number; height?: number } = {}): Promise<void> {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (ext !== 'jpg' && ext !== 'jpeg' && ext !== 'png')
    throw new Error(`makeImage: unsupported extension .${ext}`);
  copyTo(
    await imageInCache(ext === 'png' ? 'png' : 'jpg', opts.width ?? COVER_SIZE, opts.height ?? COVER_SIZE),
    file,
  );
}

/** Files a scanner must survive: each is named for what is wrong with it. */
export async function makeBrokenFiles(dir: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const empty = path.join(dir, 'empty.mp3');
  fs.writeFileSync(empty, Buffer.alloc(0));

  const truncated = path.join(dir, 'truncated.flac');
  const whole = await cachedBuild(
    JSON.stringify([
      'audio',
      HELPER_VERSION,
      await ffmpegVersion(),
      normalise({ format: 'flac', durationSec: 3 }),
    ]),
    'flac',
    (out) => encode(out, normalise({ format: 'flac', durationSec: 3 })),
  );
  // Without ffmpeg's 8 KiB PADDING block the first 4 KiB hold the headers and a few audio frames: the
  // header promises 3 s, the file ends after about 0.3 s, as after an interrupted copy.
  fs.writeFileSync(truncated, withoutFlacPadding(fs.readFileSync(whole)).subarray(0, 4096));

  // Deterministic noise, so a failure reproduces (these bytes start with no known magic number).
  const noise = path.join(dir, 'noise.ogg');
  const chunks: Buffer[] = [];
  let block = createHash('sha256').update('tonearm-noise').digest();
  for (let i = 0; i < 256; i++) {
    chunks.push(block);
    block = createHash('sha256').update(block).digest();
  }
  fs.writeFileSync(noise, Buffer.concat(chunks));

  const text = path.join(dir, 'text.m4a');
  fs.writeFileSync(text, 'This is a text file with an .m4a extension, not audio.\n');
  return [empty, truncated, noise, text];
}

// ---- spec → ffmpeg ------------------------------------------------------------------------------------

type NormalSpec = Required<Omit<AudioSpec, 'cover' | 'bitrateK' | 'bitDepth'>> & {
  cover: 'embedded-jpeg' | null;
  bitrateK: number | null;
  bitDepth: 16 | 24 | null;
};

const LOSSY: ReadonlySet<AudioFormat> = new Set(['mp3', 'ogg', 'opus', 'm4a']);

function normalise(spec: AudioSpec): NormalSpec {
  if (!AUDIO_FORMATS.includes(spec.format))
    throw new Error(`makeAudio: unknown format ${String(spec.format)}`);
  const lossy = LOSSY.has(spec.format);
  const strip = spec.stripAllTags ?? false;
  // Defaults filled in and a fixed key order, so equal specs share one cache entry. The order of tags is
  // part of the key: it is the order they are written in.
  return {
    format: spec.format,
    durationSec: spec.durationSec ?? 1,
    frequency: spec.frequency ?? 440,
    sampleRate: spec.format === 'opus' ? 48000 : (spec.sampleRate ?? 44100),
    channels: spec.channels ?? 2,
    bitDepth: lossy ? null : (spec.bitDepth ?? 16),
    bitrateK: lossy ? (spec.bitrateK ?? (spec.format === 'opus' ? 96 : 128)) : null,
    tags: strip ? {} : { ...(spec.tags ?? {}) },
    cover: strip ? null : (spec.cover ?? null),
    stripAllTags: strip,
  };
}

function codecArgs(spec: NormalSpec): string[] {
  const wide = spec.bitDepth === 24;
  switch (spec.format) {
    case 'mp3':
      return [
        '-c:a',
        'libmp3lame',
        '-b:a',
        `${spec.bitrateK}k`,
        '-id3v2_version',
        spec.stripAllTags ? '0' : '4',
      ];
    case 'flac':
      return [
        '-c:a',
        'flac',
        '-sample_fmt',
        wide ? 's32' : 's16',
        ...(wide ? ['-bits_per_raw_sample', '24'] : []),
      ];
    case 'ogg':
      return ['-c:a', 'libvorbis', '-b:a', `${spec.bitrateK}k`];
    case 'opus':
      return ['-c:a', 'libopus', '-b:a', `${spec.bitrateK}k`];
    case 'm4a':
      return ['-c:a', 'aac', '-b:a', `${spec.bitrateK}k`];
    case 'wav':
      return ['-c:a', wide ? 'pcm_s24le' : 'pcm_s16le'];
    case 'aiff':
      return ['-c:a', wide ? 'pcm_s24be' : 'pcm_s16be', '-write_id3v2', spec.stripAllTags ? '0' : '1'];
    case 'wv':
      return [
        '-c:a',
        'wavpack',
        '-sample_fmt',
        wide ? 's32p' : 's16p',
        ...(wide ? ['-bits_per_raw_sample', '24'] : []),
      ];
  }
}

function metadataArgs(tags: Record<string, string | string[]>, joiner: string): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(tags)) {
    args.push('-metadata', `${key}=${Array.isArray(value) ? value.join(joiner) : value}`);
  }
  return args;
}

/** Front-cover stream arguments for formats whose muxer takes an attached picture. */
async function coverInput(): Promise<{ input: string[]; output: string[] }> {
  const jpeg = await imageInCache('jpg', COVER_SIZE, COVER_SIZE);
  return {
    input: ['-i', jpeg],
    output: [
      '-map',
      '1:v',
      '-c:v',
      'copy',
      '-disposition:v',
      'attached_pic',
      '-metadata:s:v',
      'title=Album cover',
      '-metadata:s:v',
      'comment=Cover (front)',
    ],
  };
}

const BITEXACT = ['-fflags', '+bitexact', '-flags:a', '+bitexact', '-flags:v', '+bitexact'];

async function encode(out: string, spec: NormalSpec): Promise<void> {
  const source = `sine=frequency=${spec.frequency}:sample_rate=${spec.sampleRate}:duration=${spec.durationSec}`;
  const args = [...LAVFI_INPUT, source];
  const outArgs = [
    '-map',
    '0:a',
    '-ac',
    String(spec.channels),
    '-ar',
    String(spec.sampleRate),
    ...codecArgs(spec),
  ];
  outArgs.push('-map_metadata', '-1', '-map_chapters', '-1', ...BITEXACT);

  const cover = spec.cover !== null;
  const hasMulti = Object.values(spec.tags).some(Array.isArray);
  const { format } = spec;
  // The WAV tag is made separately (see makeId3Tag), so the WAV itself gets no tags from ffmpeg.
  if (format !== 'wav') outArgs.push(...metadataArgs(spec.tags, format === 'm4a' ? '; ' : MULTI));
  if (cover && (format === 'mp3' || format === 'flac' || format === 'm4a' || format === 'aiff')) {
    const pic = await coverInput();
    args.push(...pic.input);
    outArgs.push(...pic.output);
  }
  await ffmpeg([...args, ...outArgs, out]);

  if (format === 'wav') {
    if (Object.keys(spec.tags).length > 0 || cover) appendWavId3(out, await makeId3Tag(spec.tags, cover));
    return;
  }
  if (spec.stripAllTags || (Object.keys(spec.tags).length === 0 && !cover)) return;
  if (format === 'mp3') rewriteMp3Tag(out);
  else if (format === 'aiff') rewriteAiffTag(out);
  else if (format === 'wv')
    rewriteApeTag(out, cover ? fs.readFileSync(await imageInCache('jpg', COVER_SIZE, COVER_SIZE)) : null);
  else if (hasMulti && format === 'flac') rewriteFlacComments(out);
  else if ((hasMulti || cover) && (format === 'ogg' || format === 'opus')) {
    // The picture goes in here rather than through -metadata: a big one would exceed the argv size limit.
    const extra: string[] = [];
    if (cover) {
      const jpeg = fs.readFileSync(await imageInCache('jpg', COVER_SIZE, COVER_SIZE));
      extra.push(`METADATA_BLOCK_PICTURE=${flacPictureBlock(jpeg).toString('base64')}`);
    }
    rewriteOggComments(out, format, extra);
  }
}

export async function ffmpeg(args: string[]): Promise<void> {
  try {
    await run('ffmpeg', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `ffmpeg failed (${args.join(' ').slice(0, 400)}): ${stderr.trim() || (error as Error).message}`,
    );
  }
}

let versionPromise: Promise<string> | undefined;
export function ffmpegVersion(): Promise<string> {
  versionPromise ??= run('ffmpeg', ['-version']).then((result) => result.stdout.split('\n')[0]!.trim());
  return versionPromise;
}

// ---- cache --------------------------------------------------------------------------------------------

const inFlight = new Map<string, Promise<string>>();

/** The cached file (or folder) for key, built with build(tempPath) if missing. */
export function cachedBuild(
  key: string,
  ext: string,
  build: (tempPath: string) => Promise<void>,
): Promise<string> {
  const hash = createHash('sha256').update(key).digest('hex');
  const final = path.join(CACHE_DIR, `${hash}.${ext}`);
  const pending = inFlight.get(final);
  if (pending) return pending;
  const promise = (async () => {
    if (fs.existsSync(final)) return final;
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    // The temp name keeps the extension: ffmpeg picks the container from it.
    const temp = path.join(CACHE_DIR, `${hash}.tmp-${process.pid}-${randomBytes(4).toString('hex')}.${ext}`);
    try {
      await build(temp);
      try {
        fs.renameSync(temp, final);
      } catch (error) {
        // A folder cannot be renamed over one that another process finished first: use that one.
        if (!fs.existsSync(final)) throw error;
      }
    } finally {
      fs.rmSync(temp, { force: true, recursive: true });
    }
    return final;
  })();
  inFlight.set(final, promise);
  promise.catch(() => inFlight.delete(final));
  return promise;
}

function copyTo(source: string, target: string): void {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  fs.copyFileSync(source, target);
}

function imageInCache(ext: 'jpg' | 'png', width: number, height: number): Promise<string> {
  return ffmpegVersion().then((version) =>
    cachedBuild(JSON.stringify(['image', HELPER_VERSION, version, ext, width, height]), ext, (out) =>
      ffmpeg([
        ...LAVFI_INPUT,
        `testsrc=size=${width}x${height}:rate=1`,
        '-frames:v',
        '1',
        ...(ext === 'jpg' ? ['-c:v', 'mjpeg', '-q:v', '4', '-pix_fmt', 'yuvj420p'] : ['-c:v', 'png']),
        '-fflags',
        '+bitexact',
        '-flags:v',
        '+bitexact',
        '-f',
        'image2',
        out,
      ]),
    ),
  );
}

// ---- cover pictures -----------------------------------------------------------------------------------

/** The FLAC PICTURE block body (as carried base64 in METADATA_BLOCK_PICTURE): front cover, JPEG. */
export function flacPictureBlock(jpeg: Buffer): Buffer {
  const { width, height } = jpegSize(jpeg);
  const mime = Buffer.from('image/jpeg');
  const description = Buffer.from('Album cover');
  const out = Buffer.alloc(32 + mime.length + description.length + jpeg.length);
  let at = out.writeUInt32BE(3, 0); // 3 = front cover
  at = out.writeUInt32BE(mime.length, at);
  at += mime.copy(out, at);
  at = out.writeUInt32BE(description.length, at);
  at += description.copy(out, at);
  at = out.writeUInt32BE(width, at);
  at = out.writeUInt32BE(height, at);
  at = out.writeUInt32BE(24, at); // colour depth
  at = out.writeUInt32BE(0, at); // palette size: not indexed
  at = out.writeUInt32BE(jpeg.length, at);
  jpeg.copy(out, at);
  return out;
}

/** Width and height from a JPEG's start-of-frame marker. */
export function jpegSize(jpeg: Buffer): { width: number; height: number } {
  if (jpeg.readUInt16BE(0) !== 0xffd8) throw new Error('not a JPEG');
  let at = 2;
  while (at + 4 <= jpeg.length) {
    if (jpeg.readUInt8(at) !== 0xff) throw new Error(`bad JPEG marker at ${at}`);
    const marker = jpeg.readUInt8(at + 1);
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    const length = jpeg.readUInt16BE(at + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  throw new Error('JPEG has no start-of-frame marker');
}

// ---- ID3v2 (mp3, aiff, wav) ---------------------------------------------------------------------------

/** An ID3v2.4 tag made by ffmpeg's mp3 muxer, multi-values already split. */
async function makeId3Tag(tags: Record<string, string | string[]>, cover: boolean): Promise<Buffer> {
  const temp = path.join(CACHE_DIR, `id3-${process.pid}-${randomBytes(4).toString('hex')}.mp3`);
  try {
    const args = [...LAVFI_INPUT, 'anullsrc=r=44100:cl=mono'];
    const outArgs = [
      '-map',
      '0:a',
      '-t',
      '0.05',
      '-c:a',
      'libmp3lame',
      '-id3v2_version',
      '4',
      '-write_xing',
      '0',
    ];
    outArgs.push('-map_metadata', '-1', ...BITEXACT, ...metadataArgs(tags, MULTI));
    if (cover) {
      const pic = await coverInput();
      args.push(...pic.input);
      outArgs.push(...pic.output);
    }
    await ffmpeg([...args, ...outArgs, temp]);
    const mp3 = fs.readFileSync(temp);
    return rewriteId3Tag(mp3.subarray(0, id3TagLength(mp3, 0)));
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function syncsafe(buffer: Buffer, at: number): number {
  return (
    ((buffer.readUInt8(at) & 0x7f) << 21) |
    ((buffer.readUInt8(at + 1) & 0x7f) << 14) |
    ((buffer.readUInt8(at + 2) & 0x7f) << 7) |
    (buffer.readUInt8(at + 3) & 0x7f)
  );
}

function id3TagLength(buffer: Buffer, at: number): number {
  if (buffer.toString('latin1', at, at + 3) !== 'ID3') throw new Error(`no ID3v2 tag at ${at}`);
  const hasFooter = (buffer.readUInt8(at + 5) & 0x10) !== 0;
  return 10 + syncsafe(buffer, at + 6) + (hasFooter ? 10 : 0);
}

interface Id3Frame {
  id: string;
  flags: number;
  body: Buffer;
}

/** TXXX descriptions that ffmpeg writes for keys it has no ID3 frame for, and the frames taggers use. */
const TXXX_TO_FRAME: Record<string, string> = {
  tcmp: 'TCMP',
  compilation: 'TCMP',
  comment: 'COMM',
  lyrics: 'USLT',
};

/**
 * Rewrites an ffmpeg-made ID3v2.4 tag: splits multi-values (the marker becomes NUL, ID3v2.4's separator)
 * and turns TXXX:TCMP, TXXX:comment and TXXX:lyrics into the TCMP, COMM and USLT frames that taggers
 * write and players read (ffmpeg has no writer for those frames).
 */
function rewriteId3Tag(tag: Buffer): Buffer {
  if (tag.readUInt8(3) !== 4 || tag.readUInt8(5) !== 0)
    throw new Error('expected a plain ID3v2.4 tag from ffmpeg');
  const end = id3TagLength(tag, 0);
  const frames: Id3Frame[] = [];
  let at = 10;
  while (at + 10 <= end && tag.readUInt8(at) !== 0) {
    const size = syncsafe(tag, at + 4);
    frames.push({
      id: tag.toString('latin1', at, at + 4),
      flags: tag.readUInt16BE(at + 8),
      body: tag.subarray(at + 10, at + 10 + size),
    });
    at += 10 + size;
  }
  const padding = end - at;
  const out: Buffer[] = [];
  for (let frame of frames) {
    if (frame.id === 'TXXX') {
      // encoding byte, description NUL, value NUL (ffmpeg writes ISO-8859-1 or UTF-8: one-byte NULs)
      const descriptionEnd = frame.body.indexOf(0, 1);
      const description = frame.body.toString('utf8', 1, descriptionEnd).toLowerCase();
      const target = TXXX_TO_FRAME[description];
      const encoding = frame.body.subarray(0, 1);
      const value = frame.body.subarray(descriptionEnd + 1);
      if (target === 'TCMP') frame = { ...frame, id: 'TCMP', body: Buffer.concat([encoding, value]) };
      // COMM and USLT: encoding, language, empty description NUL, text
      else if (target)
        frame = {
          ...frame,
          id: target,
          body: Buffer.concat([encoding, Buffer.from('eng\0', 'latin1'), value]),
        };
    }
    const body = Buffer.from(frame.body);
    if (frame.id.startsWith('T'))
      for (let i = 1; i < body.length; i++) if (body.readUInt8(i) === MULTI_BYTE) body.writeUInt8(0, i);
    const head = Buffer.alloc(10);
    head.write(frame.id, 0, 'latin1');
    writeSyncsafe(head, 4, body.length);
    head.writeUInt16BE(frame.flags, 8);
    out.push(head, body);
  }
  const frameBytes = Buffer.concat(out);
  const header = Buffer.from(tag.subarray(0, 10));
  writeSyncsafe(header, 6, frameBytes.length + padding);
  return Buffer.concat([header, frameBytes, Buffer.alloc(padding)]);
}

function writeSyncsafe(buffer: Buffer, at: number, value: number): void {
  for (let i = 0; i < 4; i++) buffer.writeUInt8((value >>> (7 * (3 - i))) & 0x7f, at + i);
}

function rewriteMp3Tag(file: string): void {
  const mp3 = fs.readFileSync(file);
  const length = id3TagLength(mp3, 0);
  fs.writeFileSync(file, Buffer.concat([rewriteId3Tag(mp3.subarray(0, length)), mp3.subarray(length)]));
}

/** AIFF keeps its ID3 tag in an "ID3 " chunk; sizes are big-endian. */
function rewriteAiffTag(file: string): void {
  const aiff = fs.readFileSync(file);
  const data = findIffChunk(aiff, 'ID3 ');
  const size = aiff.readUInt32BE(data - 4);
  const tag = rewriteId3Tag(aiff.subarray(data, data + size));
  const sizeField = Buffer.alloc(4);
  sizeField.writeUInt32BE(tag.length, 0);
  const out = Buffer.concat([
    aiff.subarray(0, data - 4),
    sizeField,
    tag,
    Buffer.alloc(tag.length % 2),
    aiff.subarray(data + size + (size % 2)),
  ]);
  out.writeUInt32BE(out.length - 8, 4); // FORM size
  fs.writeFileSync(file, out);
}

/** Offset of the data of an AIFF (big-endian) top-level chunk. */
function findIffChunk(buffer: Buffer, id: string): number {
  let at = 12;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    if (buffer.toString('latin1', at, at + 4) === id) return at + 8;
    at += 8 + size + (size % 2);
  }
  throw new Error(`no ${id} chunk`);
}

function appendWavId3(file: string, tag: Buffer): void {
  const wav = fs.readFileSync(file);
  const header = Buffer.alloc(8);
  header.write('id3 ', 0, 'latin1');
  header.writeUInt32LE(tag.length, 4);
  const out = Buffer.concat([wav, header, tag, Buffer.alloc(tag.length % 2)]);
  out.writeUInt32LE(out.length - 8, 4); // RIFF size
  fs.writeFileSync(file, out);
}

// ---- Vorbis comments (flac, ogg, opus) -----------------------------------------------------------------

/** Parses a comment list (vendor, count, "KEY=value"…) at `at`; returns it and where it ended. */
function readComments(buffer: Buffer, at: number): { vendor: Buffer; comments: Buffer[]; end: number } {
  const vendorLength = buffer.readUInt32LE(at);
  const vendor = buffer.subarray(at + 4, at + 4 + vendorLength);
  let position = at + 4 + vendorLength;
  const count = buffer.readUInt32LE(position);
  position += 4;
  const comments: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const length = buffer.readUInt32LE(position);
    comments.push(buffer.subarray(position + 4, position + 4 + length));
    position += 4 + length;
  }
  return { vendor, comments, end: position };
}

/** KEY=a<marker>b becomes KEY=a, KEY=b; `extra` entries are added at the end. */
function writeSplitComments(vendor: Buffer, comments: Buffer[], extra: string[] = []): Buffer {
  const entries: Buffer[] = [];
  for (const comment of comments) {
    const equals = comment.indexOf(0x3d);
    const key = comment.subarray(0, equals + 1);
    const values = comment
      .subarray(equals + 1)
      .toString('utf8')
      .split(MULTI);
    for (const value of values) entries.push(Buffer.concat([key, Buffer.from(value, 'utf8')]));
  }
  for (const entry of extra) entries.push(Buffer.from(entry, 'utf8'));
  const parts: Buffer[] = [u32le(vendor.length), vendor, u32le(entries.length)];
  for (const entry of entries) parts.push(u32le(entry.length), entry);
  return Buffer.concat(parts);
}

function u32le(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value, 0);
  return buffer;
}

function withoutFlacPadding(flac: Buffer): Buffer {
  const blocks: Buffer[] = [];
  let at = 4;
  for (;;) {
    const head = flac.readUInt8(at);
    const end = at + 4 + flac.readUIntBE(at + 1, 3);
    if ((head & 0x7f) !== 1) blocks.push(Buffer.from(flac.subarray(at, end)));
    at = end;
    if (head & 0x80) break;
  }
  for (const [i, block] of blocks.entries())
    block.writeUInt8((block.readUInt8(0) & 0x7f) | (i === blocks.length - 1 ? 0x80 : 0), 0);
  return Buffer.concat([flac.subarray(0, 4), ...blocks, flac.subarray(at)]);
}

function rewriteFlacComments(file: string): void {
  const flac = fs.readFileSync(file);
  if (flac.toString('latin1', 0, 4) !== 'fLaC') throw new Error('not a FLAC file');
  let at = 4;
  for (;;) {
    const head = flac.readUInt8(at);
    const length = flac.readUIntBE(at + 1, 3);
    if ((head & 0x7f) === 4) {
      const { vendor, comments } = readComments(flac, at + 4);
      const body = writeSplitComments(vendor, comments);
      const blockHeader = Buffer.alloc(4);
      blockHeader.writeUInt8(head, 0); // keeps the last-block flag
      blockHeader.writeUIntBE(body.length, 1, 3);
      fs.writeFileSync(
        file,
        Buffer.concat([flac.subarray(0, at), blockHeader, body, flac.subarray(at + 4 + length)]),
      );
      return;
    }
    if (head & 0x80) throw new Error('FLAC file has no VORBIS_COMMENT block');
    at += 4 + length;
  }
}

interface OggPage {
  headerType: number;
  granule: Buffer;
  serial: number;
  segments: number[];
  body: Buffer;
}

function readOggPages(buffer: Buffer): OggPage[] {
  const pages: OggPage[] = [];
  let at = 0;
  while (at < buffer.length) {
    if (buffer.toString('latin1', at, at + 4) !== 'OggS') throw new Error(`no Ogg page at ${at}`);
    const count = buffer.readUInt8(at + 26);
    const segments = [...buffer.subarray(at + 27, at + 27 + count)];
    const bodyLength = segments.reduce((sum, value) => sum + value, 0);
    const bodyStart = at + 27 + count;
    pages.push({
      headerType: buffer.readUInt8(at + 5),
      granule: buffer.subarray(at + 6, at + 14),
      serial: buffer.readUInt32LE(at + 14),
      segments,
      body: buffer.subarray(bodyStart, bodyStart + bodyLength),
    });
    at = bodyStart + bodyLength;
  }
  return pages;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function writeOggPage(page: OggPage, sequence: number): Buffer {
  const out = Buffer.alloc(27 + page.segments.length + page.body.length);
  out.write('OggS', 0, 'latin1');
  out.writeUInt8(0, 4);
  out.writeUInt8(page.headerType, 5);
  page.granule.copy(out, 6);
  out.writeUInt32LE(page.serial, 14);
  out.writeUInt32LE(sequence, 18);
  out.writeUInt8(page.segments.length, 26);
  Buffer.from(page.segments).copy(out, 27);
  page.body.copy(out, 27 + page.segments.length);
  let crc = 0;
  for (const byte of out) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  out.writeUInt32LE(crc, 22);
  return out;
}

/** A packet laid out on fresh pages (header packets: granule 0; 255 segments at most per page). */
function packetPages(packet: Buffer, serial: number): OggPage[] {
  const lacing: number[] = [];
  for (let left = packet.length; ; left -= 255) {
    lacing.push(Math.min(left, 255));
    if (left < 255) break;
  }
  const pages: OggPage[] = [];
  let offset = 0;
  for (let first = 0; first < lacing.length; first += 255) {
    const segments = lacing.slice(first, first + 255);
    const length = segments.reduce((sum, value) => sum + value, 0);
    const ends = first + 255 >= lacing.length;
    pages.push({
      headerType: first === 0 ? 0 : 1, // 1: continues a packet
      granule: ends ? Buffer.alloc(8) : Buffer.alloc(8, 0xff), // -1: no packet ends on this page
      serial,
      segments,
      body: packet.subarray(offset, offset + length),
    });
    offset += length;
  }
  return pages;
}

/** Rebuilds the comment header packet (split multi-values, extra entries), re-pages the headers and
 *  renumbers the pages after them. */
function rewriteOggComments(file: string, format: 'ogg' | 'opus', extra: string[]): void {
  const pages = readOggPages(fs.readFileSync(file));
  const headerCount = format === 'ogg' ? 3 : 2;
  const packets: Buffer[] = [];
  let partial: Buffer[] = [];
  let firstAudioPage = -1;
  for (let p = 0; p < pages.length && firstAudioPage < 0; p++) {
    const page = pages[p]!;
    let offset = 0;
    for (const [s, size] of page.segments.entries()) {
      partial.push(page.body.subarray(offset, offset + size));
      offset += size;
      if (size < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
        if (packets.length === headerCount) {
          if (s !== page.segments.length - 1) throw new Error('Ogg header packets do not end a page');
          firstAudioPage = p + 1;
          break;
        }
      }
    }
  }
  if (firstAudioPage < 0) throw new Error('Ogg stream has too few header packets');
  const comment = packets[1]!;
  const magicLength = format === 'ogg' ? 7 : 8;
  const { vendor, comments } = readComments(comment, magicLength);
  const rebuilt = Buffer.concat([
    comment.subarray(0, magicLength),
    writeSplitComments(vendor, comments, extra),
    format === 'ogg' ? Buffer.from([1]) : Buffer.alloc(0), // Vorbis framing bit
  ]);
  const serial = pages[0]!.serial;
  const layout = [pages[0]!, ...packetPages(rebuilt, serial)];
  for (const packet of packets.slice(2)) layout.push(...packetPages(packet, serial));
  layout.push(...pages.slice(firstAudioPage));
  fs.writeFileSync(file, Buffer.concat(layout.map((page, sequence) => writeOggPage(page, sequence))));
}

// ---- APEv2 (wv) ---------------------------------------------------------------------------------------

interface ApeItem {
  flags: number;
  key: string;
  value: Buffer;
}

/** The APEv2 tag at the end of the file (items and where the tag starts), or none. */
function readApeTag(buffer: Buffer): { items: ApeItem[]; start: number } {
  const footer = buffer.length - 32;
  if (footer < 0 || buffer.toString('latin1', footer, footer + 8) !== 'APETAGEX')
    return { items: [], start: buffer.length };
  const size = buffer.readUInt32LE(footer + 12); // items + footer
  const count = buffer.readUInt32LE(footer + 16);
  const hasHeader = (buffer.readUInt32LE(footer + 20) & 0x80000000) !== 0;
  let at = buffer.length - size;
  const items: ApeItem[] = [];
  for (let i = 0; i < count; i++) {
    const length = buffer.readUInt32LE(at);
    const flags = buffer.readUInt32LE(at + 4);
    const keyEnd = buffer.indexOf(0, at + 8);
    items.push({
      flags,
      key: buffer.toString('latin1', at + 8, keyEnd),
      value: buffer.subarray(keyEnd + 1, keyEnd + 1 + length),
    });
    at = keyEnd + 1 + length;
  }
  return { items, start: buffer.length - size - (hasHeader ? 32 : 0) };
}

function writeApeTag(items: ApeItem[]): Buffer {
  const body = Buffer.concat(
    items.map((item) => {
      const head = Buffer.alloc(8);
      head.writeUInt32LE(item.value.length, 0);
      head.writeUInt32LE(item.flags, 4);
      return Buffer.concat([head, Buffer.from(`${item.key}\0`, 'latin1'), item.value]);
    }),
  );
  const frame = (isHeader: boolean): Buffer => {
    const out = Buffer.alloc(32);
    out.write('APETAGEX', 0, 'latin1');
    out.writeUInt32LE(2000, 8);
    out.writeUInt32LE(body.length + 32, 12);
    out.writeUInt32LE(items.length, 16);
    out.writeUInt32LE((0x80000000 | (isHeader ? 0x20000000 : 0)) >>> 0, 20); // has header; is header
    return out;
  };
  return Buffer.concat([frame(true), body, frame(false)]);
}

/** ffmpeg writes its own key names; readers look for the APEv2 ones for these. */
const APE_KEYS: Record<string, string> = { album_artist: 'Album Artist' };

/**
 * Splits multi-values (APEv2 separates the values of a text item with NUL), renames keys as taggers write
 * them and adds the cover: a binary item (flags bit 1) holding "file name" NUL image bytes, as foobar2000
 * and Mp3tag write it (ffmpeg writes text items only).
 */
function rewriteApeTag(file: string, jpeg: Buffer | null): void {
  const buffer = fs.readFileSync(file);
  const { items, start } = readApeTag(buffer);
  const rewritten = items.map((item) =>
    (item.flags & 0x6) === 0
      ? {
          ...item,
          key: APE_KEYS[item.key.toLowerCase()] ?? item.key,
          value: Buffer.from(item.value.toString('utf8').split(MULTI).join('\0'), 'utf8'),
        }
      : item,
  );
  if (jpeg)
    rewritten.push({
      flags: 2,
      key: 'Cover Art (Front)',
      value: Buffer.concat([Buffer.from('cover.jpg\0', 'latin1'), jpeg]),
    });
  fs.writeFileSync(file, Buffer.concat([buffer.subarray(0, start), writeApeTag(rewritten)]));
}
