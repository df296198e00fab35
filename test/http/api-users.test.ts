// Account management over the native API, end to end with API keys and HTTP Basic: every admin route
// refuses non-admins, users are created, listed page by page, changed and deleted (their keys with them),
// role changes count from the next request, the last administrator stays one, passwords change (your own
// only with the current one, counted by the login throttle), and each change leaves an audit row.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { listAudit } from '../../src/accounts/audit.ts';
import { authRoutes } from '../../src/http/api/auth.routes.ts';
import { apiRoutes } from '../../src/http/api/index.ts';
import { type ApiAuth, api, assertProblem } from '../helpers/api-requests.ts';
import { startTestServer, subsonicJson, type TestServer } from '../helpers/http.ts';

const ADMIN = { username: 'admin', password: 'admin-pw' };
const ALICE = { username: 'alice', password: 'alice-pw' };
const BOB = { username: 'bob', password: 'bob-pw' };

let server: TestServer;
let adminKey: ApiAuth;
let aliceKey: ApiAuth;
let libraries: { music: number; books: number };

before(async () => {
  server = await startTestServer({
    logLevel: 'warn',
    users: [
      { ...ADMIN, isAdmin: true },
      { ...ALICE, isAdmin: false },
      { ...BOB, isAdmin: false },
    ],
    app: { loginThrottle: { perAccount: { free: 2 }, perAddress: { free: 1000 } } },
  });
  const q = server.db.kysely;
  server.db.run(q.insertInto('library').values({ name: 'Music', path: '/music', created_at: 1 }));
  server.db.run(q.insertInto('library').values({ name: 'Books', path: '/books', created_at: 1 }));
  const id = (name: string) =>
    server.db.prepare('SELECT id FROM library WHERE name = ?').pluck().get(name) as number;
  libraries = { music: id('Music'), books: id('Books') };
  adminKey = { key: createApiKey(server.db, 'admin', 'tests').key };
  aliceKey = { key: createApiKey(server.db, 'alice', 'tests').key };
});
after(() => server?.close());

const lastAudit = (event: string) => listAudit(server.db, { event, limit: 1 })[0];

describe('admin routes', () => {
  test('answer 403 to a non-admin and 401 to nobody, every one of them', async () => {
    // Every route the server mounts (the session routes are built in app.ts, beside apiRoutes): a new admin
    // route is checked here without changing this test.
    const adminRoutes = [
      ...authRoutes({ verifier: {} as never, throttle: {} as never, proxyHeader: false }),
      ...apiRoutes,
    ].filter((route) => route.access === 'admin');
    for (const expected of [
      'get /admin/users',
      'delete /admin/api-keys/:id',
      'post /scans',
      'patch /admin/settings',
      'get /admin/sessions',
      'delete /admin/sessions/:id',
      'get /admin/audit',
    ])
      assert.ok(
        adminRoutes.some((route) => `${route.method} ${route.path}` === expected),
        `${expected} is declared for admins`,
      );
    for (const route of adminRoutes) {
      const path = route.path.replace(/:[A-Za-z0-9_]+/g, 'x');
      const body = route.body ? {} : undefined;
      for (const auth of [aliceKey, ALICE]) {
        const answer = await api(server, route.method.toUpperCase(), path, auth, body);
        assertProblem(answer, 403);
      }
      assertProblem(await api(server, route.method.toUpperCase(), path, undefined, body), 401);
    }
    // Nothing was changed by the refused calls.
    assert.equal(lastAudit('user.deleted'), undefined);
  });
});

