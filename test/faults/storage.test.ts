// Storage faults under a running server: the data folder on a small tmpfs fills up, the database is held
// locked by another program for longer than the server waits, and the file system under the data folder
// is turned read-only by the kernel (ext4 after an error). Each time clients get a clear error (never
// "internal error"), /health says degraded while reads and streams go on, the server recovers by itself
// when a full disk or a lock clears, and after a SIGKILL every acknowledged write is there and
// integrity_check passes. Mounting needs privileges: without them those parts are skipped with a message
// (CI runs as root).
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildFixtureLibrary, type FixtureLibrary } from '../helpers/library-fixture.ts';
import {
  initialAdminPassword,
  type ServeProcess,
  type SubsonicAnswer,
  type SubsonicLogin,
  sqlite3,
  startServe,
  subsonic,
  subsonicOk,
  waitForLog,
} from '../helpers/serve-process.ts';

const TMPFS_BYTES = 24 * 1024 * 1024;

let library: FixtureLibrary;
let work: string;

before(async () => {
  library = await buildFixtureLibrary();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-storage-'));
});

after(() => {
  fs.rmSync(work, { recursive: true, force: true });
  library.cleanup();
});

/** Runs a command as root would; answers undefined, or why it could not run. */
function tryRun(command: string, args: string[]): string | undefined {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return ((error as { stderr?: Buffer }).stderr?.toString() || (error as Error).message).trim();
  }
}

interface Health {
  status: string;
  checks: Record<string, { status: string; detail?: string }>;
}

async function health(url: string): Promise<Health> {
  return (await (await fetch(`${url}/health`)).json()) as Health;
}

