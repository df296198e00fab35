// Sessions over the native API, end to end on a real server: login and its failures, the throttle, access
// tokens and their expiry, rotating refresh tokens and reuse detection, cookies and CSRF, logout, session
// lists and revocation, password change and deletion ending sessions, first-run setup, API keys, the
// reverse-proxy header, CORS and security headers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { TOTP } from 'otpauth';
import { createApiKey, revokeApiKey } from '../../src/accounts/api-keys.ts';
import { listAudit } from '../../src/accounts/audit.ts';
import { ensureFirstAdmin, FIRST_ADMIN_FILE } from '../../src/accounts/first-admin.ts';
import { beginTotpSetup, confirmTotpSetup } from '../../src/accounts/totp.ts';
import { findUserByName } from '../../src/accounts/users.service.ts';
import { api, cookiesOf, type Json, login } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';

const ADMIN = { username: 'admin', password: 'admin-pass' };
const ALICE = { username: 'alice', password: 'alice-pass' };
const BOB = { username: 'bob', password: 'bob-pass' };

function subsonic(
  server: TestServer,
  endpoint: string,
  user: typeof ADMIN,
  params: Record<string, string> = {},
): Promise<Json> {
  const query = new URLSearchParams({
    u: user.username,
    p: user.password,
    v: '1.16.1',
    c: 'test',
    f: 'json',
    ...params,
  });
  return fetch(`${server.baseUrl}/rest/${endpoint}?${query}`).then(
    (response) => response.json() as Promise<Json>,
  );
}

