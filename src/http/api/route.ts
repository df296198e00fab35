// One way to declare a native API route: method, path, who may call it, zod schemas for its parameters,
// query, body and answer, and a handler. The same declaration mounts the route on the router (parsing and
// validating the input, authenticating the caller, labelling metrics) and describes it in the OpenAPI
// document (openapi.ts), so the document cannot drift from what is served.
//
// A handler is either `handle` (main thread: the Koa context, the services, may await) or `read` (a
// synchronous view over the database, run in a read worker when the server has one: src/http/read-pool.ts,
// api/read-worker.ts). The main thread authenticates either way; a read route's input has no context and
// no services, so one that reaches for them fails the type check instead of failing in a worker.
import type Router from '@koa/router';
import { z } from 'zod';
import type { User } from '../../accounts/users.service.ts';
import type { CatalogReader } from '../../catalog/reader.ts';
import type { Config } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AnswerCache } from '../answer-cache.ts';
import { GZIP_MIN_BYTES, gzipAnswer } from '../compression.ts';
import type { AppContext, AppState } from '../context.ts';
import { readJsonBody } from '../json-body.ts';
import { sendJson } from '../json-response.ts';
import type { LoginThrottle } from '../login-throttle.ts';
import type { ApiReadJob, ReadResult } from '../read-pool.ts';
import type { Services } from '../services.ts';
import type { Caller } from './caller.ts';

export const API_PREFIX = '/api/v1';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call: `none` anyone, credentials not even looked at (login, refresh, setup: an expired token
 * must not stand in their way); `public` anyone (the caller is found when credentials are sent, else
 * undefined); `user` any signed-in user; `admin` administrators only (403 for others).
 */
export type Access = 'none' | 'public' | 'user' | 'admin';

type ObjectSchema = z.ZodObject<z.ZodRawShape>;

export interface RouteInput<Params, Query, Body, A extends Access> {
  ctx: AppContext;
  services: Services;
  /** Who called and how (session, API key…); undefined only on public routes called anonymously. */
  caller: A extends 'public' | 'none' ? Caller | undefined : Caller;
  user: A extends 'public' | 'none' ? User | undefined : User;
  /** The failed-login throttle both APIs share: routes that check a password count it there. */
  throttle: LoginThrottle;
  /**
   * For answers that last (event streams): the caller as they are now, or undefined once their credentials
   * no longer hold (session ended, key revoked, password changed, user deleted).
   */
  reauthenticate(): Promise<User | undefined>;
  params: Params;
  query: Query;
  body: Body;
}

/**
 * What a read route gets, on the main thread or in a read worker: the database (the worker's read-only
 * connection there), the catalog's state for it, the config, the caller and the validated input.
 */
export interface ReadInput<Params, Query, A extends Access> {
  db: Database;
  catalog: CatalogReader;
  config: Config;
  user: A extends 'public' | 'none' ? User | undefined : User;
  params: Params;
  query: Query;
  log: Logger;
}

interface RouteShape<
  P extends ObjectSchema,
  Q extends ObjectSchema,
  B extends z.ZodType,
  R extends z.ZodType,
  A extends Access,
> {
  method: HttpMethod;
  /** Below /api/v1, Koa style: `/albums/:id`. */
  path: string;
  /** Groups routes in the document (and the docs page). */
  tag: string;
  summary: string;
  description?: string;
  access: A;
  params?: P;
  query?: Q;
  /** A JSON body (application/json). Routes that read the request themselves (uploads) leave it out. */
  body?: B;
  /** The JSON answer; leave out for 204 and for routes that send something else (see `produces`). */
  response?: R;
  /** The success status: 200 by default, 201 created, 202 accepted, 204 no content, 302 a redirect. */
  status?: 200 | 201 | 202 | 204 | 302;
  /** Content types of a non-JSON answer (audio, M3U, images, event streams) the handler sends itself. */
  produces?: readonly string[];
  /** Content type of a body the handler reads itself (multipart uploads, M3U text). */
  consumes?: string;
  /** Media routes: also accept a signed URL (an <audio> or <img> element sends no headers). */
  signedUrl?: boolean;
  /** Error statuses worth naming in the document besides the usual 400/401/403/429. */
  errors?: readonly number[];
}

