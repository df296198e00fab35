// OIDC login end to end: a real OpenID Connect provider (oidc-provider) on a loopback port, Tonearm as its
// client, and a browser stand-in following every redirect with its cookies. Covers discovery while the
// provider is down, the first login creating a user (never taking over a local account of that name), later
// logins reusing it, the groups → admin mapping and the last-admin rule, state, binding and code checks,
// returnTo open-redirect attempts, accounts not created when createUsers is off, linking an existing account,
// and the login button data.
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { listAudit } from '../../src/accounts/audit.ts';
import { OidcClient, sanitizeUsername, usernameCandidates } from '../../src/accounts/oidc.ts';
import { deleteUser, findUserByName } from '../../src/accounts/users.service.ts';
import { configSchema, defaultConfig, type OidcConfig } from '../../src/config/schema.ts';
import { returnPath } from '../../src/http/api/oidc.routes.ts';
import type { TonearmError } from '../../src/shared/errors.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { api, login } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';
import {
  startIdentityProvider,
  type TestAccount,
  TestBrowser,
  type TestIdentityProvider,
} from '../helpers/oidc-provider.ts';

const ADMIN = { username: 'admin', password: 'admin-pass' };
const LOCAL_ALICE = { username: 'alice', password: 'alice-pass' };
const BOB = { username: 'bob', password: 'bob-pass' };
const CLIENT = { clientId: 'tonearm', clientSecret: 'a client secret' };

