// Transcode profiles: what a `format` value turns a file into. The built-in ones cover what every client
// plays; an admin may add or replace profiles with their own ffmpeg output arguments, kept as a JSON array
// and handed to ffmpeg as separate arguments (never through a shell). `{bitrate}` in an argument becomes
// the chosen bitrate in kbit/s. The server always supplies the input, the seek, `-map 0:a:0 -vn` and the
// output (a pipe); a profile only says how to encode.
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import {
  deleteProfileRow,
  findProfileRow,
  listProfileRows,
  type ProfileRow,
  saveProfileRow,
} from './profiles.repository.ts';

export interface TranscodeProfile {
  /** The `format` value clients send (mp3, opus, aac, m4a, flac, or an admin's name). */
  name: string;
  suffix: string;
  contentType: string;
  /** The codec the output carries; a source already in it (and within the limit) is sent as it is. */
  codec: string;
  lossless: boolean;
  /** kbit/s when neither the client nor a limit asks for one; 0 for lossless profiles. */
  defaultBitrate: number;
  /** The encoder's ceiling in kbit/s (0 = none). */
  maxBitrate: number;
  arguments: readonly string[];
  builtIn: boolean;
}

const BUILT_IN: readonly TranscodeProfile[] = [
  {
    name: 'mp3',
    suffix: 'mp3',
    contentType: 'audio/mpeg',
    codec: 'mp3',
    lossless: false,
    defaultBitrate: 192,
    maxBitrate: 320,
    arguments: ['-c:a', 'libmp3lame', '-b:a', '{bitrate}k', '-f', 'mp3'],
    builtIn: true,
  },
  {
    name: 'opus',
    suffix: 'opus',
    contentType: 'audio/ogg',
    codec: 'opus',
    lossless: false,
    defaultBitrate: 128,
    maxBitrate: 512,
    arguments: ['-c:a', 'libopus', '-b:a', '{bitrate}k', '-vbr', 'on', '-f', 'ogg'],
    builtIn: true,
  },
  {
    // AAC in ADTS frames: plays from the first byte, as a plain stream, everywhere.
    name: 'aac',
    suffix: 'aac',
    contentType: 'audio/aac',
    codec: 'aac',
    lossless: false,
    defaultBitrate: 192,
    maxBitrate: 512,
    arguments: ['-c:a', 'aac', '-b:a', '{bitrate}k', '-f', 'adts'],
    builtIn: true,
  },
  {
    // AAC in fragmented MP4: an MP4 that can be written to a pipe (no moov atom to go back and patch).
    name: 'm4a',
    suffix: 'm4a',
    contentType: 'audio/mp4',
    codec: 'aac',
    lossless: false,
    defaultBitrate: 192,
    maxBitrate: 512,
    arguments: [
      '-c:a',
      'aac',
      '-b:a',
      '{bitrate}k',
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof',
      '-f',
      'mp4',
    ],
    builtIn: true,
  },
  {
    name: 'flac',
    suffix: 'flac',
    contentType: 'audio/flac',
    codec: 'flac',
    lossless: true,
    defaultBitrate: 0,
    maxBitrate: 0,
    arguments: ['-c:a', 'flac', '-f', 'flac'],
    builtIn: true,
  },
];

const BUILT_IN_NAMES = new Set(BUILT_IN.map((profile) => profile.name));

// Codec names as the scanner records them (music-metadata's codec text) → the profile codec they are.
const SOURCE_CODECS: [RegExp, string][] = [
  [/mpeg.*layer\s*3|^mp3$/i, 'mp3'],
  [/opus/i, 'opus'],
  [/aac|mp4a/i, 'aac'],
  [/^flac$/i, 'flac'],
  [/vorbis/i, 'vorbis'],
  [/alac/i, 'alac'],
];

/** The profile codec of a source file, from its codec text or, failing that, its suffix. */
export function sourceCodec(codec: string, suffix: string): string {
  for (const [pattern, name] of SOURCE_CODECS) if (pattern.test(codec)) return name;
  const bySuffix: Record<string, string> = {
    mp3: 'mp3',
    opus: 'opus',
    flac: 'flac',
    aac: 'aac',
    ogg: 'vorbis',
  };
  return bySuffix[suffix.toLowerCase()] ?? suffix.toLowerCase();
}

function fromRow(row: ProfileRow): TranscodeProfile {
  return {
    name: row.name,
    suffix: row.suffix,
    contentType: row.content_type,
    codec: row.codec,
    lossless: row.lossless === 1,
    defaultBitrate: row.default_bit_rate,
    maxBitrate: row.max_bit_rate,
    arguments: JSON.parse(row.arguments) as string[],
    builtIn: false,
  };
}

