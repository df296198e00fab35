// A synthetic catalog database for benchmarks: rows are generated directly (no audio), deterministically
// from a seeded PRNG, with names drawn from pools that mix plain English, accented Latin, Japanese and
// Korean so search, sorting and collation work on realistic text. Every NOT NULL column gets a sensible
// value and IDs come from the real identity helpers, so other benchmarks can reuse the same database.
import fs from 'node:fs';
import path from 'node:path';
import { ensureSearchIndex } from '../src/catalog/search.ts';
import { Database } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { albumId, artistId, folderId, genreId, orderName, trackId } from '../src/music/identity.ts';

/** Bump when the generated data changes, so cached benchmark databases are rebuilt. */
export const SYNTHETIC_VERSION = 3;
const VERSION_KEY = 'bench.synthetic';
const ARTICLES = ['The', 'El', 'La', 'Le', 'Les', 'Los', 'Die'];

export interface SyntheticOptions {
  tracks?: number;
  seed?: number;
}

export interface SyntheticSummary {
  artists: number;
  albums: number;
  tracks: number;
  genres: number;
  libraries: number;
}

const ENGLISH = (
  'love night day heart fire rain river city light dark blue red gold silver dream dreams road home ' +
  'summer winter autumn spring morning evening midnight star stars moon sun sky ocean sea wave waves ' +
  'shadow shadows ghost ghosts angel angels devil heaven world worlds time lost found broken wild free ' +
  'young old new last first little big high low long slow fast electric velvet glass stone iron paper ' +
  'garden forest mountain valley desert island bridge tower window door street avenue highway station ' +
  'train radio television machine engine signal echo echoes song songs dance dancing runner running ' +
  'falling rising burning frozen golden hollow empty open secret silent quiet loud sweet bitter honey ' +
  'sugar salt smoke mirror mirrors memory memories letter letters promise promises story stories ' +
  'kingdom empire revolution satellite paradise horizon distance gravity thunder lightning storm ' +
  'weather season seasons harbor lantern candle crystal diamond velvet feather wolf wolves tiger ' +
  'lion eagle raven sparrow horse butterfly orchid rose roses lily violet cherry apple orange lemon ' +
  'coffee whiskey wine champagne cigarette telephone postcard photograph cinema theatre carnival ' +
  'circus parade party holiday weekend tonight tomorrow yesterday forever never always maybe ' +
  'nothing everything somebody nobody anybody someone stranger strangers lover lovers friend friends ' +
  'brother sister mother father daughter children baby girl boy man woman king queen prince princess ' +
  'soldier sailor pilot doctor teacher preacher gambler hunter dreamer drifter wanderer outsider ' +
  'machine circuit neon chrome static vinyl cassette analog digital quantum atomic cosmic stellar ' +
  'lunar solar polar tropical northern southern eastern western modern ancient future past present'
).split(' ');

const ACCENTED = (
  'café été déjà vu naïve façade garçon señor señorita niño corazón canción mañana noche día ' +
  'über schön müde grüße straße fräulein mädchen öl åsa ångström smörgåsbord fjäril sjö ' +
  'coração ação saudade você são paixão ciência crème brûlée élan élégie rêve rêverie fête ' +
  'naïveté cœur sœur château forêt hôtel île ça où pêche lumière étoile fenêtre mélodie ' +
  'zoë chloé renée andré josé maría ramón ignacio łódź kraków dvořák žluťoučký čaj ' +
  'ísland reykjavík þögn jökull sigurrós ǫ'
).split(' ');

const JAPANESE = (
  '東京 大阪 京都 夜 朝 昼 夢 愛 恋 桜 雨 雪 風 空 海 星 月 光 影 心 涙 笑顔 未来 過去 ' +
  '約束 永遠 花火 夏祭り 青春 少年 少女 さくら ありがとう さよなら こんにちは おやすみ ' +
  'ひかり きみ ぼく わたし あなた ラブ メロディー ダンス ドリーム ロック ポップ ' +
  'ミュージック ストーリー ハート スター トーキョー シティ ナイト 東京の夜 夜明け 帰り道 ' +
  '一番星 虹 嵐 宇宙 銀河 記憶 奇跡 旅 駅 電車 街 道 歌 声'
).split(' ');

