// Small tests of album grouping (src/library/grouping.ts): the fallbacks that give untagged files a title,
// numbers, an album and an artist, and how tracks become albums: album-artist tags, compilations,
// "Various Artists", MusicBrainz releases, versions and same-identity files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ARTIST_SEPARATORS } from '../../src/config/schema.ts';
import {
  groupingInputsFromRead,
  groupMembers,
  UNKNOWN_ARTIST,
  VARIOUS_ARTISTS,
} from '../../src/library/grouping.ts';
import { groupingMember } from '../helpers/grouping-inputs.ts';
import type { ReadTrack } from '../../src/library/tags.ts';

const OPTIONS = { artistSeparators: DEFAULT_ARTIST_SEPARATORS, genreSeparators: [';'] };

/** What the tag reader gives for a file without any tag, with `tags` on top. */
function read(tags: Partial<ReadTrack> = {}): ReadTrack {
  return {
    title: null,
    artist: null,
    artists: [],
    albumArtist: null,
    albumArtists: [],
    album: null,
    albumVersion: null,
    trackNumber: null,
    trackTotal: null,
    discNumber: null,
    discTotal: null,
    discSubtitle: null,
    year: null,
    date: null,
    originalDate: null,
    releaseDate: null,
    genres: [],
    composers: [],
    roles: [],
    titleSort: null,
    artistSort: null,
    albumSort: null,
    albumArtistSort: null,
    mbzRecordingId: null,
    mbzTrackId: null,
    mbzAlbumId: null,
    mbzReleaseGroupId: null,
    mbzArtistIds: [],
    mbzAlbumArtistIds: [],
    isrc: [],
    bpm: null,
    comment: null,
    compilation: false,
    releaseTypes: [],
    recordLabels: [],
    moods: [],
    grouping: null,
    trackGain: null,
    trackPeak: null,
    albumGain: null,
    albumPeak: null,
    lyrics: [],
    duration: 180,
    bitrate: 320,
    sampleRate: 44100,
    bitDepth: null,
    channels: 2,
    codec: 'MP3',
    lossless: false,
    hasPicture: false,
    ...tags,
  };
}

const inputs = (relPath: string, tags: Partial<ReadTrack> = {}) =>
  groupingInputsFromRead(read(tags), relPath, OPTIONS);

describe('grouping inputs of a file', () => {
  it('takes what an untagged file lacks from its names: title and numbers, album folder, artist folder', () => {
    const untagged = inputs('Nick Drake/Pink Moon/CD 2/03 - Road.flac');
    assert.equal(untagged.title, 'Road');
    assert.equal(untagged.trackNumber, 3);
    assert.equal(untagged.discNumber, 2, 'from the disc folder');
    assert.equal(untagged.albumName, 'Pink Moon', 'the album folder, above the disc folder');
    assert.deepEqual(untagged.artists, ['Nick Drake']);
    assert.equal(untagged.suffix, 'flac');
    assert.equal(untagged.albumArtistTag, null);

    const flat = inputs('Artist/Album/2-05 Song.mp3');
    assert.equal(flat.discNumber, 2, 'from a "2-05" file name');
    assert.equal(flat.trackNumber, 5);
  });

  it('names what it cannot know: a file at the root, a tagged file without an artist', () => {
    const loose = inputs('Song.mp3');
    assert.equal(loose.albumName, '[Unknown Album]');
    assert.deepEqual(loose.artists, [UNKNOWN_ARTIST]);
    assert.equal(loose.discNumber, 1);
    // A file with tags but no artist tag is not credited to its folder.
    assert.deepEqual(inputs('Folder Artist/Album/01 x.mp3', { title: 'Tagged' }).artists, [UNKNOWN_ARTIST]);
  });

  it('prefers tags to names', () => {
    const tagged = inputs('X/Y/CD 2/07 - Name.mp3', {
      title: 'Title',
      artist: 'Artist',
      album: 'Album',
      discNumber: 1,
      trackNumber: 9,
    });
    assert.equal(tagged.title, 'Title');
    assert.equal(tagged.albumName, 'Album');
    assert.equal(tagged.discNumber, 1);
    assert.equal(tagged.trackNumber, 9);
    assert.deepEqual(tagged.artists, ['Artist']);
  });

  it('splits the album-artist tag, or joins album artists listed one by one', () => {
    const joint = inputs('A/B/01.mp3', { albumArtist: 'Anna feat. Ben' });
    assert.equal(joint.albumArtistTag, 'Anna feat. Ben');
    assert.deepEqual(joint.albumArtists, ['Anna', 'Ben']);
    const listed = inputs('A/B/01.mp3', { albumArtists: ['Anna', 'Ben'] });
    assert.equal(listed.albumArtistTag, 'Anna; Ben');
    assert.deepEqual(listed.albumArtists, ['Anna', 'Ben']);
  });
});