describe('native API sessions', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ users: [ADMIN, ALICE, BOB], logLevel: 'silent' });
  });
  after(() => server.close());

  test('login answers tokens and sets httpOnly SameSite=Strict cookies; /me works with either', async () => {
    const answer = await api(server, '/auth/login', {
      method: 'POST',
      body: { ...ALICE, device: 'Test phone' },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.tokenType, 'Bearer');
    assert.equal(answer.body.expiresIn, 15 * 60);
    assert.equal(answer.body.user.username, 'alice');
    assert.equal(answer.body.user.admin, false);
    const lines = answer.headers.getSetCookie();
    const access = lines.find((line) => line.startsWith('tonearm_access='))!;
    const refresh = lines.find((line) => line.startsWith('tonearm_refresh='))!;
    const csrf = lines.find((line) => line.startsWith('tonearm_csrf='))!;
    assert.match(access, /HttpOnly/);
    assert.match(access, /SameSite=Strict/);
    assert.match(refresh, /HttpOnly/);
    assert.match(refresh, /Path=\/api\/v1\/auth/);
    assert.doesNotMatch(csrf, /HttpOnly/, 'the web app must be able to read the CSRF token');

    const byBearer = await api(server, '/me', { token: answer.body.accessToken });
    assert.equal(byBearer.status, 200);
    assert.equal(byBearer.body.username, 'alice');
    assert.equal(byBearer.body.authenticatedBy, 'bearer-session');
    assert.equal(byBearer.body.sessionId, answer.body.sessionId);
    const byCookie = await api(server, '/me', { cookies: cookiesOf(answer) });
    assert.equal(byCookie.status, 200);
    assert.equal(byCookie.body.authenticatedBy, 'cookie-session');

    // Refresh tokens are stored hashed: the token itself is nowhere in the database.
    const stored = server.db.sqlite.prepare('SELECT token_hash FROM refresh_token').pluck().all() as string[];
    assert.ok(stored.length > 0);
    assert.ok(!stored.includes(answer.body.refreshToken));
  });

  test('a wrong password is 401 and audited; an unknown user gets the same answer', async () => {
    const wrong = await api(server, '/auth/login', {
      method: 'POST',
      body: { username: 'bob', password: 'nope' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.type, 'urn:tonearm:error:WRONG_CREDENTIALS');
    assert.ok(wrong.body.requestId, 'problems carry the request id');
    const unknown = await api(server, '/auth/login', {
      method: 'POST',
      body: { username: 'nobody', password: 'nope' },
    });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.detail, wrong.body.detail);
    const failures = listAudit(server.db, { event: 'login.failed' });
    assert.ok(failures.some((entry) => entry.username === 'bob' && entry.userId === null));
    assert.ok(
      failures.every((entry) => !JSON.stringify(entry).includes('nope')),
      'no password in the audit log',
    );
  });

  test('a used refresh token rotates; presenting it again ends the whole session', async () => {
    const first = await login(server, BOB.username, BOB.password);
    const second = await api(server, '/auth/refresh', {
      method: 'POST',
      body: { refreshToken: first.refreshToken },
    });
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refreshToken, first.refreshToken);
    assert.equal(second.body.sessionId, first.sessionId, 'a refresh stays in its session');
    assert.equal((await api(server, '/me', { token: second.body.accessToken })).status, 200);

    const replay = await api(server, '/auth/refresh', {
      method: 'POST',
      body: { refreshToken: first.refreshToken },
    });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.type, 'urn:tonearm:error:REFRESH_TOKEN_REUSED');
    // The family is dead: the newest refresh token and the access tokens of the session too.
    const afterReplay = await api(server, '/auth/refresh', {
      method: 'POST',
      body: { refreshToken: second.body.refreshToken },
    });
    assert.equal(afterReplay.status, 401);
    assert.equal(afterReplay.body.type, 'urn:tonearm:error:SESSION_ENDED');
    const me = await api(server, '/me', { token: second.body.accessToken });
    assert.equal(me.status, 401);
    assert.equal(me.body.type, 'urn:tonearm:error:SESSION_ENDED');
    assert.ok(
      listAudit(server.db, { event: 'session.reuse-detected' }).some((entry) => entry.username === 'bob'),
    );
  });

  test('refresh with the cookie needs the CSRF header', async () => {
    const session = await login(server, ALICE.username, ALICE.password);
    const without = await api(server, '/auth/refresh', { method: 'POST', cookies: session.cookies });
    assert.equal(without.status, 403);
    assert.equal(without.body.type, 'urn:tonearm:error:CSRF_REFUSED');
    const withHeader = await api(server, '/auth/refresh', {
      method: 'POST',
      cookies: session.cookies,
      headers: { 'x-csrf-token': session.cookies.tonearm_csrf },
    });
    assert.equal(withHeader.status, 200);
    assert.ok(cookiesOf(withHeader).tonearm_refresh, 'the rotated token comes back as a cookie');
  });

  test('cookie-authenticated writes are refused without the CSRF token; bearer writes need none', async () => {
    const session = await login(server, ALICE.username, ALICE.password);
    const forged = await api(server, '/me/sessions', { method: 'DELETE', cookies: session.cookies });
    assert.equal(forged.status, 403);
    assert.equal(forged.body.type, 'urn:tonearm:error:CSRF_REFUSED');
    const wrongToken = await api(server, '/me/sessions', {
      method: 'DELETE',
      cookies: session.cookies,
      headers: { 'x-csrf-token': 'x'.repeat(43) },
    });
    assert.equal(wrongToken.status, 403);
    // Another session's token does not fit this session.
    const other = await login(server, ALICE.username, ALICE.password);
    const crossed = await api(server, '/me/sessions', {
      method: 'DELETE',
      cookies: session.cookies,
      headers: { 'x-csrf-token': other.csrfToken },
    });
    assert.equal(crossed.status, 403);
    assert.equal((await api(server, '/me', { token: other.accessToken })).status, 200, 'nothing was ended');
    const real = await api(server, '/me/sessions', {
      method: 'DELETE',
      cookies: session.cookies,
      headers: { 'x-csrf-token': session.cookies.tonearm_csrf },
    });
    assert.equal(real.status, 200);
    assert.ok(real.body.ended >= 1);
    assert.equal(
      (await api(server, '/me', { token: other.accessToken })).status,
      401,
      'the other session ended',
    );
    assert.equal(
      (await api(server, '/me', { cookies: session.cookies })).status,
      200,
      'the current one stays',
    );
  });

  test('logout ends the session: its access and refresh tokens stop working', async () => {
    const session = await login(server, BOB.username, BOB.password);
    const out = await api(server, '/auth/logout', { method: 'POST', token: session.accessToken });
    assert.equal(out.status, 204);
    assert.ok(out.headers.getSetCookie().some((line) => /^tonearm_access=;.*Max-Age=0/.test(line)));
    assert.equal((await api(server, '/me', { token: session.accessToken })).status, 401);
    const refresh = await api(server, '/auth/refresh', {
      method: 'POST',
      body: { refreshToken: session.refreshToken },
    });
    assert.equal(refresh.status, 401);
    // Logging out with only the refresh token (an expired access token) works too.
    const next = await login(server, BOB.username, BOB.password);
    assert.equal(
      (await api(server, '/auth/logout', { method: 'POST', body: { refreshToken: next.refreshToken } }))
        .status,
      204,
    );
    assert.equal((await api(server, '/me', { token: next.accessToken })).status, 401);
  });

  test('users list and revoke their own sessions only; admins see and end anyone’s', async () => {
    const bobPhone = await login(server, BOB.username, BOB.password, { device: 'Bob phone' });
    const bobLaptop = await login(server, BOB.username, BOB.password, { device: 'Bob laptop' });
    const alice = await login(server, ALICE.username, ALICE.password);
    const list = await api(server, '/me/sessions', { token: bobLaptop.accessToken });
    assert.equal(list.status, 200);
    assert.equal(list.body.nextCursor, null);
    const devices = list.body.items.map((session: Json) => session.device);
    assert.ok(devices.includes('Bob phone') && devices.includes('Bob laptop'));
    assert.ok(list.body.items.every((session: Json) => session.username === 'bob'));
    assert.equal(list.body.items.find((session: Json) => session.current).id, bobLaptop.sessionId);

    // Alice cannot end Bob's session: it does not exist for her.
    const cross = await api(server, `/me/sessions/${bobPhone.sessionId}`, {
      method: 'DELETE',
      token: alice.accessToken,
    });
    assert.equal(cross.status, 404);
    assert.equal((await api(server, '/me', { token: bobPhone.accessToken })).status, 200);
    // Nor list everybody's.
    assert.equal((await api(server, '/admin/sessions', { token: alice.accessToken })).status, 403);

    const own = await api(server, `/me/sessions/${bobPhone.sessionId}`, {
      method: 'DELETE',
      token: bobLaptop.accessToken,
    });
    assert.equal(own.status, 204);
    assert.equal((await api(server, '/me', { token: bobPhone.accessToken })).status, 401);

    const admin = await login(server, ADMIN.username, ADMIN.password);
    const all = await api(server, '/admin/sessions?user=bob', { token: admin.accessToken });
    assert.ok(all.body.items.some((session: Json) => session.id === bobLaptop.sessionId));
    assert.equal(
      (
        await api(server, `/admin/sessions/${bobLaptop.sessionId}`, {
          method: 'DELETE',
          token: admin.accessToken,
        })
      ).status,
      204,
    );
    assert.equal((await api(server, '/me', { token: bobLaptop.accessToken })).status, 401);
    const revoked = listAudit(server.db, { event: 'session.revoked' });
    assert.ok(revoked.some((entry) => entry.username === 'bob' && entry.actorName === 'admin'));
  });

  test('a password change (Subsonic changePassword) ends every session of the user', async () => {
    const carol = { username: 'carol', password: 'carol-pass' };
    assert.equal(
      (
        await subsonic(server, 'createUser', ADMIN, {
          username: 'carol',
          password: 'carol-pass',
          email: 'c@x.org',
        })
      )['subsonic-response'].status,
      'ok',
    );
    const session = await login(server, carol.username, carol.password);
    assert.equal((await api(server, '/me', { token: session.accessToken })).status, 200);
    const changed = await subsonic(server, 'changePassword', carol, {
      username: 'carol',
      password: 'carol-new',
    });
    assert.equal(changed['subsonic-response'].status, 'ok');
    const me = await api(server, '/me', { token: session.accessToken });
    assert.equal(me.status, 401);
    assert.equal(me.body.type, 'urn:tonearm:error:SESSION_ENDED');
    assert.equal(
      (await api(server, '/auth/refresh', { method: 'POST', body: { refreshToken: session.refreshToken } }))
        .status,
      401,
    );
    // Deleting the user ends the new session too.
    const again = await login(server, 'carol', 'carol-new');
    assert.equal(
      (await subsonic(server, 'deleteUser', ADMIN, { username: 'carol' }))['subsonic-response'].status,
      'ok',
    );
    assert.equal((await api(server, '/me', { token: again.accessToken })).status, 401);
  });

  test('API keys work as Bearer on the native API until revoked', async () => {
    const key = createApiKey(server.db, 'alice', 'script');
    const me = await api(server, '/me', { token: key.key });
    assert.equal(me.status, 200);
    assert.equal(me.body.authenticatedBy, 'api-key');
    assert.equal(me.body.sessionId, null);
    const viaHeader = await api(server, '/me', { headers: { 'x-api-key': key.key } });
    assert.equal(viaHeader.status, 200);
    revokeApiKey(server.db, key.id);
    const revoked = await api(server, '/me', { token: key.key });
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.type, 'urn:tonearm:error:INVALID_API_KEY');
  });

  test('no credentials, a forged token and a token of another server are all 401', async () => {
    assert.equal((await api(server, '/me')).status, 401);
    const session = await login(server, ALICE.username, ALICE.password);
    const [header, payload] = session.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString(
      'base64url',
    );
    const forged = await api(server, '/me', {
      token: `${header}.${forgedPayload}.${session.accessToken.split('.')[2]}`,
    });
    assert.equal(forged.status, 401);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    assert.equal((await api(server, '/me', { token: unsigned })).status, 401);
  });

  test('answers carry the security headers; CORS is off by default', async () => {
    const answer = await api(server, '/server', { headers: { origin: 'https://evil.example' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(answer.headers.get('x-frame-options'), 'DENY');
    assert.equal(answer.headers.get('referrer-policy'), 'no-referrer');
    assert.match(answer.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
    const rest = await fetch(`${server.baseUrl}/rest/ping?f=json`);
    assert.equal(rest.headers.get('x-content-type-options'), 'nosniff');
  });
});

describe('access token and session expiry', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ users: [ADMIN, ALICE], logLevel: 'silent' });
  });
  after(() => {
    mock.timers.reset();
    return server.close();
  });

  test('an expired access token says so (the client refreshes); an idle session ends', async () => {
    const session = await login(server, ALICE.username, ALICE.password);
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      mock.timers.tick(16 * 60_000);
      const expired = await api(server, '/me', { token: session.accessToken });
      assert.equal(expired.status, 401);
      assert.equal(expired.body.type, 'urn:tonearm:error:ACCESS_TOKEN_EXPIRED');
      const refreshed = await api(server, '/auth/refresh', {
        method: 'POST',
        body: { refreshToken: session.refreshToken },
      });
      assert.equal(refreshed.status, 200);
      assert.equal((await api(server, '/me', { token: refreshed.body.accessToken })).status, 200);
      // Thirty-one days without a refresh: the session is over.
      mock.timers.tick(31 * 86_400_000);
      const idle = await api(server, '/auth/refresh', {
        method: 'POST',
        body: { refreshToken: refreshed.body.refreshToken },
      });
      assert.equal(idle.status, 401);
      assert.equal(idle.body.type, 'urn:tonearm:error:SESSION_ENDED');
    } finally {
      mock.timers.reset();
    }
  });
});

