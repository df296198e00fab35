// The OpenAPI 3.1 document of the native API, generated from the same route declarations that are mounted
// (route.ts), so it lists exactly what is served. zod's JSON Schema output (draft 2020-12, which OpenAPI
// 3.1 uses as is) gives each schema; schemas named with `.meta({ id })` become shared components.
// Served at GET /api/openapi.json, and rendered by Swagger UI at /api/docs from files of the
// swagger-ui-dist package (served locally: no CDN, works offline).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Router from '@koa/router';
import { z } from 'zod';
import type { AppContext, AppState } from '../context.ts';
import { SERVER_VERSION } from '../version.ts';
import { type AnyRoute, openApiPath } from './route.ts';
import { problemSchema } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
  400: 'The input is not valid',
  401: 'Not logged in, or the credentials are wrong or expired',
  403: 'Logged in, but not allowed',
  404: 'No such item (or not visible to the caller)',
  409: 'Conflicts with the current state',
  413: 'Too large',
  415: 'Unsupported content',
  429: 'Too many attempts or too busy; see Retry-After',
  503: 'Temporarily unavailable; see Retry-After',
};

class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  /** `schema` as JSON Schema, its named parts moved to components and referenced from there. */
  add(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      reused: 'inline',
    }) as JsonSchema;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    for (const [name, def] of Object.entries(defs)) this.schemas[name] ??= relink(def) as JsonSchema;
    return relink(json) as JsonSchema;
  }
}

/** `#/$defs/X` → `#/components/schemas/X`, everywhere in a schema. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] =
        key === '$ref' && typeof inner === 'string'
          ? inner.replace('#/$defs/', '#/components/schemas/')
          : relink(inner);
    }
    return out;
  }
  return value;
}

function parameters(
  components: Components,
  schema: z.ZodObject<z.ZodRawShape> | undefined,
  where: 'path' | 'query',
): JsonSchema[] {
  if (!schema) return [];
  const json = components.add(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

export function openApiDocument(routes: readonly AnyRoute[], basePath: string): JsonSchema {
  const components = new Components();
  const problem = components.add(problemSchema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const definition of routes) {
    tags.add(definition.tag);
    const responses: Record<string, unknown> = {};
    const status = String(definition.status ?? (definition.response || definition.produces ? 200 : 204));
    if (definition.response && !definition.produces) {
      responses[status] = {
        description: 'Success',
        content: { 'application/json': { schema: components.add(definition.response, 'output') } },
      };
    } else if (definition.produces) {
      responses[status] = {
        description: 'Success',
        content: Object.fromEntries(definition.produces.map((type) => [type, {}])),
      };
    } else {
      responses[status] = { description: status === '302' ? 'Redirect (see Location)' : 'Done' };
    }
    const errorStatuses = new Set<number>([400, ...(definition.errors ?? [])]);
    if (definition.access !== 'none' && definition.access !== 'public') {
      errorStatuses.add(401);
      errorStatuses.add(429);
    }
    if (definition.access === 'admin') errorStatuses.add(403);
    for (const code of [...errorStatuses].sort()) {
      responses[String(code)] = {
        description: STATUS_TEXT[code] ?? 'Error',
        content: { 'application/problem+json': { schema: problem } },
      };
    }
    const operation: Record<string, unknown> = {
      operationId: operationId(definition),
      tags: [definition.tag],
      summary: definition.summary,
      ...(definition.description ? { description: definition.description } : {}),
      parameters: [
        ...parameters(components, definition.params, 'path'),
        ...parameters(components, definition.query, 'query'),
      ],
      responses,
      security: security(definition),
    };
    if (definition.body) {
      operation.requestBody = {
        required: !definition.body.safeParse(undefined).success,
        content: { 'application/json': { schema: components.add(definition.body, 'input') } },
      };
    } else if (definition.consumes) {
      operation.requestBody = { required: true, content: { [definition.consumes]: {} } };
    }
    const pathKey = openApiPath(definition.path);
    paths[pathKey] ??= {};
    paths[pathKey][definition.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tonearm native API',
      version: SERVER_VERSION,
      description:
        'The JSON API of the Tonearm music server (the web app uses it). Errors are RFC 9457 problem details with the request id. Lists page with `?limit=&cursor=` and answer `{items, nextCursor}`. Subsonic clients use /rest instead.',
      license: { name: 'AGPL-3.0-only', identifier: 'AGPL-3.0-only' },
    },
    servers: [{ url: basePath || '/' }],
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An access token from /auth/login (JWT) or an API key (tnrm_…).',
        },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        basic: { type: 'http', scheme: 'basic' },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'tonearm_access',
          description: 'The web app’s session; writes also need the X-CSRF-Token header.',
        },
        signedUrl: {
          type: 'apiKey',
          in: 'query',
          name: 'sig',
          description: 'Media routes: a URL signed by POST /media/urls (with its exp and uid parameters).',
        },
      },
    },
  };
}

function security(definition: AnyRoute): Record<string, string[]>[] {
  if (definition.access === 'none') return [];
  const names = ['bearer', 'apiKeyHeader', 'basic', 'sessionCookie'];
  if (definition.signedUrl) names.push('signedUrl');
  const schemes: Record<string, string[]>[] = names.map((name) => ({ [name]: [] }));
  // Public routes work without credentials too: the empty requirement says so.
  return definition.access === 'public' ? [...schemes, {}] : schemes;
}

function operationId(definition: AnyRoute): string {
  const words = definition.path
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part));
  return [definition.method, ...words]
    .join('-')
    .replace(/[^A-Za-z0-9]+(.)/g, (_, letter: string) => letter.toUpperCase());
}

const SWAGGER_FILES = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
]);

/** /api/openapi.json and the docs page /api/docs (Swagger UI from the installed package). */
export function mountOpenApi(router: Router<AppState>, routes: readonly AnyRoute[], basePath: string): void {
  let document: string | undefined;
  router.get('/api/openapi.json', (ctx) => {
    ctx.state.routeLabel = '/api/openapi.json';
    document ??= JSON.stringify(openApiDocument(routes, basePath));
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'application/json';
    ctx.body = document;
  });
  const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  // The page links its files by absolute paths, so /api/docs and /api/docs/ both work.
  router.get('/api/docs', (ctx) => {
    ctx.state.routeLabel = '/api/docs';
    sendDocsPage(ctx, basePath);
  });
  router.get('/api/docs/:file', (ctx) => {
    ctx.state.routeLabel = '/api/docs/:file';
    const file = ctx.params.file!;
    if (file === 'init.js') {
      ctx.type = 'text/javascript';
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(`${basePath}/api/openapi.json`)}, dom_id: '#docs', deepLinking: true, presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'BaseLayout', persistAuthorization: false });\n`;
      return;
    }
    if (!SWAGGER_FILES.has(file)) return; // 404
    ctx.type = path.extname(file);
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = fs.createReadStream(path.join(swaggerDir, file));
  });
}

function sendDocsPage(ctx: AppContext, basePath: string): void {
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-cache');
  // Scripts and styles from this server only (init.js instead of an inline script keeps the CSP strict).
  ctx.set(
    'Content-Security-Policy',
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  );
  const docs = `${basePath}/api/docs`;
  ctx.body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tonearm API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="${docs}/favicon-32x32.png">
<link rel="stylesheet" href="${docs}/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="${docs}/swagger-ui-bundle.js"></script>
<script src="${docs}/swagger-ui-standalone-preset.js"></script>
<script src="${docs}/init.js"></script>
</body>
</html>
`;
}