const KOREAN = (
  '사랑 서울 밤 낮 꿈 하늘 별 바다 달 해 바람 비 눈 노래 마음 눈물 미소 기억 약속 ' +
  '영원 시간 우리 너 나 그대 안녕 고마워 사랑해 봄 여름 가을 겨울 첫사랑 이별 ' +
  '청춘 소년 소녀 빛 그림자 거리 도시 기차 편지 선물 꽃 나비'
).split(' ');

const FIRST_NAMES = (
  'John Paul George Ringo Mary Anna Maria Sofia Lucas Noah Emma Olivia Liam Mia Léa Zoë Chloé ' +
  'Renée André José Ramón Björk Sigríður Jürgen Jörg Søren Åsa Mónica Inés Beyoncé Céline Amélie ' +
  'Thom Jonny Ed Colin Phil Kate Tori Joni Nina Aretha Otis Marvin Stevie Prince Bruce Patti ' +
  'Kenji Yuki Hiroshi Akira Ayumi Hikaru Minho Jisoo Jennie Taeyang Seojun Haeun'
).split(' ');

const LAST_NAMES = (
  'Smith Johnson Williams Brown Jones Miller Davis García Rodríguez Martínez Hernández López ' +
  'González Müller Schmidt Schröder Weiß Dvořák Novák Łukasz Nowak Kowalski Søndergaard Ångström ' +
  'Björnsson Guðmundsson Dupont Lefèvre Mercier Fontaine Rossi Russo Bianchi Ferrari Costa Silva ' +
  'Santos Pereira Oliveira Tanaka Suzuki Takahashi Watanabe Yamamoto Nakamura Kim Lee Park Choi ' +
  'Jung Kang Cho Yoon Jang Lim'
).split(' ');

const JAPANESE_NAMES =
  '宇多田ヒカル 椎名林檎 坂本龍一 久石譲 美空ひばり 山下達郎 竹内まりや 中島みゆき'.split(' ');
const KOREAN_NAMES = '아이유 방탄소년단 빅뱅 소녀시대 블랙핑크 트와이스 레드벨벳 세븐틴'.split(' ');

const GENRES = (
  'Rock|Pop|Jazz|Blues|Classical|Electronic|Hip-Hop|R&B|Soul|Funk|Reggae|Country|Folk|Metal|' +
  'Punk|Indie|Alternative|Ambient|Techno|House|Drum & Bass|Dubstep|Trance|Disco|Gospel|Latin|' +
  'Bossa Nova|Samba|Flamenco|Chanson|Schlager|J-Pop|K-Pop|City Pop|Shoegaze|Post-Rock|Trip-Hop|' +
  'Soundtrack|Musique concrète|Música Popular Brasileira'
).split('|');

const ALBUM_VERSIONS = ['Deluxe Edition', 'Remastered', 'Live', 'Expanded Edition'];

/** mulberry32: small, fast and good enough for picking names. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Picker {
  random: () => number;
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

function picker(seed: number): Picker {
  const random = prng(seed);
  return {
    random,
    int: (max) => Math.floor(random() * max),
    pick: (items) => items[Math.floor(random() * items.length)]!,
    chance: (p) => random() < p,
  };
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** A title of one to four words; mostly English, sometimes accented, Japanese or Korean. */
function title(p: Picker): string {
  const roll = p.random();
  if (roll < 0.08) {
    const words = Array.from({ length: 1 + p.int(3) }, () => p.pick(JAPANESE));
    return words.join(p.chance(0.3) ? ' ' : '') + (p.chance(0.2) ? ` ${1 + p.int(9)}` : '');
  }
  if (roll < 0.14) return Array.from({ length: 1 + p.int(3) }, () => p.pick(KOREAN)).join(' ');
  const pool = roll < 0.3 ? ACCENTED : ENGLISH;
  const words = Array.from({ length: 1 + p.int(4) }, () => p.pick(p.chance(0.85) ? pool : ENGLISH));
  let text = words.map(capitalize).join(' ');
  if (p.chance(0.1)) text = `The ${text}`;
  if (p.chance(0.05)) text += ` (Part ${1 + p.int(3)})`;
  if (p.chance(0.04)) text += ` (feat. ${p.pick(FIRST_NAMES)})`;
  return text;
}

