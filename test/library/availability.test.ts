// Unavailable libraries through the real scanner: a root renamed away, emptied, or covered by another
// file system (an unmounted share, an unplugged disk) is marked offline and keeps its catalog, with the
// users' stars, play counts and playlists; when it is back it is online with the same ids. Folders that
// cannot be read keep their tracks; the removal guard keeps what vanished with its folder.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { createUser, type User } from '../../src/accounts/users.service.ts';
import { recordPlay, resolveScrobble, star } from '../../src/activity/annotation.service.ts';
import { createPlaylist, getPlaylist } from '../../src/activity/playlists.service.ts';
import { AvailabilityMonitor } from '../../src/library/availability-monitor.ts';
import { libraryHasTracks, listLibraries } from '../../src/library/library.repository.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { buildFixtureLibrary, FIXTURE_FILES, type FixtureLibrary } from '../helpers/library-fixture.ts';
import { allIds, openScanHarness, type ScanHarness } from '../helpers/scan.ts';

const TRACKS = FIXTURE_FILES.length;

interface Setup {
  library: FixtureLibrary;
  harness: ScanHarness;
  user: User;
  playlistId: string;
  /** Two tracks: starred, played and in the playlist. */
  favourites: string[];
  ids: string[];
  close(): Promise<void>;
}

async function setUp(overrides: Record<string, unknown> = {}): Promise<Setup> {
  const library = await buildFixtureLibrary();
  const harness = await openScanHarness([library.root], { overrides });
  await harness.scanner.scan();
  const db = harness.runtime.db;
  const user = await createUser(db, { username: 'listener', password: 'listener-pass', isAdmin: true });
  const favourites = db
    .prepare("SELECT id FROM track WHERE path LIKE 'Artist A/%' ORDER BY path LIMIT 2")
    .pluck()
    .all() as string[];
  star(db, user, { ids: favourites, albumIds: [], artistIds: [] });
  for (const { track } of resolveScrobble(db, user, favourites, []))
    recordPlay(db, user, track, Date.now(), 'test', 'scrobble');
  const playlistId = createPlaylist(db, user, { name: 'Keep me', songIds: favourites }).id;
  return {
    library,
    harness,
    user,
    playlistId,
    favourites,
    ids: allIds(harness.runtime),
    async close() {
      await harness.close();
      library.cleanup();
      fs.rmSync(harness.dataDir, { recursive: true, force: true });
    },
  };
}

const count = (setup: Setup, sql: string, ...params: unknown[]) =>
  setup.harness.runtime.db
    .prepare(sql)
    .pluck()
    .get(...params) as number;

const libraryRow = (setup: Setup) =>
  setup.harness.runtime.db.prepare('SELECT * FROM library').get() as {
    id: number;
    device: string | null;
    offline_since: number | null;
    offline_reason: string | null;
  };

/** The users' state on the favourites: stars, play counts and the playlist's entries. */
function assertUserStateKept(setup: Setup): void {
  const db = setup.harness.runtime.db;
  for (const id of setup.favourites) {
    const row = db
      .prepare('SELECT starred_at, play_count FROM annotation WHERE user_id = ? AND item_id = ?')
      .get(setup.user.id, id) as { starred_at: number | null; play_count: number } | undefined;
    assert.ok(row?.starred_at, `${id} is still starred`);
    assert.equal(row?.play_count, 1, `${id} keeps its play count`);
  }
  assert.deepEqual(getPlaylist(db, setup.user, setup.playlistId).trackIds, setup.favourites);
}

/** Everything of the library, as before: same ids, same track count, the users' state. */
function assertCatalogKept(setup: Setup): void {
  assert.equal(count(setup, 'SELECT count(*) FROM track'), TRACKS);
  assert.deepEqual(allIds(setup.harness.runtime), setup.ids);
  assertUserStateKept(setup);
}

/** Moves every entry of `from` into a new sibling folder (what an unmounted share looks like: empty). */
function moveContents(from: string): string {
  const aside = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-aside-'));
  for (const name of fs.readdirSync(from)) fs.renameSync(path.join(from, name), path.join(aside, name));
  return aside;
}

function moveBack(aside: string, to: string): void {
  for (const name of fs.readdirSync(aside)) fs.renameSync(path.join(aside, name), path.join(to, name));
  fs.rmSync(aside, { recursive: true, force: true });
}

function mountTmpfs(t: TestContext, target: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', target], { stdio: 'pipe' });
    return true;
  } catch (error) {
    t.skip(`cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]}); run as root to test it`);
    return false;
  }
}

