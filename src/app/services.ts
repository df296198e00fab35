// Builds the long-lived parts of a running server once: `tonearm serve` and the test helpers call
// createServices, hand the result to createApp (src/http/app.ts) and close it on the way out. Anything a
// request needs beyond its own parameters comes from here, so what each part depends on is visible in one
// place instead of being fetched from registries.

import { createAccessTokens } from '../accounts/access-tokens.ts';
import { pruneAudit } from '../accounts/audit.ts';
import { dataDirOf, loadSecretKey } from '../accounts/secret-key.ts';
import { Sessions } from '../accounts/sessions.ts';
import { NowPlaying } from '../activity/now-playing.ts';
import { announceNowPlaying } from '../activity/now-playing-events.ts';
import { createArtworkCache } from '../artwork/artwork-cache.ts';
import { CoverArt } from '../artwork/cover-art.ts';
import { CatalogReader } from '../catalog/reader.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { AnswerCache } from '../http/answer-cache.ts';
import { announceNewReleases } from '../activity/follows.ts';
import { pruneOldStations, registerInsightJobs, scheduleInsightJobs } from '../insights/jobs.ts';
import { JobQueue } from '../jobs/queue.ts';
import { endQuietListens } from '../listening/listening.service.ts';
import { ReadPool, type ReadPoolOptions, readWorkerCount } from '../http/read-pool.ts';
import type { Services } from '../http/services.ts';
import type { Logger } from '../shared/logger.ts';
import { siblingModule } from '../shared/module-url.ts';
import { HlsSegmentsOnDemand } from '../streaming/hls/segments.ts';
import { Playback } from '../streaming/playback.ts';
import { Players } from '../streaming/players.ts';
import { createUrlSigner, deriveSigningKey } from '../streaming/signed-urls.ts';
import { createTranscoder } from '../streaming/transcoder.ts';
import { EventHub } from '../system/events.ts';

export interface ServicesOptions {
  config: Config;
  db: Database;
  logger: Logger;
  /** Parts a caller builds itself (the scanner, which needs the logger and callbacks of serve; test doubles). */
  overrides?: Partial<Omit<Services, 'config' | 'db' | 'logger' | 'hls' | 'stopStreams' | 'close'>>;
  /** Start read workers as config.readWorkers says (serve); tests pass their own pool in overrides. */
  startReadWorkers?: boolean;
  /** Run background jobs (serve): queued ones, those a stop interrupted, and the hourly housekeeping. */
  startJobs?: boolean;
}

export function createServices(options: ServicesOptions): Services {
  const { config, db, logger, overrides = {} } = options;
  const transcoder = overrides.transcoder ?? createTranscoder(config, logger);
  const readPool =
    overrides.readPool ??
    (options.startReadWorkers ? configuredReadPool(db.file, config, logger) : undefined);
  const catalog = overrides.catalog ?? new CatalogReader(db);
  const jobs = overrides.jobs ?? new JobQueue({ db, logger });
  const urlSigner = overrides.urlSigner ?? createUrlSigner(deriveSigningKey(loadSecretKey(dataDirOf(db))));
  const players = overrides.players ?? new Players(db);
  const hls = new HlsSegmentsOnDemand(config, logger);
  const artworkCache = overrides.artworkCache ?? createArtworkCache(config);
  // serve builds the hub first and hands it to the scanner too.
  const events = overrides.events ?? new EventHub();
  const nowPlaying = overrides.nowPlaying ?? new NowPlaying();
  announceNowPlaying(nowPlaying, events, db);
  const services: Services = {
    config,
    db,
    logger,
    catalog,
    scanner: overrides.scanner,
    scanStatus: overrides.scanStatus,
    transcoder,
    hls,
    players,
    playback:
      overrides.playback ??
      new Playback({ db, catalog, config, players, transcoder, hls, signer: urlSigner }),
    artworkCache,
    coverArt: overrides.coverArt ?? new CoverArt(artworkCache),
    urlSigner,
    nowPlaying,
    events,
    sessions:
      overrides.sessions ??
      new Sessions(db, createAccessTokens(dataDirOf(db)), {
        accessTokenTtlMs: config.auth.accessTokenTtl,
        idleTimeoutMs: config.auth.sessionIdleTimeout,
        maxAgeMs: config.auth.sessionMaxAge,
      }),
    readPool,
    jobs,
    answers: overrides.answers ?? new AnswerCache(db, { maxBytes: config.http.answerCache }),
    stopStreams() {
      transcoder.close();
      hls.close();
      events.close();
    },
    async close() {
      clearInterval(housekeeping);
      insightSchedule?.stop();
      services.stopStreams();
      await jobs.stop();
      await readPool?.close();
    },
  };
  // Hourly, as a job (visible to admins, retried when it fails): ended sessions (kept a week for the
  // session list's sake), audit entries past their retention and finished jobs past a week go; listens
  // of players that went quiet without a stop are ended (src/listening).
  jobs.register('housekeeping', ({ log }) => {
    services.sessions.prune();
    pruneAudit(db, config.auth.auditRetention);
    jobs.prune();
    const ended = endQuietListens(db);
    if (ended > 0) log.debug({ ended }, 'listens of players that went quiet ended');
    pruneOldStations(db);
  });
  // Recommendations, trends, statistics and mixes from the listening history (src/insights).
  registerInsightJobs(jobs, db);
  let insightSchedule: { stop(): void } | undefined;
  // Albums of followed artists that scans added become notifications, stored and sent to whoever is
  // connected (src/activity/follows.ts). After each scan of this server, and hourly for the CLI's.
  jobs.register('new-releases', ({ log }) => {
    const created = announceNewReleases(db);
    for (const notification of created)
      events.publish(
        'notification',
        {
          id: notification.id,
          kind: notification.kind,
          title: notification.title,
          message: notification.message,
          subject: notification.subject,
          createdAt: new Date(notification.createdAt).toISOString(),
        },
        { userId: notification.userId },
      );
    if (created.length > 0) log.info({ notifications: created.length }, 'new releases announced');
  });
  const housekeeping = setInterval(() => {
    if (!options.startJobs) return;
    jobs.enqueue('housekeeping');
    jobs.enqueue('new-releases');
  }, HOUSEKEEPING_INTERVAL_MS);
  housekeeping.unref();
  if (options.startJobs) {
    jobs.start();
    // A first one a minute after start (not during it), so a server restarted often still tidies up.
    jobs.enqueue('housekeeping', { runAt: Date.now() + 60_000 });
    // The first check only notes when it was made: the albums already there are not news.
    jobs.enqueue('new-releases');
    insightSchedule = scheduleInsightJobs(jobs, db);
  }
  return services;
}

const HOUSEKEEPING_INTERVAL_MS = 3_600_000;

const READ_WORKER = siblingModule(import.meta.url, 'read-worker');

/** A pool of read workers (src/app/read-worker.ts); no worker runs until a request needs one. */
export function createReadPool(options: Omit<ReadPoolOptions, 'workerUrl'>): ReadPool {
  return new ReadPool({ ...options, workerUrl: READ_WORKER });
}

/** The pool `config.readWorkers` asks for, or undefined for none. */
function configuredReadPool(dbFile: string, config: Config, logger: Logger): ReadPool | undefined {
  const maxWorkers = readWorkerCount(config.readWorkers);
  return maxWorkers > 0 ? createReadPool({ dbFile, config, maxWorkers, logger }) : undefined;
}
