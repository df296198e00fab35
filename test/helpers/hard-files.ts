// Files that only real collections have, made by the real encoders and taggers (oggenc, opusenc,
// speexenc, flac/metaflac, lame, mutagen, ffmpeg), a minute long each: Ogg and Opus whose length is on
// their last page, VBR MP3s without a Xing header, raw AAC, tags whose text is not in the encoding they
// declare, and damaged files (garbage tails, a cut page, a 50 MB ID3 tag, a corrupt picture block, a WAV
// that lies about its size). Used by test/library/hard-files.test.ts and bench/hard-files.bench.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { mutagenPython, tool } from './real-corpus.ts';

export const HARD_FILE_SECONDS = 60;
const SECONDS = HARD_FILE_SECONDS;

/** Deterministic noise, so a failure reproduces. */
function noise(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

/** Python with mutagen, the tagging library of Picard, beets and Quod Libet. */
async function mutagen(script: string): Promise<void> {
  const [python, ...pythonArgs] = mutagenPython();
  await tool(python!, [...pythonArgs, '-c', script]);
}

/** Makes the files in `music` (created); returns their names. */
export async function buildHardFiles(music: string): Promise<string[]> {
  const dir = path.dirname(music);
  const at = (name: string) => path.join(music, name);
  fs.mkdirSync(music, { recursive: true });
  const wav = path.join(dir, 'source.wav');
  const wav16k = path.join(dir, 'source-16k.wav');
  // Music-like content (tones that move, and noise) so that VBR encoders vary their frame sizes.
  await tool('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=0.3*sin(2*PI*(220+110*sin(0.3*t))*t)+0.2*sin(2*PI*(660+200*sin(0.7*t))*t):s=44100:d=${SECONDS}`,
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=c=pink:a=0.08:seed=11:d=${SECONDS}:r=44100`,
    '-filter_complex',
    '[0][1]amix=inputs=2:normalize=0,aformat=channel_layouts=stereo',
    '-c:a',
    'pcm_s16le',
    wav,
  ]);
  await tool('ffmpeg', ['-v', 'error', '-i', wav, '-ar', '16000', '-ac', '1', wav16k]);
  await Promise.all([
    tool('oggenc', ['-Q', '-q', '4', '-o', at('untagged.ogg'), wav]),
    tool('opusenc', ['--quiet', '--bitrate', '96', wav, at('untagged.opus')]),
    tool('speexenc', ['-w', '--quiet', wav16k, at('voice.spx')]),
    tool('flac', ['-s', '--ogg', '-o', at('ogg-flac.oga'), wav]),
    tool('lame', ['--quiet', '-t', '-V', '2', wav, at('vbr-without-xing.mp3')]),
    tool('lame', ['--quiet', '-V', '2', '--tt', 'Big Tag', wav, at('big-id3.mp3')]),
    tool('flac', ['-s', '-o', at('corrupt-picture.flac'), '-T', 'TITLE=Damaged Picture', wav]),
    tool('ffmpeg', ['-v', 'error', '-i', wav, '-c:a', 'aac', '-b:a', '128k', at('raw.aac')]),
    ...[
      ['-metadata', 'title=ünïcode Привет', '-metadata', 'artist=Björk', at('riff-info-utf8.wav')],
      ['-c:a', 'libmp3lame', '-write_id3v1', '1', '-id3v2_version', '0', at('latin1-tags.mp3')],
    ].map((output) => tool('ffmpeg', ['-v', 'error', '-i', wav, '-t', '10', ...output])),
  ]);

  // Ogg files whose ends are not pages: a copy padded with garbage (small, and larger than the tail
  // search), and one cut off in the middle of a page.
  const ogg = fs.readFileSync(at('untagged.ogg'));
  fs.writeFileSync(at('garbage-tail-small.ogg'), Buffer.concat([ogg, noise(200_000, 1)]));
  fs.writeFileSync(at('garbage-tail-large.ogg'), Buffer.concat([ogg, noise(3_000_000, 2)]));
  fs.writeFileSync(at('cut.ogg'), ogg.subarray(0, Math.floor(ogg.length * 0.6) + 1234));
  fs.writeFileSync(at('ogg-header-then-noise.ogg'), Buffer.concat([ogg.subarray(0, 58), noise(500_000, 3)]));

  // A VBRI header (Fraunhofer encoders) in the first frame of a Xing-less file, stating 1000 frames.
  const vbr = fs.readFileSync(at('vbr-without-xing.mp3'));
  const vbri = Buffer.from(vbr);
  const first = vbri.indexOf(Buffer.from([0xff, 0xfb]));
  vbri.write('VBRI', first + 36, 'latin1');
  vbri.writeUInt16BE(1, first + 40);
  vbri.writeUInt32BE(vbr.length, first + 46);
  vbri.writeUInt32BE(1000, first + 50);
  fs.writeFileSync(at('vbri.mp3'), vbri);

  const cover = path.join(dir, 'cover.jpg');
  await tool('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=600x600', '-frames:v', '1', cover]);
  await tool('metaflac', [`--import-picture-from=${cover}`, at('corrupt-picture.flac')]);
  // The PICTURE block's MIME length is set to 2 GB, far past the block's end.
  const flac = fs.readFileSync(at('corrupt-picture.flac'));
  for (let offset = 4; ; ) {
    const type = flac[offset]! & 0x7f;
    const length = flac.readUIntBE(offset + 1, 3);
    if (type === 6) {
      flac.writeUInt32BE(0x7fff_ffff, offset + 8);
      break;
    }
    assert.ok(!(flac[offset]! & 0x80), 'the picture block was written');
    offset += 4 + length;
  }
  fs.writeFileSync(at('corrupt-picture.flac'), flac);

  // A WAV whose data chunk claims 2 GB (an interrupted recording's header, never fixed up).
  const lying = fs.readFileSync(at('riff-info-utf8.wav'));
  lying.writeUInt32LE(0x7fff_fff0, lying.indexOf('data') + 4);
  fs.writeFileSync(at('lying-size.wav'), lying);

  await mutagen(`
import os, random
from mutagen.id3 import ID3, APIC, TIT2, TPE1, TALB, Encoding
rng = random.Random(5)
tag = ID3()
tag.add(TIT2(encoding=Encoding.UTF8, text=['Big Tag']))
tag.add(APIC(encoding=Encoding.UTF8, mime='image/jpeg', type=3, desc='', data=bytes(rng.getrandbits(8) for _ in range(1 << 16)) * 800))
tag.save(${JSON.stringify(at('big-id3.mp3'))}, v2_version=4)

# ID3v2.3 frames declared Latin-1 holding UTF-8 bytes (many taggers), beside a true Latin-1 one.
tag = ID3()
tag.add(TIT2(encoding=Encoding.LATIN1, text=['ünïcode'.encode('utf-8').decode('latin-1')]))
tag.add(TPE1(encoding=Encoding.LATIN1, text=['Björk']))
tag.add(TALB(encoding=Encoding.LATIN1, text=['Кино'.encode('cp1251').decode('latin-1')]))
tag.save(${JSON.stringify(at('latin1-tags.mp3'))}, v2_version=3, v1=0)
`);
  return fs.readdirSync(music).sort();
}