function unmount(target: string): void {
  execFileSync('umount', [target], { stdio: 'pipe' });
}

describe('unavailable libraries: offline instead of emptied', () => {
  it('a root renamed away is offline, keeps everything, and is back with the same ids', async () => {
    const setup = await setUp();
    try {
      const away = `${setup.library.root}-unmounted`;
      fs.renameSync(setup.library.root, away);
      const offline = await setup.harness.scanner.scan();
      assert.equal(offline.removed, 0);
      assert.deepEqual(
        offline.offline.map((entry) => [entry.name, entry.reason]),
        [[path.basename(setup.library.root), 'folder missing']],
      );
      assert.ok(libraryRow(setup).offline_since, 'recorded offline');
      assert.equal(libraryRow(setup).offline_reason, 'folder missing');
      assertCatalogKept(setup);
      // A second scan while it is still away changes nothing and keeps the first offline time.
      const since = libraryRow(setup).offline_since;
      assert.equal((await setup.harness.scanner.scan()).rowsWritten, 0, 'nothing written');
      assert.equal(libraryRow(setup).offline_since, since);

      fs.renameSync(away, setup.library.root);
      const back = await setup.harness.scanner.scan();
      assert.deepEqual(back.offline, []);
      assert.equal(back.unchanged, TRACKS, 'nothing re-read: the files are the ones it knew');
      assert.equal(back.added + back.removed + back.moved, 0);
      assert.equal(libraryRow(setup).offline_since, null);
      assert.equal(libraryRow(setup).offline_reason, null);
      assertCatalogKept(setup);
    } finally {
      await setup.close();
    }
  });

  it('a root emptied (its contents moved out) is offline; with a stray non-audio file too', async () => {
    const setup = await setUp();
    try {
      const aside = moveContents(setup.library.root);
      try {
        const empty = await setup.harness.scanner.scan();
        assert.equal(empty.removed, 0);
        assert.match(empty.offline[0]?.reason ?? '', /^folder is empty while the catalog holds 17 tracks/);
        assertCatalogKept(setup);
        fs.writeFileSync(path.join(setup.library.root, 'README.txt'), 'mount the NAS here');
        const stray = await setup.harness.scanner.scan();
        assert.match(stray.offline[0]?.reason ?? '', /^folder holds no audio files while/);
        assertCatalogKept(setup);
      } finally {
        moveBack(aside, setup.library.root);
      }
      const back = await setup.harness.scanner.scan();
      assert.deepEqual(back.offline, []);
      assert.equal(back.removed, 0);
      assert.equal(libraryRow(setup).offline_since, null);
      assertCatalogKept(setup);
    } finally {
      await setup.close();
    }
  });

  it('--allow-removal empties a library whose folder really is empty', async () => {
    const setup = await setUp();
    try {
      const aside = moveContents(setup.library.root);
      try {
        const report = await setup.harness.scanner.scan({ allowRemovalIn: [libraryRow(setup).id] });
        assert.deepEqual(report.offline, []);
        assert.equal(report.removed, TRACKS);
        assert.equal(count(setup, 'SELECT count(*) FROM track'), 0);
        assert.equal(libraryRow(setup).offline_since, null);
        // The history stays with the ids, as always.
        assert.equal(count(setup, 'SELECT count(*) FROM annotation WHERE starred_at IS NOT NULL'), 2);
      } finally {
        moveBack(aside, setup.library.root);
      }
    } finally {
      await setup.close();
    }
  });

  it('removal is allowed per library: an unmounted library beside the one really emptied stays offline', async () => {
    // A really emptied, B an empty mount point: the same sight to a scanner.
    const [a, b] = await Promise.all([buildFixtureLibrary(), buildFixtureLibrary()]);
    const harness = await openScanHarness([a.root, b.root]);
    const asides: string[] = [];
    try {
      await harness.scanner.scan();
      const db = harness.runtime.db;
      const [idA, idB] = listLibraries(db).map((library) => library.id) as [number, number];
      const tracksOf = (id: number) =>
        db.prepare('SELECT count(*) FROM track WHERE library_id = ?').pluck().get(id) as number;
      const offlineReason = (id: number) =>
        db.prepare('SELECT offline_reason FROM library WHERE id = ?').pluck().get(id) as string | null;
      for (const root of [a.root, b.root]) asides.push(moveContents(root));

      // A scan of every library allowed to remove in A only: A is emptied, B is not even touched.
      const report = await harness.scanner.scan({ allowRemovalIn: [idA] });
      assert.equal(report.removed, TRACKS);
      assert.deepEqual(
        report.offline.map((entry) => entry.libraryId),
        [idB],
      );
      assert.equal(tracksOf(idA), 0);
      assert.equal(offlineReason(idA), null);
      assert.equal(tracksOf(idB), TRACKS);
      assert.match(offlineReason(idB) ?? '', /^folder is empty while the catalog holds 17 tracks/);

      // Requests merged while a scan runs keep their removals to their own libraries: the scan running
      // now, then one scan for A (allowed there) and B (not allowed).
      moveBack(asides.shift()!, a.root);
      const running = harness.scanner.scan();
      const forA = harness.scanner.scan({ libraryIds: [idA], allowRemovalIn: [idA] });
      const forB = harness.scanner.scan({ libraryIds: [idB] });
      await Promise.all([running, forA, forB]);
      assert.equal(tracksOf(idA), TRACKS, 'A was filled again');
      assert.equal(tracksOf(idB), TRACKS, 'B is kept');
      assert.match(offlineReason(idB) ?? '', /^folder is empty/);
    } finally {
      for (const aside of asides) moveBack(aside, b.root);
      await harness.close();
      a.cleanup();
      b.cleanup();
      fs.rmSync(harness.dataDir, { recursive: true, force: true });
    }
  });

  it('another file system over the root (another device): offline while its files are not there', async (t) => {
    const setup = await setUp();
    const root = setup.library.root;
    // The library's files, for the "copied to a new disk" case.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-copy-'));
    execFileSync('cp', ['-a', `${root}/.`, copy]);
    try {
      const recorded = libraryRow(setup).device;
      assert.equal(
        recorded,
        fs.statSync(root, { bigint: true }).dev.toString(),
        'device recorded by the scan',
      );
      if (!mountTmpfs(t, root)) return;
      try {
        // An empty mount point over the root: offline.
        assert.match((await setup.harness.scanner.scan()).offline[0]?.reason ?? '', /^folder is empty/);
        // One known file on the new file system: still offline, since 16 of 17 are not there.
        const known = FIXTURE_FILES[0]!.path;
        fs.mkdirSync(path.dirname(path.join(root, known)), { recursive: true });
        fs.copyFileSync(path.join(copy, known), path.join(root, known));
        const stray = await setup.harness.scanner.scan();
        assert.equal(stray.removed, 0);
        assert.match(
          stray.offline[0]?.reason ?? '',
          new RegExp(
            `^folder is on another device than at the last scan \\(${recorded}, now \\d+\\) and 16 of 17 known files are not there$`,
          ),
        );
        assertCatalogKept(setup);

        // The whole library copied to the new disk (times kept): the new device is accepted.
        execFileSync('cp', ['-a', `${copy}/.`, root]);
        const moved = await setup.harness.scanner.scan();
        assert.deepEqual(moved.offline, []);
        assert.equal(moved.removed + moved.added, 0);
        assert.equal(libraryRow(setup).offline_since, null);
        assert.equal(libraryRow(setup).device, fs.statSync(root, { bigint: true }).dev.toString());
        assert.notEqual(libraryRow(setup).device, recorded);
        assertCatalogKept(setup);
      } finally {
        unmount(root);
      }
      // Unmounted again: the old disk has every file, so its device is accepted back.
      const again = await setup.harness.scanner.scan();
      assert.deepEqual(again.offline, []);
      assert.equal(libraryRow(setup).device, recorded);
      assertCatalogKept(setup);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
      await setup.close();
    }
  });
});

