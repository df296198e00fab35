// Small tests of the pure parts of the scanner: identity, artist splitting, file-name fallbacks,
// album grouping, lyrics parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ARTIST_SEPARATORS } from '../../src/config/schema.ts';
import { groupMembers, parseFileName, splitArtists, splitGenres } from '../../src/library/grouping.ts';
import { groupingMember } from '../helpers/grouping-inputs.ts';
import { albumFolderOf, discNumberFromFolder } from '../../src/library/walk.ts';
import { albumId, artistId, normalizeKey, orderName, trackId } from '../../src/music/identity.ts';
import { parseLyricsText } from '../../src/music/lyrics.ts';

describe('identity', () => {
  it('derives the same id from the same identity, whatever the case and spacing', () => {
    assert.equal(artistId('Björk'), artistId('  björk '));
    assert.equal(normalizeKey('Ｒａｄｉｏｈｅａｄ'), 'radiohead');
    assert.notEqual(artistId('Björk'), artistId('Bjork'));
    const album = albumId({ mbzAlbumId: null, albumArtist: 'A', albumName: 'X', version: '' });
    assert.notEqual(
      album,
      albumId({ mbzAlbumId: null, albumArtist: 'A', albumName: 'X', version: 'Deluxe' }),
    );
    assert.equal(
      albumId({ mbzAlbumId: 'ABC', albumArtist: 'A', albumName: 'X', version: '' }),
      albumId({ mbzAlbumId: 'abc', albumArtist: 'B', albumName: 'Y', version: '' }),
    );
    const base = { mbzTrackId: null, albumId: album, discNumber: 1, trackNumber: 1, title: 'Song' };
    assert.notEqual(trackId(base), trackId({ ...base, discNumber: 2 }));
    assert.match(trackId(base), /^tr-[0-9a-f]{20}$/);
  });

  it('sorts without diacritics and leading articles', () => {
    assert.equal(orderName('The Beatles', ['The']), 'beatles');
    assert.equal(orderName('Élodie', []), 'elodie');
    assert.equal(orderName('The', ['The']), 'the');
  });
});

describe('splitting', () => {
  it('splits one artist tag on separators, keeps names that contain them without spaces', () => {
    assert.deepEqual(splitArtists('A feat. B', [], DEFAULT_ARTIST_SEPARATORS), ['A', 'B']);
    assert.deepEqual(splitArtists('A FEAT. B; C / D', [], DEFAULT_ARTIST_SEPARATORS), ['A', 'B', 'C', 'D']);
    assert.deepEqual(splitArtists('AC/DC', [], DEFAULT_ARTIST_SEPARATORS), ['AC/DC']);
    assert.deepEqual(splitArtists('Simon & Garfunkel', [], DEFAULT_ARTIST_SEPARATORS), ['Simon & Garfunkel']);
    assert.deepEqual(splitArtists('X & Y', ['X', 'Y'], DEFAULT_ARTIST_SEPARATORS), ['X', 'Y']);
    assert.deepEqual(splitArtists('A; a', [], DEFAULT_ARTIST_SEPARATORS), ['A']);
    assert.deepEqual(splitGenres(['Rock/Pop', 'rock', 'Hip-Hop'], ['/', ';']), ['Rock', 'Pop', 'Hip-Hop']);
  });

  it('reads track and disc numbers from file names', () => {
    assert.deepEqual(parseFileName('x/01 - Intro.mp3'), { title: 'Intro', trackNumber: 1, discNumber: null });
    assert.deepEqual(parseFileName('x/2-03 Song.flac'), { title: 'Song', trackNumber: 3, discNumber: 2 });
    assert.deepEqual(parseFileName('x/1979.mp3'), { title: '1979', trackNumber: null, discNumber: null });
    assert.deepEqual(parseFileName('x/Song.mp3'), { title: 'Song', trackNumber: null, discNumber: null });
  });

  it('recognises disc folders', () => {
    assert.equal(discNumberFromFolder('CD 2'), 2);
    assert.equal(discNumberFromFolder('Disc03'), 3);
    assert.equal(discNumberFromFolder('disk_1'), 1);
    assert.equal(discNumberFromFolder('CDs I like'), undefined);
    assert.equal(albumFolderOf('A/B/CD 1/01.mp3'), 'A/B');
    assert.equal(albumFolderOf('A/B/01.mp3'), 'A/B');
    assert.equal(albumFolderOf('01.mp3'), '');
  });
});

describe('album grouping', () => {
  const member = groupingMember;

  it('uses the album-artist tag when there is one', () => {
    const result = groupMembers([
      member({ albumArtistTag: 'Band', albumArtists: ['Band'] }),
      member({ path: 'F/A/02.mp3', artists: ['Q'], albumArtistTag: 'Band', albumArtists: ['Band'] }),
    ]);
    assert.equal(result.get('F/A/01.mp3')!.albumArtistDisplay, 'Band');
    assert.equal(result.get('F/A/01.mp3')!.albumId, result.get('F/A/02.mp3')!.albumId);
  });

  it('makes untagged multi-artist albums "Various Artists", single-artist ones the artist', () => {
    const mixed = groupMembers([member({}), member({ path: 'F/A/02.mp3', artists: ['Q'], trackNumber: 2 })]);
    assert.equal(mixed.get('F/A/02.mp3')!.albumArtistDisplay, 'Various Artists');
    const single = groupMembers([member({}), member({ path: 'F/A/02.mp3', trackNumber: 2 })]);
    assert.equal(single.get('F/A/02.mp3')!.albumArtistDisplay, 'P');
    // The same album name in another folder is another album.
    const apart = groupMembers([member({}), member({ path: 'G/A/01.mp3', artists: ['Q'] })]);
    assert.equal(apart.get('G/A/01.mp3')!.albumArtistDisplay, 'Q');
  });

  it('keeps disc folders of one album together', () => {
    const result = groupMembers([
      member({ path: 'F/A/CD 1/01.mp3' }),
      member({ path: 'F/A/CD 2/01.mp3', artists: ['Q'], discNumber: 2 }),
    ]);
    assert.equal(result.get('F/A/CD 1/01.mp3')!.albumId, result.get('F/A/CD 2/01.mp3')!.albumId);
    assert.notEqual(result.get('F/A/CD 1/01.mp3')!.baseTrackId, result.get('F/A/CD 2/01.mp3')!.baseTrackId);
  });
});

describe('lyrics files', () => {
  it('parses LRC with offsets, several stamps per line and metadata', () => {
    const set = parseLyricsText(
      '[ar:Someone]\n[la:de]\n[offset:+250]\n[00:01.00][00:05.50]Chorus\n[00:03.2]Verse\n',
      'lrc',
    )!;
    assert.equal(set.synced, true);
    assert.equal(set.offset, 250);
    assert.equal(set.lang, 'de');
    assert.equal(set.displayArtist, 'Someone');
    assert.deepEqual(set.lines, [
      { start: 1000, value: 'Chorus' },
      { start: 3200, value: 'Verse' },
      { start: 5500, value: 'Chorus' },
    ]);
  });

  it('keeps plain text unsynced, trims blank edges, and ignores an empty file', () => {
    assert.deepEqual(
      parseLyricsText('\n\nOne\n\nTwo\n\n', 'txt')!.lines.map((line) => line.value),
      ['One', '', 'Two'],
    );
    assert.equal(parseLyricsText('   \n', 'txt'), undefined);
  });
});
