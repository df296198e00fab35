import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { RESPONDED, type SubsonicEndpoint } from '../../src/http/subsonic/endpoint.ts';
import { systemEndpoints } from '../../src/http/subsonic/handlers/system.ts';
import { SERVER_VERSION } from '../../src/http/version.ts';
import {
  parseXml,
  startTestServer,
  subsonicJson,
  subsonicUrl,
  type TestServer,
  waitFor,
} from '../helpers/http.ts';

// The official Subsonic 1.16.1 schema, kept in test/fixtures so the check runs everywhere.
const XSD = fileURLToPath(new URL('../fixtures/subsonic-rest-api-1.16.1.xsd', import.meta.url));
const ALICE = { u: 'alice', p: 'sesame', v: '1.16.1', c: 'test' };
// UTF-8 hex of "pässwörd", as clients send it with p=enc:
const BOB_PASSWORD = 'pässwörd';
const BOB_ENC = `enc:${Buffer.from(BOB_PASSWORD, 'utf8').toString('hex')}`;

const echo: SubsonicEndpoint = {
  name: 'echoForTest',
  handle: ({ params, user }) => ({
    echo: { user: user?.username, id: params.getAll('id'), text: params.get('text'), flag: true, n: 7 },
  }),
};
const boom: SubsonicEndpoint = {
  name: 'boomForTest',
  handle: () => {
    throw new Error('secret internals');
  },
};
const raw: SubsonicEndpoint = {
  name: 'rawForTest',
  handle: (request) => {
    const { ctx } = request;
    ctx.type = 'application/octet-stream';
    ctx.body = Buffer.from([1, 2, 3]);
    return RESPONDED;
  },
};

type Envelope = Record<string, unknown> & { status: string; error?: { code: number; message: string } };

interface XmlRoot {
  'subsonic-response': { $: Record<string, string>; error?: { $: Record<string, string> }[] } & Record<
    string,
    unknown
  >;
}

async function xml(
  url: string,
): Promise<{ text: string; root: XmlRoot['subsonic-response']; response: Response }> {
  const response = await fetch(url);
  const text = await response.text();
  const parsed = (await parseXml(text)) as XmlRoot;
  return { text, root: parsed['subsonic-response'], response };
}

