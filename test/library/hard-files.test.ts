// Files that only real collections have: Ogg and Opus whose length is on their last page, VBR MP3s
// without a Xing header, raw AAC, tags whose text is not in the encoding they declare, and damaged files
// (a garbage tail, a 50 MB ID3 tag, a corrupt picture block, a WAV that lies about its size). Made by the
// real encoders and taggers (oggenc, opusenc, speexenc, flac, lame, mutagen, ffmpeg), a minute long each.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { mpegLength } from '../../src/library/stream-length.ts';
import { type ReadTrack, readTrackFile, type TagReadOptions } from '../../src/library/tags.ts';
import { openScanHarness } from '../helpers/scan.ts';

const run = promisify(execFile);
const SECONDS = 60;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-hard-files-'));
const music = path.join(dir, 'music');
const at = (name: string) => path.join(music, name);

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

async function tool(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? `${command} is not installed (Debian: see APT_PACKAGES in .ci/run)`
        : `${command} ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? error}`,
    );
  }
}

/** Python with mutagen, the tagging library of Picard, beets and Quod Libet. */
async function mutagen(script: string): Promise<void> {
  await tool('/usr/bin/python3', ['-c', script]);
}

async function read(file: string, options: TagReadOptions = {}): Promise<ReadTrack> {
  const outcome = await readTrackFile({ file, size: fs.statSync(file).size, options });
  assert.ok(outcome.ok, `${path.basename(file)}: ${outcome.ok ? '' : outcome.reason}`);
  return outcome.track;
}

async function ffprobeDuration(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(stdout.trim());
}

/** The length in seconds ffmpeg decodes, which needs no header to be right. */
async function decodedDuration(file: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-v', 'info', '-nostats', '-i', file, '-f', 'null', '-'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const times = [...stderr.matchAll(/time=(\d+):(\d+):([\d.]+)/g)];
  const last = times.at(-1)!;
  return Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]);
}

