// `tonearm serve`: open the database, start HTTP, scan at start (in the background, so the server
// answers at once), watch the folders, run the scan schedule, look after offline libraries (an unmounted
// share: its watcher stops; when it is back it is scanned and watched again), and shut down cleanly on
// SIGTERM/SIGINT.
import { ensureFirstAdmin } from '../accounts/first-admin.ts';
import { IdleMemoryRelease } from '../app/idle-memory.ts';
import { openRuntime } from '../app/runtime.ts';
import { createServices } from '../app/services.ts';
import { ensureSearchIndex } from '../catalog/search.ts';
import type { Config } from '../config/schema.ts';
import { createApp } from '../http/app.ts';
import { connectionLimitsFrom } from '../http/connections.ts';
import { startServer } from '../http/server.ts';
import { scheduleJob } from '../jobs/schedule.ts';
import { AvailabilityMonitor } from '../library/availability-monitor.ts';
import { findLibrary, libraryHasTracks, listLibraries } from '../library/library.repository.ts';
import { Scanner } from '../library/scanner.ts';
import { LibraryWatcher } from '../library/watcher.ts';
import { createLogger } from '../shared/logger.ts';
import { EventHub } from '../system/events.ts';
import { announceWelcome } from './welcome.ts';

export async function runServe(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  const runtime = await openRuntime(config, { logger, registerLibraries: true });
  ensureSearchIndex(runtime.db);
  // The welcome after start-up says where its password is.
  const firstAdmin = await ensureFirstAdmin(runtime.db, config.dataDir);
  // The libraries this server serves (a library dropped from the config stays in the database).
  const served = () =>
    listLibraries(runtime.db).filter((library) => config.music.some((entry) => entry.name === library.name));
  let stopping = false;
  let watcher: LibraryWatcher | undefined;
  const followAvailability = async (libraryId: number, online: boolean) => {
    if (!watcher || stopping) return;
    const library = findLibrary(runtime.db, libraryId);
    if (online && library && served().some((entry) => entry.id === libraryId)) await watcher.watch(library);
    else if (!online) await watcher.unwatch(libraryId);
  };
  const events = new EventHub();
  // Set once the services exist (the scanner is one of their parts).
  let announceReleases = (): void => {};
  const scanner = new Scanner({
    db: runtime.db,
    config,
    events,
    logger: logger.child({ component: 'scanner' }),
    // New albums of followed artists become notifications (a job: retried, and never on the scan's path).
    onFinished: () => announceReleases(),
    onAvailabilityChange: (change) =>
      void followAvailability(change.libraryId, change.online).catch((error: Error) =>
        logger.warn({ err: error.message }, 'cannot restart the watcher of a library'),
      ),
  });
  const services = createServices({
    config,
    db: runtime.db,
    logger,
    overrides: { scanner, scanStatus: scanner, events },
    startReadWorkers: true,
    startJobs: true,
  });
  announceReleases = () => void services.jobs.enqueue('new-releases');
  const app = createApp(services);
  const idleMemory = new IdleMemoryRelease({
    logger,
    busy: () => scanner.progress().scanning,
    // Kept answers are for a busy server; an idle one gives their memory back with the rest.
    beforeRelease: () => services.answers.clear(),
  });
  const server = await startServer(app, {
    host: config.host,
    port: config.port,
    logger,
    limits: connectionLimitsFrom(config),
    onRequest: () => idleMemory.noteActivity(),
  });
  idleMemory.start();
  logger.info(
    { url: `${server.url}${config.basePath}`, libraries: config.music.map((library) => library.path) },
    'tonearm is listening',
  );
  announceWelcome(logger, config, server.url, firstAdmin);
  // Listened for from the moment requests can arrive: a stop during the rest of start-up is a clean one.
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

  const scanInBackground = (options: Parameters<Scanner['scan']>[0], reason: string) => {
    scanner
      .scan(options)
      .catch((error: Error) => logger.error({ err: error.message, reason }, 'scan failed'));
  };
  if (config.scanner.scanOnStart) scanInBackground({}, 'start-up');

  if (config.scanner.watch) {
    watcher = new LibraryWatcher({
      polling: config.scanner.watchPolling,
      pollingIntervalMs: config.scanner.watchPollingIntervalMs,
      debounceMs: config.scanner.watchDebounceMs,
      logger: logger.child({ component: 'watcher' }),
      onChange: (libraryIds) => scanInBackground({ libraryIds }, 'watcher'),
    });
    // Offline libraries get their watcher when they come back.
    await watcher.start(served().filter((library) => library.offline_since === null));
  }
  const schedule = scheduleJob(config.scanner.schedule, () => scanInBackground({}, 'schedule'));
  const monitor = new AvailabilityMonitor({
    logger: logger.child({ component: 'availability' }),
    intervalMs: config.scanner.offlineCheckIntervalMs,
    libraries: served,
    scan: (libraryId) => scanner.scan({ libraryIds: [libraryId] }),
    hasTracks: (libraryId) => libraryHasTracks(runtime.db, libraryId),
    onState: (library, online) => followAvailability(library.id, online),
  });
  monitor.start();

  const signal = await stopSignal;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  schedule.stop();
  monitor.stop();
  idleMemory.stop();
  await watcher?.close();
  services.stopStreams();
  await server.close();
  await services.close();
  // A scan in progress stops at its next batch boundary; what it committed stays.
  await runtime.close().catch(() => undefined);
}