describe('albums from tracks', () => {
  const member = groupingMember;

  it('makes a compilation "Various Artists", even with one artist, unless an album artist is tagged', () => {
    const compilation = groupMembers([member({ compilation: true })]).get('F/A/01.mp3')!;
    assert.equal(compilation.albumArtistDisplay, VARIOUS_ARTISTS);
    assert.deepEqual(compilation.albumArtists, [VARIOUS_ARTISTS]);
    const mixedByDj = groupMembers([
      member({ compilation: true, albumArtistTag: 'DJ X', albumArtists: ['DJ X'] }),
    ]).get('F/A/01.mp3')!;
    assert.equal(mixedByDj.albumArtistDisplay, 'DJ X');
  });

  it('counts one artist whatever the case of the name: one album, not "Various Artists"', () => {
    const result = groupMembers([
      member({ artists: ['The Band'] }),
      member({ path: 'F/A/02.mp3', artists: ['the band'], trackNumber: 2 }),
    ]);
    assert.notEqual(result.get('F/A/02.mp3')!.albumArtistDisplay, VARIOUS_ARTISTS);
    assert.equal(result.get('F/A/01.mp3')!.albumId, result.get('F/A/02.mp3')!.albumId);
  });

  it('keeps two albums of one folder apart by their names', () => {
    const result = groupMembers([
      member({ albumName: 'X' }),
      member({ path: 'F/A/02.mp3', albumName: 'Y', artists: ['Q'] }),
    ]);
    assert.equal(result.get('F/A/01.mp3')!.albumArtistDisplay, 'P');
    assert.equal(result.get('F/A/02.mp3')!.albumArtistDisplay, 'Q');
    assert.notEqual(result.get('F/A/01.mp3')!.albumId, result.get('F/A/02.mp3')!.albumId);
  });

  it('makes one album of one release whatever its folders, album-artist spelling or MusicBrainz id', () => {
    const tagged = groupMembers([
      member({ albumArtistTag: 'Band', albumArtists: ['Band'] }),
      member({ path: 'G/B/02.mp3', albumArtistTag: 'Band', albumArtists: ['Band'], trackNumber: 2 }),
    ]);
    assert.equal(tagged.get('F/A/01.mp3')!.albumId, tagged.get('G/B/02.mp3')!.albumId);
    const release = 'c0ffee00-0000-4000-8000-000000000001';
    const byRelease = groupMembers([
      member({ albumArtistTag: 'Band', albumArtists: ['Band'], mbzAlbumId: release }),
      member({
        path: 'F/A/02.mp3',
        albumArtistTag: 'The Band',
        albumArtists: ['The Band'],
        mbzAlbumId: release,
      }),
    ]);
    assert.equal(byRelease.get('F/A/01.mp3')!.albumId, byRelease.get('F/A/02.mp3')!.albumId);
  });

  it('keeps versions of an album apart', () => {
    const result = groupMembers([
      member({ albumArtistTag: 'Band', albumArtists: ['Band'] }),
      member({ path: 'G/A/01.mp3', albumArtistTag: 'Band', albumArtists: ['Band'], albumVersion: 'Deluxe' }),
    ]);
    assert.notEqual(result.get('F/A/01.mp3')!.albumId, result.get('G/A/01.mp3')!.albumId);
  });

  it('gives the same song in two formats one album and one base id, left to the scan to tell apart', () => {
    const result = groupMembers([member({}), member({ path: 'F/A/01.flac', suffix: 'flac' })]);
    const mp3 = result.get('F/A/01.mp3')!;
    const flac = result.get('F/A/01.flac')!;
    assert.equal(mp3.albumId, flac.albumId);
    assert.equal(mp3.baseTrackId, flac.baseTrackId);
    // Another track number or disc is another track.
    const other = groupMembers([member({}), member({ path: 'F/A/02.mp3', trackNumber: 2 })]);
    assert.notEqual(other.get('F/A/01.mp3')!.baseTrackId, other.get('F/A/02.mp3')!.baseTrackId);
  });

  it('lets a MusicBrainz track id decide the track identity', () => {
    const result = groupMembers([
      member({ mbzTrackId: 'aa', title: 'One' }),
      member({ path: 'F/A/02.mp3', mbzTrackId: 'AA', title: 'Renamed', trackNumber: 2 }),
    ]);
    assert.equal(result.get('F/A/01.mp3')!.baseTrackId, result.get('F/A/02.mp3')!.baseTrackId);
  });
});
