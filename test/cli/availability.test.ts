// Unavailable libraries end to end, with real processes: `tonearm serve` starting while a known
// library's folder is not there (a NAS share that mounts after the container), its watcher seeing a
// folder emptied under it, the periodic check bringing the library back (rescanned, same ids, watched
// again); `library list`, getScanStatus, /metrics and streams saying it is offline; `tonearm scan`
// reporting the removal guard and `--allow-removal`; a folder unreadable to the server's user.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, cleanEnv, REPO_ROOT, runCli } from '../helpers/cli.ts';
import { makeAudio } from '../helpers/audio.ts';
import { buildFixtureLibrary, FIXTURE_FILES, type FixtureLibrary } from '../helpers/library-fixture.ts';
import type { Json } from '../helpers/subsonic-server.ts';

const TRACKS = FIXTURE_FILES.length;
const cleanups: (() => void)[] = [];
after(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

function tmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function fixture(): Promise<FixtureLibrary> {
  const library = await buildFixtureLibrary();
  cleanups.push(() => library.cleanup());
  return library;
}

async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  context: () => string = () => '',
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Moves every entry of `from` into a new folder (what an unmounted mount point looks like: empty). */
function moveContents(from: string): string {
  const aside = tmp('tonearm-aside-');
  for (const name of fs.readdirSync(from)) fs.renameSync(path.join(from, name), path.join(aside, name));
  return aside;
}

function moveBack(aside: string, to: string): void {
  for (const name of fs.readdirSync(aside)) fs.renameSync(path.join(aside, name), path.join(to, name));
}

interface Serve {
  child: ChildProcessWithoutNullStreams;
  url: string;
  logs(): string;
  /** Parsed log lines with this message. */
  lines(msg: string): Record<string, unknown>[];
  /** The inside of subsonic-response (JSON), as the admin, with a non-legacy client. */
  api(endpoint: string, params?: Record<string, string>): Promise<Json>;
  metric(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** `tonearm serve` on a loopback port with a quick watcher and (unless env says otherwise) offline check. */
async function serve(music: string, data: string, env: NodeJS.ProcessEnv = {}): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--music', music, '--data', data, '--host', '127.0.0.1', '--port', '0'],
    {
      cwd: REPO_ROOT,
      env: {
        ...cleanEnv(),
        TONEARM_SCANNER_OFFLINE_CHECK_INTERVAL_MS: '300',
        TONEARM_SCANNER_WATCH_DEBOUNCE_MS: '200',
        TONEARM_READ_WORKERS: '0',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let logs = '';
  child.stdout.on('data', (chunk) => (logs += chunk));
  child.stderr.on('data', (chunk) => (logs += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = await waitFor(
    () => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(logs)?.[1],
    'the server to listen',
    () => logs,
  );
  const password = fs.readFileSync(path.join(data, 'initial-admin-password.txt'), 'utf8').trim();
  const lines = (msg: string) =>
    logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === msg);
  return {
    child,
    url,
    logs: () => logs,
    lines,
    async api(endpoint, params = {}) {
      const search = new URLSearchParams({
        u: 'admin',
        p: password,
        v: '1.16.1',
        c: 'test',
        f: 'json',
        ...params,
      });
      const response = await fetch(`${url}/rest/${endpoint}?${search}`);
      return ((await response.json()) as Json)['subsonic-response'] as Json;
    },
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith(name))
        .join('\n');
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Song ids of the whole library through search3 (an empty query lists everything). */
async function songIds(server: Serve): Promise<string[]> {
  const result = await server.api('search3', {
    query: '',
    songCount: '500',
    albumCount: '0',
    artistCount: '0',
  });
  return ((result.searchResult3.song ?? []) as { id: string }[]).map((song) => song.id).sort();
}

const asNobody = { uid: 65534, gid: 65534 };

/** A fixture library scanned once by an unprivileged user (root reads every file, whatever its mode). */
async function scannedAsNobody(): Promise<{ library: FixtureLibrary; data: string }> {
  const library = await fixture();
  const data = tmp('tonearm-data-');
  fs.chownSync(data, 65534, 65534);
  fs.chmodSync(library.root, 0o755);
  const first = await runCli(['scan', '--music', library.root, '--data', data], asNobody);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /added 17,/);
  return { library, data };
}

async function libraryList(data: string): Promise<string> {
  const result = await runCli(['library', 'list', '--data', data]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

describe('tonearm serve with a library that is unavailable', () => {
  it('starts while a known library is not mounted yet, and takes it back when it is', async () => {
    const library = await fixture();
    const data = tmp('tonearm-data-');
    const name = path.basename(library.root);
    const first = await runCli(['scan', '--music', library.root, '--data', data]);
    assert.equal(first.code, 0, first.stderr);

    // A folder never seen before that is missing is still a start-up error (a typo in --music).
    const typo = await runCli([
      'scan',
      '--music',
      library.root,
      '--music',
      `${library.root}-typo`,
      '--data',
      data,
    ]);
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /music folder .*-typo does not exist/);

    const away = `${library.root}-not-mounted`;
    fs.renameSync(library.root, away);
    cleanups.push(() => fs.existsSync(away) && fs.renameSync(away, library.root));
    const server = await serve(library.root, data);
    try {
      await waitFor(() => server.lines('scan finished').length > 0, 'the start-up scan', server.logs);
      const offline = server.lines('library is offline; its tracks are kept until it is back');
      assert.equal(offline.length, 1, 'warned once, not on every scan');
      assert.equal(offline[0]!.reason, 'folder missing');
      assert.match(
        await libraryList(data),
        new RegExp(
          `${name} .* ${TRACKS} .*offline since \\d{4}-\\d\\d-\\d\\dT[^:]+:\\d\\d:\\d\\d\\.\\d+Z: folder missing`,
        ),
      );
      assert.equal(
        await server.metric('tonearm_library_online{'),
        `tonearm_library_online{library="${name}"} 0`,
      );
      const status = (await server.api('getScanStatus')).scanStatus;
      assert.equal(status.count, TRACKS, 'its songs are still there');
      assert.deepEqual(
        status.library.map((entry: Record<string, unknown>) => [
          entry.name,
          entry.online,
          entry.offlineReason,
        ]),
        [[name, false, 'folder missing']],
      );
      assert.match(status.library[0].offlineSince, /^\d{4}-\d\d-\d\dT/);
      const ids = await songIds(server);
      assert.equal(ids.length, TRACKS);
      const stream = await (
        await fetch(
          `${server.url}/rest/stream?${new URLSearchParams({ u: 'admin', p: fs.readFileSync(path.join(data, 'initial-admin-password.txt'), 'utf8').trim(), v: '1.16.1', c: 'test', id: ids[0]! })}`,
        )
      ).text();
      assert.match(stream, new RegExp(`library &quot;${name}&quot; is offline \\(folder missing since `));

      // The share is mounted: the periodic check scans it, the library is online with the same ids...
      fs.renameSync(away, library.root);
      await waitFor(
        () => server.lines('library is back online').length === 1,
        'the library to come back',
        server.logs,
      );
      assert.equal(
        await server.metric('tonearm_library_online{'),
        `tonearm_library_online{library="${name}"} 1`,
      );
      assert.match(await libraryList(data), new RegExp(`${name} .* ${TRACKS} .* online\\n`));
      assert.deepEqual(await songIds(server), ids);
      assert.equal((await server.api('getScanStatus')).scanStatus.library[0].online, true);
      // ...and watched: a new album shows up without a scan being asked for.
      await makeAudio(path.join(library.root, 'Late/Arrival/01 - Late.mp3'), {
        format: 'mp3',
        frequency: 910,
        tags: { title: 'Late', artist: 'Latecomer', album: 'Arrival', track: '1' },
      });
      await waitFor(
        async () => (await songIds(server)).length === TRACKS + 1,
        'the watcher to add the new file',
        server.logs,
      );
    } finally {
      await server.stop();
    }
  });

  it('its watcher sees the folder emptied: offline, stars and playlists kept; startScan takes it back', async () => {
    const library = await fixture();
    const data = tmp('tonearm-data-');
    const name = path.basename(library.root);
    // No periodic check during this test: only the watcher can see the folder emptied.
    const server = await serve(library.root, data, {
      TONEARM_SCANNER_OFFLINE_CHECK_INTERVAL_MS: '3600000',
      TONEARM_LOG_LEVEL: 'debug',
    });
    try {
      await waitFor(() => server.lines('scan finished').length > 0, 'the start-up scan', server.logs);
      const ids = await songIds(server);
      assert.equal(ids.length, TRACKS);
      const favourite = ids[0]!;
      assert.equal((await server.api('star', { id: favourite })).status, 'ok');
      assert.equal((await server.api('scrobble', { id: favourite })).status, 'ok');
      const playlist = (await server.api('createPlaylist', { name: 'Keep', songId: favourite })).playlist;

      const aside = moveContents(library.root);
      await waitFor(
        () => server.lines('library is offline; its tracks are kept until it is back').length === 1,
        'the watcher to find the folder empty',
        server.logs,
      );
      assert.ok(server.lines('library changed').length > 0, 'the watcher saw the files go');
      assert.equal(server.lines('library folder looks unavailable; scanning it').length, 0);
      assert.equal(
        await server.metric('tonearm_library_online{'),
        `tonearm_library_online{library="${name}"} 0`,
      );
      assert.match(
        await libraryList(data),
        /offline since .*: folder is empty while the catalog holds 17 tracks from it/,
      );
      assert.equal((await server.api('getScanStatus')).scanStatus.library[0].online, false);
      assert.deepEqual(await songIds(server), ids);
      const starred = (await server.api('getStarred2')).starred2.song as { id: string; playCount: number }[];
      assert.deepEqual(
        starred.map((song) => [song.id, song.playCount]),
        [[favourite, 1]],
      );
      assert.deepEqual(
        (await server.api('getPlaylist', { id: playlist.id })).playlist.entry.map(
          (entry: { id: string }) => entry.id,
        ),
        [favourite],
      );

      // The share is back; an admin's startScan re-checks the library and brings it back.
      moveBack(aside, library.root);
      assert.equal((await server.api('startScan')).status, 'ok');
      await waitFor(
        () => server.lines('library is back online').length === 1,
        'the library to come back',
        server.logs,
      );
      assert.deepEqual(await songIds(server), ids);
      assert.equal((await server.api('getStarred2')).starred2.song[0].id, favourite);
      // Watched again: a removed file is seen.
      fs.rmSync(path.join(library.root, FIXTURE_FILES[0]!.path));
      await waitFor(
        async () => (await songIds(server)).length === TRACKS - 1,
        'the watcher to remove the file',
        server.logs,
      );
    } finally {
      await server.stop();
    }
  });
});

describe('tonearm scan', () => {
  it('says a library was skipped as offline, and what the removal guard kept and how to remove it', async () => {
    const library = await fixture();
    const data = tmp('tonearm-data-');
    const name = path.basename(library.root);
    assert.equal((await runCli(['scan', '--music', library.root, '--data', data])).code, 0);

    const aside = moveContents(library.root);
    const offline = await runCli(['scan', '--music', library.root, '--data', data]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(
      offline.stdout,
      new RegExp(
        `library ${name} skipped: offline \\(folder is empty while the catalog holds 17 tracks from it\\); its tracks are kept until it is back`,
      ),
    );
    moveBack(aside, library.root);

    for (const gone of ['Artist A/2001 - First Album', 'Mixed', 'Compilations/Hits/02 - Y.mp3'])
      fs.rmSync(path.join(library.root, gone), { recursive: true });
    const guarded = await runCli(['scan', '--music', library.root, '--data', data]);
    assert.equal(guarded.code, 0, guarded.stderr);
    assert.match(guarded.stdout, /removed 1,/);
    assert.match(
      guarded.stdout,
      new RegExp(
        `library ${name}: kept 6 tracks whose folders are gone: this scan would have removed 7 of 17 tracks, more than scanner\\.maxRemovalShare \\(0\\.25\\); if they are really gone, run \`tonearm scan --full --allow-removal --library ${name}\``,
      ),
    );
    assert.match(await libraryList(data), new RegExp(`${name} .* 16 .* online`));

    const allowed = await runCli([
      'scan',
      '--full',
      '--allow-removal',
      '--music',
      library.root,
      '--data',
      data,
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /removed 6,/);
    assert.doesNotMatch(allowed.stdout, /kept/);
    assert.match(await libraryList(data), new RegExp(`${name} .* 10 .* online`));
  });

  it('--allow-removal empties only the libraries it names, never a share that is merely unmounted', async () => {
    // Library "Emptied" whose owner really deleted its music, and "NAS Share" whose share is not mounted
    // (its mount point is empty): the same sight to a scanner. Names as `library list` shows them.
    const parent = tmp('tonearm-libs-');
    const roots = { emptied: path.join(parent, 'Emptied'), nas: path.join(parent, 'NAS Share') };
    for (const root of Object.values(roots)) fs.renameSync((await fixture()).root, root);
    const data = tmp('tonearm-data-');
    const music = ['--music', roots.emptied, '--music', roots.nas, '--data', data];
    assert.match((await runCli(['scan', ...music])).stdout, /added 34,/);
    const status = async () =>
      (await libraryList(data))
        .split('\n')
        .slice(1, 3)
        .map((line) => {
          const [, name, tracks, state] = /^\d+\s+(.+?)\s{2,}\S.*?\s(\d+)\s.*?\s(online|offline since)/.exec(
            line,
          )!;
          return `${name}: ${tracks} ${state}`;
        });

    fs.rmSync(roots.emptied, { recursive: true });
    fs.mkdirSync(roots.emptied);
    const aside = moveContents(roots.nas);
    const offline = await runCli(['scan', ...music]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, /library Emptied skipped: offline \(folder is empty/);
    assert.match(offline.stdout, /library NAS Share skipped: offline \(folder is empty/);

    // Over several libraries --allow-removal alone is refused: one line, non-zero exit, nothing scanned.
    const blanket = await runCli(['scan', '--full', '--allow-removal', ...music]);
    assert.equal(blanket.code, 1);
    assert.equal(
      blanket.stderr,
      'tonearm: --allow-removal removes tracks, so it needs the libraries it may remove them from: add --library NAME for each (libraries: Emptied, "NAS Share")\n',
    );
    assert.equal(blanket.stdout, '');
    const unknown = await runCli(['scan', '--library', 'NAS', ...music]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'tonearm: no library named NAS (libraries: Emptied, "NAS Share")\n');
    assert.deepEqual(await status(), ['Emptied: 17 offline since', 'NAS Share: 17 offline since']);

    const named = await runCli(['scan', '--full', '--allow-removal', '--library', 'Emptied', ...music]);
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, /removed 17,/);
    assert.doesNotMatch(named.stdout, /NAS Share/, 'the other library is not scanned');
    assert.deepEqual(await status(), ['Emptied: 0 online', 'NAS Share: 17 offline since']);

    // The share is mounted again with albums gone: the guard names the library in the command it gives,
    // quoted for the shell, and that command removes them.
    moveBack(aside, roots.nas);
    for (const gone of ['Artist A/2001 - First Album', 'Mixed'])
      fs.rmSync(path.join(roots.nas, gone), { recursive: true });
    const guarded = await runCli(['scan', ...music]);
    assert.match(
      guarded.stdout,
      /library NAS Share: kept 6 tracks whose folders are gone: .*; if they are really gone, run `tonearm scan --full --allow-removal --library "NAS Share"`/,
    );
    const suggested = await runCli(['scan', '--full', '--allow-removal', '--library', 'NAS Share', ...music]);
    assert.equal(suggested.code, 0, suggested.stderr);
    assert.match(suggested.stdout, /removed 6,/);
    assert.deepEqual(await status(), ['Emptied: 0 online', 'NAS Share: 11 online']);
  });

  it('keeps the tracks of a folder the scanning user cannot read', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run the scan as another user (root reads every folder)');
      return;
    }
    const { library, data } = await scannedAsNobody();

    const locked = path.join(library.root, 'Artist A/2001 - First Album');
    // Listed but not searchable: its files cannot be stat'ed.
    const listable = path.join(library.root, 'Mixed/Mixtape');
    fs.chmodSync(locked, 0o000);
    fs.chmodSync(listable, 0o644);
    try {
      const scan = await runCli(['scan', '--music', library.root, '--data', data], asNobody);
      assert.equal(scan.code, 0, scan.stderr);
      assert.match(scan.stdout, /removed 0,/);
      assert.match(
        scan.stdout,
        /skipped Artist A\/2001 - First Album: folder cannot be read \(EACCES\); 4 known tracks kept/,
      );
      for (const file of ['01 - P.flac', '02 - Q.flac'])
        assert.match(
          scan.stdout,
          new RegExp(`skipped Mixed/Mixtape/${file}: file cannot be read \\(EACCES\\); 1 known track kept`),
        );
      assert.match(await libraryList(data), new RegExp(` ${TRACKS} .* online`));
    } finally {
      fs.chmodSync(locked, 0o755);
      fs.chmodSync(listable, 0o755);
    }
  });

  it('keeps a track whose file cannot be read when the scan reads it, and reads it again next time', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run the scan as another user (root reads every file)');
      return;
    }
    const { library, data } = await scannedAsNobody();

    // A changed file the scan must read, which fails with an errno code (here EACCES: what a share whose
    // permissions or user mapping changed answers; EIO, ESTALE or ENOENT from a dropped share take the same
    // path): the walk can stat it, the read fails. And a new file that cannot be read yet.
    const known = 'Artist B/Double/CD 1/01 - Side A.mp3';
    const added = 'Late/Arrival/01 - Late.mp3';
    await makeAudio(path.join(library.root, added), {
      format: 'mp3',
      frequency: 910,
      tags: { title: 'Late', artist: 'Latecomer', album: 'Arrival', track: '1' },
    });
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(library.root, known), later, later);
    for (const relPath of [known, added]) fs.chmodSync(path.join(library.root, relPath), 0o000);
    const scan = await runCli(['scan', '--music', library.root, '--data', data], asNobody);
    assert.equal(scan.code, 0, scan.stderr);
    assert.match(scan.stdout, /added 0, updated 0, moved 0, removed 0,/);
    assert.match(
      scan.stdout,
      new RegExp(`skipped ${known}: file cannot be read \\(EACCES\\); known track kept\n`),
    );
    assert.match(scan.stdout, new RegExp(`skipped ${added}: file cannot be read \\(EACCES\\)\n`));
    assert.match(await libraryList(data), new RegExp(` ${TRACKS} .* online`));

    // Readable again: both are read (neither was recorded as a broken file to skip while unchanged).
    for (const relPath of [known, added]) fs.chmodSync(path.join(library.root, relPath), 0o644);
    const again = await runCli(['scan', '--music', library.root, '--data', data], asNobody);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /added 1, updated 1, moved 0, removed 0,/);
    assert.doesNotMatch(again.stdout, /EACCES/);
    assert.match(await libraryList(data), new RegExp(` ${TRACKS + 1} .* online`));
  });
});
