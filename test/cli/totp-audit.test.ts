// `tonearm user totp-reset` and `tonearm audit` as real processes against a data folder whose users set up
// two-factor login through the domain (with the same secret key file the CLI uses).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { listAudit, recordAudit } from '../../src/accounts/audit.ts';
import { beginTotpSetup, confirmTotpSetup, verifySecondFactor } from '../../src/accounts/totp.ts';
import { findUserByName } from '../../src/accounts/users.service.ts';
import { Database, databaseFile } from '../../src/db/database.ts';
import { runCli } from '../helpers/cli.ts';

describe('tonearm user totp-reset and tonearm audit', () => {
  let data: string;
  const withDb = async <T>(fn: (db: Database) => T | Promise<T>): Promise<T> => {
    const db = Database.open(databaseFile(data));
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };

  before(async () => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-totp-cli-'));
    for (const name of ['alice', 'bob']) {
      const add = await runCli(['user', 'add', name, '--password', 'pw', '--data', data]);
      assert.equal(add.code, 0, add.stderr);
    }
  });
  after(() => fs.rmSync(data, { recursive: true, force: true }));

  it('totp-reset turns two-factor login off, removes the recovery codes and records actor "cli"', async () => {
    const codes = await withDb(async (db) => {
      const alice = findUserByName(db, 'alice')!;
      const { secret } = await beginTotpSetup(db, alice);
      const now = Date.now();
      return confirmTotpSetup(
        db,
        alice,
        TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: now }),
        {
          now,
        },
      );
    });

    const reset = await runCli(['user', 'totp-reset', 'ALICE', '--data', data]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /^two-factor login of ALICE turned off and recovery codes removed/);
    assert.equal(reset.stderr, '');

    await withDb((db) => {
      const alice = findUserByName(db, 'alice')!;
      assert.equal(alice.totpEnabled, false);
      assert.equal(verifySecondFactor(db, alice, codes[0]!), 'wrong', 'recovery codes are gone');
      const [entry] = listAudit(db, { event: 'totp.reset' });
      assert.equal(entry!.username, 'alice');
      assert.equal(entry!.userId, alice.id);
      assert.equal(entry!.actorName, 'cli');
      assert.equal(entry!.actorId, null);
    });

    const again = await runCli(['user', 'totp-reset', 'alice', '--data', data]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'alice has no two-factor login; nothing changed\n');
    await withDb((db) => assert.equal(listAudit(db, { event: 'totp.reset' }).length, 1));

    const unknown = await runCli(['user', 'totp-reset', 'nobody', '--data', data]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stdout, '');
    assert.equal(unknown.stderr, 'tonearm: there is no user named "nobody"\n');
  });

  it('audit prints a table newest first, JSON lines with --json, and filters by time, user, event and count', async () => {
    const now = Date.now();
    const day = 86_400_000;
    await withDb((db) => {
      const bob = findUserByName(db, 'bob')!;
      recordAudit(db, {
        event: 'login',
        user: bob,
        address: '192.0.2.1',
        at: now - 10 * day,
        detail: { n: 1 },
      });
      recordAudit(db, {
        event: 'login.failed',
        outcome: 'failure',
        user: { id: null, username: 'mallory' },
        address: '203.0.113.9',
        at: now - 2 * day,
        detail: { reason: 'wrong password' },
      });
      recordAudit(db, { event: 'login', user: bob, address: '192.0.2.1', at: now - day, detail: { n: 3 } });
    });

    const table = await runCli(['audit', '--since', '7d', '--data', data]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^TIME\s+EVENT\s+OUTCOME\s+USER\s+ACTOR\s+ADDRESS\s+DETAIL$/);
    // The first test's reset and enrolment (moments ago), bob's login (a day ago), mallory's failure (two).
    assert.equal(lines.length, 5, table.stdout);
    assert.match(
      lines[1]!,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+totp\.reset\s+success\s+alice\s+cli\s+wasEnabled=true$/,
    );
    assert.match(lines[2]!, /\stotp\.enabled\s+success\s+alice$/);
    assert.match(lines[3]!, /\slogin\s+success\s+bob\s+192\.0\.2\.1\s+n=3$/);
    assert.match(lines[4]!, /\slogin\.failed\s+failure\s+mallory\s+203\.0\.113\.9\s+reason=wrong password$/);

    const json = await runCli(['audit', '--json', '--user', 'BOB', '--data', data]);
    assert.equal(json.code, 0, json.stderr);
    const entries = json.stdout
      .trimEnd()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { event: string; at: string; username: string; detail: { n: number } },
      );
    assert.deepEqual(
      entries.map((entry) => entry.detail.n),
      [3, 1],
    );
    assert.equal(entries[0]!.username, 'bob');
    assert.equal(Date.parse(entries[0]!.at), now - day);

    const failed = await runCli(['audit', '--event', 'login.failed', '--json', '--data', data]);
    assert.deepEqual(
      failed.stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { username: string }).username),
      ['mallory'],
    );
    const limited = await runCli(['audit', '--limit', '1', '--json', '--data', data]);
    assert.equal(limited.code, 0, limited.stderr);
    assert.equal(limited.stdout.trimEnd().split('\n').length, 1);
    assert.match(limited.stdout, /"totp\.reset"/);
    const dated = await runCli([
      'audit',
      '--since',
      new Date(now - 11 * day).toISOString().slice(0, 10),
      '--until',
      new Date(now - 5 * day).toISOString(),
      '--json',
      '--data',
      data,
    ]);
    assert.deepEqual(
      dated.stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { detail: { n: number } }).detail.n),
      [1],
    );

    const none = await runCli(['audit', '--user', 'nobody', '--data', data]);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, 'no events\n');
  });

  it('audit refuses a bad --since, --limit or --event with one line and a non-zero exit', async () => {
    const since = await runCli(['audit', '--since', 'last tuesday', '--data', data]);
    assert.equal(since.code, 1);
    assert.match(since.stderr, /^tonearm: --since takes a duration back from now \(30m, 12h, 7d, 2w\)/);
    const limit = await runCli(['audit', '--limit', '0', '--data', data]);
    assert.equal(limit.code, 1);
    assert.match(limit.stderr, /--limit takes a number from 1/);
    const event = await runCli(['audit', '--event', 'nonsense', '--data', data]);
    assert.notEqual(event.code, 0);
    assert.match(event.stderr, /nonsense.*is invalid.*totp\.reset/s);
  });
});
