// Login throttling that cannot be turned against users (src/http/login-throttle.ts): backoff per
// (address, account) after a few failures, a ceiling per address across accounts, API keys counted apart
// and never refused when valid, no account locked from everywhere, bounded memory. First the rules on
// the class with a clock of our own, then end to end over HTTP on both APIs, with addresses told apart
// by X-Forwarded-For from loopback as a trusted proxy — and ignored from a peer that is not one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { describeWait, LoginThrottle } from '../../src/http/login-throttle.ts';
import { startTestServer, subsonicUrl, type TestServer, waitFor } from '../helpers/http.ts';

const A = '198.51.100.1';
const B = '198.51.100.2';

describe('LoginThrottle rules', () => {
  it('5 failures are free, then the waits double from 1 s up to the cap', () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle({ now: () => now });
    for (let failure = 0; failure < 5; failure++) {
      assert.equal(throttle.passwordWait(A, 'admin'), undefined, `attempt ${failure + 1} is free`);
      throttle.passwordFailed(A, 'admin');
    }
    const waits: number[] = [];
    for (let failure = 5; failure < 16; failure++) {
      const wait = throttle.passwordWait(A, 'admin');
      assert.equal(wait?.cause, 'account');
      waits.push(wait!.ms);
      now += wait!.ms;
      assert.equal(throttle.passwordWait(A, 'admin'), undefined, 'free to try once the wait is over');
      throttle.passwordFailed(A, 'admin');
    }
    assert.deepEqual(
      waits,
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300].map((seconds) => seconds * 1000),
    );
    // An hour without failures forgets them.
    now += 60 * 60_000;
    assert.equal(throttle.passwordWait(A, 'admin'), undefined);
    throttle.passwordFailed(A, 'admin');
    assert.equal(throttle.passwordWait(A, 'admin'), undefined, 'counting starts again');
  });

  it('failures from one address never hold the account up from another', () => {
    const now = 1_000_000;
    const throttle = new LoginThrottle({ now: () => now });
    for (let failure = 0; failure < 100; failure++) throttle.passwordFailed(A, 'Admin');
    assert.ok(throttle.passwordWait(A, 'admin')!.ms > 0, 'names compare without case');
    assert.equal(throttle.passwordWait(B, 'admin'), undefined);
  });

  it('an address has a ceiling across accounts; a device known there is not held up by it', () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle({ now: () => now });
    throttle.passwordSucceeded(A, 'alice');
    for (let account = 0; account < 20; account++) throttle.passwordFailed(A, `user${account}`);
    assert.deepEqual(throttle.passwordWait(A, 'bob'), { ms: 1000, cause: 'address' });
    assert.equal(throttle.passwordWait(A, 'alice'), undefined, 'alice logged in from here before');
    assert.equal(throttle.passwordWait(B, 'bob'), undefined, 'other addresses are not affected');
    now += 1000;
    throttle.passwordFailed(A, 'user20');
    assert.deepEqual(throttle.passwordWait(A, 'bob'), { ms: 2000, cause: 'address' });
    // A success clears the account's own failures, not the address's.
    now += 2000;
    throttle.passwordSucceeded(A, 'bob');
    throttle.passwordFailed(A, 'user21');
    assert.equal(throttle.passwordWait(A, 'carol')?.cause, 'address');
    // A known device is known for 7 days.
    now += 7 * 24 * 60 * 60_000;
    for (let account = 0; account < 25; account++) throttle.passwordFailed(A, `user${account}`);
    assert.equal(throttle.passwordWait(A, 'alice')?.cause, 'address');
  });

  it('counts IPv6 clients by their /64', () => {
    const throttle = new LoginThrottle({ now: () => 0 });
    for (let host = 1; host <= 5; host++) throttle.passwordFailed(`2001:db8:1:2::${host}`, 'admin');
    assert.ok(throttle.passwordWait('2001:db8:1:2:ffff::9', 'admin'));
    assert.equal(throttle.passwordWait('2001:db8:1:3::1', 'admin'), undefined);
  });

  it('API-key failures are counted apart from passwords', () => {
    const throttle = new LoginThrottle({ now: () => 0 });
    for (let failure = 0; failure < 50; failure++) throttle.passwordFailed(A, `user${failure}`);
    assert.equal(throttle.apiKeyWait(A), 0, 'password failures do not count for keys');
    for (let failure = 0; failure < 9; failure++) throttle.apiKeyFailed(B);
    assert.equal(throttle.apiKeyWait(B), 0);
    throttle.apiKeyFailed(B);
    assert.equal(throttle.apiKeyWait(B), 1000);
    assert.equal(throttle.passwordWait(B, 'admin'), undefined, 'key failures do not count for passwords');
  });

  it('memory is bounded: the least recently touched entries go first', () => {
    const throttle = new LoginThrottle({ maxEntries: 100, now: () => 0 });
    for (let index = 0; index < 1000; index++)
      throttle.passwordFailed(`10.0.${index >> 8}.${index & 255}`, 'x');
    assert.ok(throttle.size <= 100, `${throttle.size} entries`);
    assert.equal(throttle.passwordWait('10.0.0.1', 'x'), undefined, 'forgotten');
  });

  it('says how long to wait in words', () => {
    assert.equal(describeWait(1), '1 second');
    assert.equal(describeWait(1500), '2 seconds');
    assert.equal(describeWait(300_000), '5 minutes');
  });
});

