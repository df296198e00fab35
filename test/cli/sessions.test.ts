// `tonearm sessions list|revoke` as real processes beside a running server on the same data folder: what
// the CLI ends, the server refuses at the next request.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listAudit } from '../../src/accounts/audit.ts';
import { createServices } from '../../src/app/services.ts';
import { configSchema, defaultConfig } from '../../src/config/schema.ts';
import { Database, databaseFile } from '../../src/db/database.ts';
import { createApp } from '../../src/http/app.ts';
import { startServer } from '../../src/http/server.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { api, login } from '../helpers/api.ts';
import { runCli } from '../helpers/cli.ts';

describe('tonearm sessions', () => {
  let data: string;
  let db: Database;
  let server: Awaited<ReturnType<typeof startServer>>;
  let baseUrl: string;

  before(async () => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-sessions-'));
    for (const name of ['alice', 'bob']) {
      const add = await runCli(['user', 'add', name, '--password', `${name}-pw`, '--data', data]);
      assert.equal(add.code, 0, add.stderr);
    }
    const config = configSchema.parse({ ...defaultConfig(), dataDir: data, host: '127.0.0.1', port: 0 });
    db = Database.open(databaseFile(data));
    server = await startServer(createApp(createServices({ config, db, logger: silentLogger })), {
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      shutdownTimeoutMs: 1000,
    });
    baseUrl = server.url;
  });
  after(async () => {
    await server.close();
    await db.close();
    fs.rmSync(data, { recursive: true, force: true });
  });

  it('lists live sessions and revokes one, or all of a user, at once', async () => {
    const phone = await login({ baseUrl }, 'alice', 'alice-pw', { device: 'Alice phone' });
    const laptop = await login({ baseUrl }, 'alice', 'alice-pw', { device: 'Alice laptop' });
    const bob = await login({ baseUrl }, 'bob', 'bob-pw', { device: 'Bob tablet' });

    const list = await runCli(['sessions', 'list', '--data', data]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /ID\s+USER\s+METHOD\s+DEVICE\s+ADDRESS\s+LAST SEEN\s+EXPIRES/);
    for (const session of [phone, laptop, bob]) assert.ok(list.stdout.includes(session.sessionId));
    assert.match(list.stdout, /alice\s+password\s+Alice phone\s+127\.0\.0\.1/);
    const onlyBob = await runCli(['sessions', 'list', 'bob', '--data', data]);
    assert.ok(onlyBob.stdout.includes(bob.sessionId));
    assert.ok(!onlyBob.stdout.includes(phone.sessionId));

    const revoked = await runCli(['sessions', 'revoke', phone.sessionId, '--data', data]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `ended session ${phone.sessionId} of alice\n`);
    assert.equal((await api({ baseUrl }, '/me', { token: phone.accessToken })).status, 401);
    assert.equal((await api({ baseUrl }, '/me', { token: laptop.accessToken })).status, 200);

    const all = await runCli(['sessions', 'revoke', '--user', 'alice', '--data', data]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, 'ended 1 session of alice\n');
    assert.equal((await api({ baseUrl }, '/me', { token: laptop.accessToken })).status, 401);
    assert.equal((await api({ baseUrl }, '/me', { token: bob.accessToken })).status, 200);
    assert.ok(
      listAudit(db, { event: 'session.revoked' }).every((entry) => entry.actorName === 'cli'),
    );
  });

  it('refuses unknown sessions and users, and ambiguous calls, with a message and exit 1', async () => {
    const unknown = await runCli(['sessions', 'revoke', 'se-nope', '--data', data]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no live session se-nope/);
    const nobody = await runCli(['sessions', 'list', 'nobody', '--data', data]);
    assert.equal(nobody.code, 1);
    const both = await runCli(['sessions', 'revoke', 'se-x', '--user', 'bob', '--data', data]);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /one session id, or --user/);
  });
});
