// How the server serves the built web app: hashed assets cached for good and precompressed, the page
// itself revalidated and written for the base path, client routes falling back to it, and the APIs,
// shares and health never swallowed by that fallback.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { findWebAppBuild, renderIndex } from '../../src/http/web-app.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';
import { ensureWebBuild } from '../helpers/web-app.ts';

ensureWebBuild();
const build = findWebAppBuild();

function mainScript(html: string): string {
  const match = /<script type="module" crossorigin src="\.\/(assets\/[^"]+\.js)"/.exec(html);
  assert.ok(match, 'the page loads its script by a relative path');
  return match[1]!;
}

describe('serving the web app', () => {
  let server: TestServer;
  let music: TestServer;
  before(async () => {
    server = await startTestServer({ logLevel: 'warn' });
    music = await startTestServer({ logLevel: 'warn', basePath: '/music' });
  });
  after(async () => {
    await server.close();
    await music.close();
  });

  it('finds the build beside the sources', () => {
    assert.ok(build, 'web/dist is built');
    assert.ok(build.files.has('index.html'));
    assert.ok([...build.files.keys()].some((name) => /^assets\/index-[\w-]+\.js$/.test(name)));
    assert.ok(
      ![...build.files.keys()].some((name) => name.startsWith('.') || name.endsWith('.gz')),
      'no stamps or encodings listed',
    );
  });

  it('answers the page at the root, revalidated, with a base element and a strict CSP', async () => {
    const response = await fetch(`${server.baseUrl}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    const html = await response.text();
    assert.match(html, /<base href="\/">/);
    assert.match(html, /<div id="root"><\/div>/);
    assert.doesNotMatch(html, /tonearm:base/);
  });

  it('falls back to the page for client routes, at any depth, and for HEAD', async () => {
    for (const route of [
      '/albums',
      '/albums/al-123',
      '/artists/ar-1/',
      '/admin/scans',
      '/lyrics/tr-1',
      '/search?q=a%20b',
    ]) {
      const response = await fetch(`${server.baseUrl}${route}`);
      assert.equal(response.status, 200, route);
      assert.match(await response.text(), /<div id="root">/, route);
    }
    const head = await fetch(`${server.baseUrl}/playlists/pl-9`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  it('never answers API, Subsonic, share or health paths with the page', async () => {
    const api = await fetch(`${server.baseUrl}/api/v1/no-such-route`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type') ?? '', /problem\+json/);
    const rest = await fetch(`${server.baseUrl}/rest/noSuchMethod.view?f=json`);
    assert.doesNotMatch(await rest.text(), /<div id="root">/);
    const share = await fetch(`${server.baseUrl}/share/nope`);
    assert.notEqual(share.status, 200);
    const health = await fetch(`${server.baseUrl}/health`);
    assert.equal(health.status, 200);
    assert.match(health.headers.get('content-type') ?? '', /json/);
    const post = await fetch(`${server.baseUrl}/albums`, { method: 'POST' });
    assert.equal(post.status, 404, 'only GET and HEAD fall back');
  });

  it('sends hashed assets immutable, in the best encoding the client accepts, with 304s', async () => {
    const html = await (await fetch(`${server.baseUrl}/`)).text();
    const script = mainScript(html);
    const original = fs.readFileSync(path.join(build!.folder, script));

    const brotli = await fetch(`${server.baseUrl}/${script}`, { headers: { 'Accept-Encoding': 'br, gzip' } });
    assert.equal(brotli.status, 200);
    assert.equal(brotli.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(brotli.headers.get('content-encoding'), 'br');
    assert.match(brotli.headers.get('vary') ?? '', /Accept-Encoding/i);
    assert.match(brotli.headers.get('content-type') ?? '', /^text\/javascript/);
    // fetch decodes br itself; the bytes must be the build's.
    assert.deepEqual(Buffer.from(await brotli.arrayBuffer()), original);

    const gzip = await fetch(`${server.baseUrl}/${script}`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gzip.headers.get('content-encoding'), 'gzip');
    assert.deepEqual(Buffer.from(await gzip.arrayBuffer()), original);
    assert.notEqual(gzip.headers.get('etag'), brotli.headers.get('etag'), 'each encoding has its own ETag');

    const plain = await fetch(`${server.baseUrl}/${script}`, { headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.equal(Number(plain.headers.get('content-length')), original.length);

    const again = await fetch(`${server.baseUrl}/${script}`, {
      headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': gzip.headers.get('etag')! },
    });
    assert.equal(again.status, 304);

    // The stored encodings are the same bytes.
    const file = path.join(build!.folder, script);
    assert.deepEqual(gunzipSync(fs.readFileSync(`${file}.gz`)), original);
    assert.deepEqual(brotliDecompressSync(fs.readFileSync(`${file}.br`)), original);
  });

  it('answers 404 for a missing asset (an old page after an upgrade) and never reads outside the build', async () => {
    const missing = await fetch(`${server.baseUrl}/assets/index-gone.js`);
    assert.equal(missing.status, 404);
    assert.doesNotMatch(await missing.text(), /<div id="root">/);
    for (const sneaky of [
      '/assets/..%2f..%2fpackage.json',
      '/..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
    ]) {
      const response = await fetch(`${server.baseUrl}${sneaky}`);
      assert.doesNotMatch(await response.text(), /"name": "tonearm"/, sneaky);
    }
  });

  it('serves the icons and manifest revalidated', async () => {
    const icon = await fetch(`${server.baseUrl}/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
    const manifest = await fetch(`${server.baseUrl}/manifest.webmanifest`);
    assert.equal(((await manifest.json()) as { name: string }).name, 'Tonearm');
  });

  it('works under a base path: the base element names it, and nothing answers outside it', async () => {
    const page = await fetch(`${music.baseUrl}/albums/al-1`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<base href="\/music\/">/);
    const script = await fetch(`${music.baseUrl}/${mainScript(html)}`);
    assert.equal(script.status, 200);
    const root = await fetch(`${music.baseUrl}`);
    assert.equal(root.status, 200);
    const outside = await fetch(`${music.origin}/albums`);
    assert.equal(outside.status, 404);
  });

  it('escapes the base path it writes', () => {
    assert.match(renderIndex('<!--tonearm:base-->', '/a"b<c'), /<base href="\/a&#34;b&#60;c\/">/);
  });

  it('keeps the small home page when no build is given', async () => {
    const bare = await startTestServer({ logLevel: 'warn', app: { webApp: false } });
    try {
      const response = await fetch(`${bare.baseUrl}/`);
      assert.match(await response.text(), /Connect a Subsonic client/);
      assert.equal((await fetch(`${bare.baseUrl}/albums`)).status, 404);
    } finally {
      await bare.close();
    }
  });
});