/** A route handled on the main thread. */
export interface HandledRoute<
  P extends ObjectSchema = ObjectSchema,
  Q extends ObjectSchema = ObjectSchema,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  A extends Access = Access,
> extends RouteShape<P, Q, B, R, A> {
  handle(
    input: RouteInput<z.output<P>, z.output<Q>, z.output<B>, A>,
  ): Promise<z.input<R> | undefined> | z.input<R> | undefined;
  read?: never;
}

/**
 * A GET answered with JSON computed synchronously from the database: runs in a read worker when one is
 * running. The worker finds it in api/index.ts, so a read route must be listed there.
 */
export interface ReadRoute<
  P extends ObjectSchema = ObjectSchema,
  Q extends ObjectSchema = ObjectSchema,
  R extends z.ZodType = z.ZodType,
  A extends Access = Access,
> extends RouteShape<P, Q, z.ZodUndefined, R, A> {
  method: 'get';
  response: R;
  read(input: ReadInput<z.output<P>, z.output<Q>, A>): z.input<R>;
  /**
   * True when this query's answer differs from one request to the next on the same data (a random order
   * without a seed): it is then neither kept nor given an ETag. Otherwise an answer is a function of the
   * caller, the input and the database, which the answer cache relies on.
   */
  unrepeatable?(query: Record<string, string | string[]>): boolean;
  handle?: never;
  body?: never;
  produces?: never;
  status?: 200;
}

export type RouteDefinition<
  P extends ObjectSchema = ObjectSchema,
  Q extends ObjectSchema = ObjectSchema,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  A extends Access = Access,
> = HandledRoute<P, Q, B, R, A> | ReadRoute<P, Q, R, A>;

/** Declares a route with its types inferred from the schemas. */
export function route<
  P extends ObjectSchema = z.ZodObject<Record<string, never>>,
  Q extends ObjectSchema = z.ZodObject<Record<string, never>>,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodVoid,
  A extends Access = Access,
>(definition: RouteDefinition<P, Q, B, R, A>): AnyRoute {
  return definition as unknown as AnyRoute;
}

export type AnyRoute = RouteDefinition<ObjectSchema, ObjectSchema, z.ZodType, z.ZodType, Access>;
export type AnyReadRoute = ReadRoute<ObjectSchema, ObjectSchema, z.ZodType, Access>;

export const isReadRoute = (definition: AnyRoute): definition is AnyReadRoute =>
  typeof definition.read === 'function';

/** How a read worker names a route: `get /albums/:id`. */
export const routeKey = (definition: AnyRoute): string => `${definition.method} ${definition.path}`;

/** Finds who calls (throws 401/429 problems); `optional`: undefined instead of 401 when nothing was sent. */
export interface CallerResolver {
  resolve(ctx: AppContext, options: { signedUrl: boolean; optional: boolean }): Promise<Caller | undefined>;
  /** Cookie-authenticated writes must prove they come from the web app (CSRF); throws 403 otherwise. */
  checkCsrf(ctx: AppContext, caller: Caller): void;
}

export interface MountOptions {
  services: Services;
  callers: CallerResolver;
  throttle: LoginThrottle;
  /** Read routes' answers, kept until the database changes (shared with the Subsonic API). */
  answers: AnswerCache;
  /** Check every JSON answer against its schema and fail loudly on a mismatch (tests turn this on). */
  validateResponses?: boolean;
}