describe('real files that short fixtures hide', () => {
  before(async () => {
    fs.mkdirSync(music);
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
    fs.writeFileSync(
      at('ogg-header-then-noise.ogg'),
      Buffer.concat([ogg.subarray(0, 58), noise(500_000, 3)]),
    );

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
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads Ogg Vorbis, Opus, Speex and Ogg FLAC lengths from the last page', async () => {
    for (const name of ['untagged.ogg', 'untagged.opus', 'voice.spx', 'ogg-flac.oga']) {
      const track = await read(at(name));
      const expected = await ffprobeDuration(at(name));
      assert.ok(
        Math.abs(track.duration - expected) < 0.1,
        `${name}: ${track.duration} s, ffprobe ${expected} s`,
      );
      assert.ok(Math.abs(track.duration - SECONDS) < 0.1, `${name}: ${track.duration} s`);
      const bitrate = (fs.statSync(at(name)).size * 8) / expected / 1000;
      assert.ok(
        Math.abs(track.bitrate! - bitrate) < 3,
        `${name}: ${track.bitrate} kbit/s, by size ${bitrate}`,
      );
    }
    assert.equal((await read(at('untagged.opus'))).sampleRate, 48_000, 'Opus decodes at 48 kHz');
  });

  it('finds the last page behind a garbage tail, and the last whole page of a cut file', async () => {
    for (const name of ['garbage-tail-small.ogg', 'garbage-tail-large.ogg'])
      assert.ok(Math.abs((await read(at(name))).duration - SECONDS) < 0.1, name);
    const cut = await read(at('cut.ogg'));
    const decoded = await decodedDuration(at('cut.ogg'));
    assert.ok(Math.abs(cut.duration - decoded) < 0.5, `cut: ${cut.duration} s, decodes to ${decoded} s`);
  });

  it('counts the frames of a VBR MP3 without a Xing header, and believes a VBRI header', async () => {
    const track = await read(at('vbr-without-xing.mp3'));
    const decoded = await decodedDuration(at('vbr-without-xing.mp3'));
    assert.ok(Math.abs(track.duration - decoded) < 0.1, `${track.duration} s, decodes to ${decoded} s`);
    const size = fs.statSync(at('vbr-without-xing.mp3')).size;
    assert.ok(
      Math.abs(track.bitrate! - (size * 8) / decoded / 1000) < 2,
      `average bitrate, not the first frame's`,
    );
    assert.ok(Math.abs((await read(at('vbri.mp3'))).duration - (1000 * 1152) / 44_100) < 0.01);
  });

  it('counts frames up to a cap and extrapolates the rest', () => {
    // 2,000 frames of 417 bytes (MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding).
    const frame = Buffer.alloc(417);
    frame.set([0xff, 0xfb, 0x90, 0x00]);
    const file = Buffer.concat(Array.from({ length: 2000 }, () => frame));
    const exact = (2000 * 1152) / 44_100;
    let bytesRead = 0;
    const readAt = (position: number, size: number) => {
      const bytes = file.subarray(position, position + size);
      bytesRead += bytes.length;
      return bytes;
    };
    const counted = mpegLength(readAt, file.length);
    assert.equal(counted?.source, 'counted');
    assert.ok(Math.abs(counted.duration - exact) < 0.001);
    bytesRead = 0;
    const capped = mpegLength(readAt, file.length, 100_000);
    assert.equal(capped?.source, 'extrapolated');
    assert.ok(Math.abs(capped.duration - exact) < 0.05, `${capped.duration} s`);
    assert.ok(bytesRead < 200_000, `read ${bytesRead} of ${file.length} bytes`);
  });

  it('counts the frames of raw AAC (ADTS)', async () => {
    const track = await read(at('raw.aac'));
    const decoded = await decodedDuration(at('raw.aac'));
    assert.ok(Math.abs(track.duration - decoded) < 0.1, `${track.duration} s, decodes to ${decoded} s`);
  });

  it('reads tag text declared Latin-1 that is UTF-8 as UTF-8, and a legacy code page when configured', async () => {
    const riff = await read(at('riff-info-utf8.wav'));
    assert.equal(riff.title, 'ünïcode Привет');
    assert.equal(riff.artist, 'Björk');
    const id3 = await read(at('latin1-tags.mp3'));
    assert.equal(id3.title, 'ünïcode');
    assert.equal(id3.artist, 'Björk', 'true Latin-1 stays Latin-1');
    assert.equal(id3.album, 'Êèíî', 'CP1251 bytes read as declared without the setting');
    const legacy = await read(at('latin1-tags.mp3'), { legacyEncoding: 'windows-1251' });
    assert.equal(legacy.album, 'Кино');
    assert.equal(legacy.title, 'ünïcode', 'valid UTF-8 comes first');
    assert.equal(legacy.artist, 'Björk', 'Western text with accents stays Latin-1');
  });

  it('imports damaged files with what can be read, and says why when nothing can', async () => {
    const big = await read(at('big-id3.mp3'));
    assert.equal(big.title, 'Big Tag');
    assert.ok(big.hasPicture);
    assert.ok(Math.abs(big.duration - SECONDS) < 0.1);
    const flac = await read(at('corrupt-picture.flac'));
    assert.equal(flac.title, 'Damaged Picture');
    assert.equal(flac.duration, SECONDS);
    const wav = await read(at('lying-size.wav'));
    assert.ok(Math.abs(wav.duration - 10) < 0.1, `lying WAV: ${wav.duration} s`);
    const garbage = await readTrackFile({
      file: at('ogg-header-then-noise.ogg'),
      size: fs.statSync(at('ogg-header-then-noise.ogg')).size,
    });
    assert.equal(garbage.ok, false);
    assert.ok(!garbage.ok && garbage.reason.length > 10, 'a reason');
  });

  it('imports every one of them through the scanner, with the configured code page', async () => {
    const harness = await openScanHarness([music], {
      overrides: { scanner: { legacyEncoding: 'windows-1251' } },
    });
    try {
      const report = await harness.scanner.scan();
      assert.deepEqual(
        report.errors.map((error) => path.basename(error.path)),
        ['ogg-header-then-noise.ogg'],
      );
      const rows = harness.runtime.db
        .prepare('SELECT path, duration, title FROM track ORDER BY path')
        .all() as { path: string; duration: number; title: string }[];
      assert.equal(rows.length, fs.readdirSync(music).length - 1);
      for (const row of rows) assert.ok(row.duration > 0, `${row.path} has a length`);
      assert.equal(rows.find((row) => row.path.endsWith('latin1-tags.mp3'))?.title, 'ünïcode');
      const album = harness.runtime.db.prepare("SELECT name FROM album WHERE name = 'Кино'").pluck().get();
      assert.equal(album, 'Кино');
      const again = await harness.scanner.scan();
      assert.equal(again.rowsWritten, 0, 'a rescan with nothing changed writes nothing');
    } finally {
      await harness.close();
    }
  });
});
