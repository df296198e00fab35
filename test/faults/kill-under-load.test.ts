// The server killed with SIGKILL at random moments (seeded, bounded) while it takes writes through the
// API, scans, and other programs read and write the same database beside it: sqlite3 in loops and the
// CLI adding users. After every kill the database passes integrity_check, and everything that was
// acknowledged — an ok answer from the API, a zero exit from sqlite3 or the CLI — is there. The last
// round kills it during a full scan; the next scan leaves exactly the library a clean scan makes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { buildFixtureLibrary, type FixtureLibrary } from '../helpers/library-fixture.ts';
import { seededRandom } from '../helpers/random.ts';
import {
  initialAdminPassword,
  type ServeProcess,
  type SubsonicLogin,
  sqlite3,
  startServe,
  subsonic,
  subsonicOk,
  waitForLog,
} from '../helpers/serve-process.ts';

const SEED = Number(process.env.TONEARM_FAULT_SEED ?? 20261203);
const ROUNDS = 4;
const execFileAsync = promisify(execFile);

let library: FixtureLibrary;
let data: string;

before(async () => {
  library = await buildFixtureLibrary();
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-kill-load-'));
});

after(() => {
  library.cleanup();
  fs.rmSync(data, { recursive: true, force: true });
});

interface Acknowledged {
  playlists: Set<string>;
  starred: Set<string>;
  outsideRows: Set<string>;
  users: Set<string>;
}

it('SIGKILL at random moments under writes, outside readers and writers, and a scan loses nothing acknowledged', async () => {
  const random = seededRandom(SEED);
  const ack: Acknowledged = {
    playlists: new Set(),
    starred: new Set(),
    outsideRows: new Set(),
    users: new Set(),
  };
  const dbFile = path.join(data, 'tonearm.db');
  let server: ServeProcess | undefined = await startServe({ music: [library.root], data });
  try {
    await waitForLog(server, /"msg":"scan finished"/);
    const admin: SubsonicLogin = { username: 'admin', password: initialAdminPassword(data) };
    const songs = (
      (
        await subsonicOk(server.url, admin, 'search3', {
          query: '',
          songCount: 100,
          artistCount: 0,
          albumCount: 0,
        })
      ).searchResult3 as { song: { id: string }[] }
    ).song.map((song) => song.id);
    const libraryIds = await sqlite3(dbFile, 'SELECT id FROM track ORDER BY id');

    for (let round = 0; round < ROUNDS; round++) {
      const lastRound = round === ROUNDS - 1;
      if (round > 0)
        server = await startServe({ music: [library.root], data, args: ['--no-scan', '--no-watch'] });
      const url = server!.url;
      await assertAcknowledgedThere(url, admin, dbFile, ack);
      if (lastRound) await subsonicOk(url, admin, 'startScan', { fullScan: 'true' });

      const stop = { now: false };
      const load = [
        apiWriter(url, admin, songs, `r${round}a`, ack, stop),
        apiWriter(url, admin, songs, `r${round}b`, ack, stop),
        outsideWriter(dbFile, `r${round}`, ack, stop),
        outsideReader(dbFile, stop),
        cliWriter(`r${round}`, ack, stop),
      ];
      // The last round kills early, while the full scan it started is still writing.
      const delay = lastRound ? 200 + Math.floor(random() * 800) : 400 + Math.floor(random() * 2600);
      try {
        await new Promise((resolve) => setTimeout(resolve, delay));
        await server!.kill();
        server = undefined;
      } finally {
        // Whatever happened, the load stops: no loop may outlive its round.
        stop.now = true;
      }
      for (const outcome of await Promise.allSettled(load))
        if (outcome.status === 'rejected') throw outcome.reason;
      assert.equal(
        await sqlite3(dbFile, 'PRAGMA integrity_check'),
        'ok',
        `integrity after the kill of round ${round} (seed ${SEED}, ${delay} ms)`,
      );
    }

    // The last kill came during a full scan: the next scan finishes the job.
    server = await startServe({ music: [library.root], data, args: ['--no-watch'] });
    await waitForLog(server, /"msg":"scan finished"/);
    await assertAcknowledgedThere(server.url, admin, dbFile, ack);
    assert.equal(await sqlite3(dbFile, 'SELECT id FROM track ORDER BY id'), libraryIds);
    assert.ok(
      ack.playlists.size > ROUNDS * 2,
      `writes were acknowledged in every round (${ack.playlists.size})`,
    );
    assert.ok(ack.outsideRows.size > ROUNDS, `outside writes were acknowledged (${ack.outsideRows.size})`);
  } finally {
    await server?.kill();
  }
});

