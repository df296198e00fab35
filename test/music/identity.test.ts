// Stable identity: ids are derived from what an item is, so they must come out the same in every release.
// The pinned values below are what stars, plays and playlist entries of existing databases point at; a
// change to how an id is derived fails here before it orphans them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  albumId,
  articlesFrom,
  artistId,
  disambiguatedTrackId,
  folderId,
  genreId,
  orderName,
  trackId,
} from '../../src/music/identity.ts';

const OK_COMPUTER = { mbzAlbumId: null, albumArtist: 'Radiohead', albumName: 'OK Computer', version: '' };

describe('ids', () => {
  it('are the same as in every earlier release', () => {
    assert.equal(artistId('Radiohead'), 'ar-3f3371c759cd4d39b5d9');
    assert.equal(genreId('Rock'), 'ge-350a770c0ec9f353e1a5');
    assert.equal(albumId(OK_COMPUTER), 'al-6d823553606482a53906');
    assert.equal(
      trackId({
        mbzTrackId: null,
        albumId: albumId(OK_COMPUTER),
        discNumber: 1,
        trackNumber: 2,
        title: 'Paranoid Android',
      }),
      'tr-478f66844e4cebd2ddf7',
    );
    assert.equal(folderId(1, 'Radiohead/OK Computer'), 'fo-3f378e9c6642d37eaa34');
  });

  it('say what they name: a type prefix and 20 hex digits', () => {
    for (const id of [artistId('x'), genreId('x'), albumId(OK_COMPUTER), folderId(1, 'x')]) {
      assert.match(id, /^(ar|ge|al|fo)-[0-9a-f]{20}$/);
    }
  });

  it('ignore case, width and spacing of names, but not accents', () => {
    assert.equal(genreId(' ROCK '), genreId('Rock'));
    assert.equal(artistId('Ｒａｄｉｏｈｅａｄ'), artistId('radiohead'));
    assert.equal(
      albumId({ ...OK_COMPUTER, albumArtist: 'radiohead', albumName: ' ok  computer ' }),
      albumId(OK_COMPUTER),
    );
    assert.notEqual(artistId('Björk'), artistId('Bjork'));
  });

  it('take MusicBrainz ids over names when tagged, in any case', () => {
    const tagged = albumId({ ...OK_COMPUTER, mbzAlbumId: 'B1A9C0E9-D987-4042-AE91-78D6A3267D69' });
    assert.equal(tagged, 'al-781e5335eb621fe606c3');
    assert.equal(
      albumId({
        mbzAlbumId: 'b1a9c0e9-d987-4042-ae91-78d6a3267d69',
        albumArtist: '',
        albumName: '',
        version: '',
      }),
      tagged,
    );
    const track = { albumId: 'al-x', discNumber: 9, trackNumber: 9, title: 'anything' };
    assert.equal(
      trackId({ ...track, mbzTrackId: '0B7E8D0A-0000-4000-8000-000000000001' }),
      trackId({ ...track, albumId: 'al-y', mbzTrackId: '0b7e8d0a-0000-4000-8000-000000000001' }),
    );
  });

  it('tell apart versions of an album, discs, a missing track number and track 0', () => {
    assert.notEqual(albumId({ ...OK_COMPUTER, version: 'OKNOTOK' }), albumId(OK_COMPUTER));
    const track = { mbzTrackId: null, albumId: 'al-x', discNumber: 1, trackNumber: 1, title: 'Song' };
    assert.notEqual(trackId({ ...track, discNumber: 2 }), trackId(track));
    assert.notEqual(trackId({ ...track, trackNumber: null }), trackId({ ...track, trackNumber: 0 }));
  });

  it('are places for folders: the same path in two libraries is two folders', () => {
    assert.notEqual(folderId(1, 'Radiohead/OK Computer'), folderId(2, 'Radiohead/OK Computer'));
  });

  it('give a second file of the same song an id from its format, a third one from its path', () => {
    const base = 'tr-478f66844e4cebd2ddf7';
    assert.equal(
      disambiguatedTrackId(base, 'FLAC', 'a/b.flac', 1),
      disambiguatedTrackId(base, 'flac', 'x/y.flac', 1),
    );
    assert.notEqual(disambiguatedTrackId(base, 'flac', 'a/b.flac', 1), base);
    assert.notEqual(
      disambiguatedTrackId(base, 'flac', 'a/b.flac', 2),
      disambiguatedTrackId(base, 'flac', 'a/c.flac', 2),
    );
  });
});

describe('orderName', () => {
  const articles = articlesFrom('The El La Los Las Le Les Os As O A');

  it('sorts without case and diacritics', () => {
    assert.equal(orderName('Théâtre des Vampires'), 'theatre des vampires');
    assert.equal(orderName('ÆON  Flux'), 'æon flux');
  });

  it('moves one leading article away, whatever its case', () => {
    assert.equal(orderName('The Beatles', articles), 'beatles');
    assert.equal(orderName('the beatles', articles), 'beatles');
    assert.equal(orderName('Los Lobos', articles), 'lobos');
    assert.equal(orderName('The The', articles), 'the');
    assert.equal(orderName('A Tribe Called Quest', articles), 'tribe called quest');
  });

  it('keeps an article that is the whole name or the start of a word', () => {
    assert.equal(orderName('The', articles), 'the');
    assert.equal(orderName('Theory of a Deadman', articles), 'theory of a deadman');
    assert.equal(orderName('Alabama', articles), 'alabama');
  });

  it('keeps articles without a configured list', () => {
    assert.equal(orderName('The Beatles'), 'the beatles');
  });
});

describe('articlesFrom', () => {
  it('splits the configured setting on any whitespace', () => {
    assert.deepEqual(articlesFrom('  The  El\tLa '), ['The', 'El', 'La']);
    assert.deepEqual(articlesFrom(''), []);
  });
});
