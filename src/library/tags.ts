// Reads one audio file into plain data: tags, technical properties, embedded and sidecar lyrics.
// Runs inside the tag-reader worker threads, so it returns only structured-cloneable values.
// Splitting artists by separators and grouping into albums happen later, on the main thread.
import fs from 'node:fs/promises';
import path from 'node:path';
import { type IAudioMetadata, parseFromTokenizer } from 'music-metadata';
import { CachedFileTokenizer } from './cached-file-tokenizer.ts';
import { type LyricSet, parseLyricsText } from '../music/lyrics.ts';
import { probeDuration } from './probe-duration.ts';
import { adtsLength, mpegLength, oggLength } from './stream-length.ts';
import { mayHoldLatin1Text, repairTagTexts, tagTextDecoder } from './tag-text.ts';

export interface ReadTrack {
  title: string | null;
  artist: string | null;
  artists: string[];
  albumArtist: string | null;
  albumArtists: string[];
  album: string | null;
  albumVersion: string | null;
  trackNumber: number | null;
  trackTotal: number | null;
  discNumber: number | null;
  discTotal: number | null;
  discSubtitle: string | null;
  year: number | null;
  date: string | null;
  originalDate: string | null;
  releaseDate: string | null;
  genres: string[];
  composers: string[];
  /** Other credited roles: lyricist, conductor, arranger, producer, remixer, engineer, mixer, djmixer. */
  roles: { role: string; name: string }[];
  titleSort: string | null;
  artistSort: string | null;
  albumSort: string | null;
  albumArtistSort: string | null;
  mbzRecordingId: string | null;
  mbzTrackId: string | null;
  mbzAlbumId: string | null;
  mbzReleaseGroupId: string | null;
  mbzArtistIds: string[];
  mbzAlbumArtistIds: string[];
  isrc: string[];
  bpm: number | null;
  comment: string | null;
  compilation: boolean;
  releaseTypes: string[];
  recordLabels: string[];
  moods: string[];
  grouping: string | null;
  trackGain: number | null;
  trackPeak: number | null;
  albumGain: number | null;
  albumPeak: number | null;
  lyrics: LyricSet[];
  duration: number;
  bitrate: number | null;
  sampleRate: number | null;
  bitDepth: number | null;
  channels: number | null;
  codec: string | null;
  lossless: boolean;
  hasPicture: boolean;
}

/**
 * Why a file gave no track, which decides what happens to a track already stored for it:
 * - 'content': a verdict on the file itself (empty, not audio, truncated, cannot be parsed). The stored
 *   track is removed and the file is recorded as broken (scan_issue) until it changes.
 * - 'io': the file could not be read: a system call failed with an errno code (ENOENT: gone since the
 *   walk; EIO, ESTALE, EHOSTDOWN, ETIMEDOUT: a share or disk that dropped; EACCES: permissions). Nothing is
 *   known about its content, so a stored track is kept as it is and the file is read again next scan.
 * - 'reader': the tag reader crashed or hung while the file was in flight (the culprit may be another file
 *   the same worker was reading), or the scanner stopped. A stored track is kept.
 */
export type ReadFailure = 'content' | 'io' | 'reader';

export type ReadOutcome =
  | { ok: true; track: ReadTrack }
  | { ok: false; reason: string; failure: ReadFailure };

export interface ReadRequest {
  file: string;
  size: number;
  /** Absolute paths of a same-named .lrc / .txt beside the file, if any. */
  lrcFile?: string;
  txtFile?: string;
  options?: TagReadOptions;
}

export interface TagReadOptions {
  /** The code page of old tags that are neither Latin-1 nor UTF-8 (scanner.legacyEncoding), e.g. "windows-1251". */
  legacyEncoding?: string;
  /** ffprobe, asked for the duration when nothing in the file states it; unset: such files get 0 (unknown). */
  ffprobe?: string;
}

const OGG_SUFFIX = /\.(ogg|oga|opus|spx)$/i;
const OGG_PICTURE_KEY = Buffer.from('METADATA_BLOCK_PICTURE=');
const OGG_PICTURE_KEY_LOWER = Buffer.from('metadata_block_picture=');
const ROLE_FIELDS = [
  'lyricist',
  'conductor',
  'arranger',
  'producer',
  'remixer',
  'engineer',
  'mixer',
  'djmixer',
] as const;
const INT32_MAX = 2_147_483_647;

/** The errno code of a failed system call (EIO, ENOENT, ...); undefined for anything else (parse errors, Node's ERR_*). */
export function ioErrorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** The outcome for an exception while reading a file: an I/O failure when it carries an errno code. */
export function failedRead(error: unknown): ReadOutcome & { ok: false } {
  const code = ioErrorCode(error);
  if (code) return { ok: false, reason: `file cannot be read (${code})`, failure: 'io' };
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, reason: `unreadable: ${firstLine(message)}`, failure: 'content' };
}