const ACCOUNTS: TestAccount[] = [
  {
    id: 'sub-alice',
    claims: {
      preferred_username: 'alice',
      email: 'alice@idp.example',
      email_verified: true,
      groups: ['listeners'],
    },
  },
  { id: 'sub-carol', claims: { preferred_username: 'carol', groups: ['listeners', 'tonearm-admins'] } },
  { id: 'sub-jose', claims: { preferred_username: 'José  Müller', groups: [] } },
  { id: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', claims: {} },
];

function account(id: string): TestAccount {
  return ACCOUNTS.find((candidate) => candidate.id === id)!;
}

function oidcSettings(issuer: string, changes: Partial<OidcConfig> = {}): OidcConfig {
  return {
    ...defaultConfig().auth.oidc,
    issuer,
    ...CLIENT,
    displayName: 'Test IdP',
    scopes: ['openid', 'profile', 'email', 'groups'],
    adminClaim: 'groups',
    adminValues: ['tonearm-admins'],
    ...changes,
  };
}

function callbackUrl(server: TestServer): string {
  return `${server.baseUrl}/api/v1/auth/oidc/callback`;
}

/** Clicks "sign in" (or "link") and goes through the provider, stopping at the app's first page after it. */
async function signIn(browser: TestBrowser, server: TestServer, returnTo?: string, action = 'login') {
  const query = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`;
  return browser.navigate(
    `${server.baseUrl}/api/v1/auth/oidc/${action}${query}`,
    (next) => next.origin === server.origin && !next.pathname.includes('/api/v1/auth/oidc/'),
  );
}

/** Goes through the provider but stops before the callback, to look at (or tamper with) its URL. */
async function callbackOf(browser: TestBrowser, server: TestServer): Promise<URL> {
  const { url, stopped } = await browser.navigate(`${server.baseUrl}/api/v1/auth/oidc/login`, (next) =>
    next.href.startsWith(callbackUrl(server)),
  );
  assert.ok(stopped, 'the provider sends the browser back to the callback');
  return new URL(url);
}

async function me(browser: TestBrowser, server: TestServer) {
  return api(server, '/me', { cookies: browser.jarFor(`${server.baseUrl}/api/v1/me`) });
}

describe('OIDC login', () => {
  let idp: TestIdentityProvider;
  let server: TestServer;
  let closed: TestServer;
  let plain: TestServer;

  before(async () => {
    idp = await startIdentityProvider();
    server = await startTestServer({
      basePath: '/music',
      users: [ADMIN, LOCAL_ALICE],
      logLevel: 'silent',
      auth: { oidc: oidcSettings(idp.issuer) },
    });
    closed = await startTestServer({
      users: [ADMIN, BOB],
      logLevel: 'silent',
      auth: { oidc: oidcSettings(idp.issuer, { createUsers: false }) },
    });
    plain = await startTestServer({ users: [ADMIN], logLevel: 'silent' });
    idp.configure(
      {
        ...CLIENT,
        redirectUris: [callbackUrl(server), callbackUrl(closed)],
        authMethod: 'client_secret_basic',
      },
      ACCOUNTS,
    );
  });
  after(async () => {
    await Promise.all([server.close(), closed.close(), plain.close()]);
    await idp.close();
  });

  test('the server starts while the provider is down; logins get 503 until it is back, then work', async () => {
    const info = await api(server, '/server');
    assert.deepEqual(info.body.login.oidc, {
      displayName: 'Test IdP',
      loginUrl: '/music/api/v1/auth/oidc/login',
    });

    idp.down = true;
    const down = await api(server, '/auth/oidc/login');
    assert.equal(down.status, 503);
    assert.equal(down.body.type, 'urn:tonearm:error:OIDC_UNAVAILABLE');
    assert.match(down.body.detail, new RegExp(`${idp.issuer}.*cannot be reached`));
    assert.ok(down.headers.get('retry-after'));
    assert.equal(down.headers.get('location'), null);

    idp.down = false;
    idp.signInAs = 'sub-alice';
    const browser = new TestBrowser();
    const { url } = await signIn(browser, server);
    assert.equal(url, `${server.origin}/music/`, 'discovery is tried again, and the login goes through');
    const discoveries = idp.requests.filter((line) => line === 'GET /.well-known/openid-configuration');
    assert.equal(discoveries.length, 2);
  });

  test('the first login creates a user (not the local account of that name) and a cookie session', async () => {
    idp.signInAs = 'sub-alice';
    const browser = new TestBrowser();
    const { url, response, hops } = await signIn(browser, server, '/music/albums?sort=newest');
    assert.equal(url, `${server.origin}/music/albums?sort=newest`);

    // The authorization request: code flow, PKCE S256, state, nonce, the redirect URI under the base path.
    const authorization = new URL(hops[1]!);
    assert.equal(authorization.origin, idp.issuer);
    assert.equal(authorization.searchParams.get('response_type'), 'code');
    assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorization.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok(authorization.searchParams.get('state'));
    assert.ok(authorization.searchParams.get('nonce'));
    assert.equal(authorization.searchParams.get('redirect_uri'), callbackUrl(server));
    assert.equal(authorization.searchParams.get('scope'), 'openid profile email groups');

    // The callback's answer sets the session cookies, as a password login does.
    const cookies = response.headers.getSetCookie();
    assert.ok(
      cookies.some((line) => /^tonearm_access=.+HttpOnly/.test(line) && /SameSite=Strict/.test(line)),
    );
    assert.ok(
      cookies.some((line) => line.startsWith('tonearm_refresh=') && /Path=\/music\/api\/v1\/auth/.test(line)),
    );
    assert.ok(cookies.some((line) => line.startsWith('tonearm_csrf=')));

    const who = await me(browser, server);
    assert.equal(who.status, 200);
    assert.equal(who.body.authenticatedBy, 'cookie-session');
    assert.equal(who.body.username, 'alice-2', 'the local alice is not taken over');
    assert.equal(who.body.email, 'alice@idp.example');
    assert.equal(who.body.admin, false);
    const local = await login(server, LOCAL_ALICE.username, LOCAL_ALICE.password);
    assert.notEqual(local.user.id, who.body.id, 'the local alice is still her own account');

    const sessions = await api(server, '/me/sessions', {
      cookies: browser.jarFor(`${server.baseUrl}/api/v1/me`),
    });
    assert.equal(sessions.body.items[0].method, 'oidc');

    const link = server.db.sqlite
      .prepare('SELECT provider, subject, user_id FROM user_identity WHERE subject = ?')
      .get('sub-alice') as { provider: string; user_id: string };
    assert.equal(link.provider, idp.issuer);
    assert.equal(link.user_id, who.body.id);
    const created = listAudit(server.db, { event: 'oidc.user-created' });
    assert.ok(created.some((entry) => entry.userId === who.body.id && entry.detail.subject === 'sub-alice'));
    assert.ok(listAudit(server.db, { event: 'oidc.login' }).some((entry) => entry.userId === who.body.id));
  });

  test('later logins, with or without the provider’s session, reuse the same user', async () => {
    idp.signInAs = 'sub-alice';
    const first = new TestBrowser();
    await signIn(first, server);
    const id = (await me(first, server)).body.id;
    const users = server.db.sqlite.prepare('SELECT count(*) FROM user').pluck().get();

    const again = await signIn(first, server);
    assert.ok(
      !again.hops.some((hop) => hop.includes('/interaction/')),
      'the provider remembered the login and the consent',
    );
    assert.equal((await me(first, server)).body.id, id);

    const elsewhere = new TestBrowser();
    const fresh = await signIn(elsewhere, server);
    assert.ok(
      fresh.hops.some((hop) => hop.includes('/interaction/')),
      'a new browser logs in at the provider',
    );
    assert.equal((await me(elsewhere, server)).body.id, id);
    assert.equal(server.db.sqlite.prepare('SELECT count(*) FROM user').pluck().get(), users);
  });

  test('a groups claim with an admin value makes an admin; losing it takes admin away at the next login', async () => {
    idp.signInAs = 'sub-carol';
    const browser = new TestBrowser();
    await signIn(browser, server);
    const carol = await me(browser, server);
    assert.equal(carol.body.username, 'carol');
    assert.equal(carol.body.admin, true);
    assert.equal(
      (await api(server, '/admin/sessions', { cookies: browser.jarFor(`${server.baseUrl}/api/v1/admin`) }))
        .status,
      200,
    );
    assert.ok(
      listAudit(server.db, { event: 'roles.changed' }).some(
        (entry) => entry.userId === carol.body.id && entry.detail.admin === true,
      ),
    );

    account('sub-carol').claims.groups = ['listeners'];
    await signIn(browser, server);
    assert.equal((await me(browser, server)).body.admin, false);
  });

  test('usernames are cleaned up from the claim, or made from the subject when there is none', async () => {
    idp.signInAs = 'sub-jose';
    const jose = new TestBrowser();
    await signIn(jose, server);
    assert.equal((await me(jose, server)).body.username, 'Jose-Muller');

    idp.signInAs = 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6';
    const anonymous = new TestBrowser();
    await signIn(anonymous, server);
    assert.equal((await me(anonymous, server)).body.username, 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
  });

  test('a tampered, replayed or foreign state never opens a session', async () => {
    idp.signInAs = 'sub-alice';
    const browser = new TestBrowser();
    const callback = await callbackOf(browser, server);
    const state = callback.searchParams.get('state')!;

    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    const refused = await browser.request(tampered.href);
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { type: string }).type, 'urn:tonearm:error:OIDC_STATE_INVALID');
    assert.ok(!refused.headers.getSetCookie().some((line) => line.startsWith('tonearm_access=')));

    // The same callback URL in another browser (someone trying to sign you in as them): refused.
    const victim = new TestBrowser();
    const foreign = await victim.request(callback.href);
    assert.equal(foreign.status, 400);
    assert.equal((await me(victim, server)).status, 401);

    // The real one still works in its own browser, once.
    const genuine = await browser.request(callback.href);
    assert.equal(genuine.status, 302);
    assert.equal(genuine.headers.get('location'), '/music/');
    const replay = await browser.request(callback.href);
    assert.equal(replay.status, 400);
    // Anyone can send a stale or forged state: it is logged, but it does not fill the audit log.
    assert.ok(
      !listAudit(server.db, { event: 'login.failed' }).some(
        (entry) => entry.detail.method === 'oidc' && entry.detail.reason === 'OIDC_STATE_INVALID',
      ),
    );
  });

  test('a wrong code or a refusal at the provider is a 401, and audited', async () => {
    idp.signInAs = 'sub-alice';
    const browser = new TestBrowser();
    const callback = await callbackOf(browser, server);
    callback.searchParams.set('code', 'not-the-code');
    const wrongCode = await browser.request(callback.href);
    assert.equal(wrongCode.status, 401);
    const problem = (await wrongCode.json()) as { type: string; detail: string };
    assert.equal(problem.type, 'urn:tonearm:error:OIDC_LOGIN_FAILED');
    assert.match(problem.detail, /invalid_grant/);

    const denied = await callbackOf(browser, server);
    const refusal = new URL(callbackUrl(server));
    refusal.searchParams.set('error', 'access_denied');
    refusal.searchParams.set('error_description', 'the user said no');
    refusal.searchParams.set('state', denied.searchParams.get('state')!);
    refusal.searchParams.set('iss', idp.issuer);
    const answer = await browser.request(refusal.href);
    assert.equal(answer.status, 401);
    assert.match(((await answer.json()) as { detail: string }).detail, /access_denied \(the user said no\)/);
    assert.ok(
      listAudit(server.db, { event: 'login.failed' }).some(
        (entry) => entry.detail.method === 'oidc' && entry.detail.reason === 'OIDC_LOGIN_FAILED',
      ),
    );
  });

  test('returnTo must be a path on this server: open-redirect attempts are refused', async () => {
    for (const returnTo of [
      '//evil.example',
      'https://evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      '/music/..//evil.example',
      '/\t/evil.example',
      'evil.example',
      '/elsewhere',
    ]) {
      const answer = await api(server, `/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`);
      assert.equal(answer.status, 400, returnTo);
      assert.equal(answer.body.type, 'urn:tonearm:error:INVALID_INPUT', returnTo);
      assert.equal(answer.headers.get('location'), null, returnTo);
    }
    const fine = await new TestBrowser().request(
      `${server.baseUrl}/api/v1/auth/oidc/login?returnTo=${encodeURIComponent('/music/playlists')}`,
    );
    assert.equal(fine.status, 302);
    assert.ok(fine.headers.get('location')!.startsWith(`${idp.issuer}/`));
    const binding = fine.headers.getSetCookie().find((line) => line.startsWith('tonearm_oidc='))!;
    assert.match(binding, /HttpOnly/);
    assert.match(binding, /SameSite=Lax/, 'sent back on the provider’s cross-site redirect');
    assert.match(binding, /Path=\/music\/api\/v1\/auth\/oidc/);

    // Without a base path too, where "//host" would otherwise be a path under it.
    for (const returnTo of ['//evil.example', '/a/..//evil.example', '/%2F/../\\evil.example'])
      assert.throws(() => returnPath(returnTo, ''), /returnTo must be a path/, returnTo);
    assert.equal(returnPath('/albums?x=1', ''), '/albums?x=1');
    assert.equal(returnPath(undefined, '/music'), '/music/');
    assert.equal(returnPath('/music', '/music'), '/music');
  });

  test('with createUsers off, an identity nobody is linked to is refused and no user is made', async () => {
    idp.signInAs = 'sub-jose';
    const browser = new TestBrowser();
    const before = closed.db.sqlite.prepare('SELECT count(*) FROM user').pluck().get();
    const { response } = await signIn(browser, closed);
    assert.equal(response.status, 403);
    assert.equal(
      ((await response.json()) as { type: string }).type,
      'urn:tonearm:error:OIDC_ACCOUNT_UNKNOWN',
    );
    assert.equal(closed.db.sqlite.prepare('SELECT count(*) FROM user').pluck().get(), before);
    assert.equal((await me(browser, closed)).status, 401);
    assert.ok(
      listAudit(closed.db, { event: 'login.failed' }).some(
        (entry) => entry.detail.reason === 'OIDC_ACCOUNT_UNKNOWN' && entry.detail.subject === 'sub-jose',
      ),
    );
  });

  test('a user who has just signed in links their account; that identity then logs in to it', async () => {
    const browser = new TestBrowser();
    const local = await browser.request(`${closed.baseUrl}/api/v1/auth/login`, { json: ADMIN });
    assert.equal(local.status, 200);
    idp.signInAs = 'sub-jose';
    const { url } = await signIn(browser, closed, '/settings', 'link');
    assert.equal(url, `${closed.origin}/settings`);
    const admin = findUserByName(closed.db, ADMIN.username)!;
    assert.ok(
      listAudit(closed.db, { event: 'oidc.linked' }).some(
        (entry) => entry.userId === admin.id && entry.detail.subject === 'sub-jose',
      ),
    );

    const elsewhere = new TestBrowser();
    await signIn(elsewhere, closed);
    const who = await me(elsewhere, closed);
    assert.equal(who.body.id, admin.id, 'the linked account, not a new one');

    // The identity is taken now: Bob cannot link it to his account.
    const bob = new TestBrowser();
    await bob.request(`${closed.baseUrl}/api/v1/auth/login`, { json: BOB });
    const taken = await signIn(bob, closed, undefined, 'link');
    assert.equal(taken.response.status, 409);
    assert.equal(
      ((await taken.response.json()) as { type: string }).type,
      'urn:tonearm:error:OIDC_IDENTITY_LINKED',
    );

    // Linking needs a browser session, not HTTP Basic or an API key.
    const basic = await api(closed, '/auth/oidc/link', {
      headers: {
        authorization: `Basic ${Buffer.from(`${BOB.username}:${BOB.password}`).toString('base64')}`,
      },
    });
    assert.equal(basic.status, 403);
    assert.equal((await api(closed, '/auth/oidc/link')).status, 401);
  });

  test('without OIDC configured there is no button and no login route', async () => {
    assert.equal((await api(plain, '/server')).body.login.oidc, null);
    assert.equal((await api(plain, '/auth/oidc/login')).status, 404);
    const document = (await (await fetch(`${plain.origin}/api/openapi.json`)).json()) as {
      paths: Record<string, { get: { responses: Record<string, unknown> } }>;
    };
    assert.ok(document.paths['/api/v1/auth/oidc/login']?.get.responses['302'], 'documented as a redirect');
  });

  test('the last admin stays an admin even when the claims take it away', async () => {
    idp.signInAs = 'sub-carol';
    account('sub-carol').claims.groups = ['tonearm-admins'];
    const browser = new TestBrowser();
    await signIn(browser, server);
    assert.equal((await me(browser, server)).body.admin, true);
    deleteUser(server.db, ADMIN.username);

    account('sub-carol').claims.groups = [];
    const { url } = await signIn(browser, server);
    assert.equal(url, `${server.origin}/music/`, 'the login itself goes through');
    assert.equal((await me(browser, server)).body.admin, true);
    assert.equal(findUserByName(server.db, 'carol')!.isAdmin, true);
    const last = listAudit(server.db, { event: 'oidc.login' }).find(
      (entry) => entry.username === 'carol' && entry.detail.admin === 'kept-last-admin',
    );
    assert.ok(last);
  });
});

describe('OIDC settings and names', () => {
  test('the issuer must be https, or http on this machine only, and needs a client id', () => {
    const parse = (oidc: Partial<OidcConfig>) =>
      configSchema.safeParse({
        ...defaultConfig(),
        auth: { ...defaultConfig().auth, oidc: { ...defaultConfig().auth.oidc, clientId: 'x', ...oidc } },
      });
    assert.ok(parse({ issuer: 'https://auth.example.org' }).success);
    assert.ok(parse({ issuer: 'http://127.0.0.1:9000' }).success);
    assert.ok(parse({ issuer: 'http://localhost:9000/realms/home' }).success);
    assert.ok(parse({ issuer: '' }).success, 'empty: OIDC off');
    assert.equal(parse({ issuer: 'http://auth.lan' }).success, false);
    assert.equal(parse({ issuer: 'auth.example.org' }).success, false);
    assert.equal(parse({ issuer: 'https://auth.example.org', clientId: '' }).success, false);
    assert.equal(parse({ issuer: 'https://auth.example.org', scopes: ['profile'] }).success, false);
  });

  test('a provider that refuses connections is a 503 naming it and the reason', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const client = new OidcClient(oidcSettings(`http://127.0.0.1:${closedPort}`), silentLogger);
    await assert.rejects(client.start('http://127.0.0.1/callback', '/', undefined), (error: TonearmError) => {
      assert.equal(error.code, 'OIDC_UNAVAILABLE');
      assert.match(error.message, /127\.0\.0\.1.*ECONNREFUSED/);
      return true;
    });
  });

  test('names are cleaned up to what a username may hold, and made unique with a suffix', () => {
    assert.equal(sanitizeUsername('Zoë O’Brien'), 'Zoe-O-Brien');
    assert.equal(sanitizeUsername('  ..admin..  '), 'admin');
    assert.equal(sanitizeUsername('名前'), '');
    assert.equal(sanitizeUsername('a'.repeat(80)).length, 64);
    const [first, second, third] = usernameCandidates('x'.repeat(64));
    assert.equal(first, 'x'.repeat(64));
    assert.equal(second, `${'x'.repeat(62)}-2`);
    assert.equal(third, `${'x'.repeat(62)}-3`);
  });
});
