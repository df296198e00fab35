// The two kinds of Subsonic endpoint, checked by the type checker (npm run lint runs tsc over test/): a
// read-only endpoint runs in a read worker, where there is no HTTP context, no services and no awaiting,
// so reaching for them must fail at type check rather than at run time in a worker. Each expected-error
// directive below fails the type check the day the misuse it marks stops being an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SubsonicEndpoint } from '../../src/http/subsonic/endpoint.ts';
import { defaultEndpoints } from '../../src/http/subsonic/handlers/index.ts';

export const readsTheContext: SubsonicEndpoint = {
  name: 'readsTheContext',
  readOnly: true,
  handle: (request) => ({
    // @ts-expect-error a read worker has no Koa context
    host: request.ctx.host,
  }),
};

export const readsTheServices: SubsonicEndpoint = {
  name: 'readsTheServices',
  readOnly: true,
  handle: (request) => ({
    // @ts-expect-error nor the main thread's services (now playing, the transcoder...)
    playing: request.services.nowPlaying.list().length,
  }),
};

// @ts-expect-error a read-only endpoint answers synchronously
export const awaits: SubsonicEndpoint = {
  name: 'awaits',
  readOnly: true,
  handle: async () => ({}),
};

export const mainThread: SubsonicEndpoint = {
  name: 'mainThread',
  handle: async (request) => ({ host: request.ctx.host, playing: request.services.nowPlaying.list().length }),
};

test('the served read-only endpoints are the ones the read workers run', () => {
  const readOnly = defaultEndpoints.filter((endpoint) => endpoint.readOnly).map((endpoint) => endpoint.name);
  // getAlbum and search3 are the hot read paths the workers exist for.
  assert.ok(readOnly.includes('getAlbum') && readOnly.includes('search3'), readOnly.join(', '));
  assert.ok(!readOnly.includes('stream') && !readOnly.includes('getNowPlaying'));
});
