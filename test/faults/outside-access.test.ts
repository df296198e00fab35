// What an admin runs beside a running server must never cost an acknowledged write. `tonearm serve` runs
// with default settings (read workers included); between writes through the Subsonic API, sqlite3 reads
// and writes the database, the CLI adds users and API keys, reads stats, backs up and rescans. Then the
// server is killed with SIGKILL and started again: every write it acknowledged is there and the database
// passes integrity_check. Before the fix, the read workers' header check (fs open + close of the
// database in the server process) dropped the server's POSIX locks, the first outside reader deleted
// the WAL under it, and everything written after that was lost.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { buildFixtureLibrary, type FixtureLibrary } from '../helpers/library-fixture.ts';
import {
  deletedDatabaseFiles,
  initialAdminPassword,
  type ServeProcess,
  type SubsonicLogin,
  sqlite3,
  startServe,
  subsonicOk,
  waitForLog,
} from '../helpers/serve-process.ts';

let library: FixtureLibrary;
let data: string;

before(async () => {
  library = await buildFixtureLibrary();
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-outside-'));
});

after(() => {
  library.cleanup();
  fs.rmSync(data, { recursive: true, force: true });
});

interface Acknowledged {
  playlists: Map<string, string[]>;
  starred: Set<string>;
  ratings: Map<string, number>;
  users: string[];
  outsideRows: string[];
}

it('sqlite3, the CLI and backups beside a running server cost no acknowledged write, even after SIGKILL', async () => {
  let server: ServeProcess | undefined = await startServe({ music: [library.root], data });
  try {
    await waitForLog(server, /"msg":"scan finished"/);
    const admin: SubsonicLogin = { username: 'admin', password: initialAdminPassword(data) };
    const url = server.url;
    const songs = (
      (await subsonicOk(url, admin, 'search3', { query: '', songCount: 100, artistCount: 0, albumCount: 0 }))
        .searchResult3 as { song: { id: string }[] }
    ).song.map((song) => song.id);
    assert.ok(songs.length >= 10, 'the library is scanned');

    const acknowledged: Acknowledged = {
      playlists: new Map(),
      starred: new Set(),
      ratings: new Map(),
      users: [],
      outsideRows: [],
    };
    // One round: writes through the API (each acknowledged by an ok answer), reads served by the read
    // workers, then something an admin runs beside the server.
    const outside: [string, () => Promise<void>][] = [
      [
        'sqlite3 reads',
        async () => void (await sqlite3(path.join(data, 'tonearm.db'), 'SELECT count(*) FROM track')),
      ],
      [
        'sqlite3 writes',
        async () => {
          const key = `outside.${acknowledged.outsideRows.length}`;
          await sqlite3(
            path.join(data, 'tonearm.db'),
            `INSERT INTO setting (key, value) VALUES ('${key}', 'x')`,
          );
          acknowledged.outsideRows.push(key);
        },
      ],
      ['tonearm stats', async () => assertCli(await runCli(['stats', '--data', data]))],
      [
        'tonearm user add',
        async () => {
          const name = `cli-user-${acknowledged.users.length}`;
          assertCli(await runCli(['user', 'add', name, '--password', 'pw-1234', '--data', data]));
          acknowledged.users.push(name);
          // The running server sees the new account at once.
          await subsonicOk(url, { username: name, password: 'pw-1234' }, 'ping');
        },
      ],
      [
        'tonearm apikey create',
        async () => {
          const result = await runCli(['apikey', 'create', 'admin', '--name', 'outside', '--data', data]);
          assertCli(result);
          await subsonicOk(url, { username: 'admin', apiKey: result.stdout.trim() }, 'ping');
        },
      ],
      [
        'tonearm db backup',
        async () => {
          const copy = path.join(data, `backup-${Date.now()}.db`);
          assertCli(await runCli(['db', 'backup', copy, '--data', data]));
          assert.equal(await sqlite3(copy, 'PRAGMA integrity_check'), 'ok');
          assert.equal(fs.statSync(copy).mode & 0o777, 0o600, 'the copy holds password hashes: private');
          fs.rmSync(copy);
        },
      ],
      [
        'tonearm scan',
        async () => assertCli(await runCli(['scan', '--music', library.root, '--data', data])),
      ],
      ['tonearm library list', async () => assertCli(await runCli(['library', 'list', '--data', data]))],
    ];

    let round = 0;
    for (const [what, run] of [...outside, ...outside]) {
      round++;
      await writeRound(url, admin, songs, round, acknowledged);
      await subsonicOk(url, admin, 'getAlbumList2', { type: 'newest', size: 20 });
      await subsonicOk(url, admin, 'search3', { query: 'one' });
      await run();
      assert.deepEqual(
        deletedDatabaseFiles(server.pid, data),
        [],
        `after "${what}" the server still writes to the database files everyone else sees`,
      );
    }
    await writeRound(url, admin, songs, ++round, acknowledged);

    await server.kill();
    server = undefined;
    assert.equal(await sqlite3(path.join(data, 'tonearm.db'), 'PRAGMA integrity_check'), 'ok');

    server = await startServe({ music: [library.root], data, args: ['--no-scan'] });
    await assertAllThere(server.url, admin, acknowledged);
    assert.deepEqual(
      (
        await sqlite3(
          path.join(data, 'tonearm.db'),
          "SELECT key FROM setting WHERE key LIKE 'outside.%' ORDER BY key",
        )
      )
        .split('\n')
        .sort(),
      [...acknowledged.outsideRows].sort(),
    );
  } finally {
    await server?.kill();
  }
});

