// Durations the tag parser leaves unknown, found by reading only the parts of the file that hold them.
//
// - Ogg (Vorbis, Opus, FLAC, Speex): the last page's granule position is the stream's length in samples.
//   It is read from the end of the file, never by walking the pages, so a 10 MB file costs one small read.
// - MPEG audio (MP3) without a Xing/Info header: a VBRI header (Fraunhofer encoders) states the frame count;
//   without one, the frames are counted, reading at most MAX_COUNTED_MPEG_BYTES and extrapolating beyond.
//   Raw AAC (ADTS) files have no header with a length at all and are counted the same way.
//
// Every function here takes a positioned reader, so it works on the tag reader's cached file handle and
// reads nothing twice; each returns undefined when the file does not say, never a guess.

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export type ReadAt = (position: number, length: number) => Uint8Array;

/** Ogg pages are at most 27 + 255 + 255 × 255 bytes. */
const MAX_OGG_PAGE = 65_307;
/** The first look at the end of an Ogg file: the last page is usually a few kilobytes. */
const OGG_TAIL_FIRST_READ = 16 * 1024;
/**
 * How far from the end an Ogg file is searched for its last page: a truncated or padded file (a garbage
 * tail) may end in bytes that are no page at all. Beyond this the duration is left unknown.
 */
export const MAX_OGG_TAIL_SEARCH = 1024 * 1024;
/** MP3 and ADTS frames are counted through at most this much audio; a longer file is extrapolated from it. */
export const MAX_COUNTED_MPEG_BYTES = 32 * 1024 * 1024;
const MPEG_CHUNK = 256 * 1024;
/** How far a lost frame sync is searched for before the count stops (damaged or padded audio). */
const MPEG_RESYNC_LIMIT = 64 * 1024;

const OGG_CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"

interface OggPage {
  /** Where the page starts: in the bytes searched, or in the file once found (see lastOggPage). */
  offset: number;
  /** The page's length, header included. */
  length: number;
  granule: bigint;
  serial: number;
  headerType: number;
  payload: Uint8Array;
}

/** The page starting at `offset` of `bytes`, or undefined when none starts there. */
function oggPageAt(bytes: Uint8Array, offset: number): OggPage | undefined {
  if (offset + 27 > bytes.length) return undefined;
  for (let index = 0; index < 4; index++) if (bytes[offset + index] !== OGG_CAPTURE[index]) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 27);
  if (view.getUint8(4) !== 0 || view.getUint8(5) > 7) return undefined;
  const segments = view.getUint8(26);
  if (offset + 27 + segments > bytes.length) return undefined;
  let payloadLength = 0;
  for (let index = 0; index < segments; index++) payloadLength += bytes[offset + 27 + index]!;
  const payloadStart = offset + 27 + segments;
  // A page cut short (the file ends inside it) counts samples the file does not hold.
  if (payloadStart + payloadLength > bytes.length) return undefined;
  return {
    offset,
    length: payloadStart + payloadLength - offset,
    granule: view.getBigInt64(6, true),
    serial: view.getUint32(14, true),
    headerType: view.getUint8(5),
    payload: bytes.subarray(payloadStart, payloadStart + payloadLength),
  };
}

export interface OggLength {
  /** Seconds. */
  duration: number;
  /** Bytes of audio pages: the file without its header pages (which may hold a cover of a megabyte). */
  audioBytes: number;
  codec: 'vorbis' | 'opus' | 'flac' | 'speex';
  /** The rate the granule positions count in. */
  granuleRate: number;
}

/**
 * The length of an Ogg audio stream from its first page (codec, rate, Opus pre-skip) and the granule
 * position of its last page. Chained streams (several streams one after another) are not summed: the
 * last page of another serial number is passed over, and the search gives up at MAX_OGG_TAIL_SEARCH.
 */
