// What admins see of background jobs: GET /api/v1/admin/jobs (state filter, cursor paging, 403 for
// others) and `tonearm jobs` (table, JSON lines, clear errors), over jobs the server's queue really ran,
// the hourly housekeeping among them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServices } from '../../src/app/services.ts';
import { configSchema, defaultConfig } from '../../src/config/schema.ts';
import { Database, databaseFile } from '../../src/db/database.ts';
import { createApp } from '../../src/http/app.ts';
import { startServer } from '../../src/http/server.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { type ApiClient, apiClientFor } from '../helpers/activity-api.ts';
import { runCli } from '../helpers/cli.ts';
import type { TestServer } from '../helpers/http.ts';

describe('background jobs for admins', () => {
  let data: string;
  let db: Database;
  let services: ReturnType<typeof createServices>;
  let server: Awaited<ReturnType<typeof startServer>>;
  let admin: ApiClient;
  let alice: ApiClient;

  before(async () => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-jobs-'));
    for (const [name, flags] of [
      ['admin', ['--admin']],
      ['alice', []],
    ] as const) {
      const add = await runCli([
        'user',
        'add',
        name,
        '--password',
        `${name}-password`,
        ...flags,
        '--data',
        data,
      ]);
      assert.equal(add.code, 0, add.stderr);
    }
    const config = configSchema.parse({ ...defaultConfig(), dataDir: data, host: '127.0.0.1', port: 0 });
    db = Database.open(databaseFile(data));
    services = createServices({ config, db, logger: silentLogger });
    server = await startServer(createApp(services), { host: '127.0.0.1', port: 0, logger: silentLogger });
    const asServer = { baseUrl: server.url, db } as unknown as TestServer;
    admin = apiClientFor(asServer, 'admin');
    alice = apiClientFor(asServer, 'alice');
    // Jobs the queue runs for real: the housekeeping, a job that fails for good, one still waiting.
    services.jobs.register(
      'broken',
      () => {
        throw new Error('the disk is on fire');
      },
      { maxAttempts: 1 },
    );
    services.jobs.enqueue('housekeeping');
    services.jobs.enqueue('broken', { key: 'once' });
    await services.jobs.runDue();
    services.jobs.enqueue('broken', { key: 'later', runAt: Date.now() + 3_600_000 });
  });
  after(async () => {
    await server.close();
    await services.close();
    await db.close();
    fs.rmSync(data, { recursive: true, force: true });
  });

  it('lists them through the API, newest first, by state, page by page; admins only', async () => {
    const all = await admin.ok('GET', '/admin/jobs');
    type Job = { kind: string; state: string; updatedAt: string };
    assert.deepEqual(all.items.map((job: Job) => `${job.kind} ${job.state}`).sort(), [
      'broken failed',
      'broken queued',
      'housekeeping done',
    ]);
    assert.equal(all.items[0].key, 'later', 'the last one queued is the most recently changed');
    const times = all.items.map((job: Job) => Date.parse(job.updatedAt));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    const failed = await admin.ok('GET', '/admin/jobs?state=failed');
    assert.equal(failed.items.length, 1);
    assert.equal(failed.items[0].lastError, 'the disk is on fire');
    assert.equal(failed.items[0].attempts, 1);
    const first = await admin.ok('GET', '/admin/jobs?limit=2');
    const second = await admin.ok(
      'GET',
      `/admin/jobs?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`,
    );
    assert.deepEqual(
      [...first.items, ...second.items].map((job: { id: number }) => job.id),
      all.items.map((job: { id: number }) => job.id),
    );
    assert.equal(second.nextCursor, null);
    assert.equal((await alice.get('/admin/jobs')).status, 403);
    assert.equal((await admin.get('/admin/jobs?state=lost')).status, 400);
  });

  it('lists them with `tonearm jobs`, as a table or JSON lines', async () => {
    const table = await runCli(['jobs', '--data', data]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /housekeeping\s+done/);
    assert.match(table.stdout, /broken\s+once\s+failed\s+1\/1.*the disk is on fire/);
    const json = await runCli(['jobs', '--state', 'queued', '--json', '--data', data]);
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: string; state: string });
    assert.deepEqual(
      lines.map((job) => `${job.key} ${job.state}`),
      ['later queued'],
    );
    const bad = await runCli(['jobs', '--limit', 'lots', '--data', data]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--limit takes a number/);
  });
});
