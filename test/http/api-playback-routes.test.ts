// The playback routes as route declarations (playback.routes.ts): what the declarations must not change
// about answers that are not JSON (HEAD and 304 keep their status and headers), and HLS taking signed URLs
// only, whatever credentials come in headers. The rest is in api-streaming.test.ts and hls.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { apiRoutes } from '../../src/http/api/index.ts';
import { api, assertProblem } from '../helpers/api-requests.ts';
import { ALICE, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let track: { id: string; file: string };

before(async () => {
  server = await startSubsonicServer({ readWorkers: 0 });
  track = server.db
    .prepare(
      `SELECT t.id, l.path || '/' || t.path AS file FROM track t JOIN library l ON l.id = t.library_id
       WHERE t.suffix = 'mp3' ORDER BY t.path LIMIT 1`,
    )
    .get() as { id: string; file: string };
});
after(() => server?.close());

describe('playback routes', () => {
  test('are declared, so the API document lists them', () => {
    const declared = new Set(apiRoutes.map((route) => `${route.method} ${route.path}`));
    for (const expected of [
      'get /transcoding/profiles',
      'put /transcoding/profiles/:name',
      'get /players',
      'post /media/urls',
      'get /media/stream/:trackId',
      'get /media/download/:trackId',
      'get /media/hls/:trackId/master.m3u8',
      'get /media/hls/:trackId/:bitrate/:segment',
    ])
      assert.ok(declared.has(expected), expected);
  });

  test('answer HEAD and conditional requests for media as before', async () => {
    const urls = await api(server, 'POST', '/media/urls', ALICE, { trackId: track.id });
    assert.equal(urls.status, 200);
    const size = fs.statSync(track.file).size;
    const head = await fetch(`${server.origin}${urls.body.stream}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(size));
    assert.equal(head.headers.get('content-type'), 'audio/mpeg');
    const full = await fetch(`${server.origin}${urls.body.download}`);
    assert.equal(full.status, 200);
    const etag = full.headers.get('etag')!;
    await full.arrayBuffer();
    const again = await fetch(`${server.origin}${urls.body.download}`, {
      headers: { 'If-None-Match': etag },
    });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
  });

  test('take HLS through signed URLs only', async () => {
    const urls = await api(server, 'POST', '/media/urls', ALICE, { trackId: track.id });
    const master = `/media/hls/${encodeURIComponent(track.id)}/master.m3u8`;
    assert.equal((await fetch(`${server.origin}${urls.body.hls}`)).status, 200);
    assertProblem(await api(server, 'GET', master, ALICE), 403, /signed/);
    assertProblem(
      await api(server, 'GET', master, { key: createApiKey(server.db, 'alice').key }),
      403,
      /signed/,
    );
    assertProblem(await api(server, 'GET', master, undefined), 403);
  });
});