export function oggLength(readAt: ReadAt, size: number): OggLength | undefined {
  const head = readAt(0, Math.min(size, 27 + 255 + 4096));
  const first = oggPageAt(head, 0);
  if (!first) return undefined;
  const stream = oggStreamOf(first.payload);
  if (!stream) return undefined;
  const last = lastOggPage(readAt, size, first.serial);
  if (!last || last.granule < 0n) return undefined;
  const samples = Number(last.granule) - stream.preSkip;
  if (!(samples > 0)) return undefined;
  const audioStart = firstOggAudioPage(readAt, size, first.serial) ?? 0;
  return {
    duration: samples / stream.granuleRate,
    audioBytes: last.offset + last.length - audioStart,
    codec: stream.codec,
    granuleRate: stream.granuleRate,
  };
}

/** Header pages are walked at most this far (a comment header with a cover spans many pages). */
const MAX_OGG_HEADER_BYTES = 16 * 1024 * 1024;

/**
 * Where the first audio page of the stream starts: header pages (identification, comments, setup) carry
 * granule position 0, the first page that ends an audio packet a positive one. Only page headers are
 * read, one small read per page.
 */
function firstOggAudioPage(readAt: ReadAt, size: number, serial: number): number | undefined {
  for (let offset = 0; offset < Math.min(size, MAX_OGG_HEADER_BYTES); ) {
    const header = readAt(offset, 27 + 255);
    if (header.length < 27) return undefined;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    if (view.getUint32(0) !== 0x4f676753) return undefined; // "OggS": the pages do not run on
    const segments = header[26]!;
    if (header.length < 27 + segments) return undefined;
    if (view.getUint32(14, true) === serial && view.getBigInt64(6, true) > 0n) return offset;
    let payload = 0;
    for (let index = 0; index < segments; index++) payload += header[27 + index]!;
    offset += 27 + segments + payload;
  }
  return undefined;
}

function oggStreamOf(
  packet: Uint8Array,
): { codec: OggLength['codec']; granuleRate: number; preSkip: number } | undefined {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const ascii = (start: number, length: number) =>
    String.fromCharCode(...packet.subarray(start, Math.min(packet.length, start + length)));
  // Vorbis identification header: 0x01 "vorbis", version (4), channels (1), sample rate (4, LE).
  if (packet.length >= 16 && packet[0] === 1 && ascii(1, 6) === 'vorbis')
    return positiveRate({ codec: 'vorbis', granuleRate: view.getUint32(12, true), preSkip: 0 });
  // Opus: "OpusHead", version, channels, pre-skip (2, LE); granules always count 48 kHz samples.
  if (packet.length >= 12 && ascii(0, 8) === 'OpusHead')
    return { codec: 'opus', granuleRate: 48_000, preSkip: view.getUint16(10, true) };
  // Speex: "Speex   ", version string (20), version id (4), header size (4), rate (4, LE).
  if (packet.length >= 40 && ascii(0, 8) === 'Speex   ')
    return positiveRate({ codec: 'speex', granuleRate: view.getUint32(36, true), preSkip: 0 });
  // Ogg FLAC: 0x7F "FLAC", version (2), header count (2), "fLaC", STREAMINFO block header (4), then
  // STREAMINFO, whose sample rate is the 20 bits at its byte 10.
  if (
    packet.length >= 13 + 4 + 18 &&
    packet[0] === 0x7f &&
    ascii(1, 4) === 'FLAC' &&
    ascii(9, 4) === 'fLaC'
  ) {
    const info = 17;
    const rate = (packet[info + 10]! << 12) | (packet[info + 11]! << 4) | (packet[info + 12]! >> 4);
    return positiveRate({ codec: 'flac', granuleRate: rate, preSkip: 0 });
  }
  return undefined;
}

function positiveRate<T extends { granuleRate: number }>(stream: T): T | undefined {
  return stream.granuleRate > 0 ? stream : undefined;
}

