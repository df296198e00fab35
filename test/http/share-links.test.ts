// Share links (src/http/public-url.ts) on real servers over loopback with a real scanned file: the page
// plays from /share/ID and from /share/ID/; the link a client is given comes from http.publicUrl when it
// is set, else from a trusted proxy's forwarded host, else from a Host that names this server — never
// from a forged Host, which gets a relative link and a warning instead.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureSearchIndex } from '../../src/catalog/search.ts';
import { loadConfig } from '../../src/config/load.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { Scanner } from '../../src/library/scanner.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { makeAudio } from '../helpers/audio.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/http.ts';

const musicDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-share-links-')));
const SONG = path.join(musicDir, 'Sharer/Album/01 - Shared.mp3');
const AUTH = { u: 'alice', p: 'alice-pass', v: '1.16.1', c: 'share-test', f: 'json' };
const servers: TestServer[] = [];

before(async () => {
  await makeAudio(SONG, {
    format: 'mp3',
    durationSec: 3,
    tags: { title: 'Shared', artist: 'Sharer', album: 'Album', track: '1' },
  });
});
after(async () => {
  for (const server of servers) await server.close();
  fs.rmSync(musicDir, { recursive: true, force: true });
});

async function serverWith(options: Pick<TestServerOptions, 'http' | 'basePath'>): Promise<TestServer> {
  const server = await startTestServer({
    logLevel: 'info',
    users: [{ username: 'alice', password: 'alice-pass' }],
    ...options,
  });
  servers.push(server);
  const { config } = loadConfig({
    env: {},
    flags: { music: [{ name: 'music', path: musicDir }], dataDir: server.dir, logLevel: 'silent' },
  });
  syncLibraries(server.db, config.music, Date.now());
  ensureSearchIndex(server.db);
  await new Scanner({ db: server.db, config, logger: silentLogger }).scan();
  return server;
}

/** GET with headers fetch() will not send (Host); the body parsed as JSON. */
function getJson(url: string, headers: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
      })
      .on('error', reject);
  });
}

/** The URL of a new share of the one song, as createShare answers it to a request with these headers. */
async function shareUrl(server: TestServer, headers: Record<string, string> = {}): Promise<string> {
  const trackId = server.db.prepare('SELECT id FROM track').pluck().get() as string;
  const query = new URLSearchParams({ ...AUTH, id: trackId });
  const body = await getJson(`${server.baseUrl}/rest/createShare?${query}`, headers);
  const answer = body['subsonic-response'] as { status: string; shares: { share: { url: string }[] } };
  assert.equal(answer.status, 'ok');
  return answer.shares.share[0]!.url;
}

const shareId = (url: string): string => /\/share\/(sh-[^/]+)$/.exec(url)![1]!;

describe('share links', () => {
  it('use http.publicUrl (with the base path) whatever Host the request names', async () => {
    const server = await serverWith({
      basePath: '/music',
      http: { publicUrl: 'https://music.example.org/' },
    });
    const url = await shareUrl(server, { Host: 'evil.example' });
    assert.match(url, /^https:\/\/music\.example\.org\/music\/share\/sh-[\w-]+$/);
  });

  it('do not repeat a base path that http.publicUrl already ends with', async () => {
    const server = await serverWith({ basePath: '/music', http: { publicUrl: 'https://example.org/music' } });
    assert.match(await shareUrl(server), /^https:\/\/example\.org\/music\/share\/sh-[\w-]+$/);
  });

  it('without publicUrl: a Host naming this server is used, a forged one gets a relative link and a warning', async () => {
    const server = await serverWith({});
    const port = new URL(server.origin).port;
    assert.match(await shareUrl(server), new RegExp(`^${server.origin}/share/sh-`));
    assert.match(
      await shareUrl(server, { Host: `localhost:${port}` }),
      new RegExp(`^http://localhost:${port}/share/`),
    );
    assert.match(await shareUrl(server, { Host: 'evil.example' }), /^\/share\/sh-[\w-]+$/);
    assert.match(
      await shareUrl(server, { Host: `127.0.0.1:${Number(port) + 1}` }),
      /^\/share\//,
      'another port',
    );
    // A forwarded host means nothing from a peer that is not a trusted proxy.
    assert.match(
      await shareUrl(server, { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' }),
      new RegExp(`^${server.origin}/share/`),
    );
    const warnings = server
      .logLines()
      .filter((line) => String(line.msg).startsWith('share links are relative'));
    assert.equal(warnings.length, 1, 'warned once');
  });

  it('behind a trusted proxy: its X-Forwarded-Proto and X-Forwarded-Host', async () => {
    const server = await serverWith({ http: { trustedProxies: ['127.0.0.1'] } });
    const url = await shareUrl(server, {
      'X-Forwarded-For': '203.0.113.7',
      'X-Forwarded-Host': 'music.example.org',
      'X-Forwarded-Proto': 'https',
    });
    assert.match(url, /^https:\/\/music\.example\.org\/share\/sh-/);
    const hostOnly = await shareUrl(server, { Host: 'music.example.org', 'X-Forwarded-Proto': 'http' });
    assert.match(hostOnly, /^http:\/\/music\.example\.org\/share\//, 'the Host the proxy passed on');
    assert.match(await shareUrl(server, { 'X-Forwarded-Host': 'a.example, b.example' }), /\/share\//);
  });
});

describe('the share page', () => {
  it('plays from /share/ID and from /share/ID/ (its stream links resolve either way)', async () => {
    const server = await serverWith({});
    const id = shareId(await shareUrl(server));
    const song = fs.readFileSync(SONG);
    for (const page of [`${server.baseUrl}/share/${id}`, `${server.baseUrl}/share/${id}/`]) {
      const response = await fetch(page);
      assert.equal(response.status, 200, page);
      const src = /<audio [^>]*src="([^"]+)"/.exec(await response.text())?.[1];
      assert.ok(src, `an audio element on ${page}`);
      const stream = await fetch(new URL(src.replaceAll('&amp;', '&'), page));
      assert.equal(stream.status, 200, `the stream of ${page}`);
      assert.equal(stream.headers.get('content-type'), 'audio/mpeg');
      assert.ok(Buffer.from(await stream.arrayBuffer()).equals(song), 'the shared file, byte for byte');
    }
    const query = new URLSearchParams(AUTH);
    const listed = (await (await fetch(`${server.baseUrl}/rest/getShares?${query}`)).json()) as {
      'subsonic-response': { shares: { share: { id: string; visitCount: number }[] } };
    };
    const visits = listed['subsonic-response'].shares.share.find((share) => share.id === id)!.visitCount;
    assert.equal(visits, 2, 'each page view counts once');
  });
});
