// The contract: the OpenAPI document is valid OpenAPI 3.1, lists every /api/v1 route the router serves (and
// nothing it does not), and real answers validate against the document's own schemas (with ajv, not the
// zod schemas the document was made from, so a wrong conversion would show). The docs page and its files
// are served locally.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { api, type Json, login } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';

interface RouterLayer {
  path: string;
  methods: string[];
  stack: { nativeApi?: { stack: RouterLayer[] } }[];
}

/**
 * Every method + path the Koa router serves below /api/v1, in OpenAPI's {param} style: the native API's
 * own router, which the app's loads at the first request below /api (app.ts mountNativeApiOnFirstUse).
 */
function servedRoutes(server: TestServer): Set<string> {
  const middleware = (server.app as { middleware: { router?: { stack: RouterLayer[] } }[] }).middleware;
  const router = middleware.find((layer) => layer.router)?.router;
  assert.ok(router, 'the app mounts a router');
  const nativeApi = router.stack.flatMap((layer) => layer.stack).find((fn) => fn.nativeApi)?.nativeApi;
  assert.ok(nativeApi, 'the native API was loaded by the first request');
  assert.ok(
    router.stack.every((layer) => !layer.path.startsWith('/api/v1/') || layer.path === '/api/v1/{*rest}'),
    'the app router itself has only the catch-all below /api/v1',
  );
  const served = new Set<string>();
  for (const layer of nativeApi.stack) {
    if (!layer.path.startsWith('/api/v1/')) continue;
    for (const method of layer.methods) {
      if (method === 'HEAD') continue;
      served.add(`${method.toLowerCase()} ${layer.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    }
  }
  return served;
}

describe('OpenAPI document', () => {
  let server: TestServer;
  let document: Json;
  before(async () => {
    server = await startTestServer({
      users: [
        { username: 'admin', password: 'admin-pass' },
        { username: 'alice', password: 'alice-pass' },
      ],
      logLevel: 'silent',
    });
    const answer = await fetch(`${server.baseUrl}/api/openapi.json`);
    assert.equal(answer.status, 200);
    document = (await answer.json()) as Json;
  });
  after(() => server.close());

  test('is valid OpenAPI 3.1', async () => {
    assert.equal(document.openapi, '3.1.0');
    const result = await new Validator().validate(document as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  test('lists every /api/v1 route the server serves, and only those', () => {
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths as Record<string, Json>))
      for (const method of Object.keys(operations)) documented.add(`${method} ${path}`);
    const served = servedRoutes(server);
    assert.ok(served.size >= 10, `expected the native routes, found ${served.size}`);
    assert.deepEqual(
      [...served].filter((route) => !documented.has(route)),
      [],
      'served but not documented',
    );
    assert.deepEqual(
      [...documented].filter((route) => !served.has(route)),
      [],
      'documented but not served',
    );
    const ids = Object.values(document.paths as Record<string, Json>).flatMap((operations) =>
      Object.values(operations).map((operation: Json) => operation.operationId),
    );
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  });

  test('answers of every GET route without required parameters validate against the document', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'doc', components: document.components }, 'doc');
    const admin = await login(server, 'admin', 'admin-pass');
    const key = createApiKey(server.db, 'alice', 'openapi test');
    let checked = 0;
    for (const [path, operations] of Object.entries(document.paths as Record<string, Json>)) {
      const operation = operations.get as Json | undefined;
      if (!operation || path.includes('{')) continue;
      if ((operation.parameters as Json[]).some((parameter) => parameter.required)) continue;
      const success = Object.entries(operation.responses as Record<string, Json>).find(([code]) =>
        code.startsWith('2'),
      );
      const schema = success?.[1].content?.['application/json']?.schema as Json | undefined;
      if (!schema) continue;
      const isAdminRoute = path.startsWith('/api/v1/admin');
      const answer = await api(server, path.slice('/api/v1'.length), {
        token: isAdminRoute ? admin.accessToken : key.key,
      });
      assert.equal(answer.status, 200, `${path}: ${answer.text}`);
      const validate = ajv.compile(rebase(schema));
      assert.ok(validate(answer.body), `${path}: ${JSON.stringify(validate.errors)}`);
      checked++;
    }
    assert.ok(checked >= 3, `checked ${checked} routes`);
  });

  test('problems follow the document’s Problem schema', async () => {
    const ajv = new Ajv2020({ strict: false });
    const answer = await api(server, '/me');
    assert.equal(answer.status, 401);
    assert.match(answer.headers.get('content-type')!, /application\/problem\+json/);
    assert.ok(ajv.validate(document.components.schemas.Problem, answer.body), JSON.stringify(ajv.errors));
  });

  test('the docs page and its files are served from this server', async () => {
    const page = await fetch(`${server.baseUrl}/api/docs`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.doesNotMatch(html, /https?:\/\//, 'no CDN');
    for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js']) {
      const answer = await fetch(`${server.baseUrl}/api/docs/${file}`);
      assert.equal(answer.status, 200, file);
      assert.ok((await answer.arrayBuffer()).byteLength > 0);
    }
    assert.equal((await fetch(`${server.baseUrl}/api/docs/..%2Fpackage.json`)).status, 404);
  });
});

/** A schema from the document with its #/components refs pointing into the schema registered as "doc". */
function rebase(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as Json;
}