function artistName(p: Picker): string {
  const roll = p.random();
  if (roll < 0.35) return `${p.pick(FIRST_NAMES)} ${p.pick(LAST_NAMES)}`;
  if (roll < 0.5) return `The ${capitalize(p.pick(ENGLISH))} ${capitalize(p.pick(ENGLISH))}s`;
  if (roll < 0.62) return capitalize(p.pick(ENGLISH)) + p.pick(ENGLISH);
  if (roll < 0.72) return `${capitalize(p.pick(ACCENTED))} ${capitalize(p.pick(ENGLISH))}`;
  if (roll < 0.8) return p.pick(JAPANESE_NAMES) + (p.chance(0.7) ? p.pick(JAPANESE) : '');
  if (roll < 0.86) return p.pick(KOREAN_NAMES) + (p.chance(0.7) ? ` ${p.pick(KOREAN)}` : '');
  if (roll < 0.93) return `${p.pick(FIRST_NAMES)} & the ${capitalize(p.pick(ENGLISH))}s`;
  return `${capitalize(p.pick(ENGLISH))} ${capitalize(p.pick(ENGLISH))}`;
}

function sortName(name: string): string {
  for (const article of ARTICLES) {
    if (name.startsWith(`${article} `)) return `${name.slice(article.length + 1)}, ${article}`;
  }
  return name;
}

