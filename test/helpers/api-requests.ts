// Native API requests for tests: an API key or HTTP Basic, a JSON body, the answer parsed, and problem
// details checked.
import assert from 'node:assert/strict';
import type { TestServer } from './http.ts';

/** An API key (Authorization: Bearer) or a username and password (HTTP Basic). */
export type ApiAuth = { key: string } | { username: string; password: string } | undefined;

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test-only shape of parsed JSON
  body: any;
}

export function authHeader(auth: ApiAuth): string | undefined {
  if (!auth) return undefined;
  if ('key' in auth) return `Bearer ${auth.key}`;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

/** `path` below /api/v1; a body is sent as JSON. */
export async function api(
  server: Pick<TestServer, 'baseUrl'>,
  method: string,
  path: string,
  auth: ApiAuth,
  body?: unknown,
): Promise<ApiAnswer> {
  const headers = new Headers();
  const authorization = authHeader(auth);
  if (authorization) headers.set('Authorization', authorization);
  if (body !== undefined) headers.set('Content-Type', 'application/json');
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    headers: response.headers,
    body: /json/.test(type) ? JSON.parse(text) : text,
  };
}

/** Asserts a problem-details answer with this status (and a detail matching `detail`). */
export function assertProblem(answer: ApiAnswer, status: number, detail?: RegExp): void {
  assert.equal(
    answer.status,
    status,
    `expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`,
  );
  assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
  if (detail) assert.match(answer.body.detail, detail);
}
