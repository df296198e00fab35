// Subsonic authentication end to end: password (clear and enc:), token, API key, the admin switch, the
// failed-login throttle for every mechanism, immediate revocation, and no secret in any log line.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SubsonicAPI } from 'subsonic-api';
import { createApiKey, revokeApiKey } from '../../src/accounts/api-keys.ts';
import { setPasswordAuthEnabled } from '../../src/accounts/auth-settings.ts';
import { changePassword, createUser } from '../../src/accounts/users.service.ts';
import { startTestServer, subsonicJson, type TestServer, waitFor } from '../helpers/http.ts';

type Envelope = Record<string, unknown> & { status: string; error?: { code: number; message: string } };

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');
const CLIENT = { v: '1.16.1', c: 'test' };
const tokenAuth = (u: string, password: string, s = 'pepper77') => ({
  u,
  t: md5(password + s),
  s,
  ...CLIENT,
});
const keyAuth = (apiKey: string) => ({ apiKey, ...CLIENT });

describe('Subsonic authentication mechanisms', () => {
  let server: TestServer;
  let aliceKey: string;
  const json = (endpoint: string, params: Record<string, string | string[]>) =>
    subsonicJson(server, endpoint, params) as Promise<Envelope>;

  before(async () => {
    server = await startTestServer({
      users: [
        { username: 'alice', password: 'sesame' },
        { username: 'bob', password: 'pässwörd', isAdmin: false },
        { username: 'eve', password: 'plain-ascii', isAdmin: false },
      ],
      // Many deliberate failures from one address below; the throttle has its own tests.
      app: {
        loginThrottle: { perAccount: { free: 1000 }, perAddress: { free: 1000 }, apiKeys: { free: 1000 } },
      },
    });
    aliceKey = createApiKey(server.db, 'alice', 'test client').key;
  });
  after(() => server.close());

  test('token auth: t = md5(password + s) succeeds; a wrong token is 40; a salt may be reused', async () => {
    assert.equal((await json('ping', tokenAuth('alice', 'sesame'))).status, 'ok');
    assert.equal((await json('ping', tokenAuth('ALICE', 'sesame'))).status, 'ok', 'names ignore case');
    assert.equal((await json('ping', tokenAuth('alice', 'sesame'))).status, 'ok', 'same salt again');
    assert.equal((await json('ping', tokenAuth('bob', 'pässwörd', 'ü-salt'))).status, 'ok', 'UTF-8');
    assert.equal((await json('ping', tokenAuth('alice', 'Sesame'))).error?.code, 40);
    assert.equal((await json('ping', tokenAuth('nobody', 'sesame'))).error?.code, 40);
    const { s: _s, ...noSalt } = tokenAuth('alice', 'sesame');
    assert.equal((await json('ping', noSalt)).error?.code, 10);
    assert.equal((await json('ping', { ...tokenAuth('alice', 'sesame'), s: '' })).error?.code, 10);
  });

  test('the subsonic-api client library (token auth by default) logs in', async () => {
    // Its md5 hashes UTF-16 code units, not UTF-8, so only an ASCII password gives the token we expect.
    const api = new SubsonicAPI({ url: server.baseUrl, auth: { username: 'eve', password: 'plain-ascii' } });
    const pong = (await api.ping()) as unknown as Envelope;
    assert.equal(pong.status, 'ok');
    const withKey = new SubsonicAPI({ url: server.baseUrl, auth: { apiKey: aliceKey } });
    assert.deepEqual(
      ((await withKey.custom('tokenInfo', {}).then((r) => r.json())) as { 'subsonic-response': Envelope })[
        'subsonic-response'
      ].tokenInfo,
      { username: 'alice' },
    );
  });

  test('a user created before passwords were kept gets 41 for tokens; a p login fixes that', async () => {
    await createUser(server.db, { username: 'olduser', password: 'vintage', isAdmin: false });
    server.db.run(
      server.db.kysely.updateTable('user').set({ password_enc: null }).where('username', '=', 'olduser'),
    );
    const refused = await json('ping', tokenAuth('olduser', 'vintage'));
    assert.equal(refused.error?.code, 41);
    assert.match(refused.error?.message ?? '', /send the password as p/);
    // Clients (DSub) fall back to p=enc:…; a successful p login keeps a recoverable copy.
    const enc = `enc:${Buffer.from('vintage').toString('hex')}`;
    assert.equal((await json('ping', { u: 'olduser', p: enc, ...CLIENT })).status, 'ok');
    assert.equal((await json('ping', tokenAuth('olduser', 'vintage'))).status, 'ok');
  });

  test('enc: passwords: hex of UTF-8; malformed hex is 40', async () => {
    const enc = `enc:${Buffer.from('pässwörd', 'utf8').toString('hex')}`;
    assert.equal((await json('ping', { u: 'bob', p: enc, ...CLIENT })).status, 'ok');
    assert.equal(
      (await json('ping', { u: 'bob', p: enc.toUpperCase().replace('ENC:', 'enc:'), ...CLIENT })).status,
      'ok',
    );
    assert.equal((await json('ping', { u: 'bob', p: 'enc:zz', ...CLIENT })).error?.code, 40);
  });

  test('apiKey alone logs in as its user; unknown key 44; combined with u/p/t/s 43', async () => {
    assert.equal((await json('ping', keyAuth(aliceKey))).status, 'ok');
    const unknown = await json('ping', keyAuth(`${aliceKey}0`));
    assert.equal(unknown.error?.code, 44);
    assert.equal((await json('ping', keyAuth(''))).error?.code, 44);
    assert.equal((await json('ping', { ...keyAuth(aliceKey), u: 'alice' })).error?.code, 43);
    assert.equal((await json('ping', { ...keyAuth(aliceKey), p: 'sesame' })).error?.code, 43);
    assert.equal((await json('ping', { ...keyAuth(aliceKey), t: 'x' })).error?.code, 43);
    assert.equal((await json('ping', { ...keyAuth(aliceKey), s: 'x' })).error?.code, 43);
    const { c: _c, ...noClient } = keyAuth(aliceKey);
    assert.equal((await json('ping', noClient)).error?.code, 10);
  });

  test('tokenInfo names the key owner; with a password login it is 42; with a bad key 44', async () => {
    const info = await json('tokenInfo', keyAuth(aliceKey));
    assert.deepEqual(info.tokenInfo, { username: 'alice' });
    assert.equal((await json('tokenInfo', { u: 'alice', p: 'sesame', ...CLIENT })).error?.code, 42);
    assert.equal((await json('tokenInfo', keyAuth('tnrm_nope'))).error?.code, 44);
    const text = await (
      await fetch(`${server.baseUrl}/rest/tokenInfo.view?${new URLSearchParams(keyAuth(aliceKey))}`)
    ).text();
    assert.match(text, /<tokenInfo username="alice"\/>/);
  });

  test('getOpenSubsonicExtensions advertises apiKeyAuthentication', async () => {
    const extensions = (await json('getOpenSubsonicExtensions', {})).openSubsonicExtensions as unknown[];
    assert.deepEqual(
      extensions.filter((entry) => (entry as { name: string }).name === 'apiKeyAuthentication'),
      [{ name: 'apiKeyAuthentication', versions: [1] }],
    );
  });

  test('a revoked key and a changed password take effect at once, cache or not', async () => {
    const { key, id } = createApiKey(server.db, 'bob');
    assert.equal((await json('ping', keyAuth(key))).status, 'ok');
    revokeApiKey(server.db, id);
    assert.equal((await json('ping', keyAuth(key))).error?.code, 44);

    await createUser(server.db, { username: 'carl', password: 'first', isAdmin: false });
    assert.equal((await json('ping', { u: 'carl', p: 'first', ...CLIENT })).status, 'ok'); // now cached
    assert.equal((await json('ping', tokenAuth('carl', 'first'))).status, 'ok');
    await changePassword(server.db, 'carl', 'second');
    assert.equal((await json('ping', { u: 'carl', p: 'first', ...CLIENT })).error?.code, 40);
    assert.equal((await json('ping', tokenAuth('carl', 'first'))).error?.code, 40);
    assert.equal((await json('ping', tokenAuth('carl', 'second'))).status, 'ok');
  });

  test('a deleted user loses their keys', async () => {
    await createUser(server.db, { username: 'dora', password: 'pw', isAdmin: false });
    const { key } = createApiKey(server.db, 'dora');
    assert.equal((await json('ping', keyAuth(key))).status, 'ok');
    server.db.run(server.db.kysely.deleteFrom('user').where('username', '=', 'dora'));
    assert.equal((await json('ping', keyAuth(key))).error?.code, 44);
  });

  test('the admin switch: password and token logins answer 42; API keys still work; on again restores', async () => {
    setPasswordAuthEnabled(server.db, false);
    try {
      for (const params of [{ u: 'alice', p: 'sesame', ...CLIENT }, tokenAuth('alice', 'sesame')]) {
        const refused = await json('ping', params);
        assert.equal(refused.error?.code, 42);
        assert.match(refused.error?.message ?? '', /API key/);
        assert.equal((refused.error as Record<string, unknown>).helpUrl, undefined);
      }
      assert.equal((await json('ping', keyAuth(aliceKey))).status, 'ok');
    } finally {
      setPasswordAuthEnabled(server.db, true);
    }
    assert.equal((await json('ping', { u: 'alice', p: 'sesame', ...CLIENT })).status, 'ok');
  });
});

