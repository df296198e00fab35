// The contract between the Subsonic dispatcher and the handlers of later issues: parse params, call one
// domain function, return the payload (the keys inside subsonic-response). The dispatcher authenticates,
// wraps the payload in the envelope and serialises it in the requested format; errors thrown as
// TonearmError become error envelopes with the catalogue's Subsonic code.
import type { User } from '../../accounts/users.service.ts';
import type { CatalogReader } from '../../catalog/reader.ts';
import type { Config } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Player } from '../../streaming/players.ts';
import type { AppContext } from '../context.ts';
import type { SubsonicParams } from './params.ts';
import type { SubsonicFormat, SubsonicPayload } from './serializer.ts';

/** What of a player the handlers need; plain data, so it travels to read workers. */
export type PlayerSettings = Pick<Player, 'id' | 'maxBitRate' | 'format'>;

/** Returned by a handler that wrote ctx.body itself (streams, cover art). */
export const RESPONDED: unique symbol = Symbol('responded');

export interface SubsonicRequest {
  params: SubsonicParams;
  /** The database, for the domain functions the handler calls. */
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
  /**
   * The Koa context; absent when a read worker runs the endpoint (see readOnly). Handlers that need it
   * (shares build URLs from the host, scanning reaches the scanner) get it through requireContext().
   */
  ctx?: AppContext;
}

/** The Koa context of a request that runs on the main thread. */
export function requireContext(request: SubsonicRequest): AppContext {
  if (!request.ctx) throw new Error('this endpoint needs the HTTP context and cannot be marked readOnly');
  return request.ctx;
}

export type SubsonicResult = SubsonicPayload | undefined | typeof RESPONDED;

export interface SubsonicEndpoint {
  /** Name without `.view`, as in /rest/<name>. */
  name: string;
  /** Other names clients call it by (hls.m3u8 is also /rest/hls.view); the endpoint answers as `name`. */
  aliases?: readonly string[];
  /** Reachable without authentication (getOpenSubsonicExtensions). */
  public?: boolean;
  /** Read-only and heavy: the serialised answer is reused until the database changes (response-cache.ts). */
  cacheable?: boolean;
  /**
   * Answers from the database alone: no writes, no in-process state, no Koa context. Such endpoints run
   * in the read workers (read-pool.ts) when the server has them, so heavy queries use every core and never
   * block the event loop that streams audio.
   */
  readOnly?: boolean;
  handle(request: SubsonicRequest): SubsonicResult | Promise<SubsonicResult>;
}