describe('users', () => {
  test('an admin creates an account with defaults, reads it, and cannot create it twice', async () => {
    const created = await api(server, 'POST', '/admin/users', adminKey, {
      username: 'Carol',
      password: 'carol-pw',
      email: 'carol@example.org',
      roles: { upload: true, share: false },
      libraryIds: [libraries.music],
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.username, 'Carol');
    assert.equal(created.body.admin, false);
    assert.equal(created.body.email, 'carol@example.org');
    assert.deepEqual(created.body.libraryIds, [libraries.music]);
    assert.equal(created.body.roles.upload, true);
    assert.equal(created.body.roles.share, false);
    assert.equal(created.body.roles.stream, true, 'roles not given take the defaults');
    assert.match(created.body.id, /^us-/);

    const read = await api(server, 'GET', '/admin/users/carol', adminKey);
    assert.deepEqual(read.body, created.body);
    assertProblem(await api(server, 'GET', '/admin/users/nobody', adminKey), 404);
    assertProblem(
      await api(server, 'POST', '/admin/users', adminKey, { username: 'CAROL', password: 'x' }),
      409,
      /already exists/,
    );
    assertProblem(
      await api(server, 'POST', '/admin/users', adminKey, { username: 'a b', password: 'x' }),
      400,
    );
    assertProblem(
      await api(server, 'POST', '/admin/users', adminKey, {
        username: 'dan',
        password: 'x',
        libraryIds: [999],
      }),
      404,
    );
    assertProblem(
      await api(server, 'POST', '/admin/users', adminKey, { username: 'dan', password: 'x', isAdmin: true }),
      400,
      /isAdmin/,
    );

    // Carol can log in with the password she was given.
    assert.equal(
      (await api(server, 'GET', '/me/api-keys', { username: 'carol', password: 'carol-pw' })).status,
      200,
    );
    const audit = lastAudit('user.created')!;
    assert.equal(audit.username, 'Carol');
    assert.equal(audit.actorName, 'admin');
    assert.equal(audit.address, '127.0.0.1');
    assert.doesNotMatch(JSON.stringify(audit), /carol-pw/);
  });

  test('lists every account by name, page by page', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer = await api(
        server,
        'GET',
        `/admin/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        adminKey,
      );
      assert.equal(answer.status, 200);
      assert.ok(answer.body.items.length <= 2);
      names.push(...answer.body.items.map((user: { username: string }) => user.username));
      cursor = answer.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    const folded = (name: string) => name.toLowerCase();
    const all = (server.db.prepare('SELECT username FROM user').pluck().all() as string[]).sort((a, b) =>
      folded(a) < folded(b) ? -1 : 1,
    );
    assert.deepEqual(names, all);
    assert.ok(pages >= 2);
    assertProblem(await api(server, 'GET', '/admin/users?cursor=nonsense', adminKey), 400, /cursor/);
    assertProblem(await api(server, 'GET', '/admin/users?limit=0', adminKey), 400, /limit/);
  });

  test('a change of roles, limits and libraries counts from the next request, and is audited', async () => {
    // alice (API key) and bob (Basic: the credential cache) are refused, then made admins, then not.
    assertProblem(await api(server, 'GET', '/admin/users', aliceKey), 403);
    assertProblem(await api(server, 'GET', '/admin/users', BOB), 403);
    for (const name of ['alice', 'bob']) {
      const promoted = await api(server, 'PATCH', `/admin/users/${name}`, adminKey, { admin: true });
      assert.equal(promoted.status, 200);
      assert.equal(promoted.body.admin, true);
    }
    assert.equal((await api(server, 'GET', '/admin/users', aliceKey)).status, 200);
    assert.equal((await api(server, 'GET', '/admin/users', BOB)).status, 200);
    const granted = lastAudit('roles.changed')!;
    assert.equal(granted.username, 'bob');
    assert.equal(granted.actorName, 'admin');
    assert.ok((granted.detail.granted as string[]).includes('admin'));

    const changed = await api(server, 'PATCH', '/admin/users/bob', adminKey, {
      admin: false,
      roles: { download: false },
      maxBitRate: 128,
      email: 'bob@example.org',
      libraryIds: [libraries.books],
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.admin, false);
    assert.equal(changed.body.roles.download, false);
    assert.equal(changed.body.maxBitRate, 128);
    assert.deepEqual(changed.body.libraryIds, [libraries.books]);
    assertProblem(await api(server, 'GET', '/admin/users', BOB), 403);
    // Effective roles: an admin has every role, so stepping down also takes those bob was never given.
    const revoked = lastAudit('roles.changed')!.detail as { granted: string[]; revoked: string[] };
    assert.deepEqual(revoked.granted, []);
    assert.ok(revoked.revoked.includes('admin') && revoked.revoked.includes('download'));
    assert.ok(!revoked.revoked.includes('stream'));
    assert.deepEqual(lastAudit('user.updated')!.detail, { fields: ['email', 'maxBitRate', 'libraryIds'] });

    // The Subsonic view sees the same account.
    const subsonic = await subsonicJson(server, 'getUser', {
      u: 'admin',
      p: 'admin-pw',
      v: '1.16.1',
      c: 'test',
      username: 'bob',
    });
    assert.equal((subsonic.user as { maxBitRate: number }).maxBitRate, 128);

    assertProblem(
      await api(server, 'PATCH', '/admin/users/bob', adminKey, { maxBitRate: 100 }),
      400,
      /maxBitRate/,
    );
    assertProblem(await api(server, 'PATCH', '/admin/users/bob', adminKey, { password: 'x' }), 400);
    assertProblem(await api(server, 'PATCH', '/admin/users/bob', adminKey, { roles: { flying: true } }), 400);
    const demoted = await api(server, 'PATCH', '/admin/users/alice', adminKey, { admin: false });
    assert.equal(demoted.body.admin, false);
    assertProblem(await api(server, 'GET', '/admin/users', aliceKey), 403);
  });

  test('the last administrator can neither lose the role nor delete themself', async () => {
    assertProblem(await api(server, 'PATCH', '/admin/users/admin', adminKey, { admin: false }), 409, /last/);
    assertProblem(await api(server, 'DELETE', '/admin/users/admin', adminKey), 400, /your own/);
    // With a second administrator the first may step down; then the second is the last.
    await api(server, 'PATCH', '/admin/users/alice', adminKey, { admin: true });
    assert.equal((await api(server, 'PATCH', '/admin/users/admin', aliceKey, { admin: false })).status, 200);
    assertProblem(await api(server, 'PATCH', '/admin/users/alice', aliceKey, { admin: false }), 409, /last/);
    assertProblem(await api(server, 'GET', '/admin/users', adminKey), 403);
    assert.equal((await api(server, 'PATCH', '/admin/users/admin', aliceKey, { admin: true })).status, 200);
    assert.equal((await api(server, 'PATCH', '/admin/users/alice', adminKey, { admin: false })).status, 200);
  });

  test('deleting an account deletes its API keys, and is audited', async () => {
    await api(server, 'POST', '/admin/users', adminKey, { username: 'erin', password: 'erin-pw' });
    const erin = { username: 'erin', password: 'erin-pw' };
    const key = await api(server, 'POST', '/me/api-keys', erin, { name: 'phone' });
    assert.equal(key.status, 201);
    assert.equal((await api(server, 'GET', '/me/api-keys', { key: key.body.key })).status, 200);

    assertProblem(await api(server, 'DELETE', '/admin/users/erin', aliceKey), 403);
    assert.equal((await api(server, 'DELETE', '/admin/users/erin', adminKey)).status, 204);
    assertProblem(await api(server, 'GET', '/me/api-keys', { key: key.body.key }), 401);
    assertProblem(await api(server, 'GET', '/me/api-keys', erin), 401);
    const keys = await api(server, 'GET', '/admin/api-keys?limit=500', adminKey);
    assert.ok(!keys.body.items.some((item: { id: string }) => item.id === key.body.id));
    assertProblem(await api(server, 'DELETE', '/admin/users/erin', adminKey), 404);
    const audit = lastAudit('user.deleted')!;
    assert.equal(audit.username, 'erin');
    assert.equal(audit.actorName, 'admin');
  });

  test("an admin sets someone's password: the old one stops working", async () => {
    await api(server, 'POST', '/admin/users', adminKey, { username: 'fay', password: 'fay-old' });
    const old = { username: 'fay', password: 'fay-old' };
    assert.equal((await api(server, 'GET', '/me/api-keys', old)).status, 200);
    assertProblem(await api(server, 'PUT', '/admin/users/fay/password', adminKey, { password: '' }), 400);
    assert.equal(
      (await api(server, 'PUT', '/admin/users/fay/password', adminKey, { password: 'fay-new' })).status,
      204,
    );
    assertProblem(await api(server, 'GET', '/me/api-keys', old), 401);
    assert.equal(
      (await api(server, 'GET', '/me/api-keys', { username: 'fay', password: 'fay-new' })).status,
      200,
    );
    const audit = lastAudit('password.changed')!;
    assert.equal(audit.username, 'fay');
    assert.equal(audit.actorName, 'admin');
    assert.doesNotMatch(JSON.stringify(audit), /fay-new|fay-old/);
  });
});

describe('own account', () => {
  test('a user changes their email and scrobbling, nothing an admin decides', async () => {
    const answer = await api(server, 'PATCH', '/me', aliceKey, {
      email: 'alice@example.org',
      scrobblingEnabled: false,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.username, 'alice');
    assert.equal(answer.body.email, 'alice@example.org');
    assert.equal(answer.body.scrobblingEnabled, false);
    assertProblem(await api(server, 'PATCH', '/me', aliceKey, { email: 'not an address' }), 400, /email/);
    for (const forbidden of [
      { admin: true },
      { maxBitRate: 0 },
      { roles: { upload: true } },
      { libraryIds: [1] },
    ])
      assertProblem(await api(server, 'PATCH', '/me', aliceKey, forbidden), 400);
    const audit = lastAudit('user.updated')!;
    assert.equal(audit.username, 'alice');
    assert.equal(audit.actorId, null, 'a change of your own names no other actor');
    assert.deepEqual(audit.detail, { fields: ['email', 'scrobblingEnabled'] });

    // Without the settings role, nothing of your own changes.
    await api(server, 'PATCH', '/admin/users/alice', adminKey, { roles: { settings: false } });
    assertProblem(await api(server, 'PATCH', '/me', aliceKey, { email: '' }), 403, /settings/);
    assertProblem(
      await api(server, 'PUT', '/me/password', aliceKey, { currentPassword: 'alice-pw', newPassword: 'x' }),
      403,
      /settings/,
    );
    await api(server, 'PATCH', '/admin/users/alice', adminKey, { roles: { settings: true } });
  });

  test('a password change needs the current password; wrong ones count as failed logins', async () => {
    await api(server, 'POST', '/admin/users', adminKey, { username: 'gus', password: 'gus-old' });
    const gusKey = { key: createApiKey(server.db, 'gus').key };
    const change = (currentPassword: string, newPassword = 'gus-new') =>
      api(server, 'PUT', '/me/password', gusKey, { currentPassword, newPassword });

    // Two failures are free here (loginThrottle.perAccount.free = 2), the third attempt must wait.
    assertProblem(await change('wrong-1'), 403, /current password/);
    assertProblem(await change('wrong-2'), 403, /current password/);
    const throttled = await change('gus-old');
    assertProblem(throttled, 429);
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    // The same counter as logins: gus's password logins from this address wait too; his key does not.
    assertProblem(await api(server, 'GET', '/me/api-keys', { username: 'gus', password: 'gus-old' }), 429);
    assert.equal((await api(server, 'GET', '/me/api-keys', gusKey)).status, 200);
    const failure = lastAudit('password.changed')!;
    assert.equal(failure.outcome, 'failure');
    assert.equal(failure.username, 'gus');
    assert.doesNotMatch(JSON.stringify(failure), /wrong-|gus-old/);

    const retryAfter = Number(throttled.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 50));
    assert.equal((await change('gus-old')).status, 204);
    assertProblem(await api(server, 'GET', '/me/api-keys', { username: 'gus', password: 'gus-old' }), 401);
    assert.equal(
      (await api(server, 'GET', '/me/api-keys', { username: 'gus', password: 'gus-new' })).status,
      200,
    );
    const success = lastAudit('password.changed')!;
    assert.equal(success.outcome, 'success');
    assert.equal(success.actorId, null);
    assert.equal(success.address, '127.0.0.1');
  });
});