describe('login throttle on the native API', () => {
  let server: TestServer;
  let clock = Date.now();
  before(async () => {
    server = await startTestServer({
      users: [ADMIN, ALICE],
      logLevel: 'silent',
      app: { loginThrottle: { perAccount: { free: 2, baseMs: 10_000, maxMs: 60_000 }, now: () => clock } },
    });
  });
  after(() => server.close());

  test('failures beyond the free ones get 429 with Retry-After, even with the right password, and recover', async () => {
    const wrong = { username: 'alice', password: 'wrong' };
    assert.equal((await api(server, '/auth/login', { method: 'POST', body: wrong })).status, 401);
    assert.equal((await api(server, '/auth/login', { method: 'POST', body: wrong })).status, 401);
    const limited = await api(server, '/auth/login', { method: 'POST', body: ALICE });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.type, 'urn:tonearm:error:LOGIN_THROTTLED');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // The same throttle guards Subsonic: the right password waits there too.
    const viaSubsonic = await subsonic(server, 'ping', ALICE);
    assert.equal(viaSubsonic['subsonic-response'].status, 'failed');
    // A valid session is never blocked by it.
    const key = createApiKey(server.db, 'alice', 'k');
    assert.equal((await api(server, '/me', { token: key.key })).status, 200);
    clock += 11_000;
    assert.equal((await api(server, '/auth/login', { method: 'POST', body: ALICE })).status, 200);
  });
});

