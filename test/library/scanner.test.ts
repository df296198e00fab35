// The scanner against a real library of ffmpeg-made files and a real SQLite database.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CatalogReader } from '../../src/catalog/reader.ts';
import { searchTracks } from '../../src/catalog/search.ts';
import { makeAudio } from '../helpers/audio.ts';
import { buildFixtureLibrary, FIXTURE_FILES, type FixtureLibrary } from '../helpers/library-fixture.ts';
import { allIds, openScanHarness, type ScanHarness } from '../helpers/scan.ts';

const count = (harness: ScanHarness, sql: string, ...params: unknown[]) =>
  harness.runtime.db
    .prepare(sql)
    .pluck()
    .get(...params) as number;
const trackByPath = (harness: ScanHarness, relPath: string) =>
  harness.runtime.db.prepare('SELECT * FROM track WHERE path = ?').get(relPath) as
    | Record<string, unknown>
    | undefined;
const albumNamed = (harness: ScanHarness, name: string) =>
  harness.runtime.db.prepare('SELECT * FROM album WHERE name = ?').all(name) as Record<string, unknown>[];

describe('scanner: first scan of a fixture library', () => {
  let library: FixtureLibrary;
  let harness: ScanHarness;
  let report: Awaited<ReturnType<ScanHarness['scanner']['scan']>>;

  before(async () => {
    library = await buildFixtureLibrary();
    harness = await openScanHarness([library.root]);
    report = await harness.scanner.scan();
  });
  after(async () => {
    await harness.close();
    library.cleanup();
  });

  it('imports every audio file and reports every broken one', () => {
    assert.equal(report.added, FIXTURE_FILES.length);
    assert.equal(count(harness, 'SELECT count(*) FROM track'), FIXTURE_FILES.length);
    assert.deepEqual(report.errors.map((error) => error.path).sort(), library.broken);
    for (const error of report.errors) assert.ok(error.reason.length > 5, `a reason for ${error.path}`);
    for (const broken of library.broken)
      assert.equal(trackByPath(harness, broken), undefined, `${broken} is not a track`);
    assert.equal(count(harness, 'SELECT count(*) FROM scan_issue'), library.broken.length);
  });

  it('reads tags and technical properties', () => {
    const two = trackByPath(harness, 'Artist A/2001 - First Album/02 - Two.flac')!;
    assert.equal(two.title, 'Two');
    assert.equal(two.track_number, 2);
    assert.equal(two.track_total, 4);
    assert.equal(two.year, 2001);
    assert.equal(two.codec, 'FLAC');
    assert.equal(two.lossless, 1);
    assert.equal(two.bit_depth, 16);
    assert.equal(two.sample_rate, 44100);
    assert.ok(Math.abs((two.duration as number) - 1) < 0.1);
    const alpha = trackByPath(harness, 'Beyoncé/2010 - Hi-Res/01 - Alpha.wv')!;
    assert.equal(alpha.bit_depth, 24);
    assert.equal(alpha.sample_rate, 48000);
    const beta = trackByPath(harness, 'Beyoncé/2010 - Hi-Res/02 - Beta.m4a')!;
    assert.equal(beta.has_embedded_art, 1);
    assert.equal(beta.content_type, 'audio/mp4');
    for (const row of harness.runtime.db.prepare('SELECT bitrate, path FROM track').all() as {
      bitrate: number;
      path: string;
    }[]) {
      assert.ok(row.bitrate >= 8, `plausible bitrate for ${row.path}: ${row.bitrate}`);
    }
  });

  it('splits artists on separators and keeps other roles', () => {
    const two = trackByPath(harness, 'Artist A/2001 - First Album/02 - Two.flac')!;
    const artists = harness.runtime.db
      .prepare(
        "SELECT a.name FROM track_artist ta JOIN artist a ON a.id = ta.artist_id WHERE ta.track_id = ? AND ta.role = 'artist' ORDER BY ta.position",
      )
      .pluck()
      .all(two.id);
    assert.deepEqual(artists, ['Artist A', 'Guest Star']);
    assert.equal(two.artist_name, 'Artist A feat. Guest Star');
    const composer = harness.runtime.db
      .prepare(
        "SELECT a.name, a.roles FROM track_artist ta JOIN artist a ON a.id = ta.artist_id WHERE ta.role = 'composer'",
      )
      .get() as { name: string; roles: string };
    assert.equal(composer.name, 'Jane Composer');
    assert.deepEqual(JSON.parse(composer.roles), ['composer']);
    const genres = harness.runtime.db
      .prepare(
        'SELECT g.name FROM track_genre tg JOIN genre g ON g.id = tg.genre_id WHERE tg.track_id = ? ORDER BY tg.position',
      )
      .pluck()
      .all(two.id);
    assert.deepEqual(genres, ['Rock', 'Pop']);
  });

  it('keeps a two-disc album in CD folders as one album with disc numbers from the folders', () => {
    const [album, ...others] = albumNamed(harness, 'Double');
    assert.equal(others.length, 0);
    assert.equal(album!.song_count, 2);
    assert.equal(album!.disc_count, 2);
    assert.equal(album!.cover_path, 'Artist B/Double/cover.jpg');
    assert.equal(trackByPath(harness, 'Artist B/Double/CD 2/01 - Side B.mp3')!.disc_number, 2);
  });

  it('puts compilations and albums without one album artist under Various Artists', () => {
    for (const name of ['Hits', 'Mixtape']) {
      const albums = albumNamed(harness, name);
      assert.equal(albums.length, 1, `${name} is one album`);
      assert.equal(albums[0]!.artist_name, 'Various Artists');
      assert.equal(albums[0]!.song_count, 2);
      assert.equal(albums[0]!.compilation, 1);
    }
    const va = harness.runtime.db
      .prepare("SELECT album_count, roles FROM artist WHERE name = 'Various Artists'")
      .get() as { album_count: number; roles: string };
    assert.equal(va.album_count, 2);
  });

  it('falls back to folder and file names for untagged files', () => {
    const track = trackByPath(harness, 'Folder Artist/Folder Album/03 - Song From Name.mp3')!;
    assert.equal(track.title, 'Song From Name');
    assert.equal(track.track_number, 3);
    assert.equal(track.album_name, 'Folder Album');
    assert.equal(track.artist_name, 'Folder Artist');
  });

  it('groups by MusicBrainz release id over differing album-artist text', () => {
    const albums = albumNamed(harness, 'Release');
    assert.equal(albums.length, 1);
    assert.equal(albums[0]!.song_count, 2);
    assert.equal(albums[0]!.mbz_album_id, '9e7a0a4c-1111-4c7a-9f00-000000000001');
  });

  it('records covers: folder images by priority, embedded pictures, artist images', () => {
    assert.equal(albumNamed(harness, 'First Album')[0]!.cover_path, 'Artist A/2001 - First Album/folder.jpg');
    const hiRes = albumNamed(harness, 'Hi-Res')[0]!;
    assert.equal(hiRes.cover_path, null);
    assert.equal(hiRes.cover_track_id, trackByPath(harness, 'Beyoncé/2010 - Hi-Res/02 - Beta.m4a')!.id);
    assert.equal(albumNamed(harness, 'Mixtape')[0]!.cover_track_id, null);
    const artistA = harness.runtime.db
      .prepare("SELECT image_path FROM artist WHERE name = 'Artist A'")
      .pluck()
      .get();
    assert.equal(artistA, 'Artist A/artist.jpg');
  });

  it('reads sidecar lyrics, synced (.lrc) and unsynced (.txt)', () => {
    const one = JSON.parse(
      trackByPath(harness, 'Artist A/2001 - First Album/01 - One.mp3')!.lyrics as string,
    );
    assert.equal(one.length, 1);
    assert.equal(one[0].synced, true);
    assert.deepEqual(one[0].lines, [
      { start: 500, value: 'First line' },
      { start: 1250, value: 'Second line' },
    ]);
    const three = JSON.parse(
      trackByPath(harness, 'Artist A/2001 - First Album/03 - Three.ogg')!.lyrics as string,
    );
    assert.equal(three[0].synced, false);
    assert.deepEqual(
      three[0].lines.map((line: { value: string }) => line.value),
      ['Unsynced words', 'More words'],
    );
  });

  it('stores the real folder tree', () => {
    const folders = harness.runtime.db
      .prepare('SELECT path, parent_id, track_count FROM folder ORDER BY path')
      .all() as { path: string; parent_id: string | null; track_count: number }[];
    const paths = folders.map((folder) => folder.path);
    for (const expected of ['', 'Artist A', 'Artist A/2001 - First Album', 'Artist B/Double/CD 1', 'Broken'])
      assert.ok(paths.includes(expected), `folder ${expected}`);
    assert.equal(folders.find((folder) => folder.path === '')!.parent_id, null);
    assert.equal(folders.find((folder) => folder.path === 'Artist A/2001 - First Album')!.track_count, 4);
    const child = harness.runtime.db
      .prepare("SELECT parent_id FROM folder WHERE path = 'Artist B/Double/CD 1'")
      .pluck()
      .get();
    const parent = harness.runtime.db
      .prepare("SELECT id FROM folder WHERE path = 'Artist B/Double'")
      .pluck()
      .get();
    assert.equal(child, parent);
    // An album knows the folder of its first track (folder-style answers point there).
    const cd1 = harness.runtime.db
      .prepare("SELECT id FROM folder WHERE path = 'Artist B/Double/CD 1'")
      .pluck()
      .get();
    assert.equal(albumNamed(harness, 'Double')[0]!.folder_id, cd1);
    assert.equal(
      albumNamed(harness, 'First Album')[0]!.folder_id,
      harness.runtime.db
        .prepare("SELECT id FROM folder WHERE path = 'Artist A/2001 - First Album'")
        .pluck()
        .get(),
    );
  });

  it('uses type-prefixed ids', () => {
    assert.match(String(trackByPath(harness, 'Loose/loose.wav')!.id), /^tr-[0-9a-f]{20}$/);
    assert.match(String(albumNamed(harness, 'Loose')[0]!.id), /^al-[0-9a-f]{20}$/);
    assert.ok(
      (harness.runtime.db.prepare('SELECT id FROM artist').pluck().all() as string[]).every((id) =>
        /^ar-/.test(id),
      ),
    );
  });

  it('keeps the search index in step with the catalog', () => {
    assert.equal(searchTracks(new CatalogReader(harness.runtime.db), 'beyonce').length, 2);
    assert.equal(searchTracks(new CatalogReader(harness.runtime.db), '夜').length, 1);
  });
});

