// The watcher turns file-system events into incremental scans within seconds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { LibraryWatcher } from '../../src/library/watcher.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { makeAudio } from '../helpers/audio.ts';
import { buildFixtureLibrary } from '../helpers/library-fixture.ts';
import { openScanHarness } from '../helpers/scan.ts';

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const polling of [false, true]) {
  it(`applies adds, moves and deletes within seconds (${polling ? 'polling' : 'native events'})`, async () => {
    const library = await buildFixtureLibrary();
    const harness = await openScanHarness([library.root]);
    await harness.scanner.scan();
    const scans: number[][] = [];
    const watcher = new LibraryWatcher({
      polling,
      pollingIntervalMs: 200,
      debounceMs: 300,
      logger: silentLogger,
      onChange: (ids) => {
        scans.push(ids);
        void harness.scanner.scan({ libraryIds: ids });
      },
    });
    const libraryId = harness.runtime.db.prepare('SELECT id FROM library').pluck().get() as number;
    await watcher.start([{ id: libraryId, path: library.root }]);
    const trackCount = () => harness.runtime.db.prepare('SELECT count(*) FROM track').pluck().get() as number;
    const has = (relPath: string) =>
      harness.runtime.db.prepare('SELECT count(*) FROM track WHERE path = ?').pluck().get(relPath) === 1;
    try {
      const before = trackCount();
      // A burst of changes: two new files in a new folder.
      await makeAudio(path.join(library.root, 'New/Album/01 - New One.mp3'), {
        format: 'mp3',
        frequency: 900,
        tags: { title: 'New One', artist: 'Newcomer', album: 'Album', track: '1' },
      });
      await makeAudio(path.join(library.root, 'New/Album/02 - New Two.mp3'), {
        format: 'mp3',
        frequency: 920,
        tags: { title: 'New Two', artist: 'Newcomer', album: 'Album', track: '2' },
      });
      await waitFor(() => trackCount() === before + 2 && !harness.scanner.isScanning, 10_000);
      assert.ok(
        scans.length >= 1 && scans.length <= 3,
        `events were batched into few scans (${scans.length})`,
      );

      const id = harness.runtime.db
        .prepare("SELECT id FROM track WHERE path = 'New/Album/02 - New Two.mp3'")
        .pluck()
        .get();
      fs.renameSync(
        path.join(library.root, 'New/Album/02 - New Two.mp3'),
        path.join(library.root, 'New/Album/02 - renamed.mp3'),
      );
      await waitFor(() => has('New/Album/02 - renamed.mp3') && !harness.scanner.isScanning, 10_000);
      assert.equal(
        harness.runtime.db
          .prepare("SELECT id FROM track WHERE path = 'New/Album/02 - renamed.mp3'")
          .pluck()
          .get(),
        id,
      );

      fs.rmSync(path.join(library.root, 'New'), { recursive: true });
      await waitFor(() => trackCount() === before && !harness.scanner.isScanning, 10_000);
    } finally {
      await watcher.close();
      await harness.scanner.scan().catch(() => undefined);
      await harness.close();
      library.cleanup();
    }
  });
}
