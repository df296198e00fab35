// Files that only real collections have (see test/helpers/hard-files.ts): lengths, tag encodings and
// damage that short ffmpeg fixtures never show.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { mpegLength } from '../../src/library/stream-length.ts';
import { type ReadTrack, readTrackFile, type TagReadOptions } from '../../src/library/tags.ts';
import { buildHardFiles, HARD_FILE_SECONDS as SECONDS } from '../helpers/hard-files.ts';
import { openScanHarness } from '../helpers/scan.ts';

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-hard-files-'));
const music = path.join(dir, 'music');
const at = (name: string) => path.join(music, name);

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
    await buildHardFiles(music);
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