describe('the removal guard', () => {
  /** Removes folders or files (relative to the root), as a user deleting albums would. */
  const remove = (setup: Setup, ...relPaths: string[]) => {
    for (const relPath of relPaths) fs.rmSync(path.join(setup.library.root, relPath), { recursive: true });
  };

  it('a small removal goes through as before', async () => {
    const setup = await setUp();
    try {
      remove(setup, 'Mixed', 'Compilations/Hits/02 - Y.mp3');
      const report = await setup.harness.scanner.scan();
      assert.equal(report.removed, 3);
      assert.deepEqual(report.keptBack, []);
    } finally {
      await setup.close();
    }
  });

  it('beyond maxRemovalShare only files whose folder is there are removed, until --allow-removal', async () => {
    const setup = await setUp();
    try {
      // 7 of 17 tracks (41% > 25%): six vanished with their folders (a sub-mount gone), one was deleted.
      remove(setup, 'Artist A/2001 - First Album', 'Mixed', 'Compilations/Hits/02 - Y.mp3');
      const report = await setup.harness.scanner.scan();
      assert.equal(report.removed, 1, 'the file whose folder is there is really gone');
      assert.deepEqual(
        report.keptBack.map(({ count, wouldRemove, total, maxRemovalShare }) => ({
          count,
          wouldRemove,
          total,
          maxRemovalShare,
        })),
        [{ count: 6, wouldRemove: 7, total: 17, maxRemovalShare: 0.25 }],
      );
      assert.equal(count(setup, 'SELECT count(*) FROM track'), TRACKS - 1);
      assert.equal(count(setup, "SELECT count(*) FROM track WHERE path LIKE 'Mixed/%'"), 2);
      assert.equal(count(setup, "SELECT count(*) FROM folder WHERE path = 'Mixed/Mixtape'"), 1);
      assertUserStateKept(setup);
      // The next scan keeps them again and writes nothing.
      const again = await setup.harness.scanner.scan();
      assert.equal(again.rowsWritten, 0);
      assert.equal(again.keptBack[0]?.count, 6);

      const allowed = await setup.harness.scanner.scan({ allowRemovalIn: [libraryRow(setup).id] });
      assert.equal(allowed.removed, 6);
      assert.deepEqual(allowed.keptBack, []);
      assert.equal(count(setup, 'SELECT count(*) FROM track'), TRACKS - 7);
      assert.equal(count(setup, "SELECT count(*) FROM folder WHERE path LIKE 'Mixed%'"), 0);
    } finally {
      await setup.close();
    }
  });

  it('moves are not removals, and keep their ids while the guard holds the rest back', async () => {
    const setup = await setUp();
    try {
      const root = setup.library.root;
      const db = setup.harness.runtime.db;
      const idAt = (relPath: string) =>
        db.prepare('SELECT id FROM track WHERE path = ?').pluck().get(relPath);
      const before = db
        .prepare("SELECT path, id FROM track WHERE path LIKE 'Artist A/%' ORDER BY path")
        .all() as { path: string; id: string }[];
      fs.mkdirSync(path.join(root, 'Moved'));
      fs.renameSync(path.join(root, 'Artist A'), path.join(root, 'Moved/Artist A'));
      remove(setup, 'Mixed', 'Artist B');
      // 8 paths vanished (47%), but 4 of them reappear elsewhere: 4 of 17 gone, under the share.
      const report = await setup.harness.scanner.scan();
      assert.equal(report.moved, 4);
      assert.equal(report.removed, 4);
      assert.deepEqual(report.keptBack, []);
      for (const { path: relPath, id } of before) assert.equal(idAt(`Moved/${relPath}`), id);
      assertUserStateKept(setup);

      // Beyond the share now: the album moves back while three albums vanish with their folders.
      fs.renameSync(path.join(root, 'Moved/Artist A'), path.join(root, 'Artist A'));
      remove(setup, 'Beyoncé', 'Compilations', 'MBZ');
      const guarded = await setup.harness.scanner.scan();
      assert.equal(guarded.moved, 4);
      assert.equal(guarded.removed, 0);
      assert.equal(guarded.keptBack[0]?.count, 6);
      for (const { path: relPath, id } of before) assert.equal(idAt(relPath), id);
      assertUserStateKept(setup);
    } finally {
      await setup.close();
    }
  });
});