/**
 * The last whole page of the stream `serial` with a granule position: searched backwards from the end
 * (MAX_OGG_TAIL_SEARCH), then, for a file that ends in something other than pages, by bisection.
 */
function lastOggPage(readAt: ReadAt, size: number, serial: number): OggPage | undefined {
  const isEnd = (page: OggPage) => page.serial === serial && page.granule !== -1n;
  let windowEnd = size;
  let windowSize = OGG_TAIL_FIRST_READ;
  while (windowEnd > 0 && size - windowEnd < MAX_OGG_TAIL_SEARCH) {
    // Each window overlaps the next one back by a whole page, so a page cut by the window's start is
    // found whole in the next window.
    const start = Math.max(0, windowEnd - windowSize);
    const bytes = readAt(start, Math.min(size, windowEnd + MAX_OGG_PAGE) - start);
    for (let offset = windowEnd - start - 1; offset >= 0; offset--) {
      if (bytes[offset] !== 0x4f) continue;
      const page = oggPageAt(bytes, offset);
      if (page && isEnd(page)) return { ...page, offset: start + offset };
    }
    windowEnd = start;
    windowSize = 64 * 1024;
  }
  return windowEnd > 0 ? bisectLastOggPage(readAt, windowEnd, isEnd) : undefined;
}

/**
 * The last page before `end` for a file whose tail is not pages (overwritten, or padded): the pages are
 * one run from the start, so the boundary where they stop is found in a few reads of one page's size.
 */
function bisectLastOggPage(
  readAt: ReadAt,
  end: number,
  isEnd: (page: OggPage) => boolean,
): OggPage | undefined {
  const firstEndPageFrom = (position: number): OggPage | undefined => {
    const bytes = readAt(position, 2 * MAX_OGG_PAGE);
    for (let offset = 0; offset < MAX_OGG_PAGE && offset < bytes.length; offset++) {
      if (bytes[offset] !== 0x4f) continue;
      const page = oggPageAt(bytes, offset);
      if (page && isEnd(page)) return { ...page, offset: position + offset };
    }
    return undefined;
  };
  let found: OggPage | undefined;
  let low = 0;
  let high = end;
  while (high - low > MAX_OGG_PAGE) {
    const middle = Math.floor((low + high) / 2);
    const page = firstEndPageFrom(middle);
    if (page) {
      found = page;
      low = page.offset + 1;
    } else high = middle;
  }
  // The boundary lies within one page's reach of `low`: take the last page found from there.
  for (let position = low; position < high; ) {
    const page = firstEndPageFrom(position);
    if (!page) break;
    found = page;
    position = page.offset + 1;
  }
  return found;
}

export interface FrameHeader {
  sampleRate: number;
  samplesPerFrame: number;
  frameLength: number;
}

type FrameHeaderReader = (bytes: Uint8Array, offset: number) => FrameHeader | undefined;

