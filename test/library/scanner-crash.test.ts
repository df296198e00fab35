// Crash safety: a scan killed with SIGKILL between two committed batches loses nothing it wrote, and
// the next scan ends with exactly the library a clean scan produces.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { buildFixtureLibrary } from '../helpers/library-fixture.ts';
import { allIds, openScanHarness } from '../helpers/scan.ts';

function snapshot(harness: Awaited<ReturnType<typeof openScanHarness>>) {
  const db = harness.runtime.db;
  return {
    ids: allIds(harness.runtime),
    albums: db
      .prepare(
        'SELECT id, song_count, disc_count, duration, cover_path, cover_track_id, artist_id FROM album ORDER BY id',
      )
      .all(),
    artists: db.prepare('SELECT id, album_count, song_count, roles FROM artist ORDER BY id').all(),
    genres: db.prepare('SELECT id, song_count, album_count FROM genre ORDER BY id').all(),
    search: db.prepare("SELECT count(*) FROM setting WHERE key = 'scan.refreshPending'").pluck().get(),
  };
}

it('a scan killed mid-way is completed by the next scan', async () => {
  const library = await buildFixtureLibrary();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-crash-'));
  try {
    const crashed = await runCli(['scan', '--music', library.root, '--data', dataDir], {
      env: { TONEARM_SCAN_BATCH_FILES: '3', TONEARM_TEST_CRASH_AFTER_BATCHES: '2' },
    });
    assert.equal(crashed.signal, 'SIGKILL', `the scan was killed (stderr: ${crashed.stderr})`);

    const resumed = await openScanHarness([library.root], { dataDir });
    const partial = resumed.runtime.db.prepare('SELECT count(*) FROM track').pluck().get() as number;
    assert.ok(partial > 0, 'batches committed before the kill are kept');
    assert.equal(
      resumed.runtime.db
        .prepare("SELECT count(*) FROM setting WHERE key = 'scan.refreshPending'")
        .pluck()
        .get(),
      1,
    );
    await resumed.scanner.scan();
    const afterResume = snapshot(resumed);
    await resumed.close();

    const clean = await openScanHarness([library.root]);
    await clean.scanner.scan();
    const reference = snapshot(clean);
    await clean.close();
    assert.deepEqual(afterResume, reference);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
    library.cleanup();
  }
});
