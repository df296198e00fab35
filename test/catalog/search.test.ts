import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CatalogReader } from '../../src/catalog/reader.ts';
import {
  buildMatchExpression,
  editDistance,
  ensureSearchIndex,
  rebuildSearchIndex,
  reindex,
  SEARCH_INDEX_VERSION,
  searchAlbums,
  searchArtists,
  searchTracks,
} from '../../src/catalog/search.ts';
import { Database } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { albumId, artistId, folderId, genreId, orderName, trackId } from '../../src/music/identity.ts';
import { albumRow, artistRow, folderRow, trackRow } from '../helpers/catalog-rows.ts';

// ---------------------------------------------------------------------------------------------------
// A real SQLite file per test group, and small factories that write catalog rows as the scanner would.

const NOW = Date.UTC(2026, 10, 21);
const tempDirs: string[] = [];
const openDatabases: Database[] = [];

after(async () => {
  for (const db of openDatabases) await db.close();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function freshDatabase(): Promise<Catalog> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-search-'));
  tempDirs.push(dir);
  const db = Database.open(path.join(dir, 'tonearm.db'));
  openDatabases.push(db);
  await migrateToLatest(db);
  ensureSearchIndex(db);
  return catalog(db);
}

interface Row {
  pk: number;
  id: string;
}

interface AlbumSpec {
  name: string;
  artist: string;
  library?: number;
  genres?: string[];
  year?: number;
  version?: string;
}

interface TrackSpec {
  title: string;
  album: AlbumRef;
  artists?: string[];
  composers?: string[];
  genres?: string[];
  number?: number;
}

interface AlbumRef extends Row {
  name: string;
  artist: string;
  library: number;
}

type Catalog = ReturnType<typeof catalog>;

function catalog(db: Database) {
  const q = db.kysely;
  const library = (id: number): number => {
    const existing = db.first(q.selectFrom('library').select('id').where('id', '=', id));
    if (!existing)
      db.run(
        q.insertInto('library').values({ id, name: `Library ${id}`, path: `/music/${id}`, created_at: NOW }),
      );
    return id;
  };
  const artist = (name: string, libraryId?: number, sortName = name): Row => {
    const id = artistId(name);
    let row = db.first(q.selectFrom('artist').select(['pk', 'id']).where('id', '=', id));
    if (!row) {
      db.run(
        q
          .insertInto('artist')
          .values(artistRow({ id, name, sort_name: sortName, order_name: orderName(sortName) }, NOW)),
      );
      row = db.first(q.selectFrom('artist').select(['pk', 'id']).where('id', '=', id))!;
    }
    if (libraryId !== undefined) {
      db.run(
        q
          .insertInto('library_artist')
          .values({ library_id: libraryId, artist_id: id })
          .onConflict((c) => c.doNothing()),
      );
    }
    return row;
  };
  const genre = (name: string): string => {
    const id = genreId(name);
    db.run(
      q
        .insertInto('genre')
        .values({ id, name })
        .onConflict((c) => c.doNothing()),
    );
    return id;
  };
  const folder = (libraryId: number, relative: string): string => {
    const id = folderId(libraryId, relative);
    db.run(
      q
        .insertInto('folder')
        .values(folderRow({ id, library_id: libraryId, path: relative, name: relative }, NOW))
        .onConflict((c) => c.doNothing()),
    );
    return id;
  };
  const album = (spec: AlbumSpec): AlbumRef => {
    const libraryId = library(spec.library ?? 1);
    const albumArtist = artist(spec.artist, libraryId);
    const id = albumId({
      mbzAlbumId: null,
      albumArtist: spec.artist,
      albumName: spec.name,
      version: spec.version ?? '',
    });
    db.run(
      q.insertInto('album').values(
        albumRow(
          {
            id,
            name: spec.name,
            order_name: orderName(spec.name),
            version: spec.version ?? '',
            artist_id: albumArtist.id,
            artist_name: spec.artist,
            order_artist_name: orderName(spec.artist),
            year: spec.year ?? null,
            genre: spec.genres?.join('; ') ?? null,
          },
          NOW,
        ),
      ),
    );
    db.run(q.insertInto('album_artist').values({ album_id: id, artist_id: albumArtist.id, position: 0 }));
    (spec.genres ?? []).forEach((name, position) => {
      db.run(q.insertInto('album_genre').values({ album_id: id, genre_id: genre(name), position }));
    });
    db.run(q.insertInto('library_album').values({ library_id: libraryId, album_id: id }));
    const row = db.first(q.selectFrom('album').select(['pk', 'id']).where('id', '=', id))!;
    return { ...row, name: spec.name, artist: spec.artist, library: libraryId };
  };
  let trackCounter = 0;
  const track = (spec: TrackSpec): Row => {
    const number = spec.number ?? ++trackCounter;
    const id = trackId({
      mbzTrackId: null,
      albumId: spec.album.id,
      discNumber: 1,
      trackNumber: number,
      title: spec.title,
    });
    const artists = (spec.artists ?? [spec.album.artist]).map((name) => artist(name, spec.album.library));
    const folder_id = folder(spec.album.library, `${spec.album.artist}/${spec.album.name}`);
    db.run(
      q.insertInto('track').values(
        trackRow(
          {
            id,
            library_id: spec.album.library,
            folder_id,
            path: `${spec.album.artist}/${spec.album.name}/${number} - ${spec.title}.flac`,
            title: spec.title,
            order_title: orderName(spec.title),
            album_id: spec.album.id,
            album_name: spec.album.name,
            artist_id: artists[0]!.id,
            artist_name: (spec.artists ?? [spec.album.artist]).join(', '),
            album_artist_name: spec.album.artist,
            track_number: number,
            genre: spec.genres?.join('; ') ?? null,
          },
          NOW,
        ),
      ),
    );
    artists.forEach((a, position) => {
      db.run(
        q
          .insertInto('track_artist')
          .values({ track_id: id, artist_id: a.id, role: 'artist', sub_role: '', position }),
      );
    });
    (spec.composers ?? []).forEach((name, position) => {
      const composer = artist(name, spec.album.library);
      db.run(
        q
          .insertInto('track_artist')
          .values({ track_id: id, artist_id: composer.id, role: 'composer', sub_role: '', position }),
      );
    });
    (spec.genres ?? []).forEach((name, position) => {
      db.run(q.insertInto('track_genre').values({ track_id: id, genre_id: genre(name), position }));
    });
    return db.first(q.selectFrom('track').select(['pk', 'id']).where('id', '=', id))!;
  };
  return { db, reader: new CatalogReader(db), library, artist, album, track };
}

// ---------------------------------------------------------------------------------------------------

describe('search over a small catalog', () => {
  let c: Catalog;
  let db: Database;
  let reader: CatalogReader;
  const t: Record<string, Row> = {};
  const al: Record<string, AlbumRef> = {};
  const ar: Record<string, Row> = {};

  before(async () => {
    c = await freshDatabase();
    db = c.db;
    reader = c.reader;
    db.transaction(() => {
      al.dangerously = c.album({
        name: 'Dangerously in Love',
        artist: 'Beyoncé',
        genres: ['R&B'],
        year: 2003,
      });
      t.crazy = c.track({ title: 'Crazy in Love', album: al.dangerously, genres: ['R&B'] });
      t.dejaVu = c.track({ title: 'Déjà Vu', album: al.dangerously, genres: ['R&B'] });
      al.tribute = c.album({ name: 'Halo Covers', artist: 'Beyonce Tribute Band' });
      t.halo = c.track({ title: 'Halo', album: al.tribute });

      al.okComputer = c.album({
        name: 'OK Computer',
        artist: 'Radiohead',
        genres: ['Alternative'],
        year: 1997,
      });
      t.paranoid = c.track({ title: 'Paranoid Android', album: al.okComputer, genres: ['Alternative'] });
      t.karma = c.track({ title: 'Karma Police', album: al.okComputer, genres: ['Alternative'] });

      al.tokyo = c.album({ name: 'ネオン街', artist: '宇多田ヒカル', genres: ['J-Pop'] });
      t.tokyo = c.track({ title: '東京の夜 3', album: al.tokyo, genres: ['J-Pop'] });
      t.sakura = c.track({ title: 'さくらんぼ', album: al.tokyo, genres: ['J-Pop'] });
      al.seoul = c.album({ name: '서울의 밤', artist: '아이유', genres: ['K-Pop'] });
      t.seoul = c.track({ title: '좋은 날', album: al.seoul, genres: ['K-Pop'] });

      // "Lucky" appears once as an album name (inserted first) and once as a title.
      al.lucky = c.album({ name: 'Lucky Day', artist: 'Nobody Known' });
      t.albumOnly = c.track({ title: 'Something Else', album: al.lucky });
      al.other = c.album({ name: 'Other Things', artist: 'Somebody Else' });
      t.titleMatch = c.track({ title: 'Lucky', album: al.other });
      // Same album and artist, same title length: only the exact word decides.
      t.lovely = c.track({ title: 'Lovely', album: al.other });
      t.love = c.track({ title: 'Love', album: al.other });

      al.goldberg = c.album({ name: 'Goldberg Variations', artist: 'Glenn Gould', genres: ['Classical'] });
      t.aria = c.track({
        title: 'Aria',
        album: al.goldberg,
        composers: ['Johann Sebastian Bach'],
        genres: ['Classical'],
      });
      al.loveless = c.album({ name: 'Loveless', artist: 'My Bloody Valentine', genres: ['Shoegaze'] });
      t.soon = c.track({ title: 'Soon', album: al.loveless, genres: ['Shoegaze'] });
      al.nordic = c.album({ name: 'Melody A.M.', artist: 'Røyksopp', genres: ['Electronic'] });
      t.eple = c.track({ title: 'Eple', album: al.nordic, artists: ['Røyksopp', 'Mötley Crüe'] });
      t.strasse = c.track({ title: 'Straße der Sehnsucht', album: al.nordic });
      t.dont = c.track({ title: "Don't Stop Me Now", album: al.nordic });

      // Library 2 only.
      al.hidden = c.album({ name: 'Secret Sessions', artist: 'Hidden Player', library: 2, genres: ['Jazz'] });
      t.hidden = c.track({ title: 'Secret Song', album: al.hidden, genres: ['Jazz'] });

      for (const name of ['Beyoncé', 'Beyonce Tribute Band', 'Radiohead', '宇多田ヒカル', 'Hidden Player']) {
        ar[name] = c.artist(name);
      }
    });
    rebuildSearchIndex(db);
  });

  it('ignores diacritics in both directions', () => {
    assert.deepEqual(searchArtists(reader, 'beyonce'), [ar['Beyoncé']!.id, ar['Beyonce Tribute Band']!.id]);
    const accented = searchArtists(reader, 'Beyoncé');
    assert.ok(accented.includes(ar['Beyonce Tribute Band']!.id), 'accented query finds unaccented text');
    assert.ok(accented.includes(ar['Beyoncé']!.id));
    assert.deepEqual(searchTracks(reader, 'deja vu'), [t.dejaVu!.id]);
    assert.deepEqual(searchTracks(reader, 'DÉJÀ'), [t.dejaVu!.id]);
  });

  it('folds letters unicode61 keeps, apostrophes and full-width forms', () => {
    assert.ok(searchTracks(reader, 'royksopp').includes(t.eple!.id));
    assert.deepEqual(searchTracks(reader, 'motley crue'), [t.eple!.id]);
    assert.deepEqual(searchTracks(reader, 'strasse'), [t.strasse!.id]);
    assert.deepEqual(searchTracks(reader, 'dont stop'), [t.dont!.id]);
    assert.deepEqual(searchTracks(reader, "don't"), [t.dont!.id]);
    assert.deepEqual(searchTracks(reader, 'Ｋａｒｍａ'), [t.karma!.id]);
  });

  it('matches prefixes of words', () => {
    assert.deepEqual(searchArtists(reader, 'radioh'), [ar['Radiohead']!.id]);
    assert.deepEqual(searchAlbums(reader, 'radioh'), [al.okComputer!.id]);
    assert.deepEqual(new Set(searchTracks(reader, 'radioh')), new Set([t.paranoid!.id, t.karma!.id]));
    assert.deepEqual(searchTracks(reader, 'para andr'), [t.paranoid!.id]);
    // Every word must match.
    assert.deepEqual(searchTracks(reader, 'paranoid police'), []);
  });

  it('treats a single letter as a whole word, not a prefix', () => {
    assert.deepEqual(searchTracks(reader, 'k'), [t.seoul!.id], 'the genre K-Pop, not Karma Police');
    assert.deepEqual(searchAlbums(reader, 'melody a'), [al.nordic!.id]);
  });

  it('finds substrings of Japanese and Korean text', () => {
    assert.deepEqual(searchTracks(reader, '東京'), [t.tokyo!.id]);
    assert.deepEqual(searchTracks(reader, 'の夜'), [t.tokyo!.id]);
    assert.deepEqual(searchTracks(reader, '東京の夜 3'), [t.tokyo!.id]);
    assert.deepEqual(searchTracks(reader, '夜東'), [], 'characters must be adjacent and in order');
    assert.deepEqual(searchTracks(reader, 'さくら'), [t.sakura!.id]);
    assert.deepEqual(searchArtists(reader, 'ヒカル'), [ar['宇多田ヒカル']!.id]);
    assert.deepEqual(searchArtists(reader, 'ﾋｶﾙ'), [ar['宇多田ヒカル']!.id], 'half-width katakana');
    assert.deepEqual(searchAlbums(reader, '서울'), [al.seoul!.id]);
    assert.deepEqual(searchAlbums(reader, '울의'), [al.seoul!.id]);
    assert.deepEqual(searchTracks(reader, '좋은'), [t.seoul!.id]);
    assert.deepEqual(new Set(searchTracks(reader, '네온')), new Set(), 'Hangul is not katakana');
    assert.deepEqual(
      new Set(searchTracks(reader, 'ネオン')),
      new Set([t.tokyo!.id, t.sakura!.id]),
      'album name',
    );
  });

  it('ranks a title match above an album-name match, and an exact word above a longer one', () => {
    assert.deepEqual(searchTracks(reader, 'lucky'), [t.titleMatch!.id, t.albumOnly!.id]);
    // Whole word in the title, then the title word again (longer row), then a title prefix, then album
    // names only (equal scores: in pk order).
    assert.deepEqual(searchTracks(reader, 'love'), [
      t.love!.id,
      t.crazy!.id,
      t.lovely!.id,
      t.dejaVu!.id,
      t.soon!.id,
    ]);
    // The library-filtered statement ranks the same way.
    assert.deepEqual(searchTracks(reader, 'love', { libraryIds: [1] }), searchTracks(reader, 'love'));
    assert.deepEqual(searchArtists(reader, 'radiohead'), [ar['Radiohead']!.id]);
    assert.deepEqual(searchAlbums(reader, 'love'), [al.dangerously!.id, al.loveless!.id]);
  });

  it('searches composers and genres', () => {
    assert.deepEqual(searchTracks(reader, 'bach'), [t.aria!.id]);
    assert.deepEqual(searchTracks(reader, 'johann sebastian'), [t.aria!.id]);
    assert.deepEqual(searchTracks(reader, 'shoegaze'), [t.soon!.id]);
    assert.deepEqual(searchAlbums(reader, 'shoegaze'), [al.loveless!.id]);
    assert.deepEqual(searchAlbums(reader, '1997'), [al.okComputer!.id]);
    assert.deepEqual(searchTracks(reader, 'glenn gould'), [t.aria!.id], 'album artist');
  });

  it('filters by library', () => {
    assert.deepEqual(searchTracks(reader, 'secret'), [t.hidden!.id]);
    assert.deepEqual(searchTracks(reader, 'secret', { libraryIds: [1] }), []);
    assert.deepEqual(searchTracks(reader, 'secret', { libraryIds: [2] }), [t.hidden!.id]);
    assert.deepEqual(searchTracks(reader, 'secret', { libraryIds: [1, 2] }), [t.hidden!.id]);
    assert.deepEqual(searchTracks(reader, 'secret', { libraryIds: [] }), []);
    assert.deepEqual(searchTracks(reader, 'radiohead', { libraryIds: [2] }), []);
    assert.equal(searchTracks(reader, 'radiohead', { libraryIds: [1] }).length, 2);
    assert.deepEqual(searchAlbums(reader, 'secret', { libraryIds: [1] }), []);
    assert.deepEqual(searchAlbums(reader, 'secret', { libraryIds: [2] }), [al.hidden!.id]);
    assert.deepEqual(searchArtists(reader, 'hidden', { libraryIds: [1] }), []);
    assert.deepEqual(searchArtists(reader, 'hidden', { libraryIds: [2] }), [ar['Hidden Player']!.id]);
    assert.deepEqual(searchArtists(reader, 'hidden'), [ar['Hidden Player']!.id]);
  });

  it('never lets user input through as FTS5 syntax', () => {
    const hostile = [
      '"',
      '""',
      "'",
      'AND',
      'OR',
      'NOT',
      'a AND',
      'OR b',
      '(',
      ')',
      '((',
      '*',
      '**',
      'NEAR(',
      'NEAR(a b, 2)',
      'a:b',
      'title:x',
      '{title}: love',
      '-x',
      '- love',
      '+',
      '^',
      '^love',
      '.',
      '...',
      '!?',
      '\\',
      '%',
      '_',
      '😀',
      '😀😀 🎵',
      '\u0000',
      '\u200b',
      '\u0301',
      '"love',
      'love"',
      'love*',
      'lo*ve',
      'NOT love',
      'love NOT',
      'x'.repeat(5000),
      'a '.repeat(500),
      '東"京',
      '🎵 東京 🎵',
    ];
    for (const query of hostile) {
      for (const search of [searchTracks, searchAlbums, searchArtists]) {
        assert.doesNotThrow(() => search(reader, query), `query ${JSON.stringify(query.slice(0, 40))}`);
      }
    }
    for (const punctuation of ['"', '(', ')', '*', '-', ':', '!?', '😀', '   ', '', '\u0301']) {
      assert.equal(buildMatchExpression(punctuation), undefined);
      assert.deepEqual(searchTracks(reader, punctuation), []);
    }
    // Operators are words like any other.
    assert.deepEqual(searchTracks(reader, 'NOT'), []);
    assert.deepEqual(searchTracks(reader, '"love'), searchTracks(reader, 'love'));
    assert.deepEqual(searchTracks(reader, '-love'), searchTracks(reader, 'love'));
    assert.deepEqual(searchTracks(reader, 'paranoid AND'), [t.paranoid!.id]);
  });

  it('survives random input', () => {
    const alphabet = [
      '"',
      "'",
      '(',
      ')',
      '*',
      '-',
      '+',
      ':',
      '^',
      '{',
      '}',
      ',',
      ' ',
      'AND',
      'OR',
      'NOT',
      'NEAR',
      'a',
      'é',
      '東',
      'ｶ',
      '😀',
      '\u0301',
      '\\',
      'love',
      'x',
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 500; i++) {
      const query = Array.from(
        { length: 1 + Math.floor(random() * 8) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
      assert.doesNotThrow(() => searchTracks(reader, query), `query ${JSON.stringify(query)}`);
    }
  });

  it('corrects a misspelt word when nothing matches', () => {
    assert.deepEqual(searchArtists(reader, 'radiohaed'), [ar['Radiohead']!.id]);
    assert.deepEqual(searchArtists(reader, 'radoihead'), [ar['Radiohead']!.id]);
    assert.deepEqual(new Set(searchTracks(reader, 'paranoud android')), new Set([t.paranoid!.id]));
    assert.deepEqual(searchAlbums(reader, 'computr'), [al.okComputer!.id]);
    // Too far from anything, or too short to guess.
    assert.deepEqual(searchArtists(reader, 'radiozzzzz'), []);
    assert.deepEqual(searchTracks(reader, 'kxrma'), [t.karma!.id]);
    assert.deepEqual(searchTracks(reader, 'kxr'), [], 'words under four letters are not corrected');
    assert.deepEqual(searchTracks(reader, 'kxrmx'), [], 'two edits allowed only from eight letters');
  });

  it('pages without overlap', () => {
    const all = searchTracks(reader, 'love', { limit: 50 });
    assert.ok(all.length >= 4);
    const paged = [0, 1, 2, 3, 4, 5].flatMap((page) =>
      searchTracks(reader, 'love', { offset: page * 2, limit: 2 }),
    );
    assert.deepEqual(paged, all);
    const filtered = [0, 1, 2, 3, 4, 5].flatMap((page) =>
      searchTracks(reader, 'love', { offset: page * 2, limit: 2, libraryIds: [1] }),
    );
    assert.deepEqual(filtered, all);
    assert.deepEqual(searchTracks(reader, 'love', { offset: 100 }), []);
    assert.deepEqual(searchTracks(reader, 'love', { limit: 0 }), []);
  });

  it('returns nothing for blank input', () => {
    assert.deepEqual(searchTracks(reader, ''), []);
    assert.deepEqual(searchAlbums(reader, '   '), []);
    assert.deepEqual(searchArtists(reader, '\t\n'), []);
  });
});

describe('broad queries', () => {
  it('pages through more hits than are kept ranked, in one order, each hit once', async () => {
    const c = await freshDatabase();
    const titled = c.album({ name: 'Everyday Things', artist: 'Plenty' });
    const named = c.album({ name: 'Common Ground', artist: 'Elsewhere' });
    c.db.transaction(() => {
      // 1,150 title hits (more than the 1,000 kept per query), then 60 album-name hits (the second tier).
      for (let index = 0; index < 1_150; index++)
        c.track({ title: `Common Song ${index % 7 === 0 ? 'Extra Words ' : ''}${index}`, album: titled });
      for (let index = 0; index < 60; index++) c.track({ title: `Other ${index}`, album: named });
    });
    rebuildSearchIndex(c.db);
    const whole = searchTracks(c.reader, 'common', { limit: 5_000 });
    assert.equal(whole.length, 1_210);
    assert.equal(new Set(whole).size, 1_210);
    const paged: string[] = [];
    for (let offset = 0; offset < 1_300; offset += 97)
      paged.push(...searchTracks(c.reader, 'common', { offset, limit: 97 }));
    assert.deepEqual(paged, whole);
    // Asked again (now from the kept ranking), the same pages.
    assert.deepEqual(searchTracks(c.reader, 'common', { offset: 970, limit: 97 }), whole.slice(970, 1_067));
    assert.deepEqual(searchTracks(c.reader, 'common', { offset: 1_200, limit: 97 }), whole.slice(1_200));
  });
});

describe('keeping the index in step with the catalog', () => {
  it('reindexes a changed title', async () => {
    const c = await freshDatabase();
    const album = c.album({ name: 'First Album', artist: 'Portishead' });
    const track = c.track({ title: 'Sour Times', album });
    reindex(c.db, { trackPks: [track.pk], albumPks: [album.pk], artistPks: [c.artist('Portishead').pk] });
    assert.deepEqual(searchTracks(c.reader, 'sour'), [track.id]);

    c.db.run(c.db.kysely.updateTable('track').set({ title: 'Glory Box' }).where('pk', '=', track.pk));
    assert.deepEqual(searchTracks(c.reader, 'glory'), [], 'the index only changes through reindex');
    c.db.transaction(() => reindex(c.db, { trackPks: [track.pk] }));
    assert.deepEqual(searchTracks(c.reader, 'glory box'), [track.id]);
    assert.deepEqual(searchTracks(c.reader, 'sour'), []);
    assert.deepEqual(searchTracks(c.reader, 'portishead'), [track.id], 'the other columns are still indexed');
  });

  it('drops deleted rows', async () => {
    const c = await freshDatabase();
    const album = c.album({ name: 'Mezzanine', artist: 'Massive Attack' });
    const track = c.track({ title: 'Teardrop', album });
    const artist = c.artist('Massive Attack');
    reindex(c.db, { trackPks: [track.pk], albumPks: [album.pk], artistPks: [artist.pk] });
    assert.deepEqual(searchTracks(c.reader, 'teardrop'), [track.id]);
    assert.deepEqual(searchAlbums(c.reader, 'mezzanine'), [album.id]);

    const q = c.db.kysely;
    c.db.transaction(() => {
      c.db.run(q.deleteFrom('track').where('pk', '=', track.pk));
      c.db.run(q.deleteFrom('album').where('pk', '=', album.pk));
      c.db.run(q.deleteFrom('library_artist').where('artist_id', '=', artist.id));
      c.db.run(q.deleteFrom('artist').where('pk', '=', artist.pk));
      reindex(c.db, { trackPks: [track.pk], albumPks: [album.pk], artistPks: [artist.pk] });
    });
    assert.deepEqual(searchTracks(c.reader, 'teardrop'), []);
    assert.deepEqual(searchAlbums(c.reader, 'mezzanine'), []);
    assert.deepEqual(searchArtists(c.reader, 'massive'), []);
    const remaining = c.db.sqlite.prepare('SELECT count(*) AS n FROM search_track').get() as { n: number };
    assert.equal(remaining.n, 0);
  });

  it('learns new words for typo correction after a reindex', async () => {
    const c = await freshDatabase();
    const first = c.album({ name: 'Dummy', artist: 'Portishead' });
    reindex(c.db, { albumPks: [first.pk] });
    assert.deepEqual(searchAlbums(c.reader, 'portishaed'), [first.id]);
    assert.deepEqual(
      searchAlbums(c.reader, 'tricky maxinquaye'),
      [],
      'loads the vocabulary before the change',
    );
    const second = c.album({ name: 'Maxinquaye', artist: 'Tricky' });
    reindex(c.db, { albumPks: [second.pk] });
    assert.deepEqual(searchAlbums(c.reader, 'tricky maxinqauye'), [second.id]);
  });

  it('rebuilds the whole index when its version changes or a table is missing', async () => {
    const c = await freshDatabase();
    const album = c.album({ name: 'Blue Lines', artist: 'Massive Attack' });
    const track = c.track({ title: 'Unfinished Sympathy', album });
    assert.deepEqual(searchTracks(c.reader, 'unfinished'), [], 'written without reindex');

    ensureSearchIndex(c.db);
    assert.deepEqual(searchTracks(c.reader, 'unfinished'), [], 'same version: nothing to do');

    const q = c.db.kysely;
    c.db.run(
      q
        .updateTable('setting')
        .set({ value: String(SEARCH_INDEX_VERSION - 1) })
        .where('key', '=', 'search.version'),
    );
    ensureSearchIndex(c.db);
    assert.deepEqual(searchTracks(c.reader, 'unfinished'), [track.id]);
    assert.deepEqual(searchAlbums(c.reader, 'blue lines'), [album.id]);
    const version = c.db.first(q.selectFrom('setting').select('value').where('key', '=', 'search.version'));
    assert.equal(version?.value, String(SEARCH_INDEX_VERSION));

    const later = c.track({ title: 'Safe From Harm', album });
    c.db.sqlite.exec('DROP TABLE search_artist_vocab; DROP TABLE search_artist');
    ensureSearchIndex(c.db);
    assert.deepEqual(searchArtists(c.reader, 'massive'), [c.artist('Massive Attack').id]);
    assert.deepEqual(searchTracks(c.reader, 'harm'), [later.id]);
  });
});

describe('editDistance', () => {
  const d = (a: string, b: string, max = 3) => editDistance([...a], [...b], max);
  it('counts edits and adjacent transpositions', () => {
    assert.equal(d('radiohead', 'radiohead'), 0);
    assert.equal(d('radiohaed', 'radiohead'), 1);
    assert.equal(d('radiohed', 'radiohead'), 1);
    assert.equal(d('kitten', 'sitting'), 3);
    assert.equal(d('kitten', 'sitting', 2), undefined);
    assert.equal(d('café', 'cafe'), 1);
    assert.equal(d('', 'abc'), 3);
  });
});