export async function readTrackFile(request: ReadRequest): Promise<ReadOutcome> {
  if (request.size === 0) return { ok: false, reason: 'empty file (0 bytes)', failure: 'content' };
  if (path.basename(request.file).startsWith('._'))
    return {
      ok: false,
      reason: 'AppleDouble metadata file (macOS resource fork), not audio',
      failure: 'content',
    };
  const isOgg = OGG_SUFFIX.test(request.file);
  // Ogg covers are base64 text that music-metadata decodes in full: skip them and only note that one is there.
  let outcome = await parseAudioFile(request.file, isOgg);
  // A damaged picture (or other cover data) must not cost the track: read it again without covers.
  if (!outcome.ok && outcome.failure === 'content' && !isOgg)
    outcome = await parseAudioFile(request.file, true);
  if (!outcome.ok) return outcome;
  const { metadata, hasOggPicture, streamLength } = outcome;
  if (!hasAudio(metadata)) return { ok: false, reason: 'no audio stream found', failure: 'content' };
  if (streamLength) applyStreamLength(metadata, streamLength, request.size);
  if (!(metadata.format.duration! > 0) && request.options?.ffprobe) {
    const probed = await probeDuration(request.options.ffprobe, request.file);
    if (probed) applyStreamLength(metadata, { duration: probed, audioBytes: request.size }, request.size);
  }
  const problem = truncation(metadata, request.size);
  if (problem) return { ok: false, reason: problem, failure: 'content' };
  if (mayHoldLatin1Text(metadata.format.tagTypes)) {
    const decoder = tagTextDecoder(request.options?.legacyEncoding);
    repairTagTexts(metadata.common, decoder);
    repairTagTexts(metadata.native, decoder);
  }
  const track = toReadTrack(metadata, request.size);
  if (hasOggPicture) track.hasPicture = true;
  for (const file of [request.lrcFile, request.txtFile]) {
    if (!file) continue;
    try {
      const text = await fs.readFile(file, 'utf8');
      const set = parseLyricsText(text, file.endsWith('.lrc') ? 'lrc' : 'txt');
      if (set) track.lyrics.push(set);
    } catch {
      // an unreadable sidecar is not a reason to drop the track
    }
  }
  return { ok: true, track };
}

interface ParsedFile {
  ok: true;
  metadata: IAudioMetadata;
  hasOggPicture: boolean;
  streamLength: StreamLength | undefined;
}

async function parseAudioFile(
  file: string,
  skipCovers: boolean,
): Promise<ParsedFile | (ReadOutcome & { ok: false })> {
  let tokenizer: CachedFileTokenizer;
  try {
    tokenizer = CachedFileTokenizer.open(file);
  } catch (error) {
    return failedRead(error);
  }
  let parsed: ParsedFile;
  try {
    try {
      // Without `duration`, the parser reads only the headers; lengths it leaves unknown are found after.
      const metadata = await parseFromTokenizer(tokenizer, { duration: false, skipCovers });
      parsed = {
        ok: true,
        metadata,
        hasOggPicture:
          metadata.format.container === 'Ogg' &&
          (tokenizer.sawBytes(OGG_PICTURE_KEY) || tokenizer.sawBytes(OGG_PICTURE_KEY_LOWER)),
        streamLength: missingStreamLength(metadata, tokenizer),
      };
    } finally {
      await tokenizer.close();
    }
  } catch (error) {
    // A parser may wrap or replace the read error it met: the tokenizer remembers the real one.
    return failedRead(tokenizer.ioError ?? error);
  }
  // Some parsers note a failed read as a warning and go on: their verdict would be on part of the file.
  if (tokenizer.ioError) return failedRead(tokenizer.ioError);
  return parsed;
}

function hasAudio(metadata: IAudioMetadata): boolean {
  const format = metadata.format;
  return (format.numberOfChannels ?? 0) > 0 || (format.sampleRate ?? 0) > 0 || Boolean(format.codec);
}

interface StreamLength {
  duration: number;
  /** Bytes of audio, for the average bitrate when the file states none that holds for the whole file. */
  audioBytes: number;
}

/**
 * The length of a file whose headers do not state it: Ogg from its last page, MP3 without a Xing header
 * from VBRI or its frames (see stream-length.ts). Undefined when the parser already knows it.
 */
