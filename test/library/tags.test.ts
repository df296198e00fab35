// Tag reading from real files: every field the scanner keeps, per container.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TagReaderPool } from '../../src/library/tag-reader-pool.ts';
import { type ReadOutcome, type ReadTrack, readTrackFile } from '../../src/library/tags.ts';
import { makeAudio } from '../helpers/audio.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-tags-'));
async function read(file: string): Promise<ReadTrack> {
  const outcome = await readTrackFile({ file, size: fs.statSync(file).size });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
  return outcome.track;
}

describe('tag reading', () => {
  const full = path.join(dir, 'full.flac');
  before(async () => {
    await makeAudio(full, {
      format: 'flac',
      tags: {
        title: 'Full',
        artist: 'Ann & Bob',
        ARTISTS: ['Ann', 'Bob'],
        album: 'Everything',
        album_artist: 'Ann',
        track: '5',
        TRACKTOTAL: '9',
        disc: '2',
        DISCTOTAL: '3',
        DISCSUBTITLE: 'The Second Disc',
        date: '2020-05-01',
        ORIGINALDATE: '1999-01-02',
        RELEASEDATE: '2020-05-01',
        genre: ['Jazz', 'Funk'],
        composer: 'Carl',
        CONDUCTOR: 'Dora',
        LYRICIST: 'Eve',
        ARTISTSORT: 'Ann, The',
        ALBUMARTISTSORT: 'Ann, The',
        TITLESORT: 'Full, The',
        ALBUMSORT: 'Everything, The',
        MUSICBRAINZ_TRACKID: '11111111-2222-3333-4444-555555555555',
        MUSICBRAINZ_RELEASETRACKID: '99999999-2222-3333-4444-555555555555',
        MUSICBRAINZ_ALBUMID: 'aaaaaaaa-2222-3333-4444-555555555555',
        MUSICBRAINZ_RELEASEGROUPID: 'bbbbbbbb-2222-3333-4444-555555555555',
        ISRC: 'USRC17607839',
        BPM: '128',
        comment: 'A comment',
        RELEASETYPE: 'album',
        LABEL: 'Label One',
        ALBUMVERSION: 'Deluxe',
        REPLAYGAIN_TRACK_GAIN: '-6.50 dB',
        REPLAYGAIN_TRACK_PEAK: '0.988',
        REPLAYGAIN_ALBUM_GAIN: '-7.00 dB',
        REPLAYGAIN_ALBUM_PEAK: '0.999',
        LYRICS: '[00:01.00]Hello\n[00:02.50]World',
        MOOD: 'Happy',
        GROUPING: 'Group A',
      },
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads every kept field from Vorbis comments', async () => {
    const track = await read(full);
    assert.equal(track.title, 'Full');
    assert.equal(track.artist, 'Ann & Bob');
    assert.deepEqual(track.artists, ['Ann', 'Bob']);
    assert.equal(track.albumArtist, 'Ann');
    assert.equal(track.album, 'Everything');
    assert.equal(track.albumVersion, 'Deluxe');
    assert.deepEqual([track.trackNumber, track.trackTotal, track.discNumber, track.discTotal], [5, 9, 2, 3]);
    assert.equal(track.discSubtitle, 'The Second Disc');
    assert.deepEqual(
      [track.year, track.date, track.originalDate, track.releaseDate],
      [2020, '2020-05-01', '1999-01-02', '2020-05-01'],
    );
    assert.deepEqual(track.genres, ['Jazz', 'Funk']);
    assert.deepEqual(track.composers, ['Carl']);
    assert.deepEqual(
      track.roles.sort((a, b) => a.role.localeCompare(b.role)),
      [
        { role: 'conductor', name: 'Dora' },
        { role: 'lyricist', name: 'Eve' },
      ],
    );
    assert.deepEqual(
      [track.titleSort, track.artistSort, track.albumSort, track.albumArtistSort],
      ['Full, The', 'Ann, The', 'Everything, The', 'Ann, The'],
    );
    assert.equal(track.mbzRecordingId, '11111111-2222-3333-4444-555555555555');
    assert.equal(track.mbzTrackId, '99999999-2222-3333-4444-555555555555');
    assert.equal(track.mbzAlbumId, 'aaaaaaaa-2222-3333-4444-555555555555');
    assert.equal(track.mbzReleaseGroupId, 'bbbbbbbb-2222-3333-4444-555555555555');
    assert.deepEqual(track.isrc, ['USRC17607839']);
    assert.equal(track.bpm, 128);
    assert.equal(track.comment, 'A comment');
    assert.deepEqual(track.releaseTypes, ['album']);
    assert.deepEqual(track.recordLabels, ['Label One']);
    assert.deepEqual(track.moods, ['Happy']);
    assert.equal(track.grouping, 'Group A');
    assert.deepEqual(
      [track.trackGain, track.trackPeak, track.albumGain, track.albumPeak],
      [-6.5, 0.988, -7, 0.999],
    );
    assert.deepEqual(track.lyrics, [
      {
        source: 'embedded',
        lang: 'und',
        synced: true,
        offset: 0,
        lines: [
          { start: 1000, value: 'Hello' },
          { start: 2500, value: 'World' },
        ],
      },
    ]);
    assert.equal(track.codec, 'FLAC');
    assert.equal(track.lossless, true);
    assert.deepEqual([track.sampleRate, track.bitDepth, track.channels], [44100, 16, 2]);
  });

  it('converts Opus R128 gains to ReplayGain (+5 dB reference shift)', async () => {
    const file = path.join(dir, 'r128.opus');
    await makeAudio(file, {
      format: 'opus',
      tags: { title: 'R', artist: 'A', R128_TRACK_GAIN: '-512', R128_ALBUM_GAIN: '256' },
    });
    const track = await read(file);
    assert.equal(track.trackGain, 3);
    assert.equal(track.albumGain, 6);
  });

  it('reads ID3v2 multi-valued artists, compilation flag and embedded cover', async () => {
    const file = path.join(dir, 'multi.mp3');
    await makeAudio(file, {
      format: 'mp3',
      cover: 'embedded-jpeg',
      tags: {
        title: 'M',
        artist: ['Xan', 'Yue'],
        album: 'Comp',
        compilation: '1',
        track: '3/12',
        disc: '1/2',
      },
    });
    const track = await read(file);
    assert.deepEqual(track.artists, ['Xan', 'Yue']);
    assert.equal(track.compilation, true);
    assert.equal(track.hasPicture, true);
    assert.deepEqual([track.trackNumber, track.trackTotal, track.discNumber, track.discTotal], [3, 12, 1, 2]);
  });

  it('notices Ogg covers without decoding them', async () => {
    const withCover = path.join(dir, 'cover.ogg');
    const withoutCover = path.join(dir, 'plain.ogg');
    await makeAudio(withCover, { format: 'ogg', cover: 'embedded-jpeg', tags: { title: 'C' } });
    await makeAudio(withoutCover, { format: 'ogg', tags: { title: 'P' } });
    assert.equal((await read(withCover)).hasPicture, true);
    assert.equal((await read(withoutCover)).hasPicture, false);
  });

  it('treats out-of-range numbers as absent (clients expect int32)', async () => {
    const file = path.join(dir, 'huge.flac');
    await makeAudio(file, {
      format: 'flac',
      tags: { title: 'H', track: '99999999999', BPM: '-5', date: '0000' },
    });
    const track = await read(file);
    assert.equal(track.trackNumber, null);
    assert.equal(track.bpm, null);
    assert.equal(track.year, null);
  });

  it('explains why a file is not a track', async () => {
    const empty = path.join(dir, 'empty.mp3');
    fs.writeFileSync(empty, '');
    const text = path.join(dir, 'text.flac');
    fs.writeFileSync(text, 'hello, I am not a flac file at all');
    const results = await Promise.all(
      [empty, text].map((file) => readTrackFile({ file, size: fs.statSync(file).size })),
    );
    assert.deepEqual(
      results.map((result) => result.ok),
      [false, false],
    );
    assert.match(results[0]!.ok ? '' : results[0]!.reason, /empty/);
    assert.match(results[1]!.ok ? '' : results[1]!.reason, /.{5,}/);
    assert.deepEqual(
      results.map((result) => (result.ok ? 'ok' : result.failure)),
      ['content', 'content'],
      'verdicts on the content',
    );
  });

  it('tells a file that cannot be read from one that is not audio, also through the worker threads', async () => {
    const garbage = path.join(dir, 'garbage.mp3');
    fs.writeFileSync(garbage, Buffer.alloc(20_000, 0x5a));
    // Gone since the walk listed it (ENOENT at open), and a path whose reads fail (EISDIR at read: the
    // open succeeds, so this is the tokenizer's read failing under the parser, as EIO from a dropped share).
    const requests = [
      { file: garbage, size: 20_000 },
      { file: path.join(dir, 'vanished.flac'), size: 4096 },
      { file: dir, size: 4096 },
    ];
    const expected = [
      { failure: 'content' },
      { failure: 'io', reason: 'file cannot be read (ENOENT)' },
      { failure: 'io', reason: 'file cannot be read (EISDIR)' },
    ];
    // The reason of a content verdict is the parser's own words.
    const summary = (outcome: ReadOutcome) =>
      outcome.ok || outcome.failure !== 'content' ? outcome : { ok: false, failure: outcome.failure };
    const direct = await Promise.all(requests.map((request) => readTrackFile(request)));
    assert.deepEqual(
      direct.map(summary),
      expected.map((entry) => ({ ok: false, ...entry })),
    );
    const pool = new TagReaderPool(1);
    try {
      const pooled = await Promise.all(requests.map((request) => pool.read(request)));
      assert.deepEqual(pooled, direct, 'the failure kind crosses from the worker thread');
    } finally {
      await pool.close();
    }
  });
});
