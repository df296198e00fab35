// A realistic corpus: full-length (3–6 minute) tracks made by the encoders and taggers users' libraries
// come from (lame, flac/metaflac, oggenc, opusenc, speexenc, wavpack, mid3v2/mutagen, AtomicParsley, ffmpeg),
// each with the values a scanner must find in it.
//
// Built once per machine into the shared audio cache (keyed by every tool's version and HELPER_VERSION; see
// cachedBuild in audio.ts), so only the first test run pays for the encoding. `root` is that cache folder:
// treat it as read-only, as Tonearm treats music folders (copy files out before changing them).
//
// The source is not a tone: pink noise (a different seed per channel) under a few sines, with a slow volume
// envelope, so lossless codecs compress it like music (to about 70% of PCM) and VBR encoders vary their
// frame sizes. It is generated once per build, in every length the corpus uses.
//
// What each entry expects:
// - tags as written; where a file has no album artist, the track artist (the scanner's rule for an album
//   whose tracks share one artist); an untagged file gets its title and track number from its file name and
//   its artist from the folder above the album folder;
// - duration: ffprobe's (format=duration), except for a VBR MP3 without a Xing header, where ffprobe only
//   estimates from the first frame: there the frames are counted (ffprobe -count_packets). Every duration is
//   also checked against the source's length when the corpus is built;
// - bit rate: the audio's average in kbit/s, (file size − embedded cover) × 8 / duration, within
//   bitrateTolerance (3% for constant bit rates and PCM, 10% for VBR and lossless codecs);
// - sample rate and channels as ffprobe reports them (checked against the recipe when building);
// - ReplayGain in dB as written (R128_*_GAIN in Opus is Q7.8 dB relative to −23 LUFS: +5 dB makes it
//   ReplayGain's reference), for FLAC as metaflac --add-replay-gain computed it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cachedBuild, ffmpeg, ffmpegVersion, makeImage } from './audio.ts';
import { probeAudioFile } from './ffprobe.ts';

const run = promisify(execFile);

/** Bump when a recipe or the source changes, so old corpora are not reused. */
const HELPER_VERSION = 1;
/** The lengths may differ from ffprobe's by this much (encoder delay and padding are well below it). */
export const DURATION_TOLERANCE_SEC = 1;
const CONSTANT_BITRATE_TOLERANCE = 0.03;
const VARIABLE_BITRATE_TOLERANCE = 0.1;

export interface CorpusExpectation {
  title: string;
  artists: string[];
  album: string;
  albumArtist: string;
  track: number | null;
  disc: number;
  /** Seconds: ffprobe's (frames counted for a VBR MP3 without a Xing header). */
  duration: number;
  /** kbit/s of audio: (file size − embedded cover) × 8 / duration. */
  bitrate: number;
  /** Allowed relative difference of the bit rate (0.1 = ±10%). */
  bitrateTolerance: number;
  sampleRate: number;
  channels: number;
  hasCover: boolean;
  /** dB */
  trackGain: number | null;
  albumGain: number | null;
  mbzAlbumId: string | null;
}

export interface CorpusEntry {
  /** Relative to the corpus root, with forward slashes. */
  path: string;
  /** How the file was made, for failure messages. */
  made: string;
  expect: CorpusExpectation;
}

export interface RealCorpus {
  root: string;
  entries: CorpusEntry[];
}

// ---- tools --------------------------------------------------------------------------------------------

/** Every tool the corpus needs, with the Debian package that has it (.ci/run installs them). */
const TOOLS = {
  ffmpeg: 'ffmpeg',
  ffprobe: 'ffmpeg',
  lame: 'lame',
  flac: 'flac',
  metaflac: 'flac',
  oggenc: 'vorbis-tools',
  opusenc: 'opus-tools',
  speexenc: 'speex',
  wavpack: 'wavpack',
  mid3v2: 'python3-mutagen',
  AtomicParsley: 'atomicparsley',
} as const;
type Tool = keyof typeof TOOLS;

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** Fails with every missing tool and its Debian package named: the corpus is never silently smaller. */
function requireTools(): void {
  const missing = (Object.keys(TOOLS) as Tool[]).filter((tool) => !onPath(tool));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => TOOLS[tool]))];
  throw new Error(
    `the real-audio corpus needs ${missing.map((tool) => `${tool} (Debian package ${TOOLS[tool]})`).join(', ')}, ` +
      `not found on PATH: apt-get install ${packages.join(' ')} (.ci/run installs them)`,
  );
}

async function toolVersion(tool: Tool): Promise<string> {
  const flag = tool === 'ffmpeg' || tool === 'ffprobe' ? '-version' : '--version';
  let output: string;
  try {
    const result = await run(tool, [flag]);
    output = `${result.stdout}\n${result.stderr}`;
  } catch (error) {
    // Some tools answer --version with a non-zero status; what they printed still names the version.
    const failed = error as { stdout?: string; stderr?: string };
    output = `${failed.stdout ?? ''}\n${failed.stderr ?? ''}`;
  }
  const line = output
    .split('\n')
    .map((text) => text.trim())
    .find(Boolean);
  return `${tool}: ${line ?? 'unknown'}`;
}

