// The caller of an API key or a session is remembered until the database changes (accounts/api-keys.ts
// apiKeyUsers, accounts/sessions.ts): repeated requests read no key, session or user row, yet every change
// that matters counts at the very next request, on the native API and on Subsonic alike: a revoked key or
// session, a role or admin change, new limits, a deleted user, and a change made by another process (the
// CLI) once its commit is seen (within 100 ms).
import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import { createApiKey, revokeApiKey } from '../../src/accounts/api-keys.ts';
import { Database } from '../../src/db/database.ts';
import { api, type Json, login } from '../helpers/api.ts';
import { startTestServer, subsonicJson, type TestServer } from '../helpers/http.ts';

const ADMIN = { username: 'admin', password: 'admin-pass' };
const ALICE = { username: 'alice', password: 'alice-pass' };
const BOB = { username: 'bob', password: 'bob-pass' };
const CAROL = { username: 'carol', password: 'carol-pass' };

let server: TestServer;
let adminKey: string;
before(async () => {
  server = await startTestServer({ users: [ADMIN, ALICE, BOB, CAROL], logLevel: 'silent' });
  adminKey = createApiKey(server.db, ADMIN.username).key;
});
after(() => server?.close());

/** Statements the server runs on these tables while `work` runs. */
async function readsOf(tables: RegExp, work: () => Promise<void>): Promise<string[]> {
  const prepare = mock.method(server.db, 'prepare');
  try {
    await work();
    return prepare.mock.calls.map((call) => call.arguments[0] as string).filter((sql) => tables.test(sql));
  } finally {
    prepare.mock.restore();
  }
}

const me = async (token: string): Promise<Json> => {
  const answer = await api(server, '/me', { token });
  return { status: answer.status, ...answer.body };
};

const asAdmin = (path: string, method: string, body?: unknown) =>
  api(server, path, { method, body, token: adminKey });

async function subsonicPing(key: string): Promise<'ok' | number> {
  const answer = (await subsonicJson(server, 'ping', { apiKey: key, v: '1.16.1', c: 'test' })) as {
    status: string;
    error?: { code: number };
  };
  return answer.status === 'ok' ? 'ok' : answer.error!.code;
}

describe('a remembered caller', () => {
  test('costs no key, session or user row read while nothing changes', async () => {
    const key = createApiKey(server.db, ALICE.username).key;
    const session = await login(server, BOB.username, BOB.password);
    // The first uses note the key's and the session's last use (a write), so the second reads them again.
    for (const token of [key, session.accessToken, key, session.accessToken])
      assert.equal((await me(token)).status, 200);
    const reads = await readsOf(/from "(api_key|session|user)"/, async () => {
      for (let round = 0; round < 5; round++) {
        assert.equal((await me(key)).username, ALICE.username);
        assert.equal((await me(session.accessToken)).username, BOB.username);
      }
    });
    assert.deepEqual(reads, []);
    // Any write, here one to an unrelated user, makes the next request read them again.
    await asAdmin(`/admin/users/${CAROL.username}`, 'PATCH', { email: 'carol@example.org' });
    const after = await readsOf(/from "(api_key|session)"/, async () => {
      await me(key);
      await me(session.accessToken);
    });
    assert.equal(after.length, 2, after.join('\n'));
  });

  test('sees a role change, an admin change and new limits at the next request', async () => {
    const key = createApiKey(server.db, ALICE.username).key;
    const session = await login(server, ALICE.username, ALICE.password);
    for (const token of [key, session.accessToken, key, session.accessToken]) {
      const before = await me(token);
      assert.equal(before.admin, false);
      assert.equal((await api(server, '/admin/users', { token })).status, 403);
    }
    const limited = await asAdmin(`/admin/users/${ALICE.username}`, 'PATCH', {
      roles: { download: false },
      maxBitRate: 128,
    });
    assert.equal(limited.status, 200, limited.text);
    for (const token of [key, session.accessToken]) {
      const after = await me(token);
      assert.equal(after.roles.download, false);
      assert.equal(after.maxBitRate, 128);
    }
    assert.equal((await asAdmin(`/admin/users/${ALICE.username}`, 'PATCH', { admin: true })).status, 200);
    for (const token of [key, session.accessToken]) {
      assert.equal((await me(token)).admin, true);
      assert.equal((await api(server, '/admin/users', { token })).status, 200);
    }
    assert.equal((await asAdmin(`/admin/users/${ALICE.username}`, 'PATCH', { admin: false })).status, 200);
    for (const token of [key, session.accessToken])
      assert.equal((await api(server, '/admin/users', { token })).status, 403);
  });

  test('stops at the next request once its key or session is revoked, or its user deleted', async () => {
    const key = createApiKey(server.db, BOB.username);
    const other = createApiKey(server.db, BOB.username).key;
    const session = await login(server, BOB.username, BOB.password);
    const second = await login(server, BOB.username, BOB.password);
    for (const token of [key.key, other, session.accessToken, second.accessToken, key.key, other])
      assert.equal((await me(token)).status, 200);
    assert.equal(await subsonicPing(other), 'ok');

    assert.equal((await asAdmin(`/admin/api-keys/${key.id}`, 'DELETE')).status, 204);
    assert.equal((await me(key.key)).status, 401);
    assert.equal((await me(other)).status, 200);
    const revoked = await api(server, `/me/sessions/${session.sessionId}`, {
      method: 'DELETE',
      token: second.accessToken,
    });
    assert.equal(revoked.status, 204, revoked.text);
    assert.equal((await me(session.accessToken)).status, 401);
    assert.equal((await me(second.accessToken)).status, 200);

    assert.equal((await asAdmin(`/admin/users/${BOB.username}`, 'DELETE')).status, 204);
    assert.equal((await me(other)).status, 401);
    assert.equal(await subsonicPing(other), 44);
    assert.equal((await me(second.accessToken)).status, 401);
  });

  test('sees a key revoked by another process once its commit is visible (within 100 ms)', async () => {
    const key = createApiKey(server.db, CAROL.username);
    assert.equal((await me(key.key)).status, 200);
    assert.equal((await me(key.key)).status, 200);
    const cli = Database.open(server.db.file);
    try {
      revokeApiKey(cli, key.id);
    } finally {
      await cli.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal((await me(key.key)).status, 401);
    assert.equal(await subsonicPing(key.key), 44);
  });
});
