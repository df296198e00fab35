// Every registered Subsonic endpoint gets missing, malformed, huge, negative, unicode and repeated
// parameters. Whatever the input: HTTP 200, a well-formed envelope, a documented error code, never an
// internal error, and the server keeps answering.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { SubsonicEndpoint } from '../../src/http/subsonic/endpoint.ts';
import { defaultEndpoints } from '../../src/http/subsonic/handlers/index.ts';
import { ADMIN, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

const PARAMS = [
  'id',
  'albumId',
  'artistId',
  'songId',
  'playlistId',
  'mediaId',
  'type',
  'size',
  'offset',
  'fromYear',
  'toYear',
  'genre',
  'musicFolderId',
  'query',
  'any',
  'artistCount',
  'albumCount',
  'songCount',
  'artistOffset',
  'albumOffset',
  'songOffset',
  'count',
  'username',
  'password',
  'email',
  'message',
  'since',
  'rating',
  'submission',
  'time',
  'position',
  'current',
  'currentIndex',
  'name',
  'comment',
  'public',
  'songIdToAdd',
  'songIndexToRemove',
  'description',
  'expires',
  'streamUrl',
  'homepageUrl',
  'ifModifiedSince',
  'includeNotPresent',
  'artist',
  'album',
  'title',
  'url',
  'action',
  'index',
  'gain',
  'mediaType',
  'positionMs',
  'state',
  'playbackRate',
  'fullScan',
  'enhanced',
  'newerThan',
  'maxBitRate',
  'adminRole',
  'ignoreScrobble',
];

const VALUES = [
  '',
  ' ',
  '-1',
  '0',
  '1',
  '2147483648',
  '-2147483649',
  '99999999999999999999999',
  '1.5',
  'NaN',
  'true',
  'abc',
  '\u0000',
  '😀東京Ωé',
  '../../../../etc/passwd',
  '%2e%2e%2f',
  'x'.repeat(5000),
  'tr-00000000000000000000',
  'al-',
  'ar-zz',
  '""',
  '*',
  "' OR 1=1 --",
  '<script>',
];

const ALLOWED_CODES = new Set([0, 10, 40, 41, 42, 43, 44, 50, 70]);

let server: SubsonicServer;
let endpoints: readonly SubsonicEndpoint[];

before(async () => {
  server = await startSubsonicServer();
  endpoints = defaultEndpoints;
});
after(() => server?.close());

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function check(endpoint: string, query: string, method: 'GET' | 'POST' = 'GET'): Promise<void> {
  const url = `${server.baseUrl}/rest/${endpoint}`;
  const auth = `u=${ADMIN.username}&p=${encodeURIComponent(ADMIN.password)}&v=1.16.1&c=fuzz&f=json`;
  const response =
    method === 'GET'
      ? await fetch(`${url}?${auth}&${query}`)
      : await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `${auth}&${query}`,
        });
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('application/json')) {
    // Binary endpoints answer with their own content on success; nothing else may leave the envelope.
    assert.equal(response.status < 500, true, `${endpoint}?${query.slice(0, 120)} → HTTP ${response.status}`);
    await response.arrayBuffer();
    return;
  }
  assert.equal(response.status, 200, `${endpoint}?${query.slice(0, 120)} → HTTP ${response.status}`);
  const body = (await response.json()) as {
    'subsonic-response': { status: string; error?: { code: number; message: string } };
  };
  const envelope = body['subsonic-response'];
  assert.ok(
    envelope.status === 'ok' || envelope.status === 'failed',
    `${endpoint}: status ${envelope.status}`,
  );
  if (envelope.status === 'failed') {
    assert.ok(
      ALLOWED_CODES.has(envelope.error!.code),
      `${endpoint}?${query.slice(0, 120)}: code ${envelope.error!.code}`,
    );
    assert.doesNotMatch(
      envelope.error!.message,
      /internal error/,
      `${endpoint}?${query.slice(0, 120)}: ${envelope.error!.message}`,
    );
  }
}

it('answers every endpoint with an envelope and a documented code, whatever the parameters', async () => {
  const random = seeded(20261121);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let requests = 0;
  for (const endpoint of endpoints) {
    if (endpoint.public) continue;
    const name = endpoint.name;
    await check(name, '');
    requests++;
    // Each value class in every parameter at once, and repeated.
    for (const value of VALUES) {
      const encoded = encodeURIComponent(value);
      await check(name, PARAMS.map((param) => `${param}=${encoded}`).join('&'));
      await check(
        name,
        PARAMS.map((param) => `${param}=${encoded}&${param}=${encodeURIComponent(pick(VALUES))}`).join('&'),
        'POST',
      );
      requests += 2;
    }
    // Each parameter alone with a few hostile values.
    for (const param of PARAMS) {
      for (let round = 0; round < 2; round++) {
        await check(name, `${param}=${encodeURIComponent(pick(VALUES))}`);
        requests++;
      }
    }
  }
  assert.ok(requests > endpoints.length * 100);
  // Still alive and still right.
  const ping = await server.json('ping');
  assert.equal(ping.status, 'ok');
});