async function waitForHealth(url: string, status: string): Promise<Health> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answer = await health(url);
    if (answer.status === status) return answer;
    if (Date.now() > deadline) throw new Error(`health stayed ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A serve process on a data folder, with the admin's login and some song ids. */
class Fixture {
  server: ServeProcess | undefined;
  admin!: SubsonicLogin;
  songs: string[] = [];
  /** Names of the playlists the server acknowledged. */
  readonly playlists: string[] = [];
  readonly data: string;

  constructor(data: string) {
    this.data = data;
  }

  get url(): string {
    return this.server!.url;
  }

  async start(options: { awaitScan?: boolean } = {}): Promise<void> {
    this.server = await startServe({
      music: [library.root],
      data: this.data,
      args: ['--no-watch', ...(options.awaitScan === false ? ['--no-scan'] : [])],
      env: { TONEARM_STORAGE_MIN_FREE_SPACE: '2MB' },
    });
    if (options.awaitScan === false) return;
    await waitForLog(this.server, /"msg":"scan finished"/);
    this.admin = { username: 'admin', password: initialAdminPassword(this.data) };
    this.songs = (
      (
        await subsonicOk(this.url, this.admin, 'search3', {
          query: '',
          songCount: 50,
          artistCount: 0,
          albumCount: 0,
        })
      ).searchResult3 as { song: { id: string }[] }
    ).song.map((song) => song.id);
  }

  /** Creates a playlist (with a comment, to make the write bigger); remembers it when acknowledged. */
  async createPlaylist(name: string, comment = ''): Promise<SubsonicAnswer> {
    const created = await subsonic(this.url, this.admin, 'createPlaylist', {
      name,
      songId: this.songs.slice(0, 3),
    });
    let answer = created;
    if (created.status === 'ok' && comment) {
      const id = (created.playlist as { id: string }).id;
      answer = await subsonic(this.url, this.admin, 'updatePlaylist', { playlistId: id, comment });
    }
    if (created.status === 'ok') this.playlists.push(name);
    return answer;
  }

  /** SIGKILL, integrity_check, start again: every acknowledged playlist is there. */
  async killAndVerify(beforeRestart?: () => void): Promise<void> {
    await this.server!.kill();
    this.server = undefined;
    beforeRestart?.();
    assert.equal(await sqlite3(path.join(this.data, 'tonearm.db'), 'PRAGMA integrity_check'), 'ok');
    await this.start({ awaitScan: false });
    const names = (
      (await subsonicOk(this.url, this.admin, 'getPlaylists')).playlists as { playlist: { name: string }[] }
    ).playlist.map((playlist) => playlist.name);
    for (const name of this.playlists) assert.ok(names.includes(name), `playlist "${name}" survived`);
  }

  async stop(): Promise<void> {
    await this.server?.kill();
  }
}

/** Reads and playing go on while changes cannot be saved. */
async function assertReadsWork(fixture: Fixture): Promise<void> {
  await subsonicOk(fixture.url, fixture.admin, 'getAlbumList2', { type: 'newest' });
  await subsonicOk(fixture.url, fixture.admin, 'getPlaylists');
  const stream = await fetch(
    `${fixture.url}/rest/stream?u=admin&p=${encodeURIComponent(fixture.admin.password!)}&v=1.16.1&c=t&id=${fixture.songs[0]}&format=raw`,
  );
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get('content-type') ?? '', /^audio\//, await stream.clone().text());
  await stream.arrayBuffer();
}

function assertClearError(answer: SubsonicAnswer, pattern: RegExp): void {
  assert.equal(answer.status, 'failed');
  assert.equal(answer.error?.code, 0);
  assert.match(answer.error!.message, pattern);
  assert.doesNotMatch(answer.error!.message, /internal error/);
}

describe('a full disk', () => {
  const mountPoint = () => path.join(work, 'tmpfs');
  let mountError: string | undefined;
  let fixture: Fixture;

  before(async () => {
    fs.mkdirSync(mountPoint());
    mountError = tryRun('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=${TMPFS_BYTES},mode=0700`,
      'tonearm-test',
      mountPoint(),
    ]);
    if (mountError) return;
    fixture = new Fixture(path.join(mountPoint(), 'data'));
    await fixture.start();
  });

  after(async () => {
    if (mountError) return;
    await fixture.stop();
    tryRun('umount', ['-l', mountPoint()]);
  });

  it('gives clear errors and degraded health, reads and streams go on, and it recovers when space is freed', async (t) => {
    if (mountError) return t.skip(`cannot mount a tmpfs here (${mountError})`);
    assert.equal((await health(fixture.url)).status, 'ok');
    for (let index = 0; index < 5; index++)
      assert.equal((await fixture.createPlaylist(`before ${index}`)).status, 'ok');

    const filler = path.join(mountPoint(), 'filler');
    fillDisk(filler);
    // Writes fail once the WAL has to grow; the ones before that were saved and count as acknowledged.
    const comment = 'a long comment '.repeat(320); // just under the 5,000 characters a comment may have
    let failure: SubsonicAnswer | undefined;
    for (let index = 0; index < 400 && !failure; index++) {
      const answer = await fixture.createPlaylist(`while full ${index}`, comment);
      if (answer.status !== 'ok') failure = answer;
    }
    assert.ok(failure, 'writing to a full disk failed at some point');
    assertClearError(failure, /disk is full/);

    const degraded = await waitForHealth(fixture.url, 'degraded');
    assert.equal(degraded.status, 'degraded');
    assert.equal(degraded.checks.database!.status, 'ok');
    assert.equal(degraded.checks.writes!.status, 'failing');
    assert.match(degraded.checks.writes!.detail ?? '', /disk is full/);
    assert.equal(degraded.checks.diskSpace!.status, 'failing');
    assert.match(await (await fetch(`${fixture.url}/metrics`)).text(), /^tonearm_health_status 1$/m);
    await assertReadsWork(fixture);

    fs.rmSync(filler);
    await waitForHealth(fixture.url, 'ok');
    const afterFree = await fixture.createPlaylist('after the disk was freed', comment);
    assert.equal(afterFree.status, 'ok', JSON.stringify(afterFree.error));
    assert.match(fixture.server!.logs(), /"msg":"the database cannot save changes"/);
    assert.match(fixture.server!.logs(), /"msg":"the database saves changes again"/);
    await fixture.killAndVerify();
  });
});

