// Checks that the audio helper makes what it promises, read back by music-metadata (the scanner's reader)
// and by ffmpeg.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type IAudioMetadata, parseFile } from 'music-metadata';
import { AUDIO_FORMATS, type AudioFormat, jpegSize, makeAudio, makeBrokenFiles, makeImage } from './audio.ts';

const run = promisify(execFile);

const TAGS = {
  title: 'Song Title',
  artist: ['Alpha', 'Beta'],
  album: 'The Record',
  album_artist: 'Alpha',
  track: '3/10',
  disc: '1/2',
  date: '2021',
  genre: ['Rock', 'Pop'],
  composer: 'Zed Composer',
  compilation: '1',
  comment: 'a comment',
};

let dir: string;
const tagged = new Map<AudioFormat, IAudioMetadata>();

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-audio-test-'));
  await Promise.all(
    AUDIO_FORMATS.map(async (format) => {
      const file = path.join(dir, 'tagged', 'deep', `song.${format}`);
      await makeAudio(file, { format, tags: TAGS, cover: 'embedded-jpeg' });
      tagged.set(format, await parseFile(file));
    }),
  );
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('makeAudio', () => {
  for (const format of AUDIO_FORMATS) {
    it(`writes tags and a cover that music-metadata reads back: ${format}`, () => {
      const metadata = tagged.get(format)!;
      const { common } = metadata;
      assert.equal(common.title, 'Song Title');
      assert.equal(common.album, 'The Record');
      assert.equal(common.albumartist, 'Alpha');
      assert.deepEqual(common.track, { no: 3, of: 10 });
      assert.deepEqual(common.disk, { no: 1, of: 2 });
      assert.equal(common.year, 2021);
      assert.deepEqual(common.composer, ['Zed Composer']);
      assert.equal(common.compilation, true);
      assert.equal(common.comment?.[0]?.text, 'a comment');
      if (format === 'm4a') {
        // Documented limit: ffmpeg writes one value per iTunes atom, so multi-values arrive joined.
        assert.deepEqual(common.artists, ['Alpha; Beta']);
        assert.deepEqual(common.genre, ['Rock; Pop']);
      } else {
        assert.deepEqual(common.artists, ['Alpha', 'Beta']);
        assert.deepEqual(common.genre, ['Rock', 'Pop']);
      }
      const picture = common.picture?.[0];
      assert.ok(picture, 'an embedded picture');
      assert.equal(picture.format, 'image/jpeg');
      assert.deepEqual(jpegSize(Buffer.from(picture.data)), { width: 320, height: 320 });
      assert.ok(Math.abs((metadata.format.duration ?? 0) - 1) < 0.1, `duration ${metadata.format.duration}`);
      assert.equal(metadata.format.numberOfChannels, 2);
      assert.equal(metadata.format.sampleRate, format === 'opus' ? 48000 : 44100);
    });
  }

  it('files decode cleanly with ffmpeg (Ogg pages rebuilt, chunks resized)', async () => {
    for (const format of AUDIO_FORMATS) {
      const { stderr } = await run('ffmpeg', [
        '-v',
        'error',
        '-i',
        path.join(dir, 'tagged', 'deep', `song.${format}`),
        '-f',
        'null',
        '-',
      ]);
      assert.equal(stderr.trim(), '', `${format}: ${stderr}`);
    }
  });

  it('strips every tag and the cover on request', async () => {
    for (const format of AUDIO_FORMATS) {
      const file = path.join(dir, 'bare', `bare.${format}`);
      await makeAudio(file, {
        format,
        stripAllTags: true,
        tags: { title: 'ignored' },
        cover: 'embedded-jpeg',
      });
      const { common, format: info } = await parseFile(file);
      assert.equal(common.title, undefined, format);
      assert.equal(common.picture, undefined, format);
      // Ogg streams must carry a comment header; it holds only the vendor string.
      assert.deepEqual(info.tagTypes, format === 'ogg' || format === 'opus' ? ['vorbis'] : [], format);
    }
  });

  it('honours bit depth, channels, sample rate and duration for lossless formats', async () => {
    for (const format of ['flac', 'wav', 'aiff', 'wv'] as const) {
      const file = path.join(dir, 'hires', `hires.${format}`);
      await makeAudio(file, { format, bitDepth: 24, channels: 1, sampleRate: 96000, durationSec: 2.5 });
      const { format: info } = await parseFile(file);
      assert.equal(info.bitsPerSample, 24, format);
      assert.equal(info.numberOfChannels, 1, format);
      assert.equal(info.sampleRate, 96000, format);
      assert.equal(info.duration, 2.5, format);
    }
  });

  it('gives identical bytes for one spec and different bytes for another', async () => {
    const spec = { format: 'flac', frequency: 523, tags: { title: 'Same' } } as const;
    const files = ['a', 'b', 'c'].map((name) => path.join(dir, 'same', `${name}.flac`));
    await Promise.all(files.map((file) => makeAudio(file, spec)));
    const [first, ...rest] = files.map((file) => fs.readFileSync(file));
    for (const other of rest) assert.ok(first!.equals(other));
    const changed = path.join(dir, 'same', 'changed.flac');
    await makeAudio(changed, { ...spec, tags: { title: 'Other' } });
    assert.ok(!first!.equals(fs.readFileSync(changed)));
  });
});

describe('makeImage', () => {
  it('writes a JPEG or a PNG of the asked size', async () => {
    const jpeg = path.join(dir, 'images', 'cover.jpg');
    const png = path.join(dir, 'images', 'folder.png');
    await makeImage(jpeg, { width: 200, height: 100 });
    await makeImage(png, { width: 64, height: 48 });
    assert.deepEqual(jpegSize(fs.readFileSync(jpeg)), { width: 200, height: 100 });
    const header = fs.readFileSync(png);
    assert.equal(header.toString('latin1', 1, 4), 'PNG');
    assert.deepEqual([header.readUInt32BE(16), header.readUInt32BE(20)], [64, 48]); // IHDR width, height
  });
});

describe('makeBrokenFiles', () => {
  it('makes files that are rejected or hold (almost) no audio', async () => {
    const files = await makeBrokenFiles(path.join(dir, 'broken'));
    assert.deepEqual(
      files.map((file) => path.basename(file)),
      ['empty.mp3', 'truncated.flac', 'noise.ogg', 'text.m4a'],
    );
    for (const file of files) {
      const name = path.basename(file);
      const metadata = await parseFile(file).catch((error: Error) => error);
      if (name === 'truncated.flac') {
        // The header is intact (music-metadata trusts its 3 s); decoding shows the audio stops early.
        assert.ok(!(metadata instanceof Error));
        assert.equal(metadata.format.duration, 3);
        const decoded = await run(
          'ffmpeg',
          ['-v', 'error', '-i', file, '-f', 's16le', '-ac', '1', '-ar', '44100', '-'],
          {
            encoding: 'buffer',
            maxBuffer: 64 * 1024 * 1024,
          },
        );
        const seconds = decoded.stdout.length / 2 / 44100;
        assert.ok(seconds < 1, `decoded ${seconds} s`);
        continue;
      }
      if (metadata instanceof Error) continue; // rejected: fine
      assert.equal(metadata.format.duration, undefined, name);
      assert.equal(metadata.format.codec, undefined, name);
    }
  });
});