describe('failed-login throttling covers tokens; API keys are counted apart and never refused when valid', () => {
  let server: TestServer;
  let clock = 5_000_000;
  let key: string;
  const json = (endpoint: string, params: Record<string, string | string[]>) =>
    subsonicJson(server, endpoint, params) as Promise<Envelope>;

  before(async () => {
    server = await startTestServer({
      users: [{ username: 'alice', password: 'sesame' }],
      app: { loginThrottle: { now: () => clock } },
    });
    key = createApiKey(server.db, 'alice').key;
  });
  after(() => server.close());

  test('wrong tokens count; during the wait even the right token is refused without being checked', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      assert.equal((await json('ping', tokenAuth('alice', `guess${attempt}`))).error?.code, 40);
    }
    const blocked = await json('ping', tokenAuth('alice', 'sesame'));
    assert.equal(blocked.error?.code, 40);
    assert.match(blocked.error?.message ?? '', /too many failed logins for alice from your address/);
    // Password failures never hold up an API key.
    assert.equal((await json('ping', keyAuth(key))).status, 'ok');
    clock += 1000;
    assert.equal((await json('ping', tokenAuth('alice', 'sesame'))).status, 'ok');
  });

  test('bad API keys count per address and are told to wait (44); a valid key is still accepted', async () => {
    for (let attempt = 0; attempt < 9; attempt++) {
      assert.deepEqual((await json('ping', keyAuth(`tnrm_guess${attempt}`))).error, {
        code: 44,
        message: 'invalid API key',
      });
    }
    const tenth = await json('ping', keyAuth('tnrm_guess9'));
    assert.equal(tenth.error?.code, 44);
    assert.match(tenth.error?.message ?? '', /too many invalid API keys from your address, wait 1 second/);
    assert.equal((await json('ping', keyAuth(key))).status, 'ok', 'a valid key is never refused');
    // Key failures do not hold up passwords either.
    assert.equal((await json('ping', { u: 'alice', p: 'sesame', ...CLIENT })).status, 'ok');
  });
});

