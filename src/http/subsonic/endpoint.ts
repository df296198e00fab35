// The contract between the Subsonic dispatcher and the handlers of later issues: parse params, call one
// domain function, return the payload (the keys inside subsonic-response). The dispatcher authenticates,
// wraps the payload in the envelope and serialises it in the requested format; errors thrown as
// TonearmError become error envelopes with the catalogue's Subsonic code.
import type { User } from '../../accounts/users.service.ts';
import type { CatalogReader } from '../../catalog/reader.ts';
import type { Config } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../shared/logger.ts';
import type { PlayerSettings } from '../../streaming/players.ts';
import type { AppContext } from '../context.ts';
import type { Services } from '../services.ts';
import type { SubsonicParams } from './params.ts';
import type { SubsonicFormat, SubsonicPayload } from './serializer.ts';

/** Returned by a handler that wrote ctx.body itself (streams, cover art). */
export const RESPONDED: unique symbol = Symbol('responded');

/**
 * What every endpoint gets, on the main thread or in a read worker: plain data and the database handle
 * of the connection it runs on.
 */
export interface SubsonicRequest {
  params: SubsonicParams;
  /** The database, for the domain functions the handler calls (a read-only connection in a worker). */
  db: Database;
  /** The catalog's state for that database connection (viewerFor, search). */
  catalog: CatalogReader;
  /** The caller; undefined only for public endpoints. */
  user: User | undefined;
  /** The `c` parameter (client name), '' when absent. Some answers differ per client (DSub). */
  client: string;
  /**
   * The player this request comes from (client + user agent), if it has streamed before: its limit and
   * format decide what songs would be transcoded to (transcodedSuffix in song entries).
   */
  player?: PlayerSettings | undefined;
  format: SubsonicFormat;
  log: Logger;
  config: Config;
  /** Sets a header of the answer (x-total-count). */
  setHeader(name: string, value: string): void;
}

/** What an endpoint that runs on the main thread gets besides: the HTTP context and the server's services. */
export interface MainThreadRequest extends SubsonicRequest {
  ctx: AppContext;
  services: Services;
}

export type SubsonicResult = SubsonicPayload | undefined | typeof RESPONDED;

interface EndpointBase {
  /** Name without `.view`, as in /rest/<name>. */
  name: string;
  /** Other names clients call it by (hls.m3u8 is also /rest/hls.view); the endpoint answers as `name`. */
  aliases?: readonly string[];
  /** Reachable without authentication (getOpenSubsonicExtensions). */
  public?: boolean;
  /** Read-only and heavy: the serialised answer is reused until the database changes (http/answer-cache.ts). */
  cacheable?: boolean;
}

/**
 * Answers from the database alone: no writes, no in-process state, no HTTP context, synchronously. Such
 * endpoints run in the read workers (read-pool.ts) when the server has them, so heavy queries use every
 * core and never block the event loop that streams audio. The request type has no ctx or services, so an
 * endpoint that reaches for them does not type-check.
 */
export interface ReadOnlyEndpoint extends EndpointBase {
  readOnly: true;
  handle(request: SubsonicRequest): SubsonicPayload | undefined;
}

/** Everything else: writes, streams, in-process state (now playing, the scanner), URLs built from the host. */
export interface MainThreadEndpoint extends EndpointBase {
  readOnly?: false;
  handle(request: MainThreadRequest): SubsonicResult | Promise<SubsonicResult>;
}

export type SubsonicEndpoint = ReadOnlyEndpoint | MainThreadEndpoint;
