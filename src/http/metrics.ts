// Prometheus metrics, in a registry of their own (not prom-client's global one) so that several apps can
// live in one process, as they do in tests. Library and scan figures are read when scraped, never pushed.
import type Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { Database } from '../db/database.ts';
import { listLibraries } from '../library/library.repository.ts';
import type { ScanStatusSource } from '../library/scan-status.ts';
import { type LibraryTotals, libraryTotals } from '../library/stats.ts';
import type { Logger } from '../shared/logger.ts';
import type { TranscoderStats } from '../streaming/transcoder.ts';
import { promClient } from './commonjs.ts';
import type { AppState } from './context.ts';
import type { HealthMonitor, HealthStatus } from '../system/health.ts';

const { Counter, collectDefaultMetrics, Gauge, Histogram } = promClient;

const HEALTH_LEVEL: Record<HealthStatus, number> = { ok: 0, degraded: 1, error: 2 };

export interface HttpMetrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

export interface MetricsDeps {
  db: Database;
  logger: Logger;
  scanStatus?: ScanStatusSource;
  /** Storage and database health, as /health reports it. */
  health?: HealthMonitor;
  /** Running transcodes and the transcode cache's size (the Transcoder). */
  transcodes?: { stats(): TranscoderStats };
}

export function createMetrics(deps: MetricsDeps): HttpMetrics {
  const registry = new promClient.Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'tonearm_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tonearm_http_request_duration_seconds',
    help: 'Time from request to the last byte of the response, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  new Gauge({
    name: 'tonearm_library_items',
    help: 'Items in the catalog, by kind (tracks, albums, artists, genres, libraries)',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      let totals: LibraryTotals;
      try {
        totals = libraryTotals(deps.db);
      } catch (error) {
        // A scrape must not fail because the database is busy or closing; the series just skip a beat.
        deps.logger.warn({ err: error }, 'cannot count library items for metrics');
        return;
      }
      for (const [kind, count] of Object.entries(totals)) this.set({ kind }, count);
    },
  });

  const health = deps.health;
  if (health) {
    new Gauge({
      name: 'tonearm_health_status',
      help: 'What /health says: 0 ok, 1 degraded (changes cannot be saved), 2 error',
      registers: [registry],
      collect() {
        this.set(HEALTH_LEVEL[health.check().status]);
      },
    });
  }

  new Gauge({
    name: 'tonearm_library_online',
    help: "1 while a library's folder is available, 0 while it is offline (unmounted, emptied, another disk; its tracks are kept)",
    labelNames: ['library'] as const,
    registers: [registry],
    collect() {
      let rows: ReturnType<typeof listLibraries>;
      try {
        rows = listLibraries(deps.db);
      } catch (error) {
        deps.logger.warn({ err: error }, 'cannot read library states for metrics');
        return;
      }
      this.reset();
      for (const row of rows) this.set({ library: row.name }, row.offline_since === null ? 1 : 0);
    },
  });

  const transcodes = deps.transcodes;
  if (transcodes) {
    const transcodeGauge = (name: string, help: string, read: (stats: TranscoderStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read(transcodes.stats()));
        },
      });
    transcodeGauge('tonearm_transcodes_running', 'ffmpeg transcodes running now', (stats) => stats.running);
    transcodeGauge(
      'tonearm_transcode_listeners',
      'Requests reading a running transcode',
      (stats) => stats.readers,
    );
    transcodeGauge(
      'tonearm_transcode_cache_bytes',
      'Bytes of finished transcodes kept on disk',
      (stats) => stats.cacheBytes,
    );
  }

  const scanStatus = deps.scanStatus;
  if (scanStatus) {
    const scanGauge = (
      name: string,
      help: string,
      read: (status: ScanStatusSource) => number | undefined,
    ): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const value = read(scanStatus);
          if (value === undefined) this.reset();
          else this.set(value);
        },
      });
    };
    scanGauge('tonearm_scan_running', '1 while a scan runs, else 0', (s) => (s.progress().scanning ? 1 : 0));
    scanGauge(
      'tonearm_scan_files_seen',
      'Audio files found on disk by the current or last scan',
      (s) => s.progress().filesSeen,
    );
    scanGauge(
      'tonearm_scan_files_read',
      'Files whose tags the current or last scan has read',
      (s) => s.progress().filesRead,
    );
    scanGauge(
      'tonearm_scan_errors',
      'Files the current or last scan could not import',
      (s) => s.progress().errors,
    );
    scanGauge(
      'tonearm_scan_last_duration_seconds',
      'Duration of the last finished scan (0 before the first)',
      (s) => {
        const report = s.progress().lastReport;
        return report ? report.durationMs / 1000 : undefined;
      },
    );
    scanGauge(
      'tonearm_scan_last_finished_timestamp_seconds',
      'When the last scan finished, Unix time (0 before the first)',
      (s) => {
        const report = s.progress().lastReport;
        return report ? report.finishedAt / 1000 : undefined;
      },
    );
  }

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}

export function mountMetrics(router: Router<AppState>, metrics: HttpMetrics): void {
  router.get('/metrics', async (ctx) => {
    ctx.state.routeLabel = '/metrics';
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}
