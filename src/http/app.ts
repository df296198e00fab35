// Builds the Koa application without listening (src/http/server.ts listens; tests use port 0).
// Everything is mounted under config.basePath, e.g. /music/rest/ping.
import Koa from 'koa';
import { isPasswordAuthEnabled } from '../accounts/auth-settings.ts';
import { createCredentialVerifier } from '../accounts/credential-cache.ts';
import { checkExistingSecretKey, dataDirOf, loadSecretKey } from '../accounts/secret-key.ts';
import { type ArtworkCache, createArtworkCache } from '../artwork/artwork-cache.ts';
import { CoverArt } from '../artwork/cover-art.ts';
import type { Config } from '../config/schema.ts';
import { untilChange } from '../db/change-scoped.ts';
import type { Database } from '../db/database.ts';
import type { ScanProgress, ScanStatusSource } from '../library/scan-status.ts';
import type { ScanOptions } from '../library/scanner.ts';
import type { Logger } from '../shared/logger.ts';
import { HlsSegmentsOnDemand } from '../streaming/hls/segments.ts';
import { Playback } from '../streaming/playback.ts';
import { Players } from '../streaming/players.ts';
import { createUrlSigner, deriveSigningKey, type UrlSigner } from '../streaming/signed-urls.ts';
import { createTranscoder, type Transcoder } from '../streaming/transcoder.ts';
import type { ApiAuthenticator } from './api/auth.ts';
import { mountHls } from './api/hls.ts';
import { mountStreamingApi } from './api/streaming.ts';
import { ClientAddresses } from './client-address.ts';
import { Router } from './commonjs.ts';
import type { AppState } from './context.ts';
import { appDeps, registerAppDeps } from './deps.ts';
import { HealthMonitor, mountHealth } from './health.ts';
import { mountHomePage } from './home-page.ts';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
import { createMetrics, mountMetrics } from './metrics.ts';
import { problemDetails } from './problem.ts';
import { requestContext } from './request-context.ts';
import { mountShares } from './share.ts';
import type { SubsonicEndpoint } from './subsonic/endpoint.ts';
import { defaultEndpoints } from './subsonic/handlers/index.ts';
import type { ReadPool } from './subsonic/read-pool.ts';
import { mountSubsonic } from './subsonic/router.ts';

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  scanStatus?: ScanStatusSource;
  /** The library scanner, for startScan/getScanStatus (the Scanner of src/library). */
  scanner?: { scan(options?: ScanOptions): Promise<unknown>; progress(): ScanProgress };
  /** Subsonic endpoints to serve; every implemented endpoint (handlers/index.ts) by default. */
  subsonicEndpoints?: readonly SubsonicEndpoint[];
  /** Failed-login rules (defaults in login-throttle.ts: per address+account backoff, per-address ceiling). */
  loginThrottle?: LoginThrottleOptions;
  /** Worker threads for read-only Subsonic endpoints (serve starts them; tests may). */
  readPool?: ReadPool;
  /** How long a successful password check is remembered (default 60 s). */
  credentialCacheSeconds?: number;
  /** Runs ffmpeg for transcoded streams; made from config.transcoding when absent. */
  transcoder?: Transcoder;
  /** Signs and checks media URLs that carry no credentials; keyed from the data folder's secret. */
  urlSigner?: UrlSigner;
}

/** What createApp made of its dependencies, for the handlers (deps.ts) and shutdown. */
export interface ResolvedAppDeps extends AppDeps {
  transcoder: Transcoder;
  urlSigner: UrlSigner;
  /** Resolves client addresses under config.http.trustedProxies. */
  clients: ClientAddresses;
  players: Players;
  /** HLS segments, made on the first segment request. */
  hls: HlsSegmentsOnDemand;
  artworkCache: ArtworkCache;
  coverArt: CoverArt;
  /** What a request to play or fetch a track gets. */
  playback: Playback;
}

const CLIENT_GONE = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
]);

function isClientGone(error: unknown): boolean {
  return CLIENT_GONE.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Stops what outlives requests (running transcodes) before the HTTP server closes. */
export function shutdownApp(app: Koa<AppState>): void {
  const deps = appDeps(app);
  deps.transcoder.close();
  deps.hls.close();
}

export function createApp(deps: AppDeps): Koa<AppState> {
  const app = new Koa<AppState>();
  checkExistingSecretKey(deps.db);
  const transcoder = deps.transcoder ?? createTranscoder(deps.config, deps.logger);
  const urlSigner = deps.urlSigner ?? createUrlSigner(deriveSigningKey(loadSecretKey(dataDirOf(deps.db))));
  // Playback and artwork: one of each per app.
  const players = new Players(deps.db);
  const hls = new HlsSegmentsOnDemand(deps.config, deps.logger);
  const artworkCache = createArtworkCache(deps.config);
  const playback = new Playback({
    db: deps.db,
    config: deps.config,
    players,
    transcoder,
    hls,
    signer: urlSigner,
  });
  const resolved: ResolvedAppDeps = {
    ...deps,
    transcoder,
    urlSigner,
    clients: new ClientAddresses(deps.config.http.trustedProxies, deps.logger),
    players,
    hls,
    artworkCache,
    coverArt: new CoverArt(artworkCache),
    playback,
  };
  registerAppDeps(app, resolved);
  const health = new HealthMonitor({
    db: deps.db,
    dataDir: dataDirOf(deps.db),
    minFreeBytes: deps.config.storage.minFreeSpace,
  });
  const metrics = createMetrics({
    db: deps.db,
    health,
    logger: deps.logger,
    scanStatus: deps.scanStatus,
    transcodes: resolved.transcoder,
  });
  const router = new Router<AppState>(deps.config.basePath ? { prefix: deps.config.basePath } : {});

  // One credential cache and one failed-login throttle for both APIs.
  const verifier = createCredentialVerifier(deps.db, { ttlSeconds: deps.credentialCacheSeconds ?? 60 });
  const throttle = new LoginThrottle(deps.loginThrottle);
  mountSubsonic(router, {
    endpoints: deps.subsonicEndpoints ?? defaultEndpoints,
    db: deps.db,
    config: deps.config,
    players,
    readPool: deps.readPool,
    auth: {
      verifier,
      throttle,
      passwordAuthEnabled: untilChange(deps.db, () => isPasswordAuthEnabled(deps.db)),
    },
  });
  const apiAuth: ApiAuthenticator = {
    db: deps.db,
    verifier,
    throttle,
    signer: resolved.urlSigner,
    basePath: deps.config.basePath,
  };
  mountHomePage(router, deps.config);
  mountHealth(router, health);
  mountStreamingApi(router, resolved, apiAuth);
  mountHls(router, resolved);
  mountShares(router, deps.db, playback);
  mountMetrics(router, metrics);

  app.use(requestContext(deps.logger, metrics, resolved.clients));
  app.use(problemDetails());
  app.use(router.routes());

  // Errors Koa catches itself (a response stream failing after the headers went out) land here. A listener
  // that hangs up mid-stream is everyday life for a music server, not an error.
  app.on('error', (error: unknown, ctx?: { state?: Partial<AppState> }) => {
    const log = ctx?.state?.log ?? deps.logger;
    if (isClientGone(error))
      log.debug({ code: (error as NodeJS.ErrnoException).code }, 'client went away mid-response');
    else log.error({ err: error }, 'error after the response started');
  });
  return app;
}
