// What keeps an idle `tonearm serve` small (docs/benchmarks.md, "Memory (issue 11)"): no worker thread runs
// once the start-up scan is done (tag readers end with the scan, read workers start with the first request
// that needs one), sharp (libvips) is loaded by the first image and not before, and Node's bundled undici
// (fetch, WebSocket: ~14 MB) is never loaded by answering requests. Observed from outside the process:
// its threads and mapped libraries in /proc, and Node's list of loaded internal modules.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { cleanEnv, REPO_ROOT } from '../helpers/cli.ts';
import { buildFixtureLibrary } from '../helpers/library-fixture.ts';
import { type ServeProcess, startServe, subsonicOk, waitForLog } from '../helpers/serve-process.ts';

const execFileAsync = promisify(execFile);
const linux = fs.existsSync('/proc/self/task');

function workerThreads(pid: number): number {
  let count = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      if (fs.readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim() === 'WorkerThread') count++;
    } catch {
      // the thread ended while we looked
    }
  }
  return count;
}

function libvipsLoaded(pid: number): boolean {
  return fs.readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libvips');
}

/** Polls until `probe` holds (the process does this work in the background), failing after a deadline. */
async function until(server: ServeProcess, what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`never saw ${what}:\n${server.logs().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('runs no worker thread and no libvips while idle after the start-up scan', { skip: !linux }, async () => {
  const library = await buildFixtureLibrary();
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-memory-'));
  const server = await startServe({ music: [library.root], data });
  try {
    await waitForLog(server, /"msg":"scan finished"/);
    // The tag readers ended with the scan; no read worker runs before a request needs one.
    await until(server, 'the tag readers end', () => workerThreads(server.pid) === 0);
    assert.equal(libvipsLoaded(server.pid), false, 'sharp is not loaded before an image is needed');

    const login = {
      username: 'admin',
      password: fs.readFileSync(path.join(data, 'initial-admin-password.txt'), 'utf8').trim(),
    };
    const albums = await subsonicOk(server.url, login, 'getAlbumList2', { type: 'newest', size: 5 });
    const list = (albums.albumList2 as { album: { id: string; coverArt?: string }[] }).album;
    assert.ok(list.length > 0);
    // The read-only request started a read worker.
    await until(server, 'a read worker', () => workerThreads(server.pid) === 1);

    const covered = list.find((album) => album.coverArt)!;
    const cover = await fetch(
      `${server.url}/rest/getCoverArt?u=admin&p=${encodeURIComponent(login.password)}&v=1.16.1&c=t&id=${covered.coverArt}&size=100`,
    );
    assert.equal(cover.status, 200);
    assert.match(cover.headers.get('content-type') ?? '', /^image\//);
    await cover.arrayBuffer();
    assert.equal(libvipsLoaded(server.pid), true, 'the first resize loaded sharp');
  } finally {
    await server.stop();
    library.cleanup();
    fs.rmSync(data, { recursive: true, force: true });
  }
});

it("answers JSON, problems and Subsonic calls without loading Node's bundled undici", async () => {
  // A child process of its own: this test process uses fetch, which loads undici. Its requests go through
  // node:http, required (an ES import of node:http would load undici by itself).
  const script = `
    import { createRequire } from 'node:module';
    import { startTestServer } from './test/helpers/http.ts';
    const http = createRequire(process.cwd() + '/')('node:http');
    const server = await startTestServer({ logLevel: 'silent', users: [{ username: 'admin', password: 'pw' }] });
    const get = (url) => new Promise((resolve, reject) =>
      http.get(server.origin + url, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      }).on('error', reject));
    const statuses = [];
    for (const url of ['/health', '/api/nothing-here', '/rest/ping?u=admin&p=pw&v=1.16.1&c=t&f=json',
      '/rest/ping?u=admin&p=wrong&v=1.16.1&c=t', '/api/v1/transcoding/profiles', '/metrics'])
      statuses.push(await get(url));
    await server.close();
    const undici = process.moduleLoadList.filter((name) => name.includes('undici'));
    process.stdout.write(JSON.stringify({ statuses, undici }));
  `;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
  });
  const result = JSON.parse(stdout) as { statuses: number[]; undici: string[] };
  assert.deepEqual(result.statuses, [200, 404, 200, 200, 401, 200]);
  assert.deepEqual(result.undici, []);
});