const MPEG_BITRATES = {
  // kbit/s by bitrate index (1–14), for MPEG-1 and MPEG-2/2.5, by layer.
  v1l1: [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  v1l2: [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  v1l3: [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2l1: [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  v2l23: [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MPEG_SAMPLE_RATES = [44_100, 48_000, 32_000];

/** The MPEG audio frame header at `offset`, or undefined when the bytes there are not one. */
export function mpegFrameHeaderAt(bytes: Uint8Array, offset: number): FrameHeader | undefined {
  if (offset + 4 > bytes.length) return undefined;
  const b1 = bytes[offset + 1]!;
  const b2 = bytes[offset + 2]!;
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3; // 0: MPEG-2.5, 2: MPEG-2, 3: MPEG-1
  const layer = (b1 >> 1) & 3; // 1: III, 2: II, 3: I
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (version === 1 || layer === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3)
    return undefined;
  const mpeg1 = version === 3;
  const table =
    layer === 3
      ? mpeg1
        ? MPEG_BITRATES.v1l1
        : MPEG_BITRATES.v2l1
      : mpeg1
        ? layer === 2
          ? MPEG_BITRATES.v1l2
          : MPEG_BITRATES.v1l3
        : MPEG_BITRATES.v2l23;
  const bitrate = table[bitrateIndex - 1]! * 1000;
  const sampleRate = MPEG_SAMPLE_RATES[rateIndex]! / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const padding = (b2 >> 1) & 1;
  if (layer === 3) {
    return {
      sampleRate,
      samplesPerFrame: 384,
      frameLength: (Math.floor((12 * bitrate) / sampleRate) + padding) * 4,
    };
  }
  const samplesPerFrame = layer === 1 && !mpeg1 ? 576 : 1152;
  const frameLength = Math.floor(((samplesPerFrame / 8) * bitrate) / sampleRate) + padding;
  return { sampleRate, samplesPerFrame, frameLength };
}

const ADTS_SAMPLE_RATES = [
  96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000, 7_350,
];

/** The AAC ADTS frame header at `offset`, or undefined when the bytes there are not one. */
export function adtsFrameHeaderAt(bytes: Uint8Array, offset: number): FrameHeader | undefined {
  if (offset + 7 > bytes.length) return undefined;
  const b1 = bytes[offset + 1]!;
  if (bytes[offset] !== 0xff || (b1 & 0xf6) !== 0xf0) return undefined; // sync 0xFFF, layer 00
  const sampleRate = ADTS_SAMPLE_RATES[(bytes[offset + 2]! >> 2) & 0x0f];
  const frameLength =
    ((bytes[offset + 3]! & 0x03) << 11) | (bytes[offset + 4]! << 3) | (bytes[offset + 5]! >> 5);
  if (!sampleRate || frameLength < 7) return undefined;
  const blocks = (bytes[offset + 6]! & 0x03) + 1;
  return { sampleRate, samplesPerFrame: 1024 * blocks, frameLength };
}

export interface MpegLength {
  /** Seconds. */
  duration: number;
  /** Bytes of audio frames (without tags), for the average bitrate. */
  audioBytes: number;
  /** How the length was found. */
  source: 'vbri' | 'counted' | 'extrapolated';
}

/**
 * The length of an MPEG audio file that has no Xing/Info header: from a VBRI header when the first frame
 * holds one, otherwise by counting frames (see MAX_COUNTED_MPEG_BYTES).
 */
export function mpegLength(
  readAt: ReadAt,
  size: number,
  maxCountedBytes = MAX_COUNTED_MPEG_BYTES,
): MpegLength | undefined {
  const audioStart = firstFrame(readAt, size, mpegFrameHeaderAt);
  if (audioStart === undefined) return undefined;
  const audioEnd = mpegAudioEnd(readAt, size);
  if (audioEnd <= audioStart) return undefined;
  const head = readAt(audioStart, 64);
  const first = mpegFrameHeaderAt(head, 0)!;
  // VBRI sits 32 bytes after the 4-byte frame header: "VBRI", version (2), delay (2), quality (2),
  // stream bytes (4), frame count (4), all big-endian.
  if (String.fromCharCode(...head.subarray(36, 40)) === 'VBRI' && head.length >= 54) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const frames = view.getUint32(50);
    if (frames > 0)
      return {
        duration: (frames * first.samplesPerFrame) / first.sampleRate,
        audioBytes: audioEnd - audioStart,
        source: 'vbri',
      };
  }
  return countFrames(readAt, audioStart, audioEnd, mpegFrameHeaderAt, maxCountedBytes);
}

/** The length of a raw AAC file (ADTS frames), by counting its frames like an MP3 without a header. */
export function adtsLength(readAt: ReadAt, size: number): MpegLength | undefined {
  const audioStart = firstFrame(readAt, size, adtsFrameHeaderAt);
  if (audioStart === undefined) return undefined;
  return countFrames(
    readAt,
    audioStart,
    mpegAudioEnd(readAt, size),
    adtsFrameHeaderAt,
    MAX_COUNTED_MPEG_BYTES,
  );
}

function countFrames(
  readAt: ReadAt,
  audioStart: number,
  audioEnd: number,
  headerAt: FrameHeaderReader,
  maxCountedBytes: number,
): MpegLength | undefined {
  const countEnd = Math.min(audioEnd, audioStart + maxCountedBytes);
  let samples = 0;
  let sampleRate = 0;
  let position = audioStart;
  let lostAt: number | undefined;
  let syncLost = false;
  while (position < countEnd && !syncLost) {
    const chunk = readAt(position, Math.min(MPEG_CHUNK, countEnd - position));
    if (chunk.length === 0) break;
    let offset = 0;
    while (offset + 4 <= chunk.length) {
      const header = headerAt(chunk, offset);
      if (header) {
        lostAt = undefined;
        samples += header.samplesPerFrame;
        sampleRate = header.sampleRate;
        offset += header.frameLength;
        continue;
      }
      // Damaged audio or junk between frames: look for the sync again, for a while.
      lostAt ??= position + offset;
      if (position + offset - lostAt > MPEG_RESYNC_LIMIT) {
        syncLost = true;
        break;
      }
      offset++;
    }
    // The next chunk starts at the next frame, which may lie past this chunk's end.
    position += Math.max(offset, 1);
  }
  if (!(samples > 0 && sampleRate > 0)) return undefined;
  const countedDuration = samples / sampleRate;
  const audioBytes = audioEnd - audioStart;
  if (syncLost || countEnd === audioEnd) return { duration: countedDuration, audioBytes, source: 'counted' };
  // Stopped at the cap: the rest of the file is taken to hold frames of the same average size.
  const counted = countEnd - audioStart;
  return { duration: countedDuration * (audioBytes / counted), audioBytes, source: 'extrapolated' };
}

/** Where the first audio frame starts: after any ID3v2 tags, at a sync that a second frame confirms. */
function firstFrame(readAt: ReadAt, size: number, headerAt: FrameHeaderReader): number | undefined {
  let start = 0;
  for (;;) {
    const header = readAt(start, 10);
    if (header.length < 10 || header[0] !== 0x49 || header[1] !== 0x44 || header[2] !== 0x33) break; // "ID3"
    const tagSize =
      ((header[6]! & 0x7f) << 21) |
      ((header[7]! & 0x7f) << 14) |
      ((header[8]! & 0x7f) << 7) |
      (header[9]! & 0x7f);
    start += 10 + tagSize + (header[5]! & 0x10 ? 10 : 0);
  }
  const window = readAt(start, Math.min(MPEG_RESYNC_LIMIT + 8 * 1024, size - start));
  for (let offset = 0; offset + 4 <= window.length; offset++) {
    const header = headerAt(window, offset);
    if (!header) continue;
    const next = readAt(start + offset + header.frameLength, 8);
    if (next.length < 4 || headerAt(next, 0)) return start + offset;
  }
  return undefined;
}

/** Where the audio frames end: before an ID3v1 tag and an APEv2 tag at the end of the file. */
function mpegAudioEnd(readAt: ReadAt, size: number): number {
  let end = size;
  const tail = readAt(Math.max(0, end - 128), Math.min(128, end));
  if (tail.length === 128 && String.fromCharCode(tail[0]!, tail[1]!, tail[2]!) === 'TAG') end -= 128;
  if (end >= 32) {
    const footer = readAt(end - 32, 32);
    if (String.fromCharCode(...footer.subarray(0, 8)) === 'APETAGEX') {
      const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
      const tagSize = view.getUint32(12, true); // items + footer
      const hasHeader = (view.getUint32(20, true) & 0x8000_0000) !== 0;
      end = Math.max(0, end - tagSize - (hasHeader ? 32 : 0));
    }
  }
  return end;
}
