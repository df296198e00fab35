// GET / on a server without the web app's build (web-app.ts serves the app otherwise): a small page saying what the server is and how to connect a Subsonic
// client, over real HTTP, with and without a base path and a public URL. It must hold no user data, set
// the same security headers as the other HTML the server sends, answer HEAD, and show an address only
// when one is vouched for.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SERVER_VERSION } from '../../src/http/version.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';

/** A GET or HEAD with a Host header of our choosing (fetch does not let one set it). */
function rawRequest(
  url: string,
  options: { method?: string; host?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: options.method ?? 'GET',
        headers: options.host ? { Host: options.host } : {},
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

function assertPageHeaders(headers: Headers | http.IncomingHttpHeaders): void {
  const get = (name: string) =>
    headers instanceof Headers ? headers.get(name) : (headers[name] as string | undefined);
  assert.equal(get('content-type'), 'text/html; charset=utf-8');
  assert.equal(get('x-content-type-options'), 'nosniff');
  assert.equal(get('referrer-policy'), 'no-referrer');
  assert.equal(get('x-frame-options'), 'DENY');
  assert.equal(get('cache-control'), 'no-store');
  const csp = get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /script-src/, 'the page runs no script');
}

describe('the page at / without a base path', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      users: [{ username: 'carol-the-admin', password: 'hunter2-secret' }],
      // The page of a server without the web app's build (an install without dev dependencies).
      app: { webApp: false },
    });
    server.db.run(
      server.db.kysely
        .insertInto('library')
        .values({ name: 'Private Tapes', path: '/srv/tapes', created_at: 1 }),
    );
  });
  after(() => server?.close());

  it('says what the server is and how to connect, with no user data', async () => {
    const response = await fetch(`${server.baseUrl}/`);
    assert.equal(response.status, 200);
    assertPageHeaders(response.headers);
    const page = await response.text();
    assert.match(page, /^<!doctype html>/);
    assert.match(
      page,
      new RegExp(`<h1>Tonearm <span class="v">${SERVER_VERSION.replaceAll('.', '\\.')}</span></h1>`),
    );
    assert.match(page, /Subsonic/);
    // The address the browser used names this server (127.0.0.1 on the port it connected to): shown.
    assert.match(page, new RegExp(`<code>${server.origin.replaceAll('.', '\\.')}</code>`));
    assert.match(page, /<code>admin<\/code>/);
    assert.match(page, /initial-admin-password\.txt/);
    assert.match(page, /tonearm apikey create USER/);
    assert.match(page, /<a href="\/health">/);
    for (const secret of ['carol-the-admin', 'hunter2-secret', 'Private Tapes', '/srv/tapes', server.dir])
      assert.ok(!page.includes(secret), `the page shows ${secret}`);
    // The link it gives works.
    assert.equal((await fetch(`${server.baseUrl}/health`)).status, 200);
  });

  it('answers HEAD with the headers and no body', async () => {
    const head = await rawRequest(`${server.baseUrl}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assertPageHeaders(head.headers);
    assert.equal(head.body, '');
  });

  it('shows no address from a Host header that does not name this server', async () => {
    const forged = await rawRequest(`${server.baseUrl}/`, { host: 'evil.example' });
    assert.equal(forged.status, 200);
    assert.ok(!forged.body.includes('evil.example'));
    assert.match(forged.body, /the address of this page, up to the port/);
  });

  it('other paths are still 404 problem documents', async () => {
    const response = await fetch(`${server.baseUrl}/nothing-here`);
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });
});

describe('the page under a base path and a public URL', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      basePath: '/music',
      http: { publicUrl: 'https://tunes.example.org' },
      app: { webApp: false },
    });
  });
  after(() => server?.close());

  it('is at the base path, with and without its slash, and gives the public address', async () => {
    for (const url of [server.baseUrl, `${server.baseUrl}/`]) {
      const response = await fetch(url);
      assert.equal(response.status, 200, url);
      assertPageHeaders(response.headers);
      const page = await response.text();
      assert.match(page, /<code>https:\/\/tunes\.example\.org\/music<\/code>/);
      assert.match(page, /<a href="\/music\/health">/);
    }
    assert.equal((await rawRequest(server.baseUrl, { method: 'HEAD' })).status, 200);
    // Outside the base path nothing is served.
    assert.equal((await fetch(`${server.origin}/`)).status, 404);
  });
});
