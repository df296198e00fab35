// The two kinds of Subsonic endpoint and of native API route, checked by the type checker (npm run lint
// runs tsc over test/): a read-only endpoint or a read route runs in a read worker, where there is no HTTP
// context, no services and no awaiting, so reaching for them must fail at type check rather than at run
// time in a worker. Each expected-error directive below fails the type check the day the misuse it marks
// stops being an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { apiRoutes } from '../../src/http/api/index.ts';
import { isReadRoute, route } from '../../src/http/api/route.ts';
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

const readShape = {
  method: 'get',
  path: '/test',
  tag: 'Test',
  summary: 'a read route',
  access: 'user',
  response: z.object({ host: z.string() }),
} as const;

export const readRouteReadsTheContext = route({
  ...readShape,
  // @ts-expect-error a read route has no Koa context
  read: ({ ctx }) => ({ host: ctx.host }),
});

export const readRouteReadsTheServices = route({
  ...readShape,
  // @ts-expect-error nor the main thread's services
  read: ({ services }) => ({ host: services.config.host }),
});

export const readRouteAwaits = route({
  ...readShape,
  // @ts-expect-error a read route answers synchronously
  read: async ({ config }) => ({ host: config.host }),
});

// @ts-expect-error a read route is a GET
export const readRouteWrites = route({ ...readShape, method: 'post', read: () => ({ host: '' }) });

export const readRoute = route({
  ...readShape,
  read: ({ config, user }) => ({ host: `${user.id}@${config.host}` }),
});

test('the native read routes are the catalog views; artwork and everything that writes stay on the main thread', () => {
  const read = apiRoutes.filter(isReadRoute).map((definition) => `${definition.method} ${definition.path}`);
  for (const path of [
    '/albums',
    '/albums/:id',
    '/search',
    '/tracks/:id/lyrics',
    '/libraries',
    '/folders/:id',
  ])
    assert.ok(read.includes(`get ${path}`), path);
  assert.ok(!read.includes('get /artwork/:id'));
  assert.ok(read.every((key) => key.startsWith('get ')));
});