function missingStreamLength(
  metadata: IAudioMetadata,
  tokenizer: CachedFileTokenizer,
): StreamLength | undefined {
  const format = metadata.format;
  if (format.duration && format.duration > 0) return undefined;
  const readAt = (position: number, length: number) => tokenizer.readRange(position, length);
  const size = tokenizer.fileInfo.size;
  if (format.container === 'Ogg') {
    const length = oggLength(readAt, size);
    return length && { duration: length.duration, audioBytes: length.audioBytes };
  }
  if (format.container === 'MPEG' || /^MPEG [12.5]+ Layer/.test(format.codec ?? ''))
    return mpegLength(readAt, size);
  if (format.container?.startsWith('ADTS')) return adtsLength(readAt, size);
  return undefined;
}

/** Puts a length found outside the parser into its result, with the average bitrate that follows from it. */
function applyStreamLength(metadata: IAudioMetadata, length: StreamLength, size: number): void {
  const format = metadata.format as {
    -readonly [K in keyof IAudioMetadata['format']]: IAudioMetadata['format'][K];
  };
  format.duration = length.duration;
  // What the parser took from the first frame or a nominal header says little about a VBR file as a whole.
  format.bitrate = (Math.min(length.audioBytes, size) * 8) / length.duration;
}

/** Why a parsed lossless file is not a whole track (cut short), or undefined when it looks whole. */
function truncation(metadata: IAudioMetadata, size: number): string | undefined {
  const format = metadata.format;
  const duration = format.duration ?? 0;
  if (
    duration > 0 &&
    format.lossless &&
    format.sampleRate &&
    format.numberOfChannels &&
    format.bitsPerSample
  ) {
    // Real lossless audio compresses to 30-70% of PCM, a pure tone to ~10%; far below that the file was cut short.
    const raw = (format.sampleRate * format.numberOfChannels * format.bitsPerSample * duration) / 8;
    if (size < raw / 40 && raw - size > 65_536)
      return `truncated (${size} bytes for ${duration.toFixed(1)} s of lossless audio)`;
  }
  return undefined;
}

