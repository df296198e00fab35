// Mounts /rest/<endpoint> and /rest/<endpoint>.view for every Subsonic endpoint. Every answer, including
// unknown endpoints, failed logins and bugs, is an envelope with HTTP 200: clients treat other statuses
// as transport failures and lose the message. The one exception is "busy, come back later" (too many
// transcodes): 429 with Retry-After, as Navidrome answers, still carrying the envelope.
import type Router from '@koa/router';
import type { User } from '../../accounts/users.service.ts';
import { type ErrorCode, isTonearmError, TonearmError } from '../../shared/errors.ts';
import type { PlayerSettings } from '../../streaming/players.ts';
import type { AnswerCache, CachedAnswer } from '../answer-cache.ts';
import { GZIP_MIN_BYTES, gzipAnswer } from '../compression.ts';
import type { AppContext, AppState } from '../context.ts';
import { readFormBody } from '../form-body.ts';
import type { ReadPool } from '../read-pool.ts';
import type { Services } from '../services.ts';
import { cacheKey } from './answer-key.ts';
import { authenticate, type SubsonicAuthenticator } from './auth.ts';
import { type MainThreadEndpoint, RESPONDED, type SubsonicEndpoint } from './endpoint.ts';
import { SubsonicParams } from './params.ts';
import {
  envelope,
  errorEnvelope,
  resolveFormat,
  type SubsonicFormat,
  type SubsonicPayload,
  serialize,
} from './serializer.ts';

const LOGIN_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'WRONG_CREDENTIALS',
  'LOGIN_THROTTLED',
  'INVALID_API_KEY',
  'API_KEY_THROTTLED',
]);

export interface SubsonicRoutesOptions {
  endpoints: readonly SubsonicEndpoint[];
  auth: SubsonicAuthenticator;
  /** The database, the read pool (readOnly endpoints run there when it is up) and the rest. */
  services: Services;
  /** Where cacheable endpoints' answers are kept (shared with the native API). */
  answers: AnswerCache;
}

export function mountSubsonic(router: Router<AppState>, options: SubsonicRoutesOptions): void {
  const endpoints = new Map<string, SubsonicEndpoint>();
  for (const endpoint of options.endpoints) {
    for (const name of [endpoint.name, ...(endpoint.aliases ?? [])]) {
      if (endpoints.has(name)) throw new Error(`Subsonic endpoint ${name} is registered twice`);
      endpoints.set(name, endpoint);
    }
  }

  const { services } = options;
  const { answers } = options;

  const dispatch = async (ctx: AppContext, requested: string): Promise<void> => {
    const endpoint = endpoints.get(requested);
    // An alias answers, caches and counts as its endpoint.
    const name = endpoint?.name ?? requested;
    // Unknown names share one label so random URLs cannot blow up the metric's cardinality.
    ctx.state.routeLabel = endpoint ? `/rest/${name}` : '/rest/*';
    let params = SubsonicParams.parse(ctx.querystring);
    let resolved = resolveFormat(params.get('f'), params.get('callback'));
    try {
      const body = await readFormBody(ctx);
      if (body !== undefined) {
        params = SubsonicParams.parse(ctx.querystring, body);
        resolved = resolveFormat(params.get('f'), params.get('callback'));
      }
      if (resolved.error) throw resolved.error;
      if (!endpoint) throw unknownEndpoint(name);
      const user = endpoint.public ? undefined : await authenticate(params, ctx.ip, options.auth);
      if (user) ctx.state.user = user;
      const player = user ? playerOf(services, user, params, ctx) : undefined;
      const key =
        endpoint.cacheable && user && answers.enabled
          ? cacheKey(name, user.id, params.names(), (param) => params.getAll(param), player?.id)
          : undefined;
      const version = key ? answers.currentVersion() : '';
      const cached = key ? answers.get(key, version) : undefined;
      if (cached) {
        reply(ctx, cached);
        return;
      }
      const answer =
        (endpoint.readOnly && (await runInReadPool(ctx, services.readPool, name, body, user, player))) ||
        (await runHere(ctx, endpoint, { params, user, player, format: resolved.format, services }));
      if (answer === RESPONDED) return;
      if (key) answers.set(key, answer, version);
      reply(ctx, answer);
    } catch (thrown) {
      // A full disk or a database locked elsewhere, met outside the Database helpers, gets its clear name.
      const error = services.db.failed(thrown);
      send(ctx, resolved.format, failure(ctx, params, error));
      if (isTonearmError(error) && error.retryAfterSeconds !== undefined) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        // Busy (too many transcodes): the status tells players to come back, as Navidrome does. Other
        // errors stay HTTP 200 envelopes, as the Subsonic API wants; so does a refused login, whose
        // message (saying how long to wait) clients show only then.
        if (error.httpStatus === 429 && !LOGIN_FAILURES.has(error.code)) ctx.status = 429;
      }
    }
  };

  router.all('/rest/:endpoint', (ctx) => dispatch(ctx, ctx.params.endpoint!.replace(/\.view$/, '')));
  router.all(['/rest', '/rest/', '/rest/{*rest}'], (ctx) => dispatch(ctx, ''));
}