describe('folders that cannot be read', () => {
  it('a folder replaced by a link that cannot be followed keeps its tracks and folders', async () => {
    const setup = await setUp();
    const aside = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-aside-'));
    try {
      const root = setup.library.root;
      fs.renameSync(path.join(root, 'Artist A'), path.join(aside, 'Artist A'));
      // A link into a second disk mounted inside the library, which is not there now.
      fs.symlinkSync(path.join(root, 'disk2', 'Artist A'), path.join(root, 'Artist A'));
      const report = await setup.harness.scanner.scan();
      assert.equal(report.removed, 0);
      assert.deepEqual(
        report.errors.filter((error) => error.path === 'Artist A'),
        [{ path: 'Artist A', reason: 'link cannot be followed (ENOENT); 4 known tracks kept' }],
      );
      assertCatalogKept(setup);
      assert.equal(count(setup, "SELECT count(*) FROM folder WHERE path LIKE 'Artist A%'"), 2);

      // Once the admin removes the link, its files are gone: a small removal, done.
      fs.unlinkSync(path.join(root, 'Artist A'));
      assert.equal((await setup.harness.scanner.scan()).removed, 4);
    } finally {
      fs.rmSync(aside, { recursive: true, force: true });
      await setup.close();
    }
  });
});

describe('files that cannot be read', () => {
  const issues = (setup: Setup, relPath: string) =>
    count(setup, 'SELECT count(*) FROM scan_issue WHERE path = ?', relPath);

  // A read failing with an errno code (EACCES as the scanning user) is in test/cli/availability.test.ts:
  // these tests run as root, who reads every file.
  it('a tag reader that crashes keeps the stored tracks it was reading, and they are read again', async () => {
    const setup = await setUp();
    const culprit = 'Mixed/Mixtape/01 - P.flac';
    try {
      // The worker thread exits when it gets this file; every file it had in flight is reported.
      process.env.TONEARM_TEST_TAG_WORKER_CRASH_ON = path.basename(culprit);
      let report: Awaited<ReturnType<typeof setup.harness.scanner.scan>>;
      try {
        report = await setup.harness.scanner.scan({ full: true });
      } finally {
        delete process.env.TONEARM_TEST_TAG_WORKER_CRASH_ON;
      }
      assert.equal(report.removed, 0);
      assert.ok(
        report.errors.some(
          (error) =>
            error.path === culprit && error.reason === 'unreadable: tag reader exited (70); known track kept',
        ),
        JSON.stringify(report.errors),
      );
      assertCatalogKept(setup);
      assert.equal(issues(setup, culprit), 0, 'not recorded as a broken file');
      assert.equal(count(setup, 'SELECT count(*) FROM scan_issue'), setup.library.broken.length);

      const next = await setup.harness.scanner.scan({ full: true });
      assert.ok(!next.errors.some((error) => error.path === culprit));
      assert.equal(next.updated, TRACKS);
      assertCatalogKept(setup);
    } finally {
      await setup.close();
    }
  });

  it('a file whose content is no longer audio is still removed and recorded as broken', async () => {
    const setup = await setUp();
    const relPath = 'Artist B/Double/CD 2/01 - Side B.mp3';
    try {
      const file = path.join(setup.library.root, relPath);
      const { size, mtime } = fs.statSync(file);
      // Overwritten in place with as many bytes of garbage (a failed copy, a disk gone bad), a new mtime.
      fs.writeFileSync(file, Buffer.alloc(size, 0x5a));
      fs.utimesSync(file, mtime, new Date(mtime.getTime() + 60_000));
      const report = await setup.harness.scanner.scan();
      assert.equal(report.removed, 1);
      assert.ok(report.errors.some((error) => error.path === relPath && !/kept/.test(error.reason)));
      assert.equal(count(setup, 'SELECT count(*) FROM track WHERE path = ?', relPath), 0);
      assert.equal(count(setup, 'SELECT count(*) FROM track'), TRACKS - 1);
      assert.equal(issues(setup, relPath), 1);
    } finally {
      await setup.close();
    }
  });
});

