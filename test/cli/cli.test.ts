// The CLI as an admin uses it: real processes, real folders, one-line errors and non-zero exits.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { buildFixtureLibrary, FIXTURE_FILES, type FixtureLibrary } from '../helpers/library-fixture.ts';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const oneLine = (text: string) => text.trim().split('\n').length === 1;

describe('tonearm CLI', () => {
  let library: FixtureLibrary;
  let data: string;

  before(async () => {
    library = await buildFixtureLibrary();
    data = tmp('tonearm-cli-');
  });
  after(() => {
    library.cleanup();
    fs.rmSync(data, { recursive: true, force: true });
  });

  it('prints help for every command', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0);
    for (const command of ['serve', 'scan', 'user', 'library', 'db', 'config', 'stats'])
      assert.match(result.stdout, new RegExp(`\\b${command}\\b`));
    const serve = await runCli(['serve', '--help']);
    assert.match(serve.stdout, /--music <dir>/);
    assert.match(serve.stdout, /--port <n>/);
  });

  it('scan imports the library and prints a report', async () => {
    const result = await runCli(['scan', '--music', library.root, '--data', data]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${FIXTURE_FILES.length + library.broken.length} audio files`));
    assert.match(result.stdout, new RegExp(`added ${FIXTURE_FILES.length},`));
    assert.match(result.stdout, new RegExp(`skipped ${library.broken.length}`));
    for (const broken of library.broken) assert.ok(result.stdout.includes(`skipped ${broken}:`), broken);
    const again = await runCli(['scan', '--music', library.root, '--data', data]);
    assert.match(again.stdout, /added 0, updated 0, moved 0, removed 0/);
  });

  it('stats and library list show the counts', async () => {
    const stats = await runCli(['stats', '--data', data]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, new RegExp(`tracks\\s+${FIXTURE_FILES.length}\\b`));
    assert.match(stats.stdout, /libraries\s+1\b/);
    const list = await runCli(['library', 'list', '--data', data]);
    assert.match(list.stdout, new RegExp(path.basename(library.root)));
    assert.match(list.stdout, new RegExp(`\\b${FIXTURE_FILES.length}\\b`));
  });

  it('manages users', async () => {
    const add = await runCli(['user', 'add', 'alice', '--password', 'wonderland', '--admin', '--data', data]);
    assert.equal(add.code, 0, add.stderr);
    const addStdin = await runCli(['user', 'add', 'bob', '--password-stdin', '--data', data], {
      input: 'builder\n',
    });
    assert.equal(addStdin.code, 0, addStdin.stderr);
    const duplicate = await runCli(['user', 'add', 'ALICE', '--password', 'x', '--data', data]);
    assert.notEqual(duplicate.code, 0);
    assert.ok(oneLine(duplicate.stderr), duplicate.stderr);
    const list = await runCli(['user', 'list', '--data', data]);
    assert.match(list.stdout, /alice\s+yes/);
    assert.match(list.stdout, /bob\s+no/);
    const passwd = await runCli(['user', 'passwd', 'bob', '--password-stdin', '--data', data], {
      input: 'new-secret',
    });
    assert.equal(passwd.code, 0, passwd.stderr);
    const noPassword = await runCli(['user', 'passwd', 'bob', '--data', data]);
    assert.notEqual(noPassword.code, 0);
    assert.match(noPassword.stderr, /password/);
    const remove = await runCli(['user', 'delete', 'bob', '--data', data]);
    assert.equal(remove.code, 0, remove.stderr);
    assert.doesNotMatch((await runCli(['user', 'list', '--data', data])).stdout, /bob/);
    const missing = await runCli(['user', 'delete', 'nobody', '--data', data]);
    assert.notEqual(missing.code, 0);
  });

  it('backs up the database to a new file and refuses to overwrite one', async () => {
    const target = path.join(tmp('tonearm-backup-'), 'copy.db');
    const result = await runCli(['db', 'backup', target, '--data', data]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(fs.readFileSync(target).subarray(0, 15).toString(), 'SQLite format 3');
    const stats = await runCli(['stats', '--data', path.dirname(target)], { env: {} });
    assert.equal(stats.code, 0);
    const again = await runCli(['db', 'backup', target, '--data', data]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists/);
  });

  it('db migrate reports an up-to-date database', async () => {
    const result = await runCli(['db', 'migrate', '--data', data]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /up to date/);
  });

  it('config print shows the effective config: defaults < file < env < flags', async () => {
    const file = path.join(tmp('tonearm-conf-'), 'tonearm.toml');
    fs.writeFileSync(file, 'port = 5000\nlogLevel = "debug"\n[scanner]\nschedule = "6h"\n');
    const result = await runCli(['config', 'print', '--config', file, '--port', '6000'], {
      env: { TONEARM_LOG_LEVEL: 'warn', TONEARM_SCANNER_WATCH: 'false' },
    });
    assert.equal(result.code, 0, result.stderr);
    const config = JSON.parse(result.stdout);
    assert.equal(config.port, 6000);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.scanner.schedule, '6h');
    assert.equal(config.scanner.watch, false);
    assert.equal(config.host, '0.0.0.0');
  });
});

describe('tonearm CLI: bad input gives one line and a non-zero exit, and overwrites nothing', () => {
  it('a missing music folder', async () => {
    const result = await runCli(['scan', '--music', '/nonexistent/music', '--data', tmp('tonearm-bad-')]);
    assert.notEqual(result.code, 0);
    assert.ok(oneLine(result.stderr), result.stderr);
    assert.match(result.stderr, /music folder \/nonexistent\/music does not exist/);
  });

  it('a music folder that is a file', async () => {
    const file = path.join(tmp('tonearm-bad-'), 'song.mp3');
    fs.writeFileSync(file, 'x');
    const result = await runCli(['scan', '--music', file, '--data', tmp('tonearm-bad-')]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /is not a folder/);
  });

  it('an invalid config value, from a flag, the environment and a file', async () => {
    const flag = await runCli(['config', 'print', '--port', 'eighty']);
    assert.notEqual(flag.code, 0);
    assert.ok(oneLine(flag.stderr), flag.stderr);
    assert.match(flag.stderr, /port: "eighty" \(from flag\)/);
    const env = await runCli(['config', 'print'], { env: { TONEARM_SCANNER_SCHEDULE: 'sometimes' } });
    assert.notEqual(env.code, 0);
    assert.match(env.stderr, /scanner\.schedule: "sometimes" \(from env TONEARM_SCANNER_SCHEDULE\)/);
    const file = path.join(tmp('tonearm-conf-'), 'bad.toml');
    fs.writeFileSync(file, '[transcoding]\ncacheSize = "lots"\n');
    const fromFile = await runCli(['config', 'print', '--config', file]);
    assert.notEqual(fromFile.code, 0);
    assert.match(fromFile.stderr, /transcoding\.cacheSize: "lots" \(from file/);
    const broken = path.join(tmp('tonearm-conf-'), 'broken.toml');
    fs.writeFileSync(broken, 'port = = 3\n');
    const unparsable = await runCli(['config', 'print', '--config', broken]);
    assert.notEqual(unparsable.code, 0);
    assert.ok(oneLine(unparsable.stderr), unparsable.stderr);
    assert.match(unparsable.stderr, /cannot parse config file/);
  });

  it('a database file that is not SQLite is left untouched', async () => {
    const data = tmp('tonearm-bad-');
    const dbFile = path.join(data, 'tonearm.db');
    fs.writeFileSync(dbFile, 'my precious notes, not a database\n'.repeat(100));
    const before = fs.readFileSync(dbFile);
    const music = tmp('tonearm-music-');
    for (const args of [
      ['scan', '--music', music, '--data', data],
      ['stats', '--data', data],
      ['user', 'add', 'x', '--password', 'y', '--data', data],
    ]) {
      const result = await runCli(args);
      assert.notEqual(result.code, 0);
      assert.ok(oneLine(result.stderr), result.stderr);
      assert.match(result.stderr, /is not a SQLite database/);
    }
    assert.deepEqual(fs.readFileSync(dbFile), before);
    assert.deepEqual(fs.readdirSync(data), ['tonearm.db']);
  });

  it('a data folder that is read-only', async () => {
    const data = tmp('tonearm-ro-');
    const music = tmp('tonearm-music-');
    fs.chmodSync(music, 0o755);
    fs.chmodSync(data, 0o555);
    // root ignores permission bits: run the CLI as an unprivileged user then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    try {
      const result = await runCli(['scan', '--music', music, '--data', data], asUser);
      assert.notEqual(result.code, 0);
      assert.ok(oneLine(result.stderr), result.stderr);
      assert.match(result.stderr, /data folder .* is not writable/);
      assert.deepEqual(fs.readdirSync(data), []);
    } finally {
      fs.chmodSync(data, 0o755);
    }
  });

  it('an unknown command or option', async () => {
    const result = await runCli(['frobnicate']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /unknown command/);
  });
});
