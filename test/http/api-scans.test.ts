// Scans over the native API with the real scanner and a small library of real audio (and one empty file
// the scanner must report): the status before anything ran, a start while another process holds the scan
// lease (the scan waits, a second start is 409), the report when it is done (file errors for admins
// only), one library and full scans, and the library being scanned. Subsonic getScanStatus agrees.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { ensureSearchIndex } from '../../src/catalog/search.ts';
import { loadConfig } from '../../src/config/load.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { ScanLease } from '../../src/library/scan-lease.ts';
import { Scanner } from '../../src/library/scanner.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { type ApiAuth, api, assertProblem } from '../helpers/api-requests.ts';
import { makeAudio } from '../helpers/audio.ts';
import { startTestServer, subsonicJson, type TestServer } from '../helpers/http.ts';

let server: TestServer;
let scanner: Scanner;
let root: string;
let libraryId: number;
let adminKey: ApiAuth;
let aliceKey: ApiAuth;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-scans-'));
  const album = { artist: 'Scan Band', album_artist: 'Scan Band', album: 'Scanned', date: '2001' };
  await makeAudio(path.join(root, 'Scan Band/Scanned/01 - One.mp3'), {
    format: 'mp3',
    tags: { ...album, title: 'One', track: '1' },
  });
  await makeAudio(path.join(root, 'Scan Band/Scanned/02 - Two.flac'), {
    format: 'flac',
    frequency: 550,
    tags: { ...album, title: 'Two', track: '2' },
  });
  await makeAudio(path.join(root, 'Loose.ogg'), { format: 'ogg', tags: { title: 'Loose', artist: 'Solo' } });
  fs.writeFileSync(path.join(root, 'empty.mp3'), Buffer.alloc(0));

  const holder: { scanner?: Scanner } = {};
  server = await startTestServer({
    logLevel: 'warn',
    users: [
      { username: 'admin', password: 'admin-pw', isAdmin: true },
      { username: 'alice', password: 'alice-pw', isAdmin: false },
    ],
    services: {
      // The scanner needs the server's database, which exists only once the server does.
      scanner: {
        scan: (options) => holder.scanner!.scan(options),
        progress: () => holder.scanner!.progress(),
      },
    },
  });
  const { config } = loadConfig({
    env: {},
    flags: { music: [{ name: 'Tunes', path: root }], dataDir: server.dir, logLevel: 'silent' },
  });
  libraryId = syncLibraries(server.db, config.music, Date.now())[0]!.id;
  ensureSearchIndex(server.db);
  scanner = holder.scanner = new Scanner({ db: server.db, config, logger: silentLogger });
  adminKey = { key: createApiKey(server.db, 'admin').key };
  aliceKey = { key: createApiKey(server.db, 'alice').key };
});
after(async () => {
  await server?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function subsonicScanStatus() {
  const answer = await subsonicJson(server, 'getScanStatus', {
    u: 'admin',
    p: 'admin-pw',
    v: '1.16.1',
    c: 'test',
  });
  return answer.scanStatus as { scanning: boolean; count: number };
}

const pick = ({ scanning, count }: { scanning: boolean; count: number }) => ({ scanning, count });

async function whenDone() {
  for (let tries = 0; tries < 500; tries++) {
    const status = await api(server, 'GET', '/scans/status', adminKey);
    if (!status.body.scanning) return status.body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the scan did not finish');
}

describe('scans', () => {
  test('before any scan: idle, nothing to report', async () => {
    const status = await api(server, 'GET', '/scans/status', aliceKey);
    assert.equal(status.status, 200);
    assert.deepEqual(
      {
        scanning: status.body.scanning,
        phase: status.body.phase,
        library: status.body.library,
        lastReport: status.body.lastReport,
        trackCount: status.body.trackCount,
        lastScanAt: status.body.lastScanAt,
      },
      { scanning: false, phase: 'idle', library: null, lastReport: null, trackCount: 0, lastScanAt: null },
    );
    assert.deepEqual(pick(await subsonicScanStatus()), { scanning: false, count: 0 });
  });

  test('start: waits for another process’s scan, refuses a second start, then reports what it found', async () => {
    // Another process (as `tonearm scan` would) holds the scan lease: the server's scan waits for it.
    const lease = new ScanLease(server.dir);
    assert.equal(lease.tryAcquire(), undefined);
    let released = false;
    try {
      assertProblem(await api(server, 'POST', '/scans', aliceKey, {}), 403);
      const started = await api(server, 'POST', '/scans', adminKey, {});
      assert.equal(started.status, 202);
      assert.equal(started.body.scanning, true);
      assert.equal(started.body.phase, 'waiting');
      assert.equal(started.body.waitingFor.pid, process.pid);

      const waiting = await api(server, 'GET', '/scans/status', aliceKey);
      assert.equal(waiting.body.phase, 'waiting');
      assert.equal(waiting.body.startedAt, null, 'not started while it waits');
      assertProblem(await api(server, 'POST', '/scans', adminKey, { full: true }), 409, /already running/);
      assert.equal((await subsonicScanStatus()).scanning, true);

      // Which library is being scanned, seen from inside while it runs.
      const librariesSeen = new Set<string>();
      const watch = setInterval(() => {
        const library = scanner.progress().library;
        if (library) librariesSeen.add(JSON.stringify(library));
      }, 1);
      lease.release();
      released = true;
      const done = await whenDone();
      clearInterval(watch);
      assert.deepEqual([...librariesSeen], [JSON.stringify({ id: libraryId, name: 'Tunes' })]);

      assert.equal(done.phase, 'idle');
      assert.equal(done.library, null);
      assert.equal(done.startedAt, null);
      assert.equal(done.trackCount, 3);
      assert.ok(done.lastScanAt);
      const report = done.lastReport;
      assert.equal(report.added, 3);
      assert.equal(report.full, false);
      assert.ok(Date.parse(report.finishedAt) >= Date.parse(report.startedAt));
      assert.equal(report.errorCount, 1);
      assert.deepEqual(
        report.errors.map((error: { path: string }) => error.path),
        ['empty.mp3'],
      );
      // A user sees the counts, not paths on the server's disks.
      const seenByAlice = (await api(server, 'GET', '/scans/status', aliceKey)).body.lastReport;
      assert.equal(seenByAlice.errorCount, 1);
      assert.equal(seenByAlice.errors, undefined);
      assert.deepEqual(pick(await subsonicScanStatus()), { scanning: false, count: 3 });
    } finally {
      if (!released) lease.release();
    }
  });

  test('one library, a full scan, and what is refused', async () => {
    assertProblem(await api(server, 'POST', '/scans', adminKey, { libraryId: 999 }), 404, /library/);
    assertProblem(await api(server, 'POST', '/scans', adminKey, { full: 'yes' }), 400, /full/);
    assertProblem(await api(server, 'POST', '/scans', adminKey, { everything: true }), 400);
    const started = await api(server, 'POST', '/scans', adminKey, { full: true, libraryId });
    assert.equal(started.status, 202);
    assert.equal(started.body.full, true);
    const done = await whenDone();
    assert.equal(done.lastReport.full, true);
    assert.equal(done.lastReport.added, 0);
    assert.equal(done.trackCount, 3);
  });

  test('the server facts list the library as scanned', async () => {
    const facts = await api(server, 'GET', '/admin/server', adminKey);
    assert.equal(facts.status, 200);
    assert.deepEqual(
      facts.body.libraries.map((library: { id: number; name: string; path: string; online: boolean }) => ({
        id: library.id,
        name: library.name,
        path: library.path,
        online: library.online,
      })),
      [{ id: libraryId, name: 'Tunes', path: root, online: true }],
    );
    assert.ok(Date.parse(facts.body.libraries[0].lastScanAt) > 0);
    assert.equal(facts.body.dataFolder, server.dir);
    // The tests make their audio with ffmpeg, so the server finds it too.
    assert.deepEqual(facts.body.ffmpeg, { path: server.config.transcoding.ffmpeg, available: true });
  });
});
