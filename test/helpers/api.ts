// Calls to the native JSON API in tests: JSON in and out, a bearer token or cookies, and logins.
import type { TestServer } from './http.ts';

// Parsed answers are walked freely in tests; `any` keeps those walks short.
// biome-ignore lint/suspicious/noExplicitAny: test-only shape of parsed JSON
export type Json = Record<string, any>;

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

export interface ApiCall {
  method?: string;
  body?: unknown;
  /** Access token or API key, sent as Authorization: Bearer. */
  token?: string;
  /** A cookie jar (name → value) sent as the Cookie header. */
  cookies?: Record<string, string>;
  headers?: Record<string, string>;
}

export async function api(
  server: Pick<TestServer, 'baseUrl'>,
  path: string,
  call: ApiCall = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.cookies)
    headers.cookie = Object.entries(call.cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
    method: call.method ?? 'GET',
    headers,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  const text = await response.text();
  let body: Json = {};
  try {
    body = text ? (JSON.parse(text) as Json) : {};
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** The cookies a response sets, name → value (attributes dropped). */
export function cookiesOf(answer: ApiAnswer): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const line of answer.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    jar[pair!.slice(0, eq)] = pair!.slice(eq + 1);
  }
  return jar;
}

export async function login(
  server: Pick<TestServer, 'baseUrl'>,
  username: string,
  password: string,
  extra: Json = {},
): Promise<Json> {
  const answer = await api(server, '/auth/login', { method: 'POST', body: { username, password, ...extra } });
  if (answer.status !== 200) throw new Error(`login of ${username} failed: ${answer.status} ${answer.text}`);
  return { ...answer.body, cookies: cookiesOf(answer) };
}
