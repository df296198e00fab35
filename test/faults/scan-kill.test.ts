// `tonearm scan` killed with SIGKILL at seeded random moments — while it walks, reads tags, writes
// batches, refreshes albums or rebuilds the search index — leaves a database that passes integrity_check
// every time, and the next scan ends with exactly the library one clean scan makes: the same ids, albums,
// artists, genres and search results. (test/library/scanner-crash.test.ts kills at a batch boundary.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { CatalogReader } from '../../src/catalog/reader.ts';
import { searchTracks } from '../../src/catalog/search.ts';
import { CLI, cleanEnv, REPO_ROOT } from '../helpers/cli.ts';
import { buildFixtureLibrary, type FixtureLibrary } from '../helpers/library-fixture.ts';
import { seededRandom } from '../helpers/random.ts';
import { allIds, openScanHarness } from '../helpers/scan.ts';
import { sqlite3 } from '../helpers/serve-process.ts';

const SEED = Number(process.env.TONEARM_FAULT_SEED ?? 20261203);
const KILLS = 8;

let library: FixtureLibrary;
before(async () => {
  library = await buildFixtureLibrary();
});
after(() => library.cleanup());

type Harness = Awaited<ReturnType<typeof openScanHarness>>;

function snapshot(harness: Harness) {
  const db = harness.runtime.db;
  const catalog = new CatalogReader(db);
  return {
    ids: allIds(harness.runtime),
    albums: db
      .prepare(
        'SELECT id, name, song_count, disc_count, duration, cover_track_id, artist_id FROM album ORDER BY id',
      )
      .all(),
    artists: db.prepare('SELECT id, album_count, song_count, roles FROM artist ORDER BY id').all(),
    genres: db.prepare('SELECT id, song_count, album_count FROM genre ORDER BY id').all(),
    search: ['one', 'artist', 'album'].map((word) => searchTracks(catalog, word)),
  };
}

/** Runs `tonearm scan` and SIGKILLs it after `delayMs` (unless it finished first). */
function scanAndKill(data: string, full: boolean, delayMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const args = [CLI, 'scan', '--music', library.root, '--data', data, ...(full ? ['--full'] : [])];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      // Small batches: many commits, so kills land between and inside them.
      env: { ...cleanEnv(), TONEARM_SCAN_BATCH_FILES: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`scan failed (${code}): ${output}`));
    });
  });
}

it('scans killed at random moments leave an intact database, and the next scan the same library', async () => {
  const random = seededRandom(SEED);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-scan-kill-'));
  try {
    let killed = 0;
    for (let round = 0; round < KILLS; round++) {
      // A Node start-up takes a few hundred ms; a scan of the fixture one to two seconds more.
      const delayMs = 300 + Math.floor(random() * 1700);
      const outcome = await scanAndKill(data, round % 2 === 1, delayMs);
      if (outcome === 'killed') killed++;
      assert.equal(
        await sqlite3(path.join(data, 'tonearm.db'), 'PRAGMA integrity_check'),
        'ok',
        `round ${round}: ${outcome} after ${delayMs} ms (seed ${SEED})`,
      );
    }
    assert.ok(killed >= KILLS / 2, `most scans were killed before they finished (${killed} of ${KILLS})`);

    const resumed = await openScanHarness([library.root], { dataDir: data });
    await resumed.scanner.scan();
    const afterKills = snapshot(resumed);
    await resumed.close();

    const clean = await openScanHarness([library.root]);
    await clean.scanner.scan();
    const reference = snapshot(clean);
    await clean.close();
    fs.rmSync(clean.dataDir, { recursive: true, force: true });
    assert.deepEqual(afterKills, reference);
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});