function toReadTrack(metadata: IAudioMetadata, size: number): ReadTrack {
  const common = metadata.common;
  const format = metadata.format;
  const native = nativeTags(metadata);
  const text = (value: string | undefined | null): string | null => {
    const trimmed = value?.trim();
    return trimmed ? trimmed : null;
  };
  const list = (values: (string | undefined)[] | undefined): string[] =>
    unique((values ?? []).map((value) => value?.trim() ?? '').filter(Boolean));

  const roles: { role: string; name: string }[] = [];
  for (const role of ROLE_FIELDS) for (const name of list(common[role])) roles.push({ role, name });

  const r128Track = numberOrNull(native.get('R128_TRACK_GAIN')?.[0]);
  const r128Album = numberOrNull(native.get('R128_ALBUM_GAIN')?.[0]);
  const comment = common.comment?.map((entry) => entry.text?.trim()).find((value) => value);

  const lyrics: LyricSet[] = [];
  for (const tag of common.lyrics ?? []) {
    if (tag.syncText?.length) {
      lyrics.push({
        source: 'embedded',
        lang: languageCode(tag.language),
        synced: true,
        offset: 0,
        lines: tag.syncText.map((line) =>
          line.timestamp === undefined ? { value: line.text } : { start: line.timestamp, value: line.text },
        ),
      });
    } else if (tag.text?.trim()) {
      const set = parseLyricsText(tag.text, 'embedded');
      if (set) lyrics.push({ ...set, lang: tag.language ? languageCode(tag.language) : set.lang });
    }
  }

  return {
    title: text(common.title),
    // speexenc (and some spoken-word taggers) name the artist AUTHOR.
    artist: text(common.artist) ?? text(native.get('AUTHOR')?.[0]),
    artists: list(common.artists?.length ? common.artists : native.get('AUTHOR')),
    albumArtist: text(common.albumartist),
    albumArtists: list(common.albumartists),
    album: text(common.album),
    albumVersion: text(native.get('ALBUMVERSION')?.[0] ?? native.get('RELEASEVERSION')?.[0]),
    trackNumber: positiveInt(common.track.no),
    trackTotal: positiveInt(common.track.of) ?? positiveInt(numberOrNull(common.totaltracks)),
    discNumber: positiveInt(common.disk.no),
    discTotal: positiveInt(common.disk.of) ?? positiveInt(numberOrNull(common.totaldiscs)),
    // Typed as a list, but some formats deliver a plain string.
    discSubtitle: text(firstValue(common.discsubtitle as string[] | string | undefined)),
    year: plausibleYear(common.year) ?? plausibleYear(yearOf(common.date)),
    date: text(common.date),
    originalDate: text(common.originaldate) ?? (common.originalyear ? String(common.originalyear) : null),
    releaseDate: text(common.releasedate),
    genres: list(common.genre),
    composers: list(common.composer),
    roles,
    titleSort: text(common.titlesort),
    artistSort: text(common.artistsort),
    albumSort: text(common.albumsort),
    albumArtistSort: text(common.albumartistsort),
    mbzRecordingId: text(common.musicbrainz_recordingid),
    mbzTrackId: text(common.musicbrainz_trackid),
    mbzAlbumId: text(common.musicbrainz_albumid),
    mbzReleaseGroupId: text(common.musicbrainz_releasegroupid),
    mbzArtistIds: list(common.musicbrainz_artistid),
    mbzAlbumArtistIds: list(common.musicbrainz_albumartistid),
    isrc: list(common.isrc),
    bpm: positiveInt(common.bpm === undefined ? null : Math.round(common.bpm)),
    comment: text(comment),
    compilation: common.compilation === true,
    releaseTypes: list(common.releasetype).map((value) => value.toLowerCase()),
    recordLabels: list(common.label),
    moods: list(common.mood ? [common.mood] : []),
    grouping: text(common.grouping),
    // APEv2 (WavPack, Monkey's Audio) album values and ASF (WMA) ones as foobar2000 writes them reach only
    // the native tags.
    trackGain:
      common.replaygain_track_gain?.dB ??
      numberOrNull(native.get('REPLAYGAIN_TRACK_GAIN')?.[0]) ??
      (r128Track === null ? null : r128Track / 256 + 5),
    trackPeak: common.replaygain_track_peak?.ratio ?? numberOrNull(native.get('REPLAYGAIN_TRACK_PEAK')?.[0]),
    albumGain:
      common.replaygain_album_gain?.dB ??
      numberOrNull(native.get('REPLAYGAIN_ALBUM_GAIN')?.[0]) ??
      (r128Album === null ? null : r128Album / 256 + 5),
    albumPeak: common.replaygain_album_peak?.ratio ?? numberOrNull(native.get('REPLAYGAIN_ALBUM_PEAK')?.[0]),
    lyrics,
    duration: format.duration ?? 0,
    bitrate: averageBitrate(format.bitrate, format.duration, size),
    // Opus always decodes at 48 kHz; the header's rate is only the encoder's input rate.
    sampleRate: format.codec === 'Opus' ? 48_000 : positiveInt(format.sampleRate ?? null),
    bitDepth: positiveInt(format.bitsPerSample ?? null),
    channels: positiveInt(format.numberOfChannels ?? null),
    // music-metadata names WavPack's sample format (PCM), not the codec.
    codec: format.container === 'WavPack' ? 'WavPack' : (format.codec ?? format.container ?? null),
    lossless: format.lossless === true,
    hasPicture: (common.picture?.length ?? 0) > 0,
  };
}

/** kbit/s as the container states it, or from size and duration when it states nothing plausible. */
function averageBitrate(
  stated: number | undefined,
  duration: number | undefined,
  size: number,
): number | null {
  if (stated && stated >= 8000) return Math.round(stated / 1000);
  if (duration && duration > 0) return Math.round((size * 8) / duration / 1000);
  return null;
}

/** Native tags by upper-cased name, with the TXXX:/iTunes freeform prefixes removed. */
function nativeTags(metadata: IAudioMetadata): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const entries of Object.values(metadata.native)) {
    for (const { id, value } of entries) {
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      const key = id
        .replace(/^TXXX:/i, '')
        .replace(/^----:com\.apple\.iTunes:/i, '')
        .toUpperCase();
      const values = tags.get(key) ?? [];
      values.push(String(value));
      tags.set(key, values);
    }
  }
  return tags;
}

function firstValue(value: string[] | string | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function numberOrNull(value: string | number | undefined | null): number | null {
  if (value === undefined || value === null || value === '') return null;
  const number = typeof value === 'number' ? value : Number.parseFloat(value);
  return Number.isFinite(number) ? number : null;
}

/** Tag numbers end up as int32 in client APIs: anything else is treated as absent. */
function positiveInt(value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const int = Math.trunc(value);
  return int > 0 && int <= INT32_MAX ? int : null;
}

function plausibleYear(value: number | null | undefined): number | null {
  return value && value >= 1 && value <= 9999 ? Math.trunc(value) : null;
}

function yearOf(date: string | undefined): number | null {
  const match = date ? /^(\d{4})/.exec(date.trim()) : null;
  return match ? Number(match[1]) : null;
}

function languageCode(language: string | undefined): string {
  const code = language?.trim().toLowerCase();
  return code && /^[a-z]{2,3}$/.test(code) && code !== 'xxx' ? code : 'und';
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.slice(0, 200);
}