const CLIENT = { v: '1.16.1', c: 'throttle-test', f: 'json' };
type Envelope = { status: string; error?: { code: number; message: string } };

/** A Subsonic call as a client behind the proxy at `address` (or with no X-Forwarded-For). */
async function subsonic(
  server: TestServer,
  params: Record<string, string>,
  address?: string,
): Promise<{ http: number; envelope: Envelope }> {
  const response = await fetch(subsonicUrl(server, 'ping', { ...CLIENT, ...params }), {
    headers: address ? { 'X-Forwarded-For': address } : {},
  });
  const body = (await response.json()) as { 'subsonic-response': Envelope };
  return { http: response.status, envelope: body['subsonic-response'] };
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** The native API's profile list, as a client behind the proxy at `address`. */
function native(
  server: TestServer,
  authorization: Record<string, string>,
  address: string,
): Promise<Response> {
  return fetch(`${server.baseUrl}/api/v1/transcoding/profiles`, {
    headers: { ...authorization, 'X-Forwarded-For': `203.0.113.250, ${address}` },
  });
}

describe('login throttling over HTTP behind a trusted proxy', () => {
  let server: TestServer;
  let clock = 10_000_000;
  let adminKey: string;

  before(async () => {
    server = await startTestServer({
      logLevel: 'info',
      users: [
        { username: 'admin', password: 'admin-pass' },
        { username: 'alice', password: 'alice-pass', isAdmin: false },
        { username: 'bob', password: 'bob-pass', isAdmin: false },
      ],
      http: { trustedProxies: ['127.0.0.1/32'] },
      app: { loginThrottle: { now: () => clock } },
    });
    adminKey = createApiKey(server.db, 'admin').key;
  });
  after(() => server.close());

  it('12 wrong passwords for admin from A: admin logs in from B at once, and with an API key from A', async () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      if (attempt > 0) clock += 5 * 60_000; // each wait is sat out, so every guess is checked and counted
      const { envelope } = await subsonic(server, { u: 'admin', p: `guess-${attempt}` }, A);
      assert.equal(envelope.error?.message, 'wrong username or password');
    }
    const fromA = await subsonic(server, { u: 'admin', p: 'admin-pass' }, A);
    assert.equal(fromA.http, 200, 'Subsonic answers stay HTTP 200');
    assert.equal(fromA.envelope.error?.code, 40);
    assert.match(
      fromA.envelope.error?.message ?? '',
      /^too many failed logins for admin from your address; try again in \d+ (seconds|minutes)$/,
    );
    assert.equal((await subsonic(server, { u: 'admin', p: 'admin-pass' }, B)).envelope.status, 'ok');
    assert.equal((await subsonic(server, { apiKey: adminKey }, A)).envelope.status, 'ok');
    assert.equal((await native(server, { 'X-API-Key': adminKey }, A)).status, 200);
    // Another account from A is not held up by admin's failures (12 < the address's 20).
    assert.equal((await subsonic(server, { u: 'alice', p: 'alice-pass' }, A)).envelope.status, 'ok');

    const failures = await waitFor(() => {
      const lines = server.logLines().filter((line) => line.msg === 'subsonic login failed');
      return lines.length >= 13 && lines;
    });
    assert.ok(failures.every((line) => line.ip === A && line.user === 'admin'));
    assert.equal(failures.at(-1)!.code, 'LOGIN_THROTTLED');
    assert.ok(!server.logText().includes('guess-'), 'no password in the log');
  });

  it('the native API answers a throttled login 429 with Retry-After that grows, as problem details', async () => {
    const address = '198.51.100.3';
    for (let attempt = 0; attempt < 5; attempt++) {
      assert.equal(
        (await native(server, { Authorization: basic('bob', `nope-${attempt}`) }, address)).status,
        401,
      );
    }
    const first = await native(server, { Authorization: basic('bob', 'bob-pass') }, address);
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '1');
    assert.match(first.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = (await first.json()) as { type: string; status: number; detail: string };
    assert.equal(problem.type, 'urn:tonearm:error:LOGIN_THROTTLED');
    assert.equal(problem.status, 429);
    assert.equal(problem.detail, 'too many failed logins for bob from your address; try again in 1 second');
    clock += 1000;
    assert.equal((await native(server, { Authorization: basic('bob', 'nope-5') }, address)).status, 401);
    const second = await native(server, { Authorization: basic('bob', 'bob-pass') }, address);
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), '2');
    clock += 2000;
    assert.equal((await native(server, { Authorization: basic('bob', 'bob-pass') }, address)).status, 200);
  });

  it('an address failing across accounts hits its ceiling; its known devices and other addresses do not', async () => {
    const address = '198.51.100.4';
    // alice has logged in from here before; bob has not.
    assert.equal((await subsonic(server, { u: 'alice', p: 'alice-pass' }, address)).envelope.status, 'ok');
    for (let account = 0; account < 20; account++) {
      const { envelope } = await subsonic(server, { u: `sprayed${account}`, p: 'password1' }, address);
      assert.equal(envelope.error?.message, 'wrong username or password');
    }
    const bob = await subsonic(server, { u: 'bob', p: 'bob-pass' }, address);
    assert.equal(bob.envelope.error?.code, 40);
    assert.equal(
      bob.envelope.error?.message,
      'too many failed logins from your address; try again in 1 second',
    );
    const nativeBob = await native(server, { Authorization: basic('bob', 'bob-pass') }, address);
    assert.equal(nativeBob.status, 429, 'the same rules on the native API');
    assert.equal((await subsonic(server, { u: 'alice', p: 'alice-pass' }, address)).envelope.status, 'ok');
    assert.equal((await subsonic(server, { u: 'bob', p: 'bob-pass' }, '198.51.100.5')).envelope.status, 'ok');
  });

  it('invalid API keys are told to wait (44 / 429) while a valid key from the same address works', async () => {
    const address = '198.51.100.6';
    for (let attempt = 0; attempt < 9; attempt++) {
      assert.equal((await native(server, { 'X-API-Key': `tnrm_bad${attempt}` }, address)).status, 401);
    }
    const tenth = await native(server, { 'X-API-Key': 'tnrm_bad9' }, address);
    assert.equal(tenth.status, 429);
    assert.equal(tenth.headers.get('retry-after'), '1');
    assert.equal(((await tenth.json()) as { type: string }).type, 'urn:tonearm:error:API_KEY_THROTTLED');
    const subsonicBad = await subsonic(server, { apiKey: 'tnrm_bad10' }, address);
    assert.equal(subsonicBad.http, 200);
    assert.equal(subsonicBad.envelope.error?.code, 44);
    assert.equal((await native(server, { 'X-API-Key': adminKey }, address)).status, 200);
    assert.equal((await subsonic(server, { apiKey: adminKey }, address)).envelope.status, 'ok');
    assert.equal((await subsonic(server, { u: 'bob', p: 'bob-pass' }, address)).envelope.status, 'ok');
  });
});