/** Runs an encoder or tagger; its failure (or absence, with the Debian package to install) says why. */
export async function tool(name: Tool | string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(name, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      const known = TOOLS[name as Tool];
      throw new Error(
        `${name} is not installed (${known ? `Debian package ${known}; ` : ''}.ci/run installs it)`,
      );
    }
    const stderr = ((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(
      `${name} failed (${args.join(' ').slice(0, 300)}): ${stderr.slice(-1000) || (error as Error).message}`,
    );
  }
}

/** The Python that mid3v2 runs with has mutagen (python3 on PATH may be another one). */
export function mutagenPython(): string[] {
  const firstLine = fs.readFileSync(onPath('mid3v2')!, 'latin1').split('\n')[0]!;
  if (!firstLine.startsWith('#!')) return ['python3'];
  return firstLine.slice(2).trim().split(/\s+/);
}

/** Writes an ID3v2 tag with mutagen. A frame with utf8AsLatin1 is stored with the Latin-1 encoding byte
 *  but holds the UTF-8 bytes of its text, as many taggers wrote non-ASCII text into ID3v2.3. */
const MUTAGEN_SCRIPT = `
import json, sys
from mutagen.id3 import ID3, APIC, TXXX, Frames
spec = json.loads(sys.argv[1])
tag = ID3()
for frame in spec['frames']:
    texts = frame.get('text', [])
    encoding = 3
    if frame.get('utf8AsLatin1'):
        encoding = 0
        texts = [text.encode('utf-8').decode('latin-1') for text in texts]
    if frame['id'] == 'TXXX':
        tag.add(TXXX(encoding=encoding, desc=frame['desc'], text=texts))
    elif frame['id'] == 'APIC':
        with open(frame['file'], 'rb') as image:
            tag.add(APIC(encoding=0, mime='image/jpeg', type=3, desc='', data=image.read()))
    else:
        tag.add(Frames[frame['id']](encoding=encoding, text=texts))
tag.save(spec['file'], v2_version=spec['version'], v23_sep='/')
`;

interface MutagenFrame {
  id: string;
  text?: string[];
  desc?: string;
  file?: string;
  utf8AsLatin1?: boolean;
}

async function mutagenTag(file: string, version: 3 | 4, frames: MutagenFrame[]): Promise<void> {
  const [python, ...pythonArgs] = mutagenPython();
  await tool(python!, [...pythonArgs, '-c', MUTAGEN_SCRIPT, JSON.stringify({ file, version, frames })]);
}

// ---- sources and covers -------------------------------------------------------------------------------

/** Source PCM, made once per build. Lengths are deliberately not whole seconds. */
const SOURCES = {
  s187: { seconds: 187.3, file: 's187.wav' },
  s213: { seconds: 212.6, file: 's213.wav' },
  s237: { seconds: 236.8, file: 's237.wav' },
  s282: { seconds: 281.5, file: 's282.wav' },
  s343: { seconds: 342.9, file: 's343.wav' },
  /** 16 kHz mono, what Speex wideband takes. */
  speech: { seconds: 187.3, file: 'speech-16k-mono.wav' },
  /** 48 kHz, 24-bit. */
  hires: { seconds: 187.3, file: 'hires-48k-24bit.wav' },
} as const;
type Source = keyof typeof SOURCES;
const LONGEST = Math.max(...Object.values(SOURCES).map((source) => source.seconds));

async function makeSources(work: string): Promise<void> {
  const noise = (seed: number) =>
    `anoisesrc=color=pink:seed=${seed}:amplitude=0.18:sample_rate=44100:duration=${LONGEST}`;
  const sine = (frequency: number) => `sine=frequency=${frequency}:sample_rate=44100:duration=${LONGEST}`;
  const names = Object.keys(SOURCES) as Source[];
  const trims = names.map((name, i) => {
    const { seconds } = SOURCES[name];
    const extra =
      name === 'speech'
        ? ',aresample=16000,pan=mono|c0=0.5*c0+0.5*c1'
        : name === 'hires'
          ? ',aresample=48000'
          : '';
    return `[m${i}]atrim=duration=${seconds}${extra}[o${i}]`;
  });
  const graph = [
    '[2]volume=1.6[a];[3]volume=0.9[b];[4]volume=1.3[c];[5]volume=0.7[d]',
    '[0][a][b]amix=inputs=3:normalize=0[l];[1][c][d]amix=inputs=3:normalize=0[r]',
    // A slow swell and a faster pulse: loud and quiet passages for VBR encoders to follow.
    `[l][r]join=inputs=2:channel_layout=stereo,volume='0.5+0.3*sin(2*PI*t/5.3)+0.15*sin(2*PI*t/0.9)':eval=frame,asplit=${names.length}${names.map((_, i) => `[m${i}]`).join('')}`,
    ...trims,
  ].join(';');
  const outputs = names.flatMap((name, i) => [
    ...['-map', `[o${i}]`, '-c:a', name === 'hires' ? 'pcm_s24le' : 'pcm_s16le'],
    path.join(work, SOURCES[name].file),
  ]);
  await ffmpeg([
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
    ...[noise(7), noise(11), sine(220), sine(329.6), sine(277.2), sine(440)].flatMap((input) => [
      '-f',
      'lavfi',
      '-i',
      input,
    ]),
    ...['-filter_complex', graph, '-map_metadata', '-1', '-fflags', '+bitexact'],
    ...outputs,
  ]);
}

/** A 1400×1400 JPEG of about 750 KB: the size of the covers Picard and shops embed. */
async function makeBigCover(file: string): Promise<void> {
  await ffmpeg([
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi'],
    ...['-i', 'testsrc2=size=1400x1400:rate=1,noise=alls=30:allf=u', '-frames:v', '1'],
    ...[
      '-c:v',
      'mjpeg',
      '-q:v',
      '3',
      '-pix_fmt',
      'yuvj420p',
      '-fflags',
      '+bitexact',
      '-flags:v',
      '+bitexact',
    ],
    ...['-f', 'image2', file],
  ]);
}

// ---- recipes ------------------------------------------------------------------------------------------

interface Workspace {
  /** Folder with the sources and covers. */
  work: string;
  source(name: Source): string;
  cover(kind: 'big' | 'small'): string;
}

type KnownBeforehand = Omit<
  CorpusExpectation,
  'duration' | 'bitrate' | 'bitrateTolerance' | 'hasCover' | 'trackGain' | 'albumGain' | 'mbzAlbumId'
> & { trackGain?: number; albumGain?: number; mbzAlbumId?: string };

interface Recipe {
  path: string;
  made: string;
  source: Source;
  expect: KnownBeforehand;
  /** A constant bit rate is expected as stated (kbit/s); a variable one is measured from the file. */
  bitrate: { constant: number } | 'variable';
  cover: 'big' | 'small' | null;
  /** How the cover is stored: as is, or base64 in a comment (Ogg), which makes it a third larger. */
  coverStorage?: 'base64';
  /** ffprobe estimates this file's duration from its first frame: count the frames instead. */
  countFrames?: boolean;
  /** FLAC files whose ReplayGain metaflac computes together, as one album, after all are built. */
  flacAlbumGain?: string;
  build(out: string, input: string, ws: Workspace): Promise<void>;
}

const MBID = {
  harbourAlbum: '5b4c1f1e-7d1a-4a55-9b0e-2f8d6c3a9e01',
  annaArtist: '0c1b5e7a-2d3f-4e6a-8b9c-1d2e3f4a5b60',
  harbourGroup: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c52',
  ferryAlbum: '2c9e8d7f-6a5b-4c3d-9e1f-0a2b3c4d5e63',
  cleoArtist: '3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f74',
  tideAlbum: '4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a85',
  winterAlbum: '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c96',
  paperMoonAlbum: '8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0ea7',
  wavpackAlbum: '9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1fb8',
  wmaAlbum: 'b0c1d2e3-f4a5-4b6c-9d7e-8f9a0b1c2dc9',
};

const RECIPES: Recipe[] = [
  {
    path: 'Anna Ljung/Harbour Lights/01 - Paper Boats.mp3',
    made: 'lame CBR 192 kbit/s (Info header), mid3v2 ID3v2.4: two artists in one TPE1, TXXX MusicBrainz and ReplayGain, 750 KB APIC',
    source: 's237',
    bitrate: { constant: 192 },
    cover: 'big',
    expect: {
      title: 'Paper Boats',
      artists: ['Anna Ljung', 'Bo Berg'],
      album: 'Harbour Lights',
      albumArtist: 'Anna Ljung',
      track: 1,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
      trackGain: -6.48,
      albumGain: -7.02,
      mbzAlbumId: MBID.harbourAlbum,
    },
    async build(out, input, ws) {
      await tool('lame', ['--quiet', '-b', '192', input, out]);
      await tool('mid3v2', [
        ...['--TIT2', 'Paper Boats', '--TPE1', 'Anna Ljung', '--TPE1', 'Bo Berg'],
        ...['--TALB', 'Harbour Lights', '--TPE2', 'Anna Ljung', '--TRCK', '1/3', '--TPOS', '1/2'],
        ...['--TDRC', '2019-04-12', '--TCON', 'Folk'],
        ...['--TXXX', `MusicBrainz Album Id:${MBID.harbourAlbum}`],
        ...['--TXXX', `MusicBrainz Artist Id:${MBID.annaArtist}`],
        ...['--TXXX', `MusicBrainz Album Artist Id:${MBID.annaArtist}`],
        ...['--TXXX', `MusicBrainz Release Group Id:${MBID.harbourGroup}`],
        ...['--TXXX', 'REPLAYGAIN_TRACK_GAIN:-6.48 dB', '--TXXX', 'REPLAYGAIN_TRACK_PEAK:0.988312'],
        ...['--TXXX', 'REPLAYGAIN_ALBUM_GAIN:-7.02 dB', '--TXXX', 'REPLAYGAIN_ALBUM_PEAK:0.998001'],
        ...['--APIC', `${ws.cover('big')}:Cover:3:image/jpeg`],
        out,
      ]);
    },
  },
  {
    path: 'Anna Ljung/Harbour Lights/02 - Night Swim.mp3',
    made: "lame ABR 160 kbit/s (Xing/LAME header), lame's own ID3v2.3 tag with TLEN and an ID3v1 tag, disc 2",
    source: 's187',
    bitrate: 'variable',
    cover: null,
    expect: {
      title: 'Night Swim',
      artists: ['Anna Ljung'],
      album: 'Harbour Lights',
      albumArtist: 'Anna Ljung',
      track: 2,
      disc: 2,
      sampleRate: 44100,
      channels: 2,
    },
    async build(out, input) {
      await tool('lame', [
        ...['--quiet', '--abr', '160', '--add-id3v2'],
        ...[
          '--tt',
          'Night Swim',
          '--ta',
          'Anna Ljung',
          '--tl',
          'Harbour Lights',
          '--tn',
          '2/3',
          '--ty',
          '2019',
        ],
        ...['--tv', 'TPE2=Anna Ljung', '--tv', 'TPOS=2/2'],
        input,
        out,
      ]);
    },
  },
  {
    path: 'Cleo Dahl/Night Ferry/02 - Lanterns.mp3',
    made: 'lame VBR -V 2 (Xing/LAME header), mutagen ID3v2.3 (UTF-16 text, artists joined by "/"), TXXX MusicBrainz and ReplayGain, APIC',
    source: 's282',
    bitrate: 'variable',
    cover: 'small',
    expect: {
      title: 'Lanterns',
      artists: ['Cleo Dahl', 'Dan Ek'],
      album: 'Night Ferry',
      albumArtist: 'Cleo Dahl',
      track: 2,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
      trackGain: -4.1,
      albumGain: -4.55,
      mbzAlbumId: MBID.ferryAlbum,
    },
    async build(out, input, ws) {
      await tool('lame', ['--quiet', '-V', '2', input, out]);
      await mutagenTag(out, 3, [
        { id: 'TIT2', text: ['Lanterns'] },
        { id: 'TPE1', text: ['Cleo Dahl', 'Dan Ek'] },
        { id: 'TALB', text: ['Night Ferry'] },
        { id: 'TPE2', text: ['Cleo Dahl'] },
        { id: 'TRCK', text: ['2/9'] },
        { id: 'TPOS', text: ['1/1'] },
        { id: 'TDRC', text: ['2016'] },
        { id: 'TXXX', desc: 'MusicBrainz Album Id', text: [MBID.ferryAlbum] },
        { id: 'TXXX', desc: 'MusicBrainz Artist Id', text: [MBID.cleoArtist] },
        { id: 'TXXX', desc: 'REPLAYGAIN_TRACK_GAIN', text: ['-4.10 dB'] },
        { id: 'TXXX', desc: 'REPLAYGAIN_TRACK_PEAK', text: ['0.912354'] },
        { id: 'TXXX', desc: 'REPLAYGAIN_ALBUM_GAIN', text: ['-4.55 dB'] },
        { id: 'TXXX', desc: 'REPLAYGAIN_ALBUM_PEAK', text: ['0.954102'] },
        { id: 'APIC', file: ws.cover('small') },
      ]);
    },
  },
  {
    path: 'Eva Holm/Quiet Hours/03 - Long Road.mp3',
    made: 'lame VBR -V 4 -t (no Xing/LAME header: the length is known only by counting frames), mid3v2 ID3v2.4',
    source: 's343',
    bitrate: 'variable',
    cover: null,
    countFrames: true,
    expect: {
      title: 'Long Road',
      artists: ['Eva Holm'],
      album: 'Quiet Hours',
      albumArtist: 'Eva Holm',
      track: 3,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
    },
    async build(out, input) {
      await tool('lame', ['--quiet', '-V', '4', '-t', input, out]);
      await tool('mid3v2', [
        ...['--TIT2', 'Long Road', '--TPE1', 'Eva Holm', '--TALB', 'Quiet Hours', '--TPE2', 'Eva Holm'],
        ...['--TRCK', '3/10', '--TDRC', '2007'],
        out,
      ]);
    },
  },
  {
    path: 'Frida Lund/Radio Plays/01 - Morning Bulletin.mp3',
    made: 'lame CBR 64 kbit/s mono resampled to 22.05 kHz (MPEG-2 Layer III), ID3v1.1 tag only',
    source: 's187',
    bitrate: { constant: 64 },
    cover: null,
    expect: {
      title: 'Morning Bulletin',
      artists: ['Frida Lund'],
      album: 'Radio Plays',
      albumArtist: 'Frida Lund',
      track: 1,
      disc: 1,
      sampleRate: 22050,
      channels: 1,
    },
    async build(out, input) {
      await tool('lame', [
        ...['--quiet', '-m', 'm', '--resample', '22.05', '-b', '64', '--id3v1-only'],
        ...[
          '--tt',
          'Morning Bulletin',
          '--ta',
          'Frida Lund',
          '--tl',
          'Radio Plays',
          '--tn',
          '1',
          '--ty',
          '1998',
        ],
        input,
        out,
      ]);
    },
  },
  {
    path: 'Gisli Thor/Cafe Unicode/01 - Smorgasbord Blues.mp3',
    made: 'lame CBR 128 kbit/s, ID3v2.3 by mutagen with Latin-1 text frames whose bytes are really UTF-8',
    source: 's213',
    bitrate: { constant: 128 },
    cover: null,
    expect: {
      title: 'Smörgåsbord Blues',
      artists: ['Gísli Þór'],
      album: 'Café Ünïcode',
      albumArtist: 'Gísli Þór',
      track: 1,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
    },
    async build(out, input) {
      await tool('lame', ['--quiet', '-b', '128', input, out]);
      await mutagenTag(out, 3, [
        { id: 'TIT2', text: ['Smörgåsbord Blues'], utf8AsLatin1: true },
        { id: 'TPE1', text: ['Gísli Þór'], utf8AsLatin1: true },
        { id: 'TALB', text: ['Café Ünïcode'], utf8AsLatin1: true },
        { id: 'TPE2', text: ['Gísli Þór'], utf8AsLatin1: true },
        { id: 'TRCK', text: ['1/6'] },
      ]);
    },
  },
  ...(['North Wind', 'South Wind'] as const).map(
    (title, i): Recipe => ({
      path: `Hanna Berg/Tide Tables/0${i + 1} - ${title}.flac`,
      made: 'flac -5, metaflac tags (ARTIST twice on track 1), --import-picture-from a 750 KB JPEG, --add-replay-gain over the album (track 2 is 6 dB quieter: its track and album gains differ)',
      source: i === 0 ? 's237' : 's187',
      bitrate: 'variable',
      cover: 'big',
      flacAlbumGain: 'Tide Tables',
      expect: {
        title,
        artists: i === 0 ? ['Hanna Berg', 'Ivar Sand'] : ['Hanna Berg'],
        album: 'Tide Tables',
        albumArtist: 'Hanna Berg',
        track: i + 1,
        disc: 1,
        sampleRate: 44100,
        channels: 2,
        mbzAlbumId: MBID.tideAlbum,
      },
      async build(out, input, ws) {
        let pcm = input;
        if (i === 1) {
          pcm = path.join(ws.work, 'south-wind-6db-quieter.wav');
          await ffmpeg([
            ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input, '-af', 'volume=-6dB'],
            ...['-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', pcm],
          ]);
        }
        await tool('flac', ['--silent', '-f', pcm, '-o', out]);
        await tool('metaflac', [
          ...[`--set-tag=TITLE=${title}`, '--set-tag=ARTIST=Hanna Berg'],
          ...(i === 0 ? ['--set-tag=ARTIST=Ivar Sand'] : []),
          ...['--set-tag=ALBUM=Tide Tables', '--set-tag=ALBUMARTIST=Hanna Berg'],
          ...[`--set-tag=TRACKNUMBER=${i + 1}`, '--set-tag=TRACKTOTAL=2', '--set-tag=DISCNUMBER=1'],
          ...['--set-tag=DATE=2021', `--set-tag=MUSICBRAINZ_ALBUMID=${MBID.tideAlbum}`],
          `--import-picture-from=3|image/jpeg|Front cover||${ws.cover('big')}`,
          out,
        ]);
      },
    }),
  ),
  {
    path: 'Hanna Berg/Studio Masters/01 - Glass Harbour.flac',
    made: 'flac from 24-bit 48 kHz PCM, tags given to flac with -T',
    source: 'hires',
    bitrate: 'variable',
    cover: null,
    expect: {
      title: 'Glass Harbour',
      artists: ['Hanna Berg'],
      album: 'Studio Masters',
      albumArtist: 'Hanna Berg',
      track: 1,
      disc: 1,
      sampleRate: 48000,
      channels: 2,
    },
    async build(out, input) {
      await tool('flac', [
        ...['--silent', '-f'],
        ...['-T', 'TITLE=Glass Harbour', '-T', 'ARTIST=Hanna Berg', '-T', 'ALBUM=Studio Masters'],
        ...['-T', 'ALBUMARTIST=Hanna Berg', '-T', 'TRACKNUMBER=1', '-T', 'DATE=2022'],
        input,
        '-o',
        out,
      ]);
    },
  },
  {
    path: 'Jonas Vik/Ogg Sessions/01 - Chalk Cliffs.oga',
    made: 'flac --ogg (Ogg FLAC), tags given with -T',
    source: 's282',
    bitrate: 'variable',
    cover: null,
    expect: {
      title: 'Chalk Cliffs',
      artists: ['Jonas Vik'],
      album: 'Ogg Sessions',
      albumArtist: 'Jonas Vik',
      track: 1,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
    },
    async build(out, input) {
      await tool('flac', [
        ...['--silent', '-f', '--ogg', '--serial-number=1101'],
        ...['-T', 'TITLE=Chalk Cliffs', '-T', 'ARTIST=Jonas Vik', '-T', 'ALBUM=Ogg Sessions'],
        ...['-T', 'ALBUMARTIST=Jonas Vik', '-T', 'TRACKNUMBER=1'],
        input,
        '-o',
        out,
      ]);
    },
  },
  {
    path: 'Klara Nyman/Winter Lights/01 - Frost.ogg',
    made: 'oggenc -q 5 with comments from -c (ARTIST twice, REPLAYGAIN_*, MUSICBRAINZ_ALBUMID)',
    source: 's237',
    bitrate: 'variable',
    cover: null,
    expect: {
      title: 'Frost',
      artists: ['Klara Nyman', 'Leo Strand'],
      album: 'Winter Lights',
      albumArtist: 'Klara Nyman',
      track: 1,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
      trackGain: -5.1,
      albumGain: -5.6,
      mbzAlbumId: MBID.winterAlbum,
    },
    async build(out, input) {
      await tool('oggenc', [
        ...['--quiet', '-q', '5', '--serial', '2201'],
        ...['-c', 'TITLE=Frost', '-c', 'ARTIST=Klara Nyman', '-c', 'ARTIST=Leo Strand'],
        ...['-c', 'ALBUM=Winter Lights', '-c', 'ALBUMARTIST=Klara Nyman', '-c', 'TRACKNUMBER=1'],
        ...['-c', 'TRACKTOTAL=5', '-c', 'DISCNUMBER=1', '-c', 'DISCTOTAL=1', '-c', 'DATE=2015'],
        ...['-c', 'REPLAYGAIN_TRACK_GAIN=-5.10 dB', '-c', 'REPLAYGAIN_TRACK_PEAK=0.93011'],
        ...['-c', 'REPLAYGAIN_ALBUM_GAIN=-5.60 dB', '-c', 'REPLAYGAIN_ALBUM_PEAK=0.97105'],
        ...['-c', `MUSICBRAINZ_ALBUMID=${MBID.winterAlbum}`],
        ...['-o', out, input],
      ]);
    },
  },
  {
    path: 'Mona Ek/Field Recordings/04 - Birdsong.ogg',
    made: "oggenc -q 2 downmixed to mono and resampled to 22.05 kHz, tags from oggenc's -t/-a/-l/-N",
    source: 's213',
    bitrate: 'variable',
    cover: null,
    expect: {
      title: 'Birdsong',
      artists: ['Mona Ek'],
      album: 'Field Recordings',
      albumArtist: 'Mona Ek',
      track: 4,
      disc: 1,
      sampleRate: 22050,
      channels: 1,
    },
    async build(out, input) {
      await tool('oggenc', [
        ...['--quiet', '-q', '2', '--downmix', '--resample', '22050', '--serial', '2202'],
        ...['-t', 'Birdsong', '-a', 'Mona Ek', '-l', 'Field Recordings', '-N', '4'],
        ...['-o', out, input],
      ]);
    },
  },
  {
    path: 'Game Rips/Untagged OST/07 - Forest Theme.ogg',
    made: 'oggenc -q 3, untagged (only the ENCODER comment), as game soundtracks come',
    source: 's343',
    bitrate: 'variable',
    cover: null,
    expect: {
      title: 'Forest Theme',
      artists: ['Game Rips'],
      album: 'Untagged OST',
      albumArtist: 'Game Rips',
      track: 7,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
    },
    async build(out, input) {
      await tool('oggenc', ['--quiet', '-q', '3', '--serial', '2203', '-o', out, input]);
    },
  },
  {
    path: 'Game Rips/Untagged OST/08 - Cave Theme.opus',
    made: "opusenc 96 kbit/s from 44.1 kHz input, untagged (only opusenc's own comments)",
    source: 's187',
    bitrate: 'variable',
    cover: null,
    expect: {
      title: 'Cave Theme',
      artists: ['Game Rips'],
      album: 'Untagged OST',
      albumArtist: 'Game Rips',
      track: 8,
      disc: 1,
      sampleRate: 48000,
      channels: 2,
    },
    async build(out, input) {
      await tool('opusenc', ['--quiet', '--bitrate', '96', '--serial', '3301', input, out]);
    },
  },
  {
    path: 'Nils Ro/Paper Moon/01 - Silver Line.opus',
    made: 'opusenc 128 kbit/s, --artist twice, R128 gains, --picture with a 750 KB JPEG (1 MB of base64 in the comment header)',
    source: 's282',
    bitrate: 'variable',
    cover: 'big',
    coverStorage: 'base64',
    expect: {
      title: 'Silver Line',
      artists: ['Nils Ro', 'Olga Ahl'],
      album: 'Paper Moon',
      albumArtist: 'Nils Ro',
      track: 1,
      disc: 1,
      sampleRate: 48000,
      channels: 2,
      // R128_TRACK_GAIN=-2560 is −10 dB against −23 LUFS: −5 dB against ReplayGain's −18.
      trackGain: -5,
      albumGain: -7,
      mbzAlbumId: MBID.paperMoonAlbum,
    },
    async build(out, input, ws) {
      await tool('opusenc', [
        ...['--quiet', '--bitrate', '128', '--serial', '3302'],
        ...['--title', 'Silver Line', '--artist', 'Nils Ro', '--artist', 'Olga Ahl', '--album', 'Paper Moon'],
        ...['--tracknumber', '1', '--comment', 'ALBUMARTIST=Nils Ro', '--comment', 'TRACKTOTAL=4'],
        ...['--comment', 'DISCNUMBER=1', '--comment', `MUSICBRAINZ_ALBUMID=${MBID.paperMoonAlbum}`],
        ...['--comment', 'R128_TRACK_GAIN=-2560', '--comment', 'R128_ALBUM_GAIN=-3072'],
        ...['--picture', ws.cover('big')],
        input,
        out,
      ]);
    },
  },
  {
    path: 'Pia Lind/Speech Codec/01 - Spoken Word.spx',
    made: 'speexenc wideband (16 kHz mono), --title/--author and ALBUM/TRACKNUMBER comments',
    source: 'speech',
    bitrate: 'variable',
    cover: null,
    expect: {
      title: 'Spoken Word',
      artists: ['Pia Lind'],
      album: 'Speech Codec',
      albumArtist: 'Pia Lind',
      track: 1,
      disc: 1,
      sampleRate: 16000,
      channels: 1,
    },
    async build(out, input) {
      await tool('speexenc', [
        ...['-w', '--title', 'Spoken Word', '--author', 'Pia Lind'],
        ...['--comment', 'ALBUM=Speech Codec', '--comment', 'TRACKNUMBER=1'],
        input,
        out,
      ]);
    },
  },
  {
    path: 'Rolf Alm/Lossless Hybrid/01 - Wave Pack.wv',
    made: 'wavpack -h with APEv2 items from -w (ReplayGain, MusicBrainz) and a "Cover Art (Front)" binary item',
    source: 's282',
    bitrate: 'variable',
    cover: 'small',
    expect: {
      title: 'Wave Pack',
      artists: ['Rolf Alm'],
      album: 'Lossless Hybrid',
      albumArtist: 'Rolf Alm',
      track: 1,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
      trackGain: -4.2,
      albumGain: -4.75,
      mbzAlbumId: MBID.wavpackAlbum,
    },
    async build(out, input, ws) {
      await tool('wavpack', [
        ...['-q', '-y', '-h'],
        ...['-w', 'Title=Wave Pack', '-w', 'Artist=Rolf Alm', '-w', 'Album=Lossless Hybrid'],
        ...['-w', 'Album Artist=Rolf Alm', '-w', 'Track=1/4', '-w', 'Disc=1/1', '-w', 'Year=2012'],
        ...['-w', 'REPLAYGAIN_TRACK_GAIN=-4.20 dB', '-w', 'REPLAYGAIN_TRACK_PEAK=0.951'],
        ...['-w', 'REPLAYGAIN_ALBUM_GAIN=-4.75 dB', '-w', 'REPLAYGAIN_ALBUM_PEAK=0.989'],
        ...['-w', `MUSICBRAINZ_ALBUMID=${MBID.wavpackAlbum}`],
        ...['--write-binary-tag', `Cover Art (Front)=@${ws.cover('small')}`],
        input,
        '-o',
        out,
      ]);
    },
  },
  {
    path: 'Sara Ek/Apple Lossy/03 - Orchard.m4a',
    made: 'ffmpeg AAC-LC 192 kbit/s, AtomicParsley atoms (trkn, disk, aART), --artwork 750 KB, replaygain_* freeform atoms',
    source: 's213',
    bitrate: 'variable',
    cover: 'big',
    expect: {
      title: 'Orchard',
      artists: ['Sara Ek'],
      album: 'Apple Lossy',
      albumArtist: 'Sara Ek',
      track: 3,
      disc: 2,
      sampleRate: 44100,
      channels: 2,
      trackGain: -3.3,
      albumGain: -3.8,
    },
    async build(out, input, ws) {
      await ffmpeg([
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input, '-map_metadata', '-1'],
        ...['-c:a', 'aac', '-b:a', '192k', '-fflags', '+bitexact', out],
      ]);
      await atomicParsley(out, [
        ...[
          '--title',
          'Orchard',
          '--artist',
          'Sara Ek',
          '--album',
          'Apple Lossy',
          '--albumArtist',
          'Sara Ek',
        ],
        ...['--tracknum', '3/11', '--disk', '2/2', '--year', '2018', '--artwork', ws.cover('big')],
        ...['--rDNSatom', '-3.30 dB', 'name=replaygain_track_gain', 'domain=com.apple.iTunes'],
        ...['--rDNSatom', '-3.80 dB', 'name=replaygain_album_gain', 'domain=com.apple.iTunes'],
      ]);
    },
  },
  {
    path: 'Sara Ek/Apple Lossless/01 - Cider.m4a',
    made: 'ffmpeg ALAC, AtomicParsley atoms and --artwork',
    source: 's237',
    bitrate: 'variable',
    cover: 'small',
    expect: {
      title: 'Cider',
      artists: ['Sara Ek'],
      album: 'Apple Lossless',
      albumArtist: 'Sara Ek',
      track: 1,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
    },
    async build(out, input, ws) {
      await ffmpeg([
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input, '-map_metadata', '-1'],
        ...['-c:a', 'alac', '-fflags', '+bitexact', out],
      ]);
      await atomicParsley(out, [
        ...[
          '--title',
          'Cider',
          '--artist',
          'Sara Ek',
          '--album',
          'Apple Lossless',
          '--albumArtist',
          'Sara Ek',
        ],
        ...['--tracknum', '1/9', '--disk', '1/1', '--artwork', ws.cover('small')],
      ]);
    },
  },
  {
    path: 'Tove Strom/Unicode Sessions/01 - Unicode.wav',
    made: "ffmpeg PCM WAV with a RIFF INFO list (INAM, IART, IPRD, IPRT) holding UTF-8 text, as ffmpeg's wav muxer writes it",
    source: 's187',
    bitrate: { constant: 1411 },
    cover: null,
    expect: {
      title: 'ünïcode Title',
      artists: ['Tove Ström'],
      album: 'Ünïcode Sessions',
      albumArtist: 'Tove Ström',
      track: 1,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
    },
    async build(out, input) {
      await ffmpeg([
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input, '-map_metadata', '-1'],
        ...['-c:a', 'pcm_s16le', '-fflags', '+bitexact'],
        ...['-metadata', 'title=ünïcode Title', '-metadata', 'artist=Tove Ström'],
        ...['-metadata', 'album=Ünïcode Sessions', '-metadata', 'track=1', '-metadata', 'date=2010'],
        out,
      ]);
    },
  },
  {
    path: 'Ulla Berg/Big Iron/01 - Anvil.aiff',
    made: 'ffmpeg PCM AIFF with an ID3v2.4 "ID3 " chunk (-write_id3v2 1) and an attached picture',
    source: 's237',
    bitrate: { constant: 1411 },
    cover: 'small',
    expect: {
      title: 'Anvil',
      artists: ['Ulla Berg'],
      album: 'Big Iron',
      albumArtist: 'Ulla Berg',
      track: 1,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
    },
    async build(out, input, ws) {
      await ffmpeg([
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input, '-i', ws.cover('small')],
        ...['-map', '0:a', '-map', '1:v', '-map_metadata', '-1', '-c:a', 'pcm_s16be', '-c:v', 'copy'],
        ...['-disposition:v', 'attached_pic', '-write_id3v2', '1', '-fflags', '+bitexact'],
        ...['-metadata', 'title=Anvil', '-metadata', 'artist=Ulla Berg', '-metadata', 'album=Big Iron'],
        ...['-metadata', 'album_artist=Ulla Berg', '-metadata', 'track=1/2', '-metadata', 'disc=1/1'],
        out,
      ]);
    },
  },
  {
    path: 'Viktor Ahl/Windows Media/01 - Blue Screen.wma',
    made: 'ffmpeg WMA v2 192 kbit/s with ASF tags (WM/AlbumArtist, WM/TrackNumber, WM/PartOfSet, MusicBrainz, ReplayGain)',
    source: 's282',
    // The stream's rate: ASF pads every data packet to the same size, so the file is a third larger.
    bitrate: { constant: 192 },
    cover: null,
    expect: {
      title: 'Blue Screen',
      artists: ['Viktor Ahl'],
      album: 'Windows Media',
      albumArtist: 'Viktor Ahl',
      track: 1,
      disc: 1,
      sampleRate: 44100,
      channels: 2,
      trackGain: -2.5,
      albumGain: -2.9,
      mbzAlbumId: MBID.wmaAlbum,
    },
    async build(out, input) {
      await ffmpeg([
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input, '-map_metadata', '-1'],
        ...['-c:a', 'wmav2', '-b:a', '192k', '-fflags', '+bitexact'],
        ...['-metadata', 'title=Blue Screen', '-metadata', 'artist=Viktor Ahl'],
        ...['-metadata', 'album=Windows Media', '-metadata', 'album_artist=Viktor Ahl'],
        ...['-metadata', 'track=1', '-metadata', 'disc=1', '-metadata', 'date=2004'],
        ...['-metadata', `MusicBrainz/Album Id=${MBID.wmaAlbum}`],
        ...['-metadata', 'replaygain_track_gain=-2.50 dB', '-metadata', 'replaygain_album_gain=-2.90 dB'],
        out,
      ]);
    },
  },
];

