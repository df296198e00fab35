// `tonearm apikey …` as real processes against a data folder, then the key used over real HTTP.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema, defaultConfig } from '../../src/config/schema.ts';
import { Database, databaseFile } from '../../src/db/database.ts';
import { createServices } from '../../src/app/services.ts';
import { createApp } from '../../src/http/app.ts';
import { startServer } from '../../src/http/server.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runCli } from '../helpers/cli.ts';

describe('tonearm apikey', () => {
  let data: string;
  let key = '';
  let id = '';

  before(async () => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-apikey-'));
    const add = await runCli([
      'user',
      'add',
      'alice',
      '--password',
      'pw',
      '--email',
      'a@example.org',
      '--data',
      data,
    ]);
    assert.equal(add.code, 0, add.stderr);
  });
  after(() => fs.rmSync(data, { recursive: true, force: true }));

  it('create prints the key once on stdout and nothing else there', async () => {
    const created = await runCli(['apikey', 'create', 'alice', '--name', 'my phone', '--data', data]);
    assert.equal(created.code, 0, created.stderr);
    key = created.stdout.trim();
    assert.match(key, /^tnrm_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.stdout, `${key}\n`);
    id = /created API key (ak-[0-9a-f]+) for alice/.exec(created.stderr)?.[1] ?? '';
    assert.ok(id, created.stderr);
    assert.ok(!created.stderr.includes(key));
    const unknown = await runCli(['apikey', 'create', 'nobody', '--data', data]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^tonearm: there is no user named "nobody"\n$/);
  });

  it('list shows id, prefix, name, user, created and last used, never the key', async () => {
    const list = await runCli(['apikey', 'list', '--data', data]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /ID\s+PREFIX\s+NAME\s+USER\s+CREATED\s+LAST USED/);
    assert.ok(list.stdout.includes(id));
    assert.ok(list.stdout.includes(`${key.slice(0, 11)}…`));
    assert.ok(!list.stdout.includes(key.slice(0, 20)));
    assert.match(list.stdout, /my phone\s+alice\s+\d{4}-\d\d-\d\dT\S+\s+never/);
    const forAlice = await runCli(['apikey', 'list', 'alice', '--data', data]);
    assert.ok(forAlice.stdout.includes(id));
    const forNobody = await runCli(['apikey', 'list', 'nobody', '--data', data]);
    assert.equal(forNobody.code, 1);
  });

  it('the key logs in over HTTP; password-auth off refuses passwords; revoke ends the key at once', async () => {
    const config = configSchema.parse({ ...defaultConfig(), dataDir: data, host: '127.0.0.1', port: 0 });
    const db = Database.open(databaseFile(data));
    const server = await startServer(createApp(createServices({ config, db, logger: silentLogger })), {
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      shutdownTimeoutMs: 1000,
    });
    const ping = async (params: Record<string, string>) => {
      const query = new URLSearchParams({ v: '1.16.1', c: 'test', f: 'json', ...params });
      const response = await fetch(`${server.url}/rest/ping?${query}`);
      return (
        (await response.json()) as { 'subsonic-response': { status: string; error?: { code: number } } }
      )['subsonic-response'];
    };
    try {
      assert.equal((await ping({ apiKey: key })).status, 'ok');
      assert.equal((await ping({ u: 'alice', p: 'pw' })).status, 'ok');

      const off = await runCli(['apikey', 'password-auth', 'off', '--data', data]);
      assert.equal(off.code, 0, off.stderr);
      assert.equal((await ping({ u: 'alice', p: 'pw' })).error?.code, 42);
      assert.equal((await ping({ apiKey: key })).status, 'ok');
      assert.equal((await runCli(['apikey', 'password-auth', 'maybe', '--data', data])).code, 1);
      await runCli(['apikey', 'password-auth', 'on', '--data', data]);
      assert.equal((await ping({ u: 'alice', p: 'pw' })).status, 'ok');

      const list = await runCli(['apikey', 'list', '--data', data]);
      assert.doesNotMatch(list.stdout, /\bnever\b/, 'last use recorded');

      const revoked = await runCli(['apikey', 'revoke', id, '--data', data]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal(revoked.stdout, `revoked API key ${id}\n`);
      assert.equal((await ping({ apiKey: key })).error?.code, 44);
      const again = await runCli(['apikey', 'revoke', id, '--data', data]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /no API key with id/);
      assert.equal((await runCli(['apikey', 'list', '--data', data])).stdout, 'no API keys\n');
    } finally {
      await server.close();
      await db.close();
    }
  });

  it('user add --email stores the address; the secret key file is 0600', async () => {
    const db = Database.open(databaseFile(data));
    try {
      const row = db.first(db.kysely.selectFrom('user').selectAll().where('username', '=', 'alice'))!;
      assert.equal(row.email, 'a@example.org');
      assert.ok(row.password_enc && row.password_enc !== 'pw');
    } finally {
      await db.close();
    }
    if (process.platform !== 'win32')
      assert.equal(fs.statSync(path.join(data, 'secret.key')).mode & 0o777, 0o600);
  });
});