/** Keeps only characters that are safe in a file name on every platform. */
function fileName(text: string): string {
  return text.replace(/[/\\:*?"<>|]/g, '_');
}

/**
 * Creates (overwriting) and migrates `file`, fills it with a synthetic catalog of `tracks` tracks
 * (about 10 per album, 2 albums per artist), builds the search index and returns the row counts.
 */
export async function buildSyntheticDatabase(
  file: string,
  { tracks = 100_000, seed = 20261121 }: SyntheticOptions = {},
): Promise<SyntheticSummary> {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = Database.open(file);
  try {
    await migrateToLatest(db);
    const summary = db.transaction(() => fill(db, tracks, seed));
    ensureSearchIndex(db);
    db.sqlite.exec('ANALYZE');
    db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    return summary;
  } finally {
    await db.close();
  }
}

/**
 * A fresh copy at `file` of the cached synthetic database of `tracks` tracks (built beside it first when
 * missing or stale), opened. A benchmark reads what its load needs from it, closes it and hands the file
 * to a server, which migrates it and adds users: the cached database stays as built.
 */
export async function syntheticCopy(file: string, tracks: number): Promise<Database> {
  const source = path.join(path.dirname(file), `synthetic-${tracks}.db`);
  if (!isSyntheticDatabase(source, tracks)) await buildSyntheticDatabase(source, { tracks });
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  const original = Database.open(source);
  try {
    original.backupTo(file);
  } finally {
    await original.close();
  }
  return Database.open(file);
}

/** Whether `file` holds a synthetic database made by this generator version with that many tracks. */
export function isSyntheticDatabase(file: string, tracks: number): boolean {
  if (!fs.existsSync(file)) return false;
  const db = Database.open(file, { readonly: true });
  try {
    const row = db.sqlite.prepare('SELECT value FROM setting WHERE key = ?').get(VERSION_KEY) as
      | { value: string }
      | undefined;
    return row?.value === `${SYNTHETIC_VERSION}:${tracks}`;
  } catch {
    return false;
  } finally {
    db.sqlite.close();
  }
}

interface ArtistRecord {
  id: string;
  name: string;
  albums: number;
  songs: number;
  roles: Set<string>;
  libraries: Set<number>;
}

function fill(db: Database, trackCount: number, seed: number): SyntheticSummary {
  const p = picker(seed);
  const now = Date.UTC(2026, 10, 21);
  // Checked at commit instead of per statement, so rows can go in the order their counts are known.
  db.sqlite.pragma('defer_foreign_keys = ON');
  const s = (sqlText: string) => db.sqlite.prepare(sqlText);

  const libraries = [
    { id: 1, name: 'Music', path: '/music' },
    { id: 2, name: 'Audiobooks & Extras', path: '/extras' },
  ];
  const insertLibrary = s(
    'INSERT INTO library (id, name, path, created_at, last_scan_at) VALUES (?, ?, ?, ?, ?)',
  );
  for (const library of libraries) insertLibrary.run(library.id, library.name, library.path, now, now);

  const genreIds = GENRES.map((name) => genreId(name));
  const genreSongs = new Map<string, number>();
  const genreAlbums = new Map<string, number>();
  const insertGenre = s('INSERT INTO genre (id, name, song_count, album_count) VALUES (?, ?, ?, ?)');

  // Artists: unique by normalised name, as the scanner would group them.
  const albumCount = Math.max(1, Math.ceil(trackCount / 10));
  const artistTarget = Math.max(2, Math.ceil(albumCount / 2));
  const artists: ArtistRecord[] = [];
  const byId = new Map<string, ArtistRecord>();
  const addArtist = (name: string): ArtistRecord => {
    const id = artistId(name);
    let record = byId.get(id);
    if (!record) {
      record = { id, name, albums: 0, songs: 0, roles: new Set(), libraries: new Set() };
      byId.set(id, record);
      artists.push(record);
    }
    return record;
  };
  const various = addArtist('Various Artists');
  for (let attempts = 0; artists.length < artistTarget + 1 && attempts < artistTarget * 20; attempts++) {
    let name = artistName(p);
    if (byId.has(artistId(name))) name = `${name} ${capitalize(p.pick(ENGLISH))}`;
    addArtist(name);
  }
  const performers = artists.slice(1);
  // Composers are artists too; a few hundred write most of the music.
  const composers = Array.from({ length: Math.max(1, Math.ceil(artistTarget / 15)) }, () =>
    addArtist(`${p.pick(FIRST_NAMES)} ${p.pick(LAST_NAMES)}`),
  );

  const insertFolder = s(
    'INSERT INTO folder (id, library_id, parent_id, path, name, mtime, images, track_count, updated_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertAlbum = s(
    'INSERT INTO album (id, name, sort_name, order_name, version, artist_id, artist_name, order_artist_name, ' +
      'compilation, year, date, original_date, genre, song_count, disc_count, duration, size, cover_library_id, ' +
      'cover_path, folder_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertAlbumArtist = s('INSERT INTO album_artist (album_id, artist_id, position) VALUES (?, ?, ?)');
  const insertAlbumGenre = s('INSERT INTO album_genre (album_id, genre_id, position) VALUES (?, ?, ?)');
  const insertLibraryAlbum = s('INSERT INTO library_album (library_id, album_id) VALUES (?, ?)');
  const insertTrack = s(
    'INSERT INTO track (id, library_id, folder_id, path, file_size, file_mtime, suffix, content_type, title, ' +
      'sort_title, order_title, album_id, album_name, artist_id, artist_name, album_artist_name, track_number, ' +
      'track_total, disc_number, disc_total, year, date, genre, compilation, duration, bitrate, sample_rate, ' +
      'bit_depth, channels, codec, lossless, has_embedded_art, created_at, updated_at) VALUES (' +
      Array.from({ length: 34 }, () => '?').join(', ') +
      ')',
  );
  const insertTrackArtist = s(
    "INSERT INTO track_artist (track_id, artist_id, role, sub_role, position) VALUES (?, ?, ?, '', ?)",
  );
  const insertTrackGenre = s('INSERT INTO track_genre (track_id, genre_id, position) VALUES (?, ?, ?)');

  const folders = new Set<string>();
  const addFolder = (libraryId: number, relative: string, trackTotal: number): string => {
    const id = folderId(libraryId, relative);
    if (!folders.has(id)) {
      folders.add(id);
      // Top-level folders hang under the library's root folder (path ''), as the scanner stores them.
      const parent =
        relative === ''
          ? null
          : folderId(libraryId, relative.includes('/') ? path.posix.dirname(relative) : '');
      if (relative !== '' && !relative.includes('/')) addFolder(libraryId, '', 0);
      insertFolder.run(
        id,
        libraryId,
        parent,
        relative,
        path.posix.basename(relative),
        now,
        '[]',
        trackTotal,
        now,
      );
    }
    return id;
  };

  const albumIds = new Set<string>();
  let made = 0;
  for (let a = 0; a < albumCount; a++) {
    const compilation = p.chance(0.05);
    const albumArtist = compilation ? various : performers[a % performers.length]!;
    const libraryId = p.chance(0.85) ? 1 : 2;
    let name = title(p);
    let version = p.chance(0.06) ? p.pick(ALBUM_VERSIONS) : '';
    let album = albumId({ mbzAlbumId: null, albumArtist: albumArtist.name, albumName: name, version });
    if (albumIds.has(album)) {
      name = `${name} ${a}`;
      version = '';
      album = albumId({ mbzAlbumId: null, albumArtist: albumArtist.name, albumName: name, version });
    }
    albumIds.add(album);
    const year = 1955 + p.int(71);
    const size = Math.min(10, trackCount - made);
    const discs = size >= 10 && p.chance(0.05) ? 2 : 1;
    const albumGenres = [p.pick(genreIds)];
    if (p.chance(0.3)) {
      const second = p.pick(genreIds);
      if (second !== albumGenres[0]) albumGenres.push(second);
    }
    const genreNames = albumGenres.map((g) => GENRES[genreIds.indexOf(g)]!);

    addFolder(libraryId, fileName(albumArtist.name), 0);
    let albumPath = `${fileName(albumArtist.name)}/${fileName(`${year} - ${name}${version ? ` (${version})` : ''}`)}`;
    if (folders.has(folderId(libraryId, albumPath))) albumPath += ` [${a}]`;
    const albumFolder = addFolder(libraryId, albumPath, size);

    let albumDuration = 0;
    let albumSize = 0;
    const rows: unknown[][] = [];
    const links: (() => void)[] = [];
    for (let n = 1; n <= size; n++) {
      const disc = discs === 2 && n > 5 ? 2 : 1;
      const number = discs === 2 && n > 5 ? n - 5 : n;
      const trackTitle = title(p);
      const id = trackId({
        mbzTrackId: null,
        albumId: album,
        discNumber: disc,
        trackNumber: number,
        title: trackTitle,
      });
      const main = compilation ? p.pick(performers) : albumArtist;
      const featured = p.chance(0.12) ? p.pick(performers) : undefined;
      const artistsOfTrack = featured && featured !== main ? [main, featured] : [main];
      const display = artistsOfTrack.map((artist) => artist.name).join(' feat. ');
      const duration = 90 + p.random() * 400;
      const lossless = p.chance(0.6);
      const fileSize = Math.round(duration * (lossless ? 110_000 : 40_000));
      albumDuration += duration;
      albumSize += fileSize;
      const relative = `${albumPath}/${String(n).padStart(2, '0')} - ${fileName(trackTitle)}.${lossless ? 'flac' : 'mp3'}`;
      rows.push([
        id,
        libraryId,
        albumFolder,
        relative,
        fileSize,
        now - p.int(5e10),
        lossless ? 'flac' : 'mp3',
        lossless ? 'audio/flac' : 'audio/mpeg',
        trackTitle,
        sortName(trackTitle),
        orderName(trackTitle, ARTICLES),
        album,
        name,
        main.id,
        display,
        albumArtist.name,
        number,
        discs === 2 ? 5 : size,
        disc,
        discs,
        year,
        String(year),
        genreNames.join('; '),
        compilation ? 1 : 0,
        duration,
        lossless ? 900 + p.int(600) : 320,
        lossless && p.chance(0.2) ? 96000 : 44100,
        lossless ? 16 : null,
        2,
        lossless ? 'flac' : 'mp3',
        lossless ? 1 : 0,
        p.chance(0.5) ? 1 : 0,
        now - p.int(3e10),
        now,
      ]);
      links.push(() => {
        artistsOfTrack.forEach((artist, position) => {
          insertTrackArtist.run(id, artist.id, 'artist', position);
          artist.songs++;
          artist.roles.add('artist');
          artist.libraries.add(libraryId);
        });
        if (p.chance(0.3)) {
          const composer = p.pick(composers);
          insertTrackArtist.run(id, composer.id, 'composer', 0);
          composer.roles.add('composer');
          composer.libraries.add(libraryId);
        }
        albumGenres.forEach((genre, position) => {
          insertTrackGenre.run(id, genre, position);
          genreSongs.set(genre, (genreSongs.get(genre) ?? 0) + 1);
        });
      });
    }
    // The album row comes before its tracks (they reference it); artists and genres come last.
    insertAlbum.run(
      album,
      name,
      sortName(name),
      orderName(name, ARTICLES),
      version,
      albumArtist.id,
      albumArtist.name,
      orderName(albumArtist.name, ARTICLES),
      compilation ? 1 : 0,
      year,
      String(year),
      p.chance(0.2) ? String(year - p.int(10)) : null,
      genreNames.join('; '),
      size,
      discs,
      albumDuration,
      albumSize,
      libraryId,
      `${albumPath}/cover.jpg`,
      folderId(libraryId, albumPath),
      now - p.int(3e10),
      now,
    );
    insertAlbumArtist.run(album, albumArtist.id, 0);
    albumArtist.albums++;
    albumArtist.roles.add('albumartist');
    albumArtist.libraries.add(libraryId);
    albumGenres.forEach((genre, position) => {
      insertAlbumGenre.run(album, genre, position);
      genreAlbums.set(genre, (genreAlbums.get(genre) ?? 0) + 1);
    });
    insertLibraryAlbum.run(libraryId, album);
    for (const row of rows) insertTrack.run(...row);
    for (const link of links) link();
    made += size;
  }

  // Artists and genres are inserted last, when their counts are known (foreign keys are deferred).
  const insertArtist = s(
    'INSERT INTO artist (id, name, sort_name, order_name, album_count, song_count, roles, created_at, updated_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertLibraryArtist = s('INSERT INTO library_artist (library_id, artist_id) VALUES (?, ?)');
  for (const artist of artists) {
    const sort = sortName(artist.name);
    insertArtist.run(
      artist.id,
      artist.name,
      sort,
      orderName(artist.name, ARTICLES),
      artist.albums,
      artist.songs,
      JSON.stringify([...artist.roles].sort()),
      now,
      now,
    );
    for (const libraryId of artist.libraries) insertLibraryArtist.run(libraryId, artist.id);
  }
  GENRES.forEach((name, index) => {
    const id = genreIds[index]!;
    insertGenre.run(id, name, genreSongs.get(id) ?? 0, genreAlbums.get(id) ?? 0);
  });
  db.sqlite
    .prepare('INSERT INTO setting (key, value) VALUES (?, ?)')
    .run(VERSION_KEY, `${SYNTHETIC_VERSION}:${trackCount}`);
  return {
    artists: artists.length,
    albums: albumCount,
    tracks: made,
    genres: GENRES.length,
    libraries: libraries.length,
  };
}