/** `/albums/:id` → `/albums/{id}` (OpenAPI's path templates). */
export function openApiPath(path: string): string {
  return API_PREFIX + path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const UNSAFE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

export function mountRoutes(
  router: Router<AppState>,
  routes: readonly AnyRoute[],
  options: MountOptions,
): void {
  const seen = new Set<string>();
  for (const definition of routes) {
    const key = routeKey(definition);
    if (seen.has(key)) throw new Error(`route declared twice: ${key}`);
    seen.add(key);
    const label = API_PREFIX + definition.path;
    router[definition.method](label, async (ctx) => {
      ctx.state.routeLabel = label;
      ctx.set('Cache-Control', 'no-store');
      await runRoute(ctx, definition, options);
    });
  }
}

async function runRoute(ctx: AppContext, definition: AnyRoute, options: MountOptions): Promise<void> {
  const caller =
    definition.access === 'none'
      ? undefined
      : await options.callers.resolve(ctx, {
          signedUrl: definition.signedUrl === true,
          optional: definition.access === 'public',
        });
  if (caller) {
    ctx.state.user = caller.user;
    if (UNSAFE_METHODS.has(definition.method)) options.callers.checkCsrf(ctx, caller);
  }
  if (definition.access === 'admin' && !caller?.user.roles.admin)
    throw new TonearmError('FORBIDDEN', 'only an administrator may do this');

  if (isReadRoute(definition)) {
    await answerRead(ctx, definition, caller?.user, options);
    return;
  }
  const params = parseInput(definition.params, ctx.params, 'path');
  const query = parseInput(definition.query, queryObject(ctx), 'query');
  let body: unknown;
  const bodyless = !ctx.request.length && ctx.get('Transfer-Encoding') === '';
  if (definition.body && !(bodyless && definition.body.safeParse(undefined).success)) {
    if (!ctx.is('application/json'))
      throw new TonearmError('BAD_REQUEST', 'send the body as application/json');
    body = await readJsonBody(ctx, definition.body, 'the body');
  }
  const result = await definition.handle({
    ctx,
    services: options.services,
    caller: caller as Caller,
    user: caller?.user as User,
    throttle: options.throttle,
    reauthenticate: () => reauthenticate(ctx, definition, options, caller),
    params,
    query,
    body,
  });
  // A handler that answered itself (a stream, a file, a redirect) leaves no result. Routes that produce
  // something else always answer themselves, also without a body (HEAD, 304 Not Modified).
  if (definition.produces || ctx.body != null || ctx.respond === false || ctx.headerSent) return;
  if (definition.status === 204 || !definition.response) {
    ctx.status = definition.status ?? 204;
    return;
  }
  if (options.validateResponses) checkAnswer(definition, result);
  ctx.status = definition.status ?? 200;
  sendJson(ctx, result);
}

async function reauthenticate(
  ctx: AppContext,
  definition: AnyRoute,
  options: MountOptions,
  caller: Caller | undefined,
): Promise<User | undefined> {
  if (!caller) return undefined;
  try {
    // A session lives on past its access token's expiry: what counts is the session itself.
    if (caller.sessionId) {
      const session = options.services.sessions.find(caller.sessionId);
      return session ? options.services.sessions.userOf(session.userId) : undefined;
    }
    const again = await options.callers.resolve(ctx, {
      signedUrl: definition.signedUrl === true,
      optional: false,
    });
    return again?.user.id === caller.user.id ? again.user : undefined;
  } catch {
    return undefined;
  }
}

function checkAnswer(definition: AnyRoute, result: unknown): void {
  const checked = definition.response!.safeParse(result);
  if (!checked.success)
    throw new Error(
      `answer of ${definition.method.toUpperCase()} ${definition.path} does not match its schema: ${z.prettifyError(checked.error)}`,
    );
}

/**
 * A read route's answer: 304 when the client has it (If-None-Match), else kept from an earlier request
 * of the same caller at the same database version, else from a read worker when one is running, else
 * made here.
 */
async function answerRead(
  ctx: AppContext,
  definition: AnyReadRoute,
  user: User | undefined,
  { services, answers, validateResponses }: MountOptions,
): Promise<void> {
  const job: Omit<ApiReadJob, 'id'> = {
    api: 'native',
    route: routeKey(definition),
    params: ctx.params,
    query: queryObject(ctx),
    user,
    requestId: ctx.state.requestId,
    gzip: acceptsGzip(ctx),
    validate: validateResponses === true,
  };
  ctx.status = 200;
  const repeatable = answers.enabled && definition.unrepeatable?.(job.query) !== true;
  const version = repeatable ? answers.currentVersion() : '';
  const request = repeatable ? requestKey(job) : undefined;
  // Kept per encoding: a worker makes only the form the client takes.
  const key = request === undefined ? undefined : `${request}\u0002${job.gzip ? 'gzip' : ''}`;
  if (request !== undefined) {
    // The ETag names the answer whatever its encoding (Vary covers that); private: it is this caller's.
    ctx.set('Cache-Control', 'private, no-cache');
    const etag = answers.etagOf(version, request);
    ctx.set('ETag', etag);
    if (clientHas(ctx.get('If-None-Match'), etag)) {
      ctx.status = 304;
      return;
    }
  }
  let answer = key ? answers.get(key, version) : undefined;
  if (!answer) {
    const made: ReadResult = (await services.readPool?.run(job)) ?? {
      contentType: 'application/json',
      body: runRead(
        definition,
        { db: services.db, catalog: services.catalog, config: services.config, log: ctx.state.log },
        job,
      ),
      gzipped: undefined,
      headers: [],
    };
    // A worker sends a gzipped answer without its text; the main thread compresses what it made itself.
    const gzipped =
      made.gzipped ?? (job.gzip && made.body.length >= GZIP_MIN_BYTES ? gzipAnswer(made.body) : undefined);
    answer = { contentType: made.contentType, body: gzipped ? '' : made.body, gzipped };
    if (key) answers.set(key, answer, version);
  }
  ctx.type = answer.contentType;
  if (answer.gzipped || answer.body.length >= GZIP_MIN_BYTES) ctx.vary('Accept-Encoding');
  if (answer.gzipped) {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = answer.gzipped;
  } else {
    ctx.body = answer.body;
  }
}

/**
 * If-None-Match names the current answer (RFC 9110 13.1.2, weak comparison). Not Koa's ctx.fresh: that
 * answers in full whenever the request says Cache-Control: no-cache, which fetch() adds to every request
 * carrying its own If-None-Match; the directive is for caches on the way, the server may still say 304.
 */
function clientHas(ifNoneMatch: string, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

/** What a read answer depends on besides the database and the encoding: route, caller and input. */
function requestKey(job: Omit<ApiReadJob, 'id'>): string {
  const sorted = (record: Record<string, string | string[]>) =>
    Object.keys(record)
      .sort()
      .map((name) => `${name}=${([] as string[]).concat(record[name]!).join('\u0001')}`)
      .join('\u0000');
  return `${job.route}\u0002${job.user?.id ?? ''}\u0002${sorted(job.params)}\u0002${sorted(job.query)}`;
}

function acceptsGzip(ctx: AppContext): boolean {
  return ctx.acceptsEncodings('gzip', 'identity') === 'gzip';
}

/**
 * Runs a read route on raw input (path parameters and query as the router saw them) and answers its JSON
 * text: the one code path of the main thread and the read workers, so both answer alike.
 */
export function runRead(
  definition: AnyReadRoute,
  env: Omit<ReadInput<unknown, unknown, Access>, 'user' | 'params' | 'query'>,
  input: Pick<ApiReadJob, 'user' | 'params' | 'query' | 'validate'>,
): string {
  const result = definition.read({
    db: env.db,
    catalog: env.catalog,
    config: env.config,
    log: env.log,
    user: input.user,
    params: parseInput(definition.params, input.params, 'path'),
    query: parseInput(definition.query, input.query, 'query'),
  });
  if (input.validate) checkAnswer(definition, result);
  return JSON.stringify(result);
}

/** Koa's query as an object with a repeated key kept as a list (zod decides what a key may be). */
function queryObject(ctx: AppContext): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(ctx.query)) if (value !== undefined) query[key] = value;
  return query;
}

function parseInput<S extends ObjectSchema | undefined>(
  schema: S,
  value: unknown,
  where: 'path' | 'query',
): Record<string, unknown> {
  if (!schema) return {};
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issue = parsed.error.issues[0]!;
  const name = issue.path.join('.');
  throw new TonearmError(
    'INVALID_INPUT',
    name ? `${where} parameter ${name}: ${issue.message}` : `${where}: ${issue.message}`,
  );
}