/** Every profile: built-in ones, replaced by the admin's of the same name, then the admin's own. */
export function listProfiles(db: Database): TranscodeProfile[] {
  const custom = listProfileRows(db).map(fromRow);
  const byName = new Map(BUILT_IN.map((profile) => [profile.name, profile]));
  for (const profile of custom) byName.set(profile.name, profile);
  return [...byName.values()];
}

export function findProfile(db: Database, name: string): TranscodeProfile | undefined {
  const key = name.trim().toLowerCase();
  const row = findProfileRow(db, key);
  return row ? fromRow(row) : BUILT_IN.find((profile) => profile.name === key);
}

export interface ProfileInput {
  name: string;
  suffix: string;
  contentType: string;
  codec: string;
  lossless?: boolean;
  defaultBitrate?: number;
  maxBitrate?: number;
  arguments: string[];
}

// Arguments a profile may not carry: the server owns the input, the output and overwriting files.
const FORBIDDEN_ARGUMENTS = new Set([
  '-i',
  '-y',
  '-n',
  '-filter_script',
  '-filter_complex_script',
  '-attach',
]);

/** Checks an admin's profile; throws INVALID_INPUT naming the first problem. */
export function validateProfile(input: ProfileInput): TranscodeProfile {
  const fail = (message: string): never => {
    throw new TonearmError('INVALID_INPUT', message);
  };
  const name = input.name.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(name)) fail('a profile name is 1–32 letters, digits, - or _');
  if (name === 'raw') fail('"raw" means no transcoding and cannot be a profile');
  if (!/^[a-z0-9]{1,10}$/i.test(input.suffix)) fail('suffix must be a file extension such as mp3');
  if (!/^[a-z]+\/[a-z0-9.+-]+$/i.test(input.contentType))
    fail('contentType must be a MIME type such as audio/mpeg');
  if (!/^[a-z0-9_-]{1,32}$/i.test(input.codec)) fail('codec must be a codec name such as mp3');
  const defaultBitrate = input.defaultBitrate ?? 0;
  const maxBitrate = input.maxBitrate ?? 0;
  for (const [label, value] of [
    ['defaultBitrate', defaultBitrate],
    ['maxBitrate', maxBitrate],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 10_000)
      fail(`${label} must be kbit/s from 0 to 10000`);
  }
  if (!input.lossless && defaultBitrate === 0) fail('a lossy profile needs a defaultBitrate');
  if (!Array.isArray(input.arguments) || input.arguments.length === 0 || input.arguments.length > 64) {
    fail('arguments must be a list of 1 to 64 ffmpeg output arguments');
  }
  for (const argument of input.arguments) {
    if (
      typeof argument !== 'string' ||
      argument.length === 0 ||
      argument.length > 256 ||
      /[\0\n\r]/.test(argument)
    ) {
      fail('each argument must be a non-empty string of at most 256 characters on one line');
    }
    if (FORBIDDEN_ARGUMENTS.has(argument))
      fail(`argument ${argument} is not allowed: the server sets input and output`);
    if (/^(\/|~|\.\.?\/)|^[a-z][a-z0-9+.-]*:(?!a\b|v\b)/i.test(argument) && !/^\d+:\d+$/.test(argument)) {
      fail(
        `argument ${argument} looks like a file or URL; profiles only encode, the server chooses the output`,
      );
    }
  }
  if (!input.arguments.includes('-f')) fail('arguments must choose the container with -f (e.g. -f mp3)');
  return {
    name,
    suffix: input.suffix.toLowerCase(),
    contentType: input.contentType.toLowerCase(),
    codec: input.codec.toLowerCase(),
    lossless: input.lossless === true,
    defaultBitrate,
    maxBitrate,
    arguments: [...input.arguments],
    builtIn: false,
  };
}

/** Adds or replaces an admin profile (a built-in name is shadowed, and comes back when removed). */
export function saveProfile(db: Database, input: ProfileInput): TranscodeProfile {
  const profile = validateProfile(input);
  saveProfileRow(db, {
    name: profile.name,
    suffix: profile.suffix,
    content_type: profile.contentType,
    codec: profile.codec,
    lossless: profile.lossless ? 1 : 0,
    default_bit_rate: profile.defaultBitrate,
    max_bit_rate: profile.maxBitrate,
    arguments: JSON.stringify(profile.arguments),
    updated_at: Date.now(),
  });
  return profile;
}

/** Removes an admin profile; false when there was none (built-in profiles cannot be removed). */
export function removeProfile(db: Database, name: string): boolean {
  return deleteProfileRow(db, name.trim().toLowerCase()) > 0;
}

export function isBuiltInProfile(name: string): boolean {
  return BUILT_IN_NAMES.has(name.trim().toLowerCase());
}

/** The profile's arguments with `{bitrate}` filled in. */
export function encoderArguments(profile: TranscodeProfile, bitrate: number): string[] {
  return profile.arguments.map((argument) => argument.replaceAll('{bitrate}', String(bitrate)));
}