describe("serve's periodic check (AvailabilityMonitor)", () => {
  it('scans a library whose folder went away and one that is back; a stray file is walked once', async () => {
    const setup = await setUp();
    const db = setup.harness.runtime.db;
    const root = setup.library.root;
    const states: boolean[] = [];
    const scans: number[] = [];
    const monitor = new AvailabilityMonitor({
      logger: silentLogger,
      intervalMs: 60_000,
      libraries: () => listLibraries(db),
      scan: (libraryId) => {
        scans.push(libraryId);
        return setup.harness.scanner.scan({ libraryIds: [libraryId] });
      },
      hasTracks: (libraryId) => libraryHasTracks(db, libraryId),
      onState: (_library, online) => void states.push(online),
    });
    try {
      await monitor.check();
      assert.deepEqual(scans, [], 'a library that looks fine is not scanned');
      assert.deepEqual(states, [true]);

      // Gone without any file-system event (an NFS share): the check notices and the scan marks it.
      const aside = moveContents(root);
      await monitor.check();
      assert.equal(scans.length, 1);
      assert.match(libraryRow(setup).offline_reason ?? '', /^folder is empty/);
      assert.deepEqual(states, [true, true, false]);

      // A stray file in the mount point: scanned once, then left alone while nothing changes.
      fs.writeFileSync(path.join(root, 'README.txt'), 'mount the NAS here');
      await monitor.check();
      await monitor.check();
      assert.equal(scans.length, 2);
      assert.match(libraryRow(setup).offline_reason ?? '', /^folder holds no audio files/);

      fs.rmSync(path.join(root, 'README.txt'));
      moveBack(aside, root);
      await monitor.check();
      assert.equal(scans.length, 3);
      assert.equal(libraryRow(setup).offline_since, null);
      assert.equal(states.at(-1), true);
      assertCatalogKept(setup);
    } finally {
      monitor.stop();
      await setup.close();
    }
  });
});
