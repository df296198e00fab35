// A small client for the native API in tests: one user's API key, JSON in and out, the status and the
// parsed answer (problem details included) of every call.
import assert from 'node:assert/strict';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import type { TestServer } from './http.ts';

// Answers are walked freely in tests; `any` keeps those walks short.
// biome-ignore lint/suspicious/noExplicitAny: test-only shape of parsed JSON
export type Json = any;

export interface ApiAnswer {
  status: number;
  body: Json;
  text: string;
  headers: Headers;
}

export interface ApiClient {
  call(method: string, path: string, body?: unknown, init?: { contentType?: string }): Promise<ApiAnswer>;
  get(path: string): Promise<ApiAnswer>;
  post(path: string, body?: unknown): Promise<ApiAnswer>;
  put(path: string, body?: unknown): Promise<ApiAnswer>;
  patch(path: string, body?: unknown): Promise<ApiAnswer>;
  delete(path: string): Promise<ApiAnswer>;
  /** The answer's body, after checking its status (200 unless given; the problem's detail otherwise). */
  ok(method: string, path: string, body?: unknown, status?: number): Promise<Json>;
}

/** A client authenticated with a new API key of `username`. */
export function apiClientFor(server: TestServer, username: string): ApiClient {
  const key = createApiKey(server.db, username, 'test').key;
  const call: ApiClient['call'] = async (method, path, body, init = {}) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${key}` };
    let payload: string | undefined;
    if (typeof body === 'string') {
      payload = body;
      headers['Content-Type'] = init.contentType ?? 'audio/x-mpegurl';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    // JSON and problem+json; not NDJSON (an export), which the caller reads from `text`.
    const parsed = /^application\/([\w.-]+\+)?json(;|$)/.test(type) && text ? JSON.parse(text) : undefined;
    return { status: response.status, body: parsed, text, headers: response.headers };
  };
  return {
    call,
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    put: (path, body) => call('PUT', path, body),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
    async ok(method, path, body, status) {
      const answer = await call(method, path, body);
      const expected = status ?? 200;
      assert.equal(answer.status, expected, `${method} ${path}: ${answer.body?.detail ?? answer.text}`);
      return answer.body;
    },
  };
}

/** Checks a problem-details answer: its status, and its detail against `detail` when given. */
export function assertProblem(answer: ApiAnswer, status: number, detail?: RegExp): void {
  assert.equal(answer.status, status, `expected ${status}, got ${answer.status}: ${answer.text}`);
  assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
  if (detail) assert.match(answer.body.detail, detail);
}
