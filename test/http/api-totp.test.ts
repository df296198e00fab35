// Two-factor login over the real HTTP API: enrolment (a wrong code leaves it off), the caller's status,
// turning it off and renewing recovery codes with a proof, the admin reset, the audit log route (paging
// and filters, admins only), and what a TOTP user's password still opens: not Subsonic (42, password and
// token alike) and not HTTP Basic on the native API, while their API key keeps working on both.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { recordAudit } from '../../src/accounts/audit.ts';
import { findUserByName } from '../../src/accounts/users.service.ts';
import { login } from '../helpers/api.ts';
import { startTestServer, subsonicJson, type TestServer } from '../helpers/http.ts';

type Envelope = { status: string; error?: { code: number; message: string } };
interface Problem {
  type: string;
  status: number;
  detail: string;
}

const CLIENT = { v: '1.16.1', c: 'test' };
const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');
const codeNow = (secret: string, offsetSteps = 0): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + offsetSteps * 30_000 });

describe('native API: two-factor login and the audit log', () => {
  let server: TestServer;
  const keys: Record<string, string> = {};
  const sessions: Record<string, string> = {};
  const passwords: Record<string, string> = { root: 'rootpw', alice: 'sesame', bob: 'hunter2', carol: 'pw3' };

  before(async () => {
    server = await startTestServer({
      users: [
        { username: 'root', password: passwords.root! },
        { username: 'alice', password: passwords.alice!, isAdmin: false },
        { username: 'bob', password: passwords.bob!, isAdmin: false },
        { username: 'carol', password: passwords.carol!, isAdmin: false },
      ],
      app: { loginThrottle: { perAccount: { free: 1000 }, perAddress: { free: 1000 } } },
    });
    for (const name of Object.keys(passwords)) {
      keys[name] = createApiKey(server.db, name, 'test').key;
      // Sessions opened before two-factor login is on keep working after it (and set-up needs one).
      sessions[name] = (await login(server, name, passwords[name]!)).accessToken;
    }
  });
  after(() => server.close());

  type Auth = { key: string } | { basic: string } | { session: string };
  async function call(
    method: string,
    path: string,
    auth: Auth | undefined,
    body?: unknown,
  ): Promise<{ status: number; json: unknown; headers: Headers }> {
    const headers = new Headers();
    if (auth && 'key' in auth) headers.set('Authorization', `Bearer ${keys[auth.key]}`);
    if (auth && 'session' in auth) headers.set('Authorization', `Bearer ${sessions[auth.session]}`);
    if (auth && 'basic' in auth)
      headers.set(
        'Authorization',
        `Basic ${Buffer.from(`${auth.basic}:${passwords[auth.basic]}`).toString('base64')}`,
      );
    if (body !== undefined) headers.set('Content-Type', 'application/json');
    const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined, headers: response.headers };
  }
  const as = (name: string): Auth => ({ session: name });

  function assertProblem(
    answer: { status: number; json: unknown },
    status: number,
    code: string,
    detail?: RegExp,
  ) {
    const problem = answer.json as Problem;
    assert.equal(answer.status, status, JSON.stringify(problem));
    assert.equal(problem.type, `urn:tonearm:error:${code}`);
    if (detail) assert.match(problem.detail, detail);
  }

  /** Turns two-factor login on for `name` through the API; its secret and recovery codes. */
  async function enrol(name: string): Promise<{ secret: string; codes: string[] }> {
    const setup = await call('POST', '/me/totp/setup', as(name));
    assert.equal(setup.status, 200);
    const { secret } = setup.json as { secret: string };
    const confirmed = await call('POST', '/me/totp/confirm', as(name), { code: codeNow(secret) });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.json));
    return { secret, codes: (confirmed.json as { recoveryCodes: string[] }).recoveryCodes };
  }

  const subsonicPing = (params: Record<string, string>) =>
    subsonicJson(server, 'ping', { ...CLIENT, ...params }) as Promise<Envelope>;

  test('set-up needs a signed-in session: an API key or Basic credentials cannot enrol an authenticator', async () => {
    assertProblem(await call('POST', '/me/totp/setup', { key: 'carol' }), 403, 'FORBIDDEN', /session/);
    assertProblem(await call('POST', '/me/totp/setup', { basic: 'carol' }), 403, 'FORBIDDEN');
    assertProblem(
      await call('POST', '/me/totp/confirm', { key: 'carol' }, { code: '123456' }),
      403,
      'FORBIDDEN',
    );
  });

  test('enrolment: set-up answers secret, URI and QR; a wrong code leaves it off; the right one answers ten codes', async () => {
    assert.deepEqual((await call('GET', '/me/totp', as('alice'))).json, {
      enabled: false,
      enabledAt: null,
      pending: false,
      recoveryCodesLeft: 0,
    });
    const setup = await call('POST', '/me/totp/setup', as('alice'));
    assert.equal(setup.status, 200);
    const { secret, uri, qrSvg } = setup.json as { secret: string; uri: string; qrSvg: string };
    assert.match(secret, /^[A-Z2-7]+$/);
    assert.match(uri, /^otpauth:\/\/totp\/Tonearm:alice\?/);
    assert.match(uri, /issuer=Tonearm/);
    assert.match(qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);
    assert.equal(((await call('GET', '/me/totp', as('alice'))).json as { pending: boolean }).pending, true);

    const right = codeNow(secret);
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
    assertProblem(
      await call('POST', '/me/totp/confirm', as('alice'), { code: wrong }),
      403,
      'WRONG_CONFIRMATION',
    );
    assertProblem(await call('POST', '/me/totp/confirm', as('alice'), {}), 400, 'INVALID_INPUT', /code/);
    assert.equal(findUserByName(server.db, 'alice')!.totpEnabled, false, 'still off after a wrong code');
    assert.equal(
      (await subsonicPing({ u: 'alice', p: passwords.alice! })).status,
      'ok',
      'password still works',
    );

    const confirmed = await call('POST', '/me/totp/confirm', as('alice'), { code: right });
    assert.equal(confirmed.status, 200);
    const { recoveryCodes } = confirmed.json as { recoveryCodes: string[] };
    assert.equal(recoveryCodes.length, 10);
    const status = (await call('GET', '/me/totp', as('alice'))).json as {
      enabled: boolean;
      enabledAt: string;
    };
    assert.equal(status.enabled, true);
    assert.ok(Math.abs(Date.parse(status.enabledAt) - Date.now()) < 60_000);
    assertProblem(await call('POST', '/me/totp/setup', as('alice')), 409, 'TOTP_STATE');
    assertProblem(await call('POST', '/me/totp/confirm', as('alice'), { code: right }), 409, 'TOTP_STATE');
  });

  test("a TOTP user's password and token get Subsonic error 42 while their API key works", async () => {
    const ping42 = async (params: Record<string, string>) => {
      const answer = await subsonicPing(params);
      assert.equal(answer.status, 'failed');
      assert.equal(answer.error?.code, 42);
      assert.match(answer.error!.message, /two-factor.*API key/);
    };
    await ping42({ u: 'alice', p: passwords.alice! });
    await ping42({ u: 'alice', p: `enc:${Buffer.from(passwords.alice!).toString('hex')}` });
    await ping42({ u: 'alice', t: md5(`${passwords.alice}nacl`), s: 'nacl' });
    assert.equal((await subsonicPing({ apiKey: keys.alice! })).status, 'ok');
    // A wrong password stays a wrong password: 42 says nothing before the password is right.
    assert.equal((await subsonicPing({ u: 'alice', p: 'wrong' })).error?.code, 40);
    assert.equal((await subsonicPing({ u: 'alice', t: md5('wrongnacl'), s: 'nacl' })).error?.code, 40);
    // Other users are untouched.
    assert.equal((await subsonicPing({ u: 'bob', p: passwords.bob! })).status, 'ok');
  });

  test('HTTP Basic is refused for a TOTP user (401 problem) while their API key works', async () => {
    assertProblem(
      await call('GET', '/me/totp', { basic: 'alice' }),
      401,
      'AUTH_MECHANISM_UNSUPPORTED',
      /API key/,
    );
    assert.equal((await call('GET', '/me/totp', as('alice'))).status, 200);
    assert.equal((await call('GET', '/me/totp', { basic: 'bob' })).status, 200, 'Basic works for others');
  });

  test('renewing recovery codes and turning it off need a password or code; old codes die', async () => {
    const { codes } = await enrol('carol');
    assertProblem(await call('POST', '/me/totp/recovery-codes', as('carol'), {}), 400, 'INVALID_INPUT');
    assertProblem(
      await call('POST', '/me/totp/recovery-codes', as('carol'), { password: 'x', code: '123456' }),
      400,
      'INVALID_INPUT',
      /either password or code/,
    );
    assertProblem(
      await call('POST', '/me/totp/recovery-codes', as('carol'), { password: 'nope' }),
      403,
      'WRONG_CONFIRMATION',
    );
    const renewed = await call('POST', '/me/totp/recovery-codes', as('carol'), { password: passwords.carol });
    assert.equal(renewed.status, 200);
    const fresh = (renewed.json as { recoveryCodes: string[] }).recoveryCodes;
    assert.equal(fresh.length, 10);
    assert.notDeepEqual(fresh, codes);

    assertProblem(
      await call('DELETE', '/me/totp', as('carol'), { code: codes[0] }),
      403,
      'WRONG_CONFIRMATION',
      /code/,
    );
    const off = await call('DELETE', '/me/totp', as('carol'), { code: fresh[0]!.toUpperCase() });
    assert.equal(off.status, 204);
    assert.equal(findUserByName(server.db, 'carol')!.totpEnabled, false);
    assertProblem(
      await call('DELETE', '/me/totp', as('carol'), { password: passwords.carol }),
      409,
      'TOTP_STATE',
    );
    assert.equal(
      (await subsonicPing({ u: 'carol', p: passwords.carol! })).status,
      'ok',
      'passwords work again',
    );
  });

  test('admin reset: 403 for a non-admin, 404 for an unknown user, 204 and an audit entry naming the admin', async () => {
    await enrol('bob');
    assertProblem(await call('DELETE', '/admin/users/bob/totp', as('alice')), 403, 'FORBIDDEN');
    assertProblem(await call('DELETE', '/admin/users/bob/totp', as('bob')), 403, 'FORBIDDEN');
    assertProblem(await call('DELETE', '/admin/users/nobody/totp', as('root')), 404, 'NOT_FOUND', /nobody/);
    assert.equal(findUserByName(server.db, 'bob')!.totpEnabled, true);
    assert.equal((await call('DELETE', '/admin/users/bob/totp', as('root'))).status, 204);
    assert.equal(findUserByName(server.db, 'bob')!.totpEnabled, false);
    assert.equal((await subsonicPing({ u: 'bob', p: passwords.bob! })).status, 'ok');

    const audit = await call('GET', '/admin/audit?event=totp.reset', as('root'));
    const [entry] = (audit.json as { items: Record<string, unknown>[] }).items;
    assert.equal(entry!.event, 'totp.reset');
    assert.deepEqual(entry!.user, { id: findUserByName(server.db, 'bob')!.id, username: 'bob' });
    assert.deepEqual(entry!.actor, { id: findUserByName(server.db, 'root')!.id, username: 'root' });
    assert.equal(entry!.address, '127.0.0.1');
  });

  test('the audit route: admins only, newest first, paged with an opaque cursor, filtered by time, user and event', async () => {
    assertProblem(await call('GET', '/admin/audit', as('alice')), 403, 'FORBIDDEN');
    assertProblem(await call('GET', '/admin/audit', undefined), 401, 'WRONG_CREDENTIALS');

    const base = Date.UTC(2025, 0, 10, 8, 0, 0);
    const dave = { id: 'us-dave', username: 'dave' };
    // Recorded out of time order, and in pairs sharing one time: the order is by time, then id.
    for (const index of [6, 4, 5, 2, 3, 0, 1])
      recordAudit(server.db, {
        event: index % 2 === 0 ? 'login' : 'login.failed',
        outcome: index % 2 === 0 ? 'success' : 'failure',
        user: index < 5 ? dave : { id: null, username: 'ghost' },
        address: `203.0.113.${index}`,
        at: base + Math.floor(index / 2) * 3_600_000,
        detail: { method: 'password', n: index },
      });
    const window = `since=2025-01-10&until=${encodeURIComponent('2025-01-11T00:00:00Z')}`;

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer = await call(
        'GET',
        `/admin/audit?${window}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        as('root'),
      );
      assert.equal(answer.status, 200);
      const pageBody = answer.json as { items: { detail: { n: number } }[]; nextCursor: string | null };
      seen.push(...pageBody.items.map((item) => item.detail.n));
      cursor = pageBody.nextCursor;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, [6, 5, 4, 3, 2, 1, 0], 'newest first, each once');
    assert.equal(pages, 4, 'a page boundary falls between two entries of the same time');

    const items = async (query: string) =>
      (
        (await call('GET', `/admin/audit?${query}`, as('root'))).json as {
          items: { detail: { n: number } }[];
        }
      ).items.map((item) => item.detail.n);
    assert.deepEqual(await items(`${window}&user=DAVE`), [4, 3, 2, 1, 0], 'by name, ignoring case');
    assert.deepEqual(await items(`${window}&user=ghost`), [6, 5], 'names that never existed too');
    assert.deepEqual(await items(`${window}&event=login.failed`), [5, 3, 1]);
    assert.deepEqual(
      await items(`since=${encodeURIComponent('2025-01-10T09:00:00Z')}&until=2025-01-10T10:00:00Z`),
      [3, 2],
      'since inclusive, until exclusive',
    );
    const [first] = (
      (await call('GET', `/admin/audit?${window}&limit=1`, as('root'))).json as {
        items: Record<string, unknown>[];
      }
    ).items;
    assert.deepEqual(first, {
      id: first!.id,
      at: '2025-01-10T11:00:00.000Z',
      event: 'login',
      outcome: 'success',
      user: { id: null, username: 'ghost' },
      actor: null,
      address: '203.0.113.6',
      detail: { method: 'password', n: 6 },
    });

    assertProblem(await call('GET', '/admin/audit?cursor=bogus', as('root')), 400, 'INVALID_INPUT', /cursor/);
    assertProblem(
      await call('GET', '/admin/audit?event=nonsense', as('root')),
      400,
      'INVALID_INPUT',
      /event/,
    );
    assertProblem(
      await call('GET', '/admin/audit?since=yesterday', as('root')),
      400,
      'INVALID_INPUT',
      /since/,
    );
    assertProblem(await call('GET', '/admin/audit?limit=0', as('root')), 400, 'INVALID_INPUT', /limit/);
  });

  test('the log and the audit detail never hold a secret or a recovery code', async () => {
    const setup = await call('POST', '/me/totp/setup', as('root'));
    const { secret } = setup.json as { secret: string };
    const confirmed = await call('POST', '/me/totp/confirm', as('root'), { code: codeNow(secret) });
    const codes = (confirmed.json as { recoveryCodes: string[] }).recoveryCodes;
    assert.equal((await call('DELETE', '/me/totp', as('root'), { code: codes[0] })).status, 204);
    const audit = JSON.stringify((await call('GET', '/admin/audit?limit=500', as('root'))).json);
    const log = server.logText();
    for (const text of [audit, log]) {
      assert.ok(!text.includes(secret));
      for (const code of codes) assert.ok(!text.includes(code) && !text.includes(code.replaceAll('-', '')));
    }
    assert.match(audit, /"totp\.enabled"/);
    assert.match(audit, /"totp\.recovery-used"/);
    assert.match(audit, /"totp\.disabled"/);
  });
});
