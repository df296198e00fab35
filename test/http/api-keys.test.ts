// API keys over the native API: made (answered once), listed page by page without the secret, usable on
// both APIs, revoked with effect on the very next request of either API (nothing keeps a revoked key
// alive), one's own only (another user's key is 404 and keeps working), everybody's for admins, audited.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { listAudit } from '../../src/accounts/audit.ts';
import { type ApiAuth, api, assertProblem } from '../helpers/api-requests.ts';
import { startTestServer, subsonicJson, type TestServer } from '../helpers/http.ts';

const ALICE = { username: 'alice', password: 'alice-pw' };
const BOB = { username: 'bob', password: 'bob-pw' };

let server: TestServer;
let adminKey: ApiAuth;

before(async () => {
  server = await startTestServer({
    logLevel: 'warn',
    users: [{ username: 'admin', password: 'admin-pw', isAdmin: true }, ALICE, BOB].map((user, index) => ({
      ...user,
      isAdmin: index === 0,
    })),
  });
  adminKey = { key: createApiKey(server.db, 'admin').key };
});
after(() => server?.close());

async function makeKey(auth: ApiAuth, name: string) {
  const answer = await api(server, 'POST', '/me/api-keys', auth, { name });
  assert.equal(answer.status, 201);
  return answer.body as { id: string; key: string; prefix: string; name: string; username: string };
}

/** Subsonic ping with an API key: 'ok', or the error code. */
async function subsonicPing(key: string): Promise<'ok' | number> {
  const answer = (await subsonicJson(server, 'ping', { apiKey: key, v: '1.16.1', c: 'test' })) as {
    status: string;
    error?: { code: number };
  };
  return answer.status === 'ok' ? 'ok' : answer.error!.code;
}

describe('API keys', () => {
  test('are answered once, listed by prefix, and work on both APIs', async () => {
    const created = await makeKey(ALICE, 'phone');
    assert.match(created.key, /^tnrm_[A-Za-z0-9_-]{43}$/);
    assert.ok(created.key.startsWith(created.prefix));
    assert.equal(created.name, 'phone');
    assert.equal(created.username, 'alice');

    const listed = await api(server, 'GET', '/me/api-keys', { key: created.key });
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.items.map((item: { id: string }) => item.id),
      [created.id],
    );
    assert.equal(listed.body.items[0].key, undefined, 'a list never shows the key');
    assert.doesNotMatch(JSON.stringify(listed.body), new RegExp(created.key));
    assert.equal(await subsonicPing(created.key), 'ok');

    const audit = listAudit(server.db, { event: 'api-key.created', limit: 1 })[0]!;
    assert.equal(audit.username, 'alice');
    assert.equal(audit.actorId, null);
    assert.equal(audit.detail.keyId, created.id);
    assert.doesNotMatch(JSON.stringify(audit), new RegExp(created.key));

    assertProblem(await api(server, 'POST', '/me/api-keys', ALICE, { name: 'x'.repeat(101) }), 400, /name/);
    assertProblem(await api(server, 'POST', '/me/api-keys', undefined, { name: 'anyone' }), 401);
  });

  test('stop working at once on both APIs when revoked, whoever revokes them', async () => {
    for (const revoker of ['owner', 'admin'] as const) {
      const created = await makeKey(BOB, `laptop-${revoker}`);
      const bobKey = { key: created.key };
      // Used on both APIs first, so anything that remembers credentials would have them.
      assert.equal((await api(server, 'GET', '/me/api-keys', bobKey)).status, 200);
      assert.equal(await subsonicPing(created.key), 'ok');

      const path = revoker === 'owner' ? `/me/api-keys/${created.id}` : `/admin/api-keys/${created.id}`;
      assert.equal((await api(server, 'DELETE', path, revoker === 'owner' ? BOB : adminKey)).status, 204);
      assertProblem(await api(server, 'GET', '/me/api-keys', bobKey), 401);
      assert.equal(await subsonicPing(created.key), 44);
      assertProblem(await api(server, 'DELETE', path, revoker === 'owner' ? BOB : adminKey), 404);

      const audit = listAudit(server.db, { event: 'api-key.revoked', limit: 1 })[0]!;
      assert.equal(audit.username, 'bob');
      assert.equal(audit.detail.keyId, created.id);
      assert.equal(audit.actorName, revoker === 'owner' ? '' : 'admin');
      assert.equal(audit.address, '127.0.0.1');
    }
  });

  test("are one's own: another user's key can be neither listed nor revoked", async () => {
    const alices = await makeKey(ALICE, 'tablet');
    const bobs = await makeKey(BOB, 'desktop');
    const aliceList = await api(server, 'GET', '/me/api-keys', ALICE);
    assert.ok(aliceList.body.items.length >= 1);
    assert.ok(aliceList.body.items.every((item: { username: string }) => item.username === 'alice'));
    assert.ok(!aliceList.body.items.some((item: { id: string }) => item.id === bobs.id));

    assertProblem(await api(server, 'DELETE', `/me/api-keys/${bobs.id}`, ALICE), 404);
    assertProblem(await api(server, 'DELETE', `/me/api-keys/${bobs.id}`, { key: alices.key }), 404);
    assertProblem(await api(server, 'DELETE', `/admin/api-keys/${bobs.id}`, ALICE), 403);
    assertProblem(await api(server, 'GET', '/admin/api-keys', ALICE), 403);
    assert.equal(await subsonicPing(bobs.key), 'ok', "bob's key still works");

    const everybody = await api(server, 'GET', '/admin/api-keys?limit=500', adminKey);
    const ids = everybody.body.items.map((item: { id: string }) => item.id);
    assert.ok(ids.includes(alices.id) && ids.includes(bobs.id));
  });

  test('are listed oldest first, page by page', async () => {
    for (const name of ['one', 'two', 'three']) await makeKey(ALICE, name);
    const all = (await api(server, 'GET', '/me/api-keys?limit=500', ALICE)).body.items as { id: string }[];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api(
        server,
        'GET',
        `/me/api-keys?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        ALICE,
      );
      assert.ok(page.body.items.length <= 2);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      all.map((item) => item.id),
    );
    assert.ok(all.length >= 4);
    // A cursor of another shape (the users list's) is refused.
    const wrongShape = Buffer.from('["alice"]').toString('base64url');
    assertProblem(await api(server, 'GET', `/me/api-keys?cursor=${wrongShape}`, ALICE), 400, /cursor/);
  });
});