async function writeRound(
  url: string,
  admin: SubsonicLogin,
  songs: string[],
  round: number,
  acknowledged: Acknowledged,
): Promise<void> {
  const entries = [songs[round % songs.length]!, songs[(round * 3) % songs.length]!];
  const created = await subsonicOk(url, admin, 'createPlaylist', { name: `round ${round}`, songId: entries });
  acknowledged.playlists.set((created.playlist as { id: string }).id, entries);
  const star = songs[(round * 7) % songs.length]!;
  await subsonicOk(url, admin, 'star', { id: star });
  acknowledged.starred.add(star);
  const rated = songs[(round * 5) % songs.length]!;
  const rating = (round % 5) + 1;
  await subsonicOk(url, admin, 'setRating', { id: rated, rating });
  acknowledged.ratings.set(rated, rating);
}

async function assertAllThere(url: string, admin: SubsonicLogin, acknowledged: Acknowledged): Promise<void> {
  const playlists = (
    (await subsonicOk(url, admin, 'getPlaylists')).playlists as { playlist: { id: string }[] }
  ).playlist.map((playlist) => playlist.id);
  for (const [id, entries] of acknowledged.playlists) {
    assert.ok(playlists.includes(id), `playlist ${id} survived`);
    const playlist = (await subsonicOk(url, admin, 'getPlaylist', { id })).playlist as {
      entry: { id: string }[];
    };
    assert.deepEqual(
      playlist.entry.map((entry) => entry.id),
      entries,
    );
  }
  const starred = (
    (await subsonicOk(url, admin, 'getStarred2')).starred2 as { song?: { id: string }[] }
  ).song?.map((song) => song.id);
  assert.deepEqual(new Set(starred), acknowledged.starred);
  for (const [id, rating] of acknowledged.ratings) {
    const song = (await subsonicOk(url, admin, 'getSong', { id })).song as { userRating?: number };
    assert.equal(song.userRating, rating, `the rating of ${id} survived`);
  }
  for (const username of acknowledged.users) await subsonicOk(url, { username, password: 'pw-1234' }, 'ping');
}

function assertCli(result: { code: number | null; stderr: string }): void {
  assert.equal(result.code, 0, result.stderr);
}