async function apiWriter(
  url: string,
  admin: SubsonicLogin,
  songs: string[],
  prefix: string,
  ack: Acknowledged,
  stop: { now: boolean },
): Promise<void> {
  for (let index = 0; !stop.now; index++) {
    const name = `${prefix}-${index}`;
    const song = songs[index % songs.length]!;
    try {
      const created = await subsonic(url, admin, 'createPlaylist', { name, songId: [song] });
      if (created.status === 'ok') ack.playlists.add(name);
      const starred = await subsonic(url, admin, 'star', { id: song });
      if (starred.status === 'ok') ack.starred.add(song);
    } catch {
      return; // the server is gone: what was in flight was never acknowledged
    }
  }
}

async function outsideWriter(
  dbFile: string,
  prefix: string,
  ack: Acknowledged,
  stop: { now: boolean },
): Promise<void> {
  for (let index = 0; !stop.now; index++) {
    const key = `outside.${prefix}.${index}`;
    try {
      await sqlite3(dbFile, `INSERT INTO setting (key, value) VALUES ('${key}', 'x')`);
      ack.outsideRows.add(key);
    } catch {
      // busy beyond the timeout: not acknowledged, try the next one
    }
  }
}

async function outsideReader(dbFile: string, stop: { now: boolean }): Promise<void> {
  while (!stop.now) {
    const { stdout } = await execFileAsync('sqlite3', [
      '-cmd',
      '.timeout 5000',
      dbFile,
      'SELECT count(*) FROM playlist',
    ]);
    assert.match(stdout.trim(), /^\d+$/);
  }
}

async function cliWriter(prefix: string, ack: Acknowledged, stop: { now: boolean }): Promise<void> {
  for (let index = 0; !stop.now; index++) {
    const name = `cli-${prefix}-${index}`;
    const result = await runCli(['user', 'add', name, '--password', 'pw-1234', '--data', data]);
    if (result.code === 0) ack.users.add(name);
  }
}

async function assertAcknowledgedThere(
  url: string,
  admin: SubsonicLogin,
  dbFile: string,
  ack: Acknowledged,
): Promise<void> {
  const playlists = new Set(
    (
      (await subsonicOk(url, admin, 'getPlaylists')).playlists as { playlist?: { name: string }[] }
    ).playlist?.map((playlist) => playlist.name),
  );
  for (const name of ack.playlists) assert.ok(playlists.has(name), `acknowledged playlist ${name} is there`);
  const starred = new Set(
    ((await subsonicOk(url, admin, 'getStarred2')).starred2 as { song?: { id: string }[] }).song?.map(
      (song) => song.id,
    ),
  );
  for (const id of ack.starred) assert.ok(starred.has(id), `acknowledged star of ${id} is there`);
  const keys = new Set(
    (await sqlite3(dbFile, "SELECT key FROM setting WHERE key LIKE 'outside.%'")).split('\n'),
  );
  for (const key of ack.outsideRows) assert.ok(keys.has(key), `acknowledged outside write ${key} is there`);
  const users = new Set((await sqlite3(dbFile, 'SELECT username FROM user')).split('\n'));
  for (const name of ack.users) assert.ok(users.has(name), `user ${name} added by the CLI is there`);
}