describe('a database locked by another program', () => {
  let fixture: Fixture;

  before(async () => {
    fixture = new Fixture(path.join(work, 'locked'));
    await fixture.start();
  });

  after(() => fixture.stop());

  it('gives a clear error and degraded health for as long as the lock is held, then recovers', async () => {
    assert.equal((await fixture.createPlaylist('before the lock')).status, 'ok');
    // sqlite3 takes the write lock and keeps it while its input stays open.
    const holder = spawn('sqlite3', [path.join(fixture.data, 'tonearm.db')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let holderOutput = '';
    holder.stdout.on('data', (chunk) => (holderOutput += chunk));
    holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n");
    const deadline = Date.now() + 10_000;
    while (!holderOutput.includes('locked') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      assertClearError(await fixture.createPlaylist('while locked'), /locked by another program/);
      const degraded = await waitForHealth(fixture.url, 'degraded');
      assert.equal(degraded.status, 'degraded');
      assert.match(degraded.checks.writes!.detail ?? '', /locked by another program/);
      await assertReadsWork(fixture);
    } finally {
      holder.stdin.end('ROLLBACK;\n');
      await new Promise((resolve) => holder.on('exit', resolve));
    }
    await waitForHealth(fixture.url, 'ok');
    assert.equal((await fixture.createPlaylist('after the lock')).status, 'ok');
    await fixture.killAndVerify();
  });
});

describe('a data folder the kernel turns read-only', () => {
  const image = () => path.join(work, 'ext4.img');
  const mountPoint = () => path.join(work, 'ext4');
  let setupError: string | undefined;
  let fixture: Fixture;
  let device: string;

  before(async () => {
    fs.mkdirSync(mountPoint());
    setupError =
      tryRun('truncate', ['-s', '48M', image()]) ??
      tryRun('mkfs.ext4', ['-q', image()]) ??
      tryRun('mount', ['-o', 'loop,errors=remount-ro', image(), mountPoint()]);
    if (setupError) return;
    const source = execFileSync('findmnt', ['-n', '-o', 'SOURCE', mountPoint()], { encoding: 'utf8' }).trim();
    device = path.basename(source);
    if (!fs.existsSync(`/sys/fs/ext4/${device}/trigger_fs_error`)) {
      setupError = 'this kernel has no ext4 trigger_fs_error';
      return;
    }
    fixture = new Fixture(path.join(mountPoint(), 'data'));
    await fixture.start();
  });

  after(async () => {
    if (setupError) return;
    await fixture.stop();
    tryRun('umount', ['-l', mountPoint()]);
  });

  it('gives clear errors and degraded health, keeps reading, and loses nothing it acknowledged', async (t) => {
    if (setupError) return t.skip(`cannot make an ext4 file system here (${setupError})`);
    for (let index = 0; index < 5; index++)
      assert.equal((await fixture.createPlaylist(`before ${index}`)).status, 'ok');
    // What ext4 does with errors=remount-ro when the disk under it fails.
    fs.writeFileSync(`/sys/fs/ext4/${device}/trigger_fs_error`, 'tonearm test');
    assertClearError(await fixture.createPlaylist('while read-only'), /read-only/);
    const degraded = await waitForHealth(fixture.url, 'degraded');
    assert.equal(degraded.status, 'degraded');
    assert.equal(degraded.checks.dataFolder!.status, 'failing');
    assert.match(degraded.checks.dataFolder!.detail ?? '', /read-only/);
    await assertReadsWork(fixture);
    // The admin's way back: stop, check the file system, mount it again, start.
    await fixture.killAndVerify(() => {
      execFileSync('umount', ['-l', mountPoint()]);
      // e2fsck exits 1 when it repaired something: that is the expected outcome here.
      const repaired = spawnSync('e2fsck', ['-fy', image()], { stdio: 'pipe' });
      assert.ok(repaired.status === 0 || repaired.status === 1, repaired.stderr?.toString());
      execFileSync('mount', ['-o', 'loop,errors=remount-ro', image(), mountPoint()]);
    });
    assert.equal((await fixture.createPlaylist('after the repair')).status, 'ok');
  });
});

/** Fills the file system holding `file` to the last byte. */
function fillDisk(file: string): void {
  const chunk = Buffer.alloc(256 * 1024, 1);
  const handle = fs.openSync(file, 'w');
  try {
    for (;;) fs.writeSync(handle, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  // The last partial block: write smaller pieces until nothing fits.
  try {
    for (;;) fs.writeSync(handle, Buffer.alloc(512, 1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(handle);
  }
}
