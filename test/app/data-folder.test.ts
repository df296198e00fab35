// Secrets at rest: the data folder holds password hashes, sealed password copies and key hashes, so it is
// private (0700) and so are the database, its WAL and shared-memory files (0600) — from the first start,
// and tightened at start-up when an older version left them readable by others. The secret key and the
// first admin's password file are written all or nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { runCli } from '../helpers/cli.ts';

const made: string[] = [];
after(() => {
  for (const folder of made) fs.rmSync(folder, { recursive: true, force: true });
});

function tempFolder(prefix: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(folder);
  return folder;
}

function modeOf(file: string): string {
  return (fs.statSync(file).mode & 0o777).toString(8);
}

it('a new data folder is private, and so are the database, WAL, shared memory and secret key', async () => {
  const parent = tempFolder('tonearm-private-');
  fs.chmodSync(parent, 0o755);
  const data = path.join(parent, 'data');
  const music = tempFolder('tonearm-music-');
  // A data folder with a live WAL: a scan writes, then a second process keeps it open while we look.
  const result = await runCli(['scan', '--music', music, '--data', data]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(modeOf(data), '700');
  const holder = new BetterSqlite3(path.join(data, 'tonearm.db'));
  try {
    holder.prepare("INSERT OR REPLACE INTO setting (key, value) VALUES ('test.wal', 'x')").run();
    for (const file of ['tonearm.db', 'tonearm.db-wal', 'tonearm.db-shm'])
      assert.equal(modeOf(path.join(data, file)), '600', file);
  } finally {
    holder.close();
  }
  const user = await runCli(['user', 'add', 'alice', '--password', 'pw', '--data', data]);
  assert.equal(user.code, 0, user.stderr);
  assert.equal(modeOf(path.join(data, 'secret.key')), '600');
  assert.equal(fs.statSync(path.join(data, 'secret.key')).size, 32);
  assert.deepEqual(
    fs.readdirSync(data).filter((name) => name.endsWith('.tmp')),
    [],
    'no temporary files are left behind',
  );
});

it('files an older version left readable by others are made private at start-up, with a warning', async () => {
  const data = tempFolder('tonearm-wide-');
  const music = tempFolder('tonearm-music-');
  assert.equal((await runCli(['scan', '--music', music, '--data', data])).code, 0);
  fs.chmodSync(data, 0o755);
  fs.chmodSync(path.join(data, 'tonearm.db'), 0o644);
  const result = await runCli(['scan', '--music', music, '--data', data, '--log-level', 'warn']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(modeOf(data), '700');
  assert.equal(modeOf(path.join(data, 'tonearm.db')), '600');
  assert.match(result.stdout + result.stderr, /made a data file private/);
});

it('a data folder that is not ours to change (a NAS share at 0777, another owner) is a warning, not a stop', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to run the CLI as another user');
  const data = tempFolder('tonearm-shared-');
  fs.chmodSync(data, 0o777);
  const music = tempFolder('tonearm-music-');
  fs.chmodSync(music, 0o755);
  // Owned by root, used by uid 65534: chmod is not allowed, writing is.
  const result = await runCli(['scan', '--music', music, '--data', data, '--log-level', 'warn'], {
    uid: 65534,
    gid: 65534,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout + result.stderr,
    /is open to other users \(mode 777\) and cannot be made private \(EPERM\)/,
  );
  assert.equal(
    modeOf(path.join(data, 'tonearm.db')),
    '600',
    'the files with secrets are private all the same',
  );
});