describe('Subsonic ping, envelope and authentication', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      users: [
        { username: 'alice', password: 'sesame' },
        { username: 'bob', password: BOB_PASSWORD },
      ],
      app: { subsonicEndpoints: [...systemEndpoints, echo, boom, raw] },
    });
  });
  after(() => server.close());

  const json = (endpoint: string, params: Record<string, string | string[]>) =>
    subsonicJson(server, endpoint, params) as Promise<Envelope>;

  test('ping with a clear password answers the OpenSubsonic envelope in JSON', async () => {
    const response = await fetch(subsonicUrl(server, 'ping', { ...ALICE, f: 'json' }));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await response.json()) as { 'subsonic-response': Envelope };
    assert.deepEqual(Object.keys(body), ['subsonic-response']);
    const envelope = body['subsonic-response'];
    assert.deepEqual(envelope, {
      status: 'ok',
      version: '1.16.1',
      type: 'tonearm',
      serverVersion: SERVER_VERSION,
      openSubsonic: true,
    });
    assert.equal(envelope.openSubsonic, true);
  });

  test('ping with p=enc:<hex of UTF-8> works, in XML by default', async () => {
    const { text, root, response } = await xml(
      subsonicUrl(server, 'ping', { u: 'bob', p: BOB_ENC, v: '1.13.0', c: 'DSub' }),
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/xml; charset=utf-8');
    assert.ok(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
    assert.deepEqual(root.$, {
      xmlns: 'http://subsonic.org/restapi',
      status: 'ok',
      version: '1.16.1',
      type: 'tonearm',
      serverVersion: SERVER_VERSION,
      openSubsonic: 'true',
    });
  });

  test('the plain form of a non-ASCII password works too, and f=xml is the same as no f', async () => {
    const { root } = await xml(
      subsonicUrl(server, 'ping.view', { u: 'BOB', p: BOB_PASSWORD, v: '1.16.1', c: 'x', f: 'xml' }),
    );
    assert.equal(root.$.status, 'ok');
  });

  test('ping in JSONP calls the callback with the envelope', async () => {
    const response = await fetch(
      subsonicUrl(server, 'ping', { ...ALICE, f: 'jsonp', callback: 'handle_1$' }),
    );
    assert.match(response.headers.get('content-type') ?? '', /^application\/javascript/);
    const text = await response.text();
    assert.ok(text.startsWith('handle_1$('), text);
    let received: unknown;
    vm.runInNewContext(text, { handle_1$: (value: unknown) => (received = value) });
    assert.deepEqual((received as { 'subsonic-response': Envelope })['subsonic-response'].status, 'ok');
  });

  test('JSONP callbacks must be identifiers; otherwise a JSON error comes back', async () => {
    for (const callback of ['alert(1)//', 'a b', '1abc', '<script>', 'x'.repeat(200)]) {
      const response = await fetch(subsonicUrl(server, 'ping', { ...ALICE, f: 'jsonp', callback }));
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const text = await response.text();
      assert.ok(!text.includes(callback), 'the callback must not be echoed');
      const envelope = (JSON.parse(text) as { 'subsonic-response': Envelope })['subsonic-response'];
      assert.equal(envelope.status, 'failed');
      assert.equal(envelope.error?.code, 0);
    }
    const missing = (await (await fetch(subsonicUrl(server, 'ping', { ...ALICE, f: 'jsonp' }))).json()) as {
      'subsonic-response': Envelope;
    };
    assert.equal(missing['subsonic-response'].error?.code, 10);
    const dotted = await fetch(
      subsonicUrl(server, 'ping', { ...ALICE, f: 'jsonp', callback: 'app.handlers.ping' }),
    );
    assert.ok((await dotted.text()).startsWith('app.handlers.ping({'));
  });

  test('a wrong password is error 40 with HTTP 200, in JSON and XML', async () => {
    const envelope = await json('ping', { ...ALICE, p: 'wrong' });
    assert.equal(envelope.status, 'failed');
    assert.deepEqual(envelope.error, { code: 40, message: 'wrong username or password' });
    assert.equal(envelope.type, 'tonearm');
    assert.equal(envelope.openSubsonic, true);
    assert.equal(envelope.serverVersion, SERVER_VERSION);

    const { root, response } = await xml(subsonicUrl(server, 'ping', { ...ALICE, p: 'enc:776f6e67' }));
    assert.equal(response.status, 200);
    assert.equal(root.$.status, 'failed');
    assert.equal(root.error?.[0]?.$.code, '40');

    assert.equal((await json('ping', { ...ALICE, u: 'nobody' })).error?.code, 40);
    assert.equal((await json('ping', { ...ALICE, p: 'enc:zz' })).error?.code, 40);
  });

  test('missing u, v, c or credentials is error 10', async () => {
    const { u: _u, ...noUser } = ALICE;
    const { v: _v, ...noVersion } = ALICE;
    const { c: _c, ...noClient } = ALICE;
    const { p: _p, ...noPassword } = ALICE;
    for (const params of [noUser, noVersion, noClient, noPassword, {}, { ...ALICE, u: '' }]) {
      const envelope = await json('ping', params);
      assert.equal(envelope.status, 'failed', JSON.stringify(params));
      assert.equal(envelope.error?.code, 10, JSON.stringify(params));
    }
    assert.match((await json('ping', noClient)).error?.message ?? '', /\bc\b/);
  });

  test('token authentication works (md5 of password + salt); an unknown apiKey is 44 alone and 43 with u; p with t is 43', async () => {
    const { p: _p, ...noPassword } = ALICE;
    // md5("sesame" + "c19b2d")
    const token = await json('ping', { ...noPassword, t: '26719a1196d2a940705a59634eb18eab', s: 'c19b2d' });
    assert.equal(token.status, 'ok');
    assert.equal((await json('ping', { ...noPassword, t: 'abc' })).error?.code, 10);
    assert.equal((await json('ping', { ...ALICE, apiKey: 'k' })).error?.code, 43);
    assert.equal((await json('ping', { u: 'alice', apiKey: 'k', v: '1', c: 'x' })).error?.code, 43);
    assert.equal((await json('ping', { apiKey: 'k', v: '1.16.1', c: 'x' })).error?.code, 44);
    assert.equal((await json('ping', { ...ALICE, t: 'abc', s: 'salt12' })).error?.code, 43);
  });

  test('.view and bare names both work, with GET and POST', async () => {
    for (const name of ['ping', 'ping.view']) {
      assert.equal((await json(name, ALICE)).status, 'ok', name);
      const response = await fetch(`${server.baseUrl}/rest/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...ALICE, f: 'json' }),
      });
      const envelope = ((await response.json()) as { 'subsonic-response': Envelope })['subsonic-response'];
      assert.equal(envelope.status, 'ok', `POST ${name}`);
    }
  });

  test('a POST form body is merged with the query string and repeated keys stay arrays', async () => {
    const body = new URLSearchParams([
      ['p', 'sesame'],
      ['id', 'tr-2'],
      ['id', 'tr-3'],
    ]);
    const response = await fetch(
      subsonicUrl(server, 'echoForTest', { u: 'alice', v: '1.16.1', c: 'x', f: 'json', id: 'tr-1' }),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body,
      },
    );
    const envelope = ((await response.json()) as { 'subsonic-response': Envelope })['subsonic-response'];
    assert.equal(envelope.status, 'ok');
    assert.deepEqual(envelope.echo, { user: 'alice', id: ['tr-1', 'tr-2', 'tr-3'], flag: true, n: 7 });

    const one = await json('echoForTest', { ...ALICE, id: 'only' });
    assert.deepEqual((one.echo as { id: unknown }).id, ['only'], 'one value is still an array');
  });

  test('payloads become attributes and repeated elements in XML, with escaping', async () => {
    const text = 'Tom & "Jerry" <live>\n\ttab';
    const { root } = await xml(subsonicUrl(server, 'echoForTest', { ...ALICE, id: ['a', 'b'], text }));
    const echoElement = (root.echo as { $: Record<string, string>; id: string[] }[])[0]!;
    assert.equal(echoElement.$.text, text);
    assert.equal(echoElement.$.flag, 'true');
    assert.equal(echoElement.$.n, '7');
    assert.equal(echoElement.$.user, 'alice');
    assert.deepEqual(echoElement.id, ['a', 'b']);
  });

  test('getOpenSubsonicExtensions needs no authentication and returns an array', async () => {
    const envelope = await json('getOpenSubsonicExtensions', {});
    assert.equal(envelope.status, 'ok');
    assert.ok(Array.isArray(envelope.openSubsonicExtensions));
    const { root } = await xml(subsonicUrl(server, 'getOpenSubsonicExtensions.view', {}));
    assert.equal(root.$.status, 'ok');
  });

  test('an unknown endpoint is error 0, authenticated or not', async () => {
    for (const name of ['nope', 'nope.view', 'a/b', '']) {
      const envelope = await json(name, ALICE);
      assert.equal(envelope.status, 'failed', name);
      assert.equal(envelope.error?.code, 0, name);
      assert.match(envelope.error?.message ?? '', /unknown endpoint/);
    }
    assert.equal((await json('nope', {})).error?.code, 0);
    const { root } = await xml(`${server.baseUrl}/rest`);
    assert.equal(root.error?.[0]?.$.code, '0');
  });

  test('a bug in a handler is error 0 without internals, logged with the request id', async () => {
    const response = await fetch(subsonicUrl(server, 'boomForTest', { ...ALICE, f: 'json' }));
    assert.equal(response.status, 200);
    const requestId = response.headers.get('x-request-id');
    const text = await response.text();
    assert.ok(!text.includes('secret internals'));
    assert.ok(!text.includes('at '), 'no stack trace');
    const envelope = (JSON.parse(text) as { 'subsonic-response': Envelope })['subsonic-response'];
    assert.equal(envelope.error?.code, 0);
    assert.ok(envelope.error?.message.includes(requestId!));
    const line = await waitFor(() =>
      server.logLines().find((entry) => entry.level === 50 && entry.reqId === requestId),
    );
    assert.match(JSON.stringify(line), /secret internals/);
  });

  test('a handler may answer with its own body (binary endpoints)', async () => {
    const response = await fetch(subsonicUrl(server, 'rawForTest', ALICE));
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual([...new Uint8Array(await response.arrayBuffer())], [1, 2, 3]);
  });

  test('every request gets an id and one access-log line; a sane incoming X-Request-Id is kept', async () => {
    const kept = await fetch(subsonicUrl(server, 'ping', ALICE), {
      headers: { 'x-request-id': 'proxy-id.42' },
    });
    assert.equal(kept.headers.get('x-request-id'), 'proxy-id.42');
    const replaced = await fetch(subsonicUrl(server, 'ping', ALICE), {
      headers: { 'x-request-id': 'bad id "}{' },
    });
    const generated = replaced.headers.get('x-request-id') ?? '';
    assert.match(generated, /^[0-9a-f-]{36}$/);
    const access = await waitFor(() =>
      server.logLines().find((line) => line.msg === 'request' && line.reqId === generated),
    );
    assert.equal(access.method, 'GET');
    assert.equal(access.path, '/rest/ping');
    assert.equal(access.status, 200);
    assert.equal(access.user, 'alice');
    assert.equal(typeof access.durationMs, 'number');
  });

  test('no password, token, salt or key ever reaches the log', async () => {
    const secrets = [
      'sesame',
      BOB_PASSWORD,
      BOB_ENC,
      'wrongpass-zz9',
      'tok3n5ecret',
      'sa1tsecret',
      'k3ysecret',
    ];
    await json('ping', ALICE);
    await json('ping', { ...ALICE, p: 'wrongpass-zz9' });
    await json('ping', { u: 'bob', p: BOB_ENC, v: '1', c: 'x' });
    await json('ping', { u: 'bob', t: 'tok3n5ecret', s: 'sa1tsecret', v: '1', c: 'x' });
    await json('ping', { apiKey: 'k3ysecret', v: '1', c: 'x' });
    await fetch(`${server.baseUrl}/rest/ping.view`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ u: 'alice', p: 'sesame', v: '1', c: 'x' }),
    });
    await fetch(`${server.baseUrl}/no/such/page?p=sesame`);
    await waitFor(() => server.logLines().filter((line) => line.msg === 'request').length >= 7);
    const log = server.logText();
    for (const secret of secrets) assert.ok(!log.includes(secret), `log contains ${secret}`);
    assert.ok(!log.includes(Buffer.from('sesame').toString('hex')));
    for (const line of server.logLines()) {
      if (line.msg === 'request')
        assert.ok(!String(line.path).includes('?'), 'the query string is never logged');
    }
    assert.ok(
      server.logLines().some((line) => line.msg === 'subsonic login failed' && line.user === 'alice'),
    );
  });

  test('health answers without authentication; other paths get a 404 problem document', async () => {
    for (const path of ['/health', '/api/health']) {
      const response = await fetch(`${server.baseUrl}${path}`);
      assert.equal(response.status, 200);
      const health = (await response.json()) as {
        status: string;
        checks: Record<string, { status: string }>;
      };
      assert.equal(health.status, 'ok');
      assert.deepEqual(Object.keys(health.checks).sort(), ['dataFolder', 'database', 'diskSpace', 'writes']);
      for (const check of Object.values(health.checks)) assert.equal(check.status, 'ok');
    }
    // Outside the APIs an unknown path is a page of the web app; below /api it is a problem document.
    const missing = await fetch(`${server.baseUrl}/api/nothing-here`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = (await missing.json()) as Record<string, unknown>;
    // RFC 9457 members plus the request id, which matches the server log's line for this request.
    assert.deepEqual(Object.keys(problem).sort(), ['detail', 'requestId', 'status', 'title', 'type']);
    assert.equal(problem.status, 404);
    assert.equal(problem.requestId, missing.headers.get('x-request-id'));
  });
});

describe('Subsonic under a base path', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      basePath: '/music',
      users: [{ username: 'alice', password: 'sesame' }],
    });
  });
  after(() => server.close());

  test('routes live below the base path only', async () => {
    assert.ok(server.baseUrl.endsWith('/music'));
    const envelope = (await subsonicJson(server, 'ping.view', ALICE)) as Envelope;
    assert.equal(envelope.status, 'ok');
    const outside = await fetch(`${server.origin}/rest/ping?${new URLSearchParams({ ...ALICE, f: 'json' })}`);
    assert.equal(outside.status, 404);
    assert.equal((await fetch(`${server.origin}/music/health`)).status, 200);
    assert.equal((await fetch(`${server.origin}/health`)).status, 404);
    assert.equal((await fetch(`${server.origin}/musicbox/rest/ping`)).status, 404);
    const access = await waitFor(() =>
      server.logLines().find((line) => line.msg === 'request' && line.status === 200),
    );
    assert.equal(access.path, '/music/rest/ping.view');
  });
});

describe('failed-login throttling', () => {
  let server: TestServer;
  let clock = 1_000_000;
  before(async () => {
    server = await startTestServer({
      users: [
        { username: 'alice', password: 'sesame' },
        { username: 'carol', password: 'pw' },
      ],
      app: { loginThrottle: { now: () => clock } },
    });
  });
  after(() => server.close());

  test('after 5 failures an account waits 1 s, then 2 s; other accounts from the address are not held up', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const envelope = (await subsonicJson(server, 'ping', { ...ALICE, p: `guess${attempt}` })) as Envelope;
      assert.deepEqual(envelope.error, { code: 40, message: 'wrong username or password' });
    }
    const blocked = (await subsonicJson(server, 'ping', ALICE)) as Envelope;
    assert.deepEqual(blocked.error, {
      code: 40,
      message: 'too many failed logins for alice from your address; try again in 1 second',
    });
    // Same address, other account: only the address's ceiling (20 failures) would hold it up.
    const other = (await subsonicJson(server, 'ping', { ...ALICE, u: 'carol', p: 'pw' })) as Envelope;
    assert.equal(other.status, 'ok');
    // The public endpoint is not affected.
    assert.equal(((await subsonicJson(server, 'getOpenSubsonicExtensions')) as Envelope).status, 'ok');

    clock += 1000;
    const sixth = (await subsonicJson(server, 'ping', { ...ALICE, p: 'guess5' })) as Envelope;
    assert.equal(sixth.error?.message, 'wrong username or password');
    assert.match(
      ((await subsonicJson(server, 'ping', ALICE)) as Envelope).error?.message ?? '',
      /try again in 2 seconds$/,
    );
    clock += 2000;
    assert.equal(((await subsonicJson(server, 'ping', ALICE)) as Envelope).status, 'ok');
  });
});

// xmllint (Debian's libxml2-utils) is required, like ffmpeg: .ci/run installs it.
describe('XML against the Subsonic 1.16.1 schema', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ users: [{ username: 'alice', password: 'sesame' }] });
  });
  after(() => server.close());

  // The schema predates OpenSubsonic, whose three root attributes it does not know.
  const validate = (text: string): void => {
    const stripped = text.replace(/ (type|serverVersion|openSubsonic)="[^"]*"/g, '');
    assert.notEqual(stripped, text);
    execFileSync('xmllint', ['--noout', '--schema', XSD, '-'], {
      input: stripped,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  };

  test('ping (ok) and a failed login (error) are valid', async () => {
    validate(await (await fetch(subsonicUrl(server, 'ping', ALICE))).text());
    validate(await (await fetch(subsonicUrl(server, 'ping', { ...ALICE, p: 'nope' }))).text());
    validate(await (await fetch(subsonicUrl(server, 'nope', {}))).text());
  });

  test('the check itself rejects an invalid document', () => {
    assert.throws(() =>
      validate('<subsonic-response xmlns="http://subsonic.org/restapi" type="x" status="maybe"/>'),
    );
  });
});
