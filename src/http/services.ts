// What the HTTP layer serves requests with: the long-lived parts of a running server, built once by
// src/app/services.ts (for `tonearm serve` and the tests) and handed to createApp. Endpoints receive what
// they need through their context (subsonic/endpoint.ts); nothing is looked up from a registry.

import type { Sessions } from '../accounts/sessions.ts';
import type { NowPlaying } from '../activity/now-playing.ts';
import type { ArtworkCache } from '../artwork/artwork-cache.ts';
import type { CoverArt } from '../artwork/cover-art.ts';
import type { CatalogReader } from '../catalog/reader.ts';
import type { Config } from '../config/schema.ts';
// The handle is passed through to domain functions; HTTP never queries it (the dependency rules allow this
// type-only import and nothing else from src/db).
import type { Database } from '../db/database.ts';
import type { ScanProgress, ScanStatusSource } from '../library/scan-status.ts';
import type { ScanOptions } from '../library/scanner.ts';
import type { Logger } from '../shared/logger.ts';
import type { HlsSegmentsOnDemand } from '../streaming/hls/segments.ts';
import type { Playback } from '../streaming/playback.ts';
import type { Players } from '../streaming/players.ts';
import type { UrlSigner } from '../streaming/signed-urls.ts';
import type { Transcoder } from '../streaming/transcoder.ts';
import type { EventHub } from '../system/events.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { AnswerCache } from './answer-cache.ts';
import type { ReadPool } from './read-pool.ts';

/** Starts scans and says how they go (the Scanner of src/library, or a stand-in in tests). */
export interface ScanControl {
  scan(options?: ScanOptions): Promise<unknown>;
  progress(): ScanProgress;
}

export interface Services {
  config: Config;
  /** The main read-write connection. */
  db: Database;
  logger: Logger;
  /** The catalog's state for the main connection (library ids, search rankings), kept until it changes. */
  catalog: CatalogReader;
  /** Absent on servers (and tests) that do not scan: startScan then says scanning is not available. */
  scanner: ScanControl | undefined;
  /** What /metrics reports about scans (the scanner, or a test's stand-in). */
  scanStatus: ScanStatusSource | undefined;
  /** Runs ffmpeg for transcoded streams, within the configured limits. */
  transcoder: Transcoder;
  /** Makes and caches HLS segments; the segment maker is built at the first segment request. */
  hls: HlsSegmentsOnDemand;
  /** Every client a user streams from, with its own limit and format (found once per request). */
  players: Players;
  /** What a request to play or fetch a track gets: role and library checks, original or transcode. */
  playback: Playback;
  /** Resized cover art and avatars on disk (one LRU cache, shared with transcodes' and HLS's code). */
  artworkCache: ArtworkCache;
  coverArt: CoverArt;
  /** Signs and checks media URLs that carry no credentials; keyed from the data folder's secret. */
  urlSigner: UrlSigner;
  /** Who is playing what right now (getNowPlaying, reportPlayback). */
  nowPlaying: NowPlaying;
  /** Logins on devices: access tokens, rotating refresh tokens, revocation. */
  sessions: Sessions;
  /** Live events (scan progress, library changes, now playing, notifications) for GET /api/v1/events. */
  events: EventHub;
  /** Worker threads for read-only Subsonic endpoints and native read routes; absent: all run here. */
  readPool: ReadPool | undefined;
  /** Background jobs (src/jobs); running only in `serve` (startJobs). */
  jobs: JobQueue;
  /** Whole answers of read-only requests of both APIs, kept until the database changes. */
  answers: AnswerCache;
  /** Ends what outlives requests (transcodes, HLS runs, event streams), so the HTTP server can close. */
  stopStreams(): void;
  /** Stops everything started here (read workers too); the database stays open for its owner to close. */
  close(): Promise<void>;
}