describe('login throttling under concurrent guesses', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      logLevel: 'info',
      users: [{ username: 'admin', password: 'admin-pass' }],
      http: { trustedProxies: ['127.0.0.1/32'], maxConnectionsPerAddress: 0 },
      app: { loginThrottle: { now: () => 20_000_000 } },
    });
  });
  after(() => server.close());

  it('64 guesses sent at once are checked no more than 5 sent one by one', async () => {
    const address = '198.51.100.20';
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, index) =>
        subsonic(server, { u: 'admin', p: `guess-${index}` }, address),
      ),
    );
    const checked = answers.filter(
      (answer) => answer.envelope.error?.message === 'wrong username or password',
    );
    const refused = answers.filter((answer) =>
      /too many failed logins/.test(answer.envelope.error?.message ?? ''),
    );
    assert.equal(checked.length, 5, 'only the free attempts reach the password check');
    assert.equal(refused.length, 59);
    for (const native of await Promise.all(
      Array.from({ length: 16 }, (_, index) =>
        fetch(`${server.baseUrl}/api/v1/transcoding/profiles`, {
          headers: { Authorization: basic('admin', `basic-guess-${index}`), 'X-Forwarded-For': address },
        }),
      ),
    ))
      assert.equal(native.status, 429, 'the native API shares the count');
  });

  it("a client's own parallel requests all get in", async () => {
    const address = '198.51.100.21';
    const answers = await Promise.all(
      Array.from({ length: 24 }, () => subsonic(server, { u: 'admin', p: 'admin-pass' }, address)),
    );
    assert.ok(answers.every((answer) => answer.envelope.status === 'ok'));
  });
});

describe('login throttling with no trusted proxy', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      logLevel: 'info',
      users: [{ username: 'admin', password: 'admin-pass' }],
      app: { loginThrottle: { now: () => 0 } },
    });
  });
  after(() => server.close());

  it('a client cannot pick its address with X-Forwarded-For; the ignored header is reported once', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { envelope } = await subsonic(
        server,
        { u: 'admin', p: `guess${attempt}` },
        `192.0.2.${attempt + 1}`,
      );
      assert.equal(envelope.error?.message, 'wrong username or password');
    }
    const fresh = await subsonic(server, { u: 'admin', p: 'admin-pass' }, '192.0.2.99');
    assert.match(fresh.envelope.error?.message ?? '', /too many failed logins for admin/);
    const failures = server.logLines().filter((line) => line.msg === 'subsonic login failed');
    assert.ok(failures.length >= 6 && failures.every((line) => line.ip === '127.0.0.1'));
    const warnings = server.logLines().filter((line) => String(line.msg).includes('X-Forwarded-For'));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.peer, '127.0.0.1');
  });
});