/** The caller's player settings (plain data, for read workers), if this client has streamed before. */
function playerOf(
  { players }: Services,
  user: User,
  params: SubsonicParams,
  ctx: AppContext,
): PlayerSettings | undefined {
  const player = players.find({
    userId: user.id,
    client: params.get('c') ?? '',
    userAgent: ctx.get('User-Agent'),
  });
  return player && { id: player.id, maxBitRate: player.maxBitRate, format: player.format };
}

interface HereOptions {
  params: SubsonicParams;
  user: User | undefined;
  player: PlayerSettings | undefined;
  format: SubsonicFormat;
  services: Services;
}

async function runHere(
  ctx: AppContext,
  endpoint: SubsonicEndpoint,
  { params, user, player, format, services }: HereOptions,
): Promise<CachedAnswer | typeof RESPONDED> {
  // A readOnly endpoint takes the main-thread request too: it is a SubsonicRequest with more in it.
  const result = await (endpoint as MainThreadEndpoint).handle({
    params,
    db: services.db,
    catalog: services.catalog,
    user,
    client: params.get('c') ?? '',
    player,
    format,
    log: ctx.state.log,
    config: services.config,
    setHeader: (header, value) => ctx.set(header, value),
    ctx,
    services,
  });
  if (result === RESPONDED) return RESPONDED;
  return serialize(format, envelope('ok', result));
}

/** The answer of a read worker, or undefined when there is no pool (or no worker running). */
async function runInReadPool(
  ctx: AppContext,
  pool: ReadPool | undefined,
  name: string,
  body: string | undefined,
  user: User | undefined,
  player: PlayerSettings | undefined,
): Promise<CachedAnswer | undefined> {
  const running = pool?.run({
    api: 'subsonic',
    name,
    query: ctx.querystring,
    body,
    user,
    player,
    requestId: ctx.state.requestId,
    gzip: acceptsGzip(ctx),
  });
  if (!running) return undefined;
  const result = await running;
  for (const [header, value] of result.headers) ctx.set(header, value);
  return { contentType: result.contentType, body: result.body, gzipped: result.gzipped };
}

function acceptsGzip(ctx: AppContext): boolean {
  return ctx.acceptsEncodings('gzip', 'identity') === 'gzip';
}

function send(ctx: AppContext, format: SubsonicFormat, response: SubsonicPayload): void {
  reply(ctx, serialize(format, response));
}

function reply(ctx: AppContext, answer: CachedAnswer): void {
  ctx.status = 200;
  ctx.type = answer.contentType;
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (answer.body.length >= GZIP_MIN_BYTES) {
    ctx.vary('Accept-Encoding');
    if (acceptsGzip(ctx)) {
      answer.gzipped ??= gzipAnswer(answer.body);
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = answer.gzipped;
      return;
    }
  }
  ctx.body = answer.body;
}

function failure(ctx: AppContext, params: SubsonicParams, error: unknown): SubsonicPayload {
  const log = ctx.state.log;
  if (!isTonearmError(error)) {
    log.error({ err: error }, 'subsonic request failed');
    return errorEnvelope(0, `internal error (request id ${ctx.state.requestId})`);
  }
  if (LOGIN_FAILURES.has(error.code)) {
    // Username and address only: a line an admin (or fail2ban) can act on, with no secret in it.
    log.warn({ ip: ctx.ip, user: params.get('u'), code: error.code }, 'subsonic login failed');
  } else if (error.httpStatus === 503) {
    log.warn({ code: error.code }, error.message);
  } else {
    log.debug({ code: error.code, subsonicCode: error.subsonicCode }, error.message);
  }
  return errorEnvelope(error.subsonicCode, error.message);
}

function unknownEndpoint(name: string): TonearmError {
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  return new TonearmError('UNKNOWN_ENDPOINT', name ? `unknown endpoint: ${shown}` : 'unknown endpoint');
}
