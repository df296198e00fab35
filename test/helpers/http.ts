// Starts the real app on 127.0.0.1:0 over a freshly migrated SQLite file in a temp folder, with the log
// captured in memory. Later end-to-end tests build on this.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createUser } from '../../src/accounts/users.service.ts';
import { type Config, type ConfigInput, configSchema, defaultConfig } from '../../src/config/schema.ts';
import { Database } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createReadPool, createServices, type ServicesOptions } from '../../src/app/services.ts';
import { type AppOptions, createApp } from '../../src/http/app.ts';
import { connectionLimitsFrom } from '../../src/http/connections.ts';
import { startServer } from '../../src/http/server.ts';
import type { Services } from '../../src/http/services.ts';
import type { ReadPool } from '../../src/http/read-pool.ts';
import { createLogger } from '../../src/shared/logger.ts';

export interface TestServer {
  /** Origin plus basePath, e.g. http://127.0.0.1:41234/music */
  baseUrl: string;
  origin: string;
  db: Database;
  config: Config;
  dir: string;
  /** Every log line written so far, raw (as pino wrote it). */
  logText(): string;
  /** Every log line written so far, parsed. */
  logLines(): Record<string, unknown>[];
  /** The read workers, when the server was started with some. */
  readPool: ReadPool | undefined;
  /** The services the app was built with (the transcoder, the URL signer, now playing...). */
  services: Services;
  /** The Koa app. */
  app: object;
  close(): Promise<void>;
}

export interface TestServerOptions {
  basePath?: string;
  logLevel?: string;
  /** Users created before the server starts; the first is an admin unless isAdmin says otherwise. */
  users?: { username: string; password: string; isAdmin?: boolean }[];
  /**
   * Read workers for the read-only Subsonic endpoints (default none). They are all running before the
   * server answers, so every read-only request goes through one; `tonearm serve` starts them on demand.
   */
  readWorkers?: number;
  /** Start the read workers on demand as `tonearm serve` does, stopping one after idleMs without work. */
  readWorkersOnDemand?: { idleMs?: number };
  /** The [http] settings (trusted proxies, public URL, timeouts, connection limits). */
  http?: Partial<ConfigInput['http']>;
  /** The [auth] settings (token lifetimes, proxy header, OIDC). */
  auth?: Partial<ConfigInput['auth']>;
  /** Parts to use instead of the built ones (scanner, scanStatus, a transcoder with small limits...). */
  services?: ServicesOptions['overrides'];
  /** HTTP-layer knobs (loginThrottle, subsonicEndpoints...). */
  app?: AppOptions;
}

export async function makeTempDatabase(): Promise<{ db: Database; dir: string; cleanup(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-test-'));
  const db = Database.open(path.join(dir, 'tonearm.db'));
  await migrateToLatest(db);
  return {
    db,
    dir,
    async cleanup() {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { db, dir, cleanup } = await makeTempDatabase();
  const chunks: string[] = [];
  const logger = createLogger(options.logLevel ?? 'debug', {
    write(line: string) {
      chunks.push(line);
    },
  });
  const defaults = defaultConfig();
  const config = configSchema.parse({
    ...defaults,
    http: { ...defaults.http, ...options.http },
    auth: { ...defaults.auth, ...options.auth },
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    basePath: options.basePath ?? '',
    logLevel: options.logLevel ?? 'debug',
  });
  for (const [index, user] of (options.users ?? []).entries()) {
    await createUser(db, { ...user, isAdmin: user.isAdmin ?? index === 0 });
  }
  const readPool = options.readWorkers
    ? createReadPool({
        dbFile: db.file,
        config,
        maxWorkers: options.readWorkers,
        logger,
        idleMs: options.readWorkersOnDemand?.idleMs,
      })
    : undefined;
  if (readPool && !options.readWorkersOnDemand) await readPool.warmUp();
  const services = createServices({ config, db, logger, overrides: { readPool, ...options.services } });
  const app = createApp(services, { validateResponses: true, ...options.app });
  const server = await startServer(app, {
    host: '127.0.0.1',
    port: 0,
    logger,
    shutdownTimeoutMs: 2000,
    limits: connectionLimitsFrom(config),
  });
  const logText = (): string => chunks.join('');
  return {
    baseUrl: `${server.url}${config.basePath}`,
    origin: server.url,
    db,
    config,
    dir,
    logText,
    logLines: () =>
      logText()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    readPool,
    app,
    services,
    async close() {
      services.stopStreams();
      await server.close();
      await services.close();
      await cleanup();
    },
  };
}

/** URL of a Subsonic endpoint with the given parameters (arrays become repeated keys). */
export function subsonicUrl(
  server: TestServer,
  endpoint: string,
  params: Record<string, string | string[]> = {},
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, item);
  }
  const query = search.toString();
  return `${server.baseUrl}/rest/${endpoint}${query ? `?${query}` : ''}`;
}

/** Fetches a Subsonic endpoint with f=json and returns the inside of subsonic-response. */
export async function subsonicJson(
  server: TestServer,
  endpoint: string,
  params: Record<string, string | string[]> = {},
): Promise<Record<string, unknown>> {
  const response = await fetch(subsonicUrl(server, endpoint, { f: 'json', ...params }));
  if (response.status !== 200) throw new Error(`${endpoint} answered HTTP ${response.status}`);
  const body = (await response.json()) as { 'subsonic-response': Record<string, unknown> };
  return body['subsonic-response'];
}

/** Polls until check() is truthy (log lines and metrics are written when a response has closed). */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 2000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const result = check();
    if (result) return result;
    if (Date.now() > until) throw new Error('waitFor timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface XmlParser {
  parseStringPromise(text: string, options?: Record<string, unknown>): Promise<unknown>;
}
// xml2js ships no types and @types/xml2js is not installed; this is the one call the tests need.
const xml2js = createRequire(import.meta.url)('xml2js') as XmlParser;

/** Parses XML with xml2js, attributes under `$`, element text under `_`, children always arrays. */
export function parseXml(text: string): Promise<unknown> {
  return xml2js.parseStringPromise(text, { explicitArray: true });
}