async function atomicParsley(file: string, args: string[]): Promise<void> {
  const output = await tool('AtomicParsley', [file, ...args, '--overWrite']);
  // It reports some refusals on stdout and still exits 0.
  const warning = output.split('\n').find((line) => /warning|error/i.test(line));
  if (warning) throw new Error(`AtomicParsley ${file}: ${warning.trim()}`);
}

// ---- building -----------------------------------------------------------------------------------------

let corpusPromise: Promise<RealCorpus> | undefined;

/** The corpus, built on first use (once per machine while the tool versions stay the same). */
export function realCorpus(): Promise<RealCorpus> {
  corpusPromise ??= loadOrBuild();
  return corpusPromise;
}

async function loadOrBuild(): Promise<RealCorpus> {
  requireTools();
  const versions = await Promise.all((Object.keys(TOOLS) as Tool[]).map(toolVersion));
  versions.push(await ffmpegVersion());
  const dir = await cachedBuild(JSON.stringify(['real-corpus', HELPER_VERSION, versions]), 'corpus', build);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    entries: CorpusEntry[];
  };
  return { root: path.join(dir, 'library'), entries: manifest.entries };
}

async function build(dir: string): Promise<void> {
  const library = path.join(dir, 'library');
  const work = path.join(dir, 'work');
  fs.mkdirSync(work, { recursive: true });
  const ws: Workspace = {
    work,
    source: (name) => path.join(work, SOURCES[name].file),
    cover: (kind) => path.join(work, `${kind}-cover.jpg`),
  };
  await Promise.all([
    makeSources(work),
    makeBigCover(ws.cover('big')),
    makeImage(ws.cover('small'), { width: 320, height: 320 }),
  ]);
  // Longest first, so the last ones to finish are short.
  const order = [...RECIPES].sort((a, b) => SOURCES[b.source].seconds - SOURCES[a.source].seconds);
  await inParallel(
    Math.min(4, Math.max(2, os.availableParallelism())),
    order.map((recipe) => async () => {
      const out = path.join(library, recipe.path);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      await recipe.build(out, ws.source(recipe.source), ws);
    }),
  );
  const gains = await flacAlbumGains(library);
  const entries = await Promise.all(
    RECIPES.map((recipe) => entryFor(recipe, library, ws, gains.get(recipe.path))),
  );
  fs.rmSync(work, { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify({ entries }, null, 2)}\n`);
}

async function inParallel(limit: number, tasks: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Runs metaflac --add-replay-gain over each FLAC album and reads back what it wrote. */
async function flacAlbumGains(library: string): Promise<Map<string, { track: number; album: number }>> {
  const albums = new Map<string, string[]>();
  for (const recipe of RECIPES) {
    if (!recipe.flacAlbumGain) continue;
    albums.set(recipe.flacAlbumGain, [...(albums.get(recipe.flacAlbumGain) ?? []), recipe.path]);
  }
  const gains = new Map<string, { track: number; album: number }>();
  for (const paths of albums.values()) {
    await tool('metaflac', ['--add-replay-gain', ...paths.map((file) => path.join(library, file))]);
    for (const file of paths) {
      const shown = await tool('metaflac', [
        '--show-tag=REPLAYGAIN_TRACK_GAIN',
        '--show-tag=REPLAYGAIN_ALBUM_GAIN',
        path.join(library, file),
      ]);
      const gain = (name: string) => {
        const match = new RegExp(`^${name}=([-+]?[\\d.]+) dB$`, 'm').exec(shown);
        if (!match) throw new Error(`metaflac wrote no ${name} to ${file}: ${shown}`);
        return Number(match[1]);
      };
      gains.set(file, { track: gain('REPLAYGAIN_TRACK_GAIN'), album: gain('REPLAYGAIN_ALBUM_GAIN') });
    }
  }
  return gains;
}

async function entryFor(
  recipe: Recipe,
  library: string,
  ws: Workspace,
  flacGains: { track: number; album: number } | undefined,
): Promise<CorpusEntry> {
  const file = path.join(library, recipe.path);
  const probe = await probeAudioFile(file);
  // The corpus must be what it says: a tool that resampled, remixed or cut differently is a corpus bug.
  if (probe.sampleRate !== recipe.expect.sampleRate || probe.channels !== recipe.expect.channels)
    throw new Error(
      `${recipe.path}: ffprobe finds ${probe.sampleRate} Hz × ${probe.channels}, the recipe says ${recipe.expect.sampleRate} Hz × ${recipe.expect.channels}`,
    );
  const duration = recipe.countFrames ? await countedMp3Duration(file, probe.sampleRate) : probe.duration;
  const sourceSeconds = SOURCES[recipe.source].seconds;
  if (Math.abs(duration - sourceSeconds) > DURATION_TOLERANCE_SEC)
    throw new Error(`${recipe.path}: ffprobe finds ${duration} s, the source is ${sourceSeconds} s`);
  const coverBytes = recipe.cover ? fs.statSync(ws.cover(recipe.cover)).size : 0;
  const coverFootprint = recipe.coverStorage === 'base64' ? Math.ceil(coverBytes / 3) * 4 : coverBytes;
  const { trackGain, albumGain, mbzAlbumId, ...known } = recipe.expect;
  return {
    path: recipe.path,
    made: recipe.made,
    expect: {
      ...known,
      duration,
      bitrate:
        recipe.bitrate === 'variable'
          ? Math.round(((fs.statSync(file).size - coverFootprint) * 8) / duration / 1000)
          : recipe.bitrate.constant,
      bitrateTolerance:
        recipe.bitrate === 'variable' ? VARIABLE_BITRATE_TOLERANCE : CONSTANT_BITRATE_TOLERANCE,
      hasCover: recipe.cover !== null,
      trackGain: flacGains?.track ?? trackGain ?? null,
      albumGain: flacGains?.album ?? albumGain ?? null,
      mbzAlbumId: mbzAlbumId ?? null,
    },
  };
}

/** Frames × samples per frame (1152 for MPEG-1 Layer III, 576 below 32 kHz). */
async function countedMp3Duration(file: string, sampleRate: number): Promise<number> {
  const output = await tool('ffprobe', [
    ...['-v', 'error', '-select_streams', 'a:0', '-count_packets'],
    ...['-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file],
  ]);
  const frames = Number(output.trim());
  if (!(frames > 0)) throw new Error(`ffprobe counted no frames in ${file}: ${output}`);
  return (frames * (sampleRate >= 32000 ? 1152 : 576)) / sampleRate;
}