describe('no credential reaches the log', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ users: [{ username: 'alice', password: 'sesame-zz' }] });
  });
  after(() => server.close());

  test('passwords, tokens, salts, API keys and the secret key never appear in any log line', async () => {
    const { key } = createApiKey(server.db, 'alice');
    const token = tokenAuth('alice', 'sesame-zz', 'salt-qq77');
    const wrongToken = tokenAuth('alice', 'wrong-pw-yy', 'salt-rr88');
    for (const params of [
      { u: 'alice', p: 'sesame-zz', ...CLIENT },
      { u: 'alice', p: 'bad-pass-xx', ...CLIENT },
      token,
      wrongToken,
      keyAuth(key),
      keyAuth('tnrm_badkey_ww'),
      { ...keyAuth(key), u: 'alice' },
    ]) {
      await subsonicJson(server, 'ping', params);
      await subsonicJson(server, 'tokenInfo', params);
    }
    await subsonicJson(server, 'changePassword', {
      u: 'alice',
      p: 'sesame-zz',
      ...CLIENT,
      username: 'alice',
      password: 'next-pass-vv',
    });
    await waitFor(() => server.logLines().filter((line) => line.msg === 'request').length >= 15);
    const log = server.logText();
    const secretKey = (await import('node:fs')).readFileSync(`${server.dir}/secret.key`);
    const secrets = [
      'sesame-zz',
      'bad-pass-xx',
      'next-pass-vv',
      token.t,
      token.s,
      wrongToken.t,
      wrongToken.s,
      key,
      key.slice(5),
      'tnrm_badkey_ww',
      secretKey.toString('hex'),
      secretKey.toString('base64'),
    ];
    for (const secret of secrets) assert.ok(!log.includes(secret), `the log contains ${secret}`);
    // password_enc is not a password, but it does not belong in logs either.
    const sealed = server.db.first(server.db.kysely.selectFrom('user').select('password_enc'))!.password_enc!;
    assert.ok(!log.includes(sealed));
    const failures = server.logLines().filter((line) => line.msg === 'subsonic login failed');
    assert.ok(failures.some((line) => line.code === 'WRONG_CREDENTIALS'));
    // A wrong API key is a failed login too (a warn line an admin or fail2ban can act on), without the key.
    assert.ok(failures.some((line) => line.code === 'INVALID_API_KEY' && line.level === 40));
  });
});
