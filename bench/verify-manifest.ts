// Checks a scanned database against the ground-truth manifest written by gen-library.sh: every track
// with its tags, the albums (multi-disc and compilations), artists, genres and covers, and the broken
// files reported rather than imported. Run: node bench/verify-manifest.ts DATA_DIR LIBRARY_DIR
import fs from 'node:fs';
import path from 'node:path';
import { Database, databaseFile } from '../src/db/database.ts';

interface ManifestRow {
  path: string;
  duration_s: string;
  cover: string;
  title: string;
  artist: string;
  album: string;
  albumartist: string;
  track: string;
  disc: string;
  year: string;
  genre: string;
  compilation: string;
  kind: string;
}

export interface Verification {
  mismatches: string[];
  expected: Record<string, number>;
  actual: Record<string, number>;
}

export function readManifest(file: string): ManifestRow[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const columns = header!.split('\t');
  return lines.map(
    (line) =>
      Object.fromEntries(
        line.split('\t').map((value, index) => [columns[index], value]),
      ) as unknown as ManifestRow,
  );
}

export function verifyAgainstManifest(db: Database, manifestFile: string, libraryDir: string): Verification {
  const rows = readManifest(manifestFile);
  const mismatches: string[] = [];
  const audio = rows.filter((row) => row.kind !== 'broken');
  const broken = rows.filter((row) => row.kind === 'broken').map((row) => row.path);
  const appleDouble = findAppleDouble(libraryDir);

  const albums = new Map<string, { tracks: number; cover: boolean; discs: Set<string> }>();
  const albumArtists = new Set<string>();
  const trackArtists = new Set<string>();
  const genres = new Set<string>();
  const track = db.sqlite.prepare('SELECT * FROM track WHERE path = ?');
  for (const row of audio) {
    const folderAlbum = path.posix.basename(path.posix.dirname(row.path));
    const untagged = row.kind === 'untagged';
    const expected = {
      title: untagged ? path.posix.basename(row.path).replace(/\.[^.]+$/, '') : row.title,
      album: row.album || folderAlbum,
      albumArtist: row.albumartist || row.artist || '_Extras',
      artist: row.artist || '_Extras',
    };
    const key = `${expected.albumArtist}\u0000${expected.album}`;
    const album = albums.get(key) ?? { tracks: 0, cover: false, discs: new Set() };
    album.tracks++;
    album.cover ||= row.cover !== 'none' && row.cover !== '';
    album.discs.add(row.disc || '1');
    albums.set(key, album);
    albumArtists.add(expected.albumArtist);
    for (const name of expected.artist.split(' feat. ')) trackArtists.add(name);
    if (row.genre) genres.add(row.genre);

    const found = track.get(row.path) as Record<string, unknown> | undefined;
    if (!found) {
      mismatches.push(`missing track ${row.path}`);
      continue;
    }
    const check = (field: string, actual: unknown, wanted: unknown) => {
      if (String(actual ?? '') !== String(wanted ?? ''))
        mismatches.push(
          `${row.path}: ${field} is ${JSON.stringify(actual)}, expected ${JSON.stringify(wanted)}`,
        );
    };
    check('title', found.title, expected.title);
    check('artist', found.artist_name, expected.artist);
    check('album', found.album_name, expected.album);
    check('album artist', found.album_artist_name, expected.albumArtist);
    if (row.track) check('track', found.track_number, row.track);
    if (row.disc) check('disc', found.disc_number, row.disc);
    if (row.year) check('year', found.year, row.year);
    if (row.genre) check('genre', found.genre, row.genre);
    check('embedded art', found.has_embedded_art, row.cover === 'embedded' ? 1 : 0);
    if (row.compilation === '1') check('compilation', found.compilation, 1);
    // The generator makes each file exactly this long; Ogg and Opus lengths come from their last page.
    if (row.duration_s && Math.abs(Number(found.duration) - Number(row.duration_s)) > 1)
      mismatches.push(`${row.path}: duration is ${found.duration} s, expected ${row.duration_s} s`);
  }
  for (const file of [...broken, ...appleDouble]) {
    if (track.get(file)) mismatches.push(`broken file imported: ${file}`);
    if (!db.sqlite.prepare('SELECT 1 FROM scan_issue WHERE path = ?').get(file))
      mismatches.push(`broken file not reported: ${file}`);
  }
  const albumRow = db.sqlite.prepare(
    'SELECT song_count, disc_count, cover_path, cover_track_id FROM album WHERE artist_name = ? AND name = ?',
  );
  for (const [key, album] of albums) {
    const [artist, name] = key.split('\u0000');
    const found = albumRow.all(artist, name) as {
      song_count: number;
      disc_count: number;
      cover_path: string | null;
      cover_track_id: string | null;
    }[];
    if (found.length !== 1) {
      mismatches.push(`album ${artist} / ${name}: ${found.length} rows, expected 1`);
      continue;
    }
    const row = found[0]!;
    if (row.song_count !== album.tracks)
      mismatches.push(`album ${artist} / ${name}: ${row.song_count} songs, expected ${album.tracks}`);
    if (row.disc_count !== album.discs.size)
      mismatches.push(`album ${artist} / ${name}: ${row.disc_count} discs, expected ${album.discs.size}`);
    if (Boolean(row.cover_path || row.cover_track_id) !== album.cover)
      mismatches.push(
        `album ${artist} / ${name}: cover ${Boolean(row.cover_path || row.cover_track_id)}, expected ${album.cover}`,
      );
  }
  const count = (sql: string) => db.sqlite.prepare(sql).pluck().get() as number;
  const allArtists = new Set([...albumArtists, ...trackArtists]);
  const expected = {
    tracks: audio.length,
    albums: albums.size,
    multiDiscAlbums: [...albums.values()].filter((album) => album.discs.size > 1).length,
    albumArtists: albumArtists.size,
    artists: allArtists.size,
    genres: genres.size,
    albumsWithCover: [...albums.values()].filter((album) => album.cover).length,
    skippedFiles: broken.length + appleDouble.length,
  };
  const actual = {
    tracks: count('SELECT count(*) FROM track'),
    albums: count('SELECT count(*) FROM album'),
    multiDiscAlbums: count('SELECT count(*) FROM album WHERE disc_count > 1'),
    albumArtists: count('SELECT count(*) FROM artist WHERE album_count > 0'),
    artists: count('SELECT count(*) FROM artist'),
    genres: count('SELECT count(*) FROM genre'),
    albumsWithCover: count(
      'SELECT count(*) FROM album WHERE cover_path IS NOT NULL OR cover_track_id IS NOT NULL',
    ),
    skippedFiles: count('SELECT count(*) FROM scan_issue'),
  };
  for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
    if (expected[key] !== actual[key]) mismatches.push(`${key}: ${actual[key]}, expected ${expected[key]}`);
  }
  const artistNames = new Set(db.sqlite.prepare('SELECT name FROM artist').pluck().all() as string[]);
  for (const name of allArtists) if (!artistNames.has(name)) mismatches.push(`artist missing: ${name}`);
  return { mismatches, expected, actual };
}

function findAppleDouble(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.startsWith('._')) found.push(rel);
    }
  };
  walk('');
  return found;
}

if (import.meta.main) {
  const [dataDir, libraryDir] = process.argv.slice(2);
  if (!dataDir || !libraryDir) {
    process.stderr.write('usage: node bench/verify-manifest.ts DATA_DIR LIBRARY_DIR\n');
    process.exit(2);
  }
  const db = Database.open(databaseFile(dataDir), { readonly: true });
  const result = verifyAgainstManifest(db, `${libraryDir.replace(/\/+$/, '')}.manifest.tsv`, libraryDir);
  process.stdout.write(`${JSON.stringify({ expected: result.expected, actual: result.actual }, null, 2)}\n`);
  for (const line of result.mismatches.slice(0, 50)) process.stdout.write(`MISMATCH ${line}\n`);
  process.stdout.write(`${result.mismatches.length} mismatches\n`);
  process.exit(result.mismatches.length === 0 ? 0 : 1);
}
