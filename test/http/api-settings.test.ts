// Server settings over the native API: read and changed by admins only, validated per setting, in effect
// for the very next request (the Subsonic password-auth switch), audited; and the read-only server facts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import packageJson from '../../package.json' with { type: 'json' };
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { listAudit } from '../../src/accounts/audit.ts';
import { createTranscoder } from '../../src/streaming/transcoder.ts';
import { type ApiAuth, api, assertProblem } from '../helpers/api-requests.ts';
import { startTestServer, subsonicJson, type TestServer } from '../helpers/http.ts';

let server: TestServer;
let adminKey: ApiAuth;
let aliceKey: string;

before(async () => {
  server = await startTestServer({
    logLevel: 'warn',
    users: [
      { username: 'admin', password: 'admin-pw', isAdmin: true },
      { username: 'alice', password: 'alice-pw', isAdmin: false },
    ],
  });
  adminKey = { key: createApiKey(server.db, 'admin').key };
  aliceKey = createApiKey(server.db, 'alice').key;
});
after(() => server?.close());

async function subsonicPing(auth: Record<string, string>): Promise<'ok' | number> {
  const answer = (await subsonicJson(server, 'ping', { ...auth, v: '1.16.1', c: 'test' })) as {
    status: string;
    error?: { code: number };
  };
  return answer.status === 'ok' ? 'ok' : answer.error!.code;
}

describe('settings', () => {
  test('the password-auth switch takes effect at the next login, and is audited', async () => {
    assert.deepEqual((await api(server, 'GET', '/admin/settings', adminKey)).body, {
      passwordAuthEnabled: true,
    });
    assert.equal(await subsonicPing({ u: 'alice', p: 'alice-pw' }), 'ok');

    const off = await api(server, 'PATCH', '/admin/settings', adminKey, { passwordAuthEnabled: false });
    assert.equal(off.status, 200);
    assert.deepEqual(off.body, { passwordAuthEnabled: false });
    assert.equal(await subsonicPing({ u: 'alice', p: 'alice-pw' }), 42);
    assert.equal(await subsonicPing({ apiKey: aliceKey }), 'ok');
    const audit = listAudit(server.db, { event: 'settings.changed', limit: 1 })[0]!;
    assert.deepEqual(audit.detail, { passwordAuthEnabled: false });
    assert.equal(audit.username, 'admin');
    assert.equal(audit.address, '127.0.0.1');

    // The same value again changes nothing and records nothing.
    await api(server, 'PATCH', '/admin/settings', adminKey, { passwordAuthEnabled: false });
    assert.equal(listAudit(server.db, { event: 'settings.changed' }).length, 1);

    await api(server, 'PATCH', '/admin/settings', adminKey, { passwordAuthEnabled: true });
    assert.equal(await subsonicPing({ u: 'alice', p: 'alice-pw' }), 'ok');
  });

  test('refuse unknown settings and values of the wrong type, and non-admins', async () => {
    assertProblem(
      await api(server, 'PATCH', '/admin/settings', adminKey, { passwordAuthEnabled: 'no' }),
      400,
      /passwordAuthEnabled/,
    );
    assertProblem(await api(server, 'PATCH', '/admin/settings', adminKey, { theme: 'dark' }), 400, /theme/);
    assertProblem(
      await api(server, 'PATCH', '/admin/settings', { key: aliceKey }, { passwordAuthEnabled: false }),
      403,
    );
    assert.deepEqual((await api(server, 'GET', '/admin/settings', adminKey)).body, {
      passwordAuthEnabled: true,
    });
  });
});

describe('server facts', () => {
  test('name the version, the data folder, the libraries and whether ffmpeg starts', async () => {
    const q = server.db.kysely;
    server.db.run(q.insertInto('library').values({ name: 'Music', path: '/srv/music', created_at: 1 }));
    const facts = await api(server, 'GET', '/admin/server', adminKey);
    assert.equal(facts.status, 200);
    assert.equal(facts.body.version, packageJson.version);
    assert.equal(facts.body.dataFolder, server.dir);
    assert.deepEqual(
      facts.body.libraries.map(({ name, path, online, lastScanAt }: Record<string, unknown>) => ({
        name,
        path,
        online,
        lastScanAt,
      })),
      [{ name: 'Music', path: '/srv/music', online: true, lastScanAt: null }],
    );
    assert.equal(facts.body.ffmpeg.available, true);
  });

  test('say so when ffmpeg cannot be started', async () => {
    const config = {
      ...server.config,
      transcoding: { ...server.config.transcoding, ffmpeg: '/nonexistent/ffmpeg' },
    };
    const transcoder = createTranscoder(config, server.services.logger);
    try {
      assert.equal(await transcoder.ffmpegAvailable(), false);
    } finally {
      transcoder.close();
    }
  });
});
