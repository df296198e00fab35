// node:http and @koa/router through require(), never through an ES import. An ES import of a built-in
// module reads every one of its exports, and node:http's WebSocket, CloseEvent and MessageEvent are
// getters that load Node's bundled undici (fetch, WebSocket; nodejs/node#59686): ~14 MB in every thread
// that does it, for nothing Tonearm uses. @koa/router's ES build imports node:http; its CommonJS build
// requires it. test/app/memory.test.ts checks that undici stays unloaded.
import { createRequire } from 'node:module';
import type KoaRouter from '@koa/router';

const require = createRequire(import.meta.url);

export const nodeHttp: typeof import('node:http') = require('node:http');
export const Router: typeof KoaRouter = require('@koa/router');

type PromClient = typeof import('prom-client');
/**
 * The parts of prom-client the metrics use, without its index: that also loads the Pushgateway client,
 * whose node:https sets up TLS (~2.5 MB) in a server that never pushes.
 */
export const promClient: Pick<
  PromClient,
  'Counter' | 'Gauge' | 'Histogram' | 'Registry' | 'collectDefaultMetrics'
> = {
  Counter: require('prom-client/lib/counter'),
  Gauge: require('prom-client/lib/gauge'),
  Histogram: require('prom-client/lib/histogram'),
  Registry: require('prom-client/lib/registry'),
  collectDefaultMetrics: require('prom-client/lib/defaultMetrics'),
};