describe('login with two-factor codes', () => {
  let server: TestServer;
  let secret = '';
  let recovery: string[] = [];
  let clock = Date.now();
  const code = (at: number) => new TOTP({ secret, digits: 6, period: 30 }).generate({ timestamp: at });
  before(async () => {
    server = await startTestServer({
      users: [ADMIN, ALICE],
      logLevel: 'silent',
      app: { loginThrottle: { perAccount: { free: 3, baseMs: 10_000, maxMs: 60_000 }, now: () => clock } },
    });
    const alice = findUserByName(server.db, 'alice')!;
    secret = (await beginTotpSetup(server.db, alice)).secret;
    // Set up ten minutes ago, so the codes of the test are all newer than the one that confirmed it.
    const setUpAt = Date.now() - 600_000;
    recovery = confirmTotpSetup(server.db, alice, code(setUpAt), { now: setUpAt });
  });
  after(() => server.close());

  test('a password alone asks for the code; wrong codes fail; a code a step off passes once', async () => {
    const bare = await api(server, '/auth/login', { method: 'POST', body: ALICE });
    assert.equal(bare.status, 401);
    assert.equal(bare.body.type, 'urn:tonearm:error:SECOND_FACTOR_REQUIRED');
    assert.equal(bare.headers.getSetCookie().length, 0, 'no session yet');
    const wrong = await api(server, '/auth/login', { method: 'POST', body: { ...ALICE, totp: '000000' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.type, 'urn:tonearm:error:SECOND_FACTOR_WRONG');
    // The clock of the phone runs 30 s late: still accepted.
    const late = code(Date.now() - 30_000);
    const ok = await api(server, '/auth/login', { method: 'POST', body: { ...ALICE, totp: late } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.user.twoFactor, true);
    const replay = await api(server, '/auth/login', { method: 'POST', body: { ...ALICE, totp: late } });
    assert.equal(replay.status, 401, 'a code works once');
    const login = listAudit(server.db, { event: 'login' }).find((entry) => entry.username === 'alice');
    assert.equal(login?.detail.secondFactor, 'totp');
  });

  test('a recovery code works once; HTTP Basic is refused for a two-factor account', async () => {
    const first = await api(server, '/auth/login', { method: 'POST', body: { ...ALICE, totp: recovery[0] } });
    assert.equal(first.status, 200, first.text);
    const again = await api(server, '/auth/login', { method: 'POST', body: { ...ALICE, totp: recovery[0] } });
    assert.equal(again.status, 401);
    const basic = await api(server, '/me', {
      headers: { authorization: `Basic ${Buffer.from('alice:alice-pass').toString('base64')}` },
    });
    assert.equal(basic.status, 401);
  });

  test('wrong codes count as failed logins: the right password does not reset the count', async () => {
    clock += 3_600_000; // earlier failures forgotten
    for (let i = 0; i < 3; i++) {
      const wrong = await api(server, '/auth/login', { method: 'POST', body: { ...ALICE, totp: '123456' } });
      assert.equal(wrong.status, 401);
    }
    const limited = await api(server, '/auth/login', {
      method: 'POST',
      body: { ...ALICE, totp: code(Date.now()) },
    });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  });
});

describe('first-run setup', () => {
  test('creates the first admin once, then answers 409', async () => {
    const server = await startTestServer({ logLevel: 'silent' });
    try {
      assert.equal((await api(server, '/server')).body.setupRequired, true);
      const created = await api(server, '/setup', {
        method: 'POST',
        body: { username: 'owner', password: 'owner-pass-1' },
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.user.username, 'owner');
      assert.equal(created.body.user.admin, true);
      assert.equal((await api(server, '/me', { token: created.body.accessToken })).status, 200);
      const again = await api(server, '/setup', {
        method: 'POST',
        body: { username: 'mallory', password: 'x-pass-123' },
      });
      assert.equal(again.status, 409);
      assert.equal(again.body.type, 'urn:tonearm:error:SETUP_DONE');
      assert.equal((await api(server, '/server')).body.setupRequired, false);
      assert.equal(listAudit(server.db, { event: 'setup' }).length, 1);
    } finally {
      await server.close();
    }
  });

  test('two setups at once: one wins, the other gets 409', async () => {
    const server = await startTestServer({ logLevel: 'silent' });
    try {
      const answers = await Promise.all(
        ['one', 'two', 'three'].map((name) =>
          api(server, '/setup', { method: 'POST', body: { username: name, password: `${name}-pass-1` } }),
        ),
      );
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [201, 409, 409]);
      const admins = server.db.sqlite.prepare('SELECT count(*) FROM user WHERE is_admin = 1').pluck().get();
      assert.equal(admins, 1);
    } finally {
      await server.close();
    }
  });

  test('replaces the generated admin of a headless start while it is unused, not after', async () => {
    const server = await startTestServer({ logLevel: 'silent' });
    try {
      const first = await ensureFirstAdmin(server.db, server.dir);
      assert.ok(first.created);
      const generated = fs.readFileSync(path.join(server.dir, FIRST_ADMIN_FILE), 'utf8').trim();
      assert.equal((await api(server, '/server')).body.setupRequired, true);
      const claimed = await api(server, '/setup', {
        method: 'POST',
        body: { username: 'owner', password: 'owner-pass-1' },
      });
      assert.equal(claimed.status, 201);
      assert.ok(!fs.existsSync(path.join(server.dir, FIRST_ADMIN_FILE)), 'the password file is gone');
      const old = await api(server, '/auth/login', {
        method: 'POST',
        body: { username: 'admin', password: generated },
      });
      assert.equal(old.status, 401, 'the generated admin is gone');
    } finally {
      await server.close();
    }
    const used = await startTestServer({ logLevel: 'silent' });
    try {
      await ensureFirstAdmin(used.db, used.dir);
      const password = fs.readFileSync(path.join(used.dir, FIRST_ADMIN_FILE), 'utf8').trim();
      await login(used, 'admin', password);
      const late = await api(used, '/setup', {
        method: 'POST',
        body: { username: 'mallory', password: 'mallory-pass' },
      });
      assert.equal(late.status, 409, 'a generated admin that logged in is a claimed server');
    } finally {
      await used.close();
    }
  });
});

describe('reverse-proxy header login', () => {
  test('is believed from the configured networks only', async () => {
    const trusted = await startTestServer({
      users: [ADMIN, ALICE],
      logLevel: 'silent',
      auth: { proxyHeader: 'Remote-User', proxyHeaderNetworks: ['127.0.0.1'], proxyHeaderCreateUsers: true },
    });
    try {
      const me = await api(trusted, '/me', { headers: { 'remote-user': 'alice' } });
      assert.equal(me.status, 200);
      assert.equal(me.body.username, 'alice');
      assert.equal(me.body.authenticatedBy, 'proxy-header');
      const created = await api(trusted, '/me', { headers: { 'remote-user': 'dave' } });
      assert.equal(created.status, 200);
      assert.equal(created.body.admin, false);
      assert.equal((await api(trusted, '/server')).body.login.proxyHeader, true);
    } finally {
      await trusted.close();
    }
    const untrusted = await startTestServer({
      users: [ADMIN, ALICE],
      logLevel: 'silent',
      auth: { proxyHeader: 'Remote-User', proxyHeaderNetworks: ['10.0.0.0/8'] },
    });
    try {
      const me = await api(untrusted, '/me', { headers: { 'remote-user': 'admin' } });
      assert.equal(me.status, 401, 'a header from outside the proxy networks is ignored');
    } finally {
      await untrusted.close();
    }
  });
});

describe('CORS allow-list', () => {
  test('answers listed origins (and their preflights) only', async () => {
    const server = await startTestServer({
      users: [ADMIN],
      logLevel: 'silent',
      http: { corsOrigins: ['https://app.example.org'] },
    });
    try {
      const allowed = await api(server, '/server', { headers: { origin: 'https://app.example.org' } });
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.org');
      assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
      const other = await api(server, '/server', { headers: { origin: 'https://other.example.org' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      const preflight = await fetch(`${server.baseUrl}/api/v1/me`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.org',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      assert.equal(preflight.status, 204);
      assert.match(preflight.headers.get('access-control-allow-headers')!, /Authorization/);
    } finally {
      await server.close();
    }
  });
});
