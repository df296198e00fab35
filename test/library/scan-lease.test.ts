// Scans take turns across processes: the server and `tonearm scan` on one data folder never scan at once
// (each would diff the catalog as it was before the other's writes), and a lease left by a killed process
// does not block scans.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ScanLease } from '../../src/library/scan-lease.ts';
import { CLI, cleanEnv, REPO_ROOT } from '../helpers/cli.ts';
import { buildFixtureLibrary, type FixtureLibrary } from '../helpers/library-fixture.ts';
import { allIds, openScanHarness } from '../helpers/scan.ts';

let library: FixtureLibrary;
before(async () => {
  library = await buildFixtureLibrary();
});
after(() => library.cleanup());

const LEASE_MODULE = fileURLToPath(new URL('../../src/library/scan-lease.ts', import.meta.url));

describe('scan lease', () => {
  it('a second scanner on the same database waits for the first, and the library ends as one clean scan leaves it', async () => {
    const first = await openScanHarness([library.root]);
    const second = await openScanHarness([library.root], { dataDir: first.dataDir });
    try {
      const running = first.scanner.scan({ full: true });
      const waiting = second.scanner.scan({ full: true });
      const progress = second.scanner.progress();
      assert.equal(progress.phase, 'waiting');
      assert.equal(progress.waitingFor?.pid, process.pid);
      const [a, b] = await Promise.all([running, waiting]);
      assert.ok(a.added > 0);
      assert.equal(b.added, 0, 'the second scan found the first one done');
      assert.ok(b.startedAt >= a.finishedAt, 'the second scan started after the first had finished');
      const check = new ScanLease(first.dataDir);
      assert.equal(check.tryAcquire(), undefined, 'the lease is given back');
      check.release();
      const clean = await openScanHarness([library.root]);
      await clean.scanner.scan();
      assert.deepEqual(allIds(first.runtime), allIds(clean.runtime));
      await clean.close();
      fs.rmSync(clean.dataDir, { recursive: true, force: true });

      // A rescan with nothing changed still writes nothing (the lease's own rows do not count).
      assert.equal((await first.scanner.scan()).rowsWritten, 0);
    } finally {
      await second.close();
      await first.close();
      fs.rmSync(first.dataDir, { recursive: true, force: true });
    }
  });

  it('a lease held by a process that was killed is free at once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-lease-'));
    const lease = new ScanLease(dataDir);
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { ScanLease } from ${JSON.stringify(LEASE_MODULE)};
         const lease = new ScanLease(${JSON.stringify(dataDir)});
         if (lease.tryAcquire() === undefined) console.log('held');
         setInterval(() => lease, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const other = lease.tryAcquire();
      assert.equal(other?.pid, holder.pid, 'the holder is named');
      assert.equal(other?.host, os.hostname());
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      assert.equal(lease.tryAcquire(), undefined, "the operating system let go of the dead holder's lock");
      lease.release();
      assert.equal((fs.statSync(path.join(dataDir, 'scan.lock')).mode & 0o777).toString(8), '600');
    } finally {
      holder.kill('SIGKILL');
      lease.release();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('tonearm scan says it waits for the scan of another process, then scans', async () => {
    const harness = await openScanHarness([library.root]);
    // This test process holds the lease, as a server in the middle of a scan would, until the CLI says
    // that it waits.
    const lease = new ScanLease(harness.dataDir);
    assert.equal(lease.tryAcquire(), undefined);
    const child = spawn(process.execPath, [CLI, 'scan', '--music', library.root, '--data', harness.dataDir], {
      cwd: REPO_ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('waiting for the scan of another process')) lease.release();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      assert.equal(code, 0, stderr);
      assert.match(
        stderr,
        new RegExp(
          `waiting for the scan of another process \\(pid ${process.pid} on ${os.hostname()}, since [^)]+\\) to finish`,
        ),
      );
      assert.match(stdout, /scan finished/);
    } finally {
      lease.release();
      await harness.close();
      fs.rmSync(harness.dataDir, { recursive: true, force: true });
    }
  });
});