describe('scanner: rescans, rebuilds, moves, changes and deletions', () => {
  let library: FixtureLibrary;
  let harness: ScanHarness;

  before(async () => {
    library = await buildFixtureLibrary();
    harness = await openScanHarness([library.root]);
    await harness.scanner.scan();
  });
  after(async () => {
    await harness.close();
    library.cleanup();
  });

  it('writes no rows when nothing changed, and reads no file', async () => {
    const before = harness.runtime.db.totalChanges();
    const report = await harness.scanner.scan();
    assert.equal(report.rowsWritten, 0);
    assert.equal(harness.runtime.db.totalChanges(), before);
    assert.equal(report.added + report.updated + report.removed + report.moved, 0);
    assert.equal(report.unchanged, FIXTURE_FILES.length);
    assert.equal(harness.scanner.progress().filesToRead, 0);
    // Broken files are remembered by size and mtime, not re-read, and still reported.
    assert.equal(report.errors.length, library.broken.length);
  });

  it('gives the same ids after the database is deleted and the library scanned again', async () => {
    const fresh = await openScanHarness([library.root]);
    try {
      await fresh.scanner.scan();
      assert.deepEqual(allIds(fresh.runtime), allIds(harness.runtime));
    } finally {
      await fresh.close();
    }
  });

  it('keeps the id, date added and play count of a moved file', async () => {
    const from = 'Artist A/2001 - First Album/04 - Four.opus';
    const to = 'Elsewhere/moved four.opus';
    const before = trackByPath(harness, from)!;
    const db = harness.runtime.db;
    db.prepare(
      "INSERT INTO user (id, username, password_hash, is_admin, created_at, updated_at) VALUES ('us-test', 'tester', 'x', 0, 0, 0)",
    ).run();
    db.prepare(
      "INSERT INTO annotation (user_id, item_id, play_count, last_played_at) VALUES ('us-test', ?, 7, 123)",
    ).run(before.id);
    fs.mkdirSync(path.join(library.root, 'Elsewhere'), { recursive: true });
    fs.renameSync(path.join(library.root, from), path.join(library.root, to));
    const report = await harness.scanner.scan();
    assert.equal(report.moved, 1);
    assert.equal(report.removed, 0);
    assert.equal(report.added, 0);
    const after = trackByPath(harness, to)!;
    assert.equal(after.id, before.id);
    assert.equal(after.pk, before.pk);
    assert.equal(after.created_at, before.created_at);
    assert.equal(trackByPath(harness, from), undefined);
    const plays = db
      .prepare('SELECT a.play_count FROM annotation a JOIN track t ON t.id = a.item_id WHERE t.path = ?')
      .pluck()
      .get(to);
    assert.equal(plays, 7);
    // The album still has its four tracks, and the emptied folder's count is updated.
    assert.equal(albumNamed(harness, 'First Album')[0]!.song_count, 4);
  });

  it('re-reads a changed file and keeps its id when its identity is the same', async () => {
    const rel = 'Artist B/Double/CD 1/01 - Side A.mp3';
    const before = trackByPath(harness, rel)!;
    await makeAudio(path.join(library.root, rel), {
      format: 'mp3',
      frequency: 561,
      tags: {
        title: 'Side A',
        artist: 'Artist B',
        album: 'Double',
        album_artist: 'Artist B',
        track: '1',
        date: '1999',
        genre: 'Jazz',
      },
    });
    fs.utimesSync(path.join(library.root, rel), new Date(), new Date(Date.now() + 5000));
    const report = await harness.scanner.scan();
    assert.equal(report.updated, 1);
    const after = trackByPath(harness, rel)!;
    assert.equal(after.id, before.id);
    assert.equal(after.genre, 'Jazz');
    assert.equal(count(harness, "SELECT song_count FROM genre WHERE name = 'Jazz'"), 1);
  });

  it('regroups the unchanged tracks of an album whose artists change, without re-reading them', async () => {
    // Mixtape has no album-artist tag: two artists made it "Various Artists"; with one left it is Paula's.
    const before = trackByPath(harness, 'Mixed/Mixtape/01 - P.flac')!;
    const q = path.join(library.root, 'Mixed/Mixtape/02 - Q.flac');
    const kept = `${q}.kept`;
    fs.renameSync(q, kept);
    try {
      const report = await harness.scanner.scan();
      assert.equal(report.removed, 1);
      assert.equal(report.updated + report.added, 0, 'the remaining track is not re-read');
      const after = trackByPath(harness, 'Mixed/Mixtape/01 - P.flac')!;
      assert.equal(after.album_artist_name, 'Paula');
      assert.notEqual(after.album_id, before.album_id);
      assert.equal(after.pk, before.pk);
      const albums = albumNamed(harness, 'Mixtape');
      assert.equal(albums.length, 1);
      assert.equal(albums[0]!.artist_name, 'Paula');
      assert.equal(albums[0]!.song_count, 1);
      assert.deepEqual(
        harness.runtime.db
          .prepare(
            'SELECT a.name FROM track_artist ta JOIN artist a ON a.id = ta.artist_id WHERE ta.track_id = ?',
          )
          .pluck()
          .all(after.id),
        ['Paula'],
      );
    } finally {
      fs.renameSync(kept, q);
    }
    await harness.scanner.scan();
    assert.equal(albumNamed(harness, 'Mixtape')[0]!.artist_name, 'Various Artists');
    assert.equal(trackByPath(harness, 'Mixed/Mixtape/01 - P.flac')!.album_id, before.album_id);
  });

  it('drops removed files, then empty albums, artists and genres', async () => {
    fs.rmSync(path.join(library.root, 'Mixed'), { recursive: true });
    fs.rmSync(path.join(library.root, 'Beyoncé/2010 - Hi-Res/01 - Alpha.wv'));
    const report = await harness.scanner.scan();
    assert.equal(report.removed, 3);
    assert.equal(albumNamed(harness, 'Mixtape').length, 0);
    for (const name of ['Paula', 'Quentin'])
      assert.equal(count(harness, 'SELECT count(*) FROM artist WHERE name = ?', name), 0);
    assert.equal(count(harness, "SELECT count(*) FROM folder WHERE path LIKE 'Mixed%'"), 0);
    assert.equal(albumNamed(harness, 'Hi-Res')[0]!.song_count, 1);
    assert.equal(searchTracks(new CatalogReader(harness.runtime.db), 'Alpha').length, 0);
    // Various Artists still owns the "Hits" compilation.
    assert.equal(count(harness, "SELECT album_count FROM artist WHERE name = 'Various Artists'"), 1);
  });

  it('adds new files, and a file that became readable leaves the error list', async () => {
    const broken = library.broken.find((file) => file.endsWith('.mp3') && file.startsWith('Broken/'))!;
    await makeAudio(path.join(library.root, broken), {
      format: 'mp3',
      frequency: 800,
      tags: { title: 'Repaired', artist: 'Fixer', album: 'Fixed', album_artist: 'Fixer', track: '1' },
    });
    const report = await harness.scanner.scan();
    assert.equal(report.added, 1);
    assert.ok(!report.errors.some((error) => error.path === broken));
    assert.equal(trackByPath(harness, broken)!.title, 'Repaired');
    assert.equal(count(harness, 'SELECT count(*) FROM scan_issue WHERE path = ?', broken), 0);
  });

  it('--full re-reads everything and changes no id', async () => {
    const ids = allIds(harness.runtime);
    const report = await harness.scanner.scan({ full: true });
    assert.equal(report.updated, count(harness, 'SELECT count(*) FROM track'));
    assert.deepEqual(allIds(harness.runtime), ids);
  });

  it('reports progress while a scan runs', async () => {
    const samples: ReturnType<ScanHarness['scanner']['progress']>[] = [];
    const scan = harness.scanner.scan({ full: true });
    samples.push(harness.scanner.progress());
    const timer = setInterval(() => samples.push(harness.scanner.progress()), 5);
    const report = await scan;
    clearInterval(timer);
    const final = harness.scanner.progress();
    assert.equal(samples[0]!.scanning, true);
    assert.equal(samples[0]!.full, true);
    assert.ok(
      samples.some((sample) => sample.phase === 'reading' || sample.filesRead > 0 || sample.filesToRead > 0),
    );
    assert.equal(final.scanning, false);
    assert.equal(final.phase, 'idle');
    assert.equal(final.filesRead, final.filesToRead);
    assert.deepEqual(final.lastReport, report);
  });

  it('never runs two scans at once', async () => {
    const first = harness.scanner.scan();
    const second = harness.scanner.scan();
    assert.equal(harness.scanner.isScanning, true);
    await assert.rejects(harness.scanner.scanNow(), /already running/);
    const [a, b] = await Promise.all([first, second]);
    assert.ok(b.startedAt >= a.finishedAt, 'the queued scan starts after the first one ends');
  });
});

describe('scanner: a library folder that disappears', () => {
  it('keeps the catalog instead of emptying it', async () => {
    const library = await buildFixtureLibrary();
    const harness = await openScanHarness([library.root]);
    try {
      await harness.scanner.scan();
      const tracks = count(harness, 'SELECT count(*) FROM track');
      const moved = `${library.root}-unmounted`;
      fs.renameSync(library.root, moved);
      try {
        const report = await harness.scanner.scan();
        assert.equal(report.removed, 0);
        assert.deepEqual(
          report.offline.map((entry) => entry.reason),
          ['folder missing'],
        );
        assert.equal(count(harness, 'SELECT count(*) FROM track'), tracks);
        assert.equal(count(harness, 'SELECT count(*) FROM library WHERE offline_since IS NOT NULL'), 1);
      } finally {
        fs.renameSync(moved, library.root);
      }
    } finally {
      await harness.close();
      library.cleanup();
    }
  });
});
