// /health for the Docker HEALTHCHECK, load balancers and people: no authentication. It answers
//   ok        everything works;
//   degraded  reads and streams work but changes cannot be saved: the disk is full or nearly so, the data
//             folder is read-only, the database is held locked by another program, or a disk error;
//   error     the database does not answer, is damaged, or its file was replaced or deleted under the
//             running server (HTTP 503).
// Degraded is HTTP 200 on purpose: the server still plays music, and a proxy that dropped it would stop
// that too; the Docker health check reads the status word instead (see Dockerfile).
//
// A fault met by a request stands until a write succeeds again or the probes here show its cause gone: a
// small file written in the data folder and the free space there clear a full disk or a read-only
// folder, a write lock taken and given back without waiting clears a lock held elsewhere; a disk error or
// a damaged database clears only with a successful write. The report is kept for a second: /health needs
// no login, and its probes write a file.
import fs from 'node:fs';
import type { Database } from '../db/database.ts';
import { fileFaultOf, probeWrite, type StorageFaultKind } from '../db/storage-faults.ts';

export type HealthStatus = 'ok' | 'degraded' | 'error';

export interface CheckResult {
  status: 'ok' | 'failing';
  detail?: string;
}

export interface HealthReport {
  status: HealthStatus;
  checks: {
    database: CheckResult;
    writes: CheckResult;
    dataFolder: CheckResult;
    diskSpace: CheckResult & { freeBytes?: number };
  };
}

export interface HealthOptions {
  db: Database;
  dataDir: string;
  /** Below this many free bytes in the data folder the server is degraded. */
  minFreeBytes: number;
}

const PROBE_BYTES = 4096;
const REPORT_KEPT_MS = 1000;

const FAULT_DETAIL: Record<StorageFaultKind, string> = {
  full: 'the disk is full',
  'read-only': 'the data folder is read-only',
  busy: 'the database is locked by another program',
  io: 'a disk error',
  damaged: 'the database is damaged or was replaced while the server ran',
};

export class HealthMonitor {
  private readonly options: HealthOptions;
  private kept: { report: HealthReport; at: number } | undefined;

  constructor(options: HealthOptions) {
    this.options = options;
  }

  check(now = performance.now()): HealthReport {
    if (this.kept && now - this.kept.at < REPORT_KEPT_MS) return this.kept.report;
    const report = this.measure();
    this.kept = { report, at: now };
    return report;
  }

  private measure(): HealthReport {
    const { db } = this.options;
    const database: CheckResult = !db.responds()
      ? { status: 'failing', detail: 'the database does not respond' }
      : db.fileReplaced()
        ? {
            status: 'failing',
            detail: 'the database file was replaced or deleted while the server ran; restart the server',
          }
        : db.storage.current()?.kind === 'damaged'
          ? { status: 'failing', detail: FAULT_DETAIL.damaged }
          : { status: 'ok' };
    const dataFolder = this.probeDataFolder();
    const diskSpace = this.diskSpace();
    const writes = this.writes(dataFolder.status === 'ok' && diskSpace.status === 'ok');
    const checks = { database, writes, dataFolder, diskSpace };
    const status: HealthStatus =
      database.status !== 'ok'
        ? 'error'
        : Object.values(checks).every((check) => check.status === 'ok')
          ? 'ok'
          : 'degraded';
    return { status, checks };
  }

  /** The standing fault of the database connection, cleared here when its cause is gone. */
  private writes(storageLooksFine: boolean): CheckResult {
    const { db } = this.options;
    const fault = db.storage.current();
    if (!fault) return { status: 'ok' };
    const cleared =
      fault.kind === 'busy'
        ? db.canTakeWriteLock()
        : fault.kind === 'full' || fault.kind === 'read-only'
          ? storageLooksFine
          : false; // a disk error or damage: only a write that succeeds says it is over
    if (cleared) {
      db.storage.clear();
      return { status: 'ok' };
    }
    return {
      status: 'failing',
      detail: `${FAULT_DETAIL[fault.kind]} (since ${new Date(fault.since).toISOString()})`,
    };
  }

  private probeDataFolder(): CheckResult {
    const error = probeWrite(this.options.dataDir, PROBE_BYTES);
    if (!error) return { status: 'ok' };
    const kind = fileFaultOf(error);
    return { status: 'failing', detail: kind ? FAULT_DETAIL[kind] : `cannot write (${error.code})` };
  }

  private diskSpace(): CheckResult & { freeBytes?: number } {
    let freeBytes: number;
    try {
      const stats = fs.statfsSync(this.options.dataDir);
      freeBytes = stats.bavail * stats.bsize;
    } catch (error) {
      return { status: 'failing', detail: `cannot read (${(error as NodeJS.ErrnoException).code})` };
    }
    if (freeBytes < this.options.minFreeBytes)
      return { status: 'failing', detail: 'the disk is almost full', freeBytes };
    return { status: 'ok', freeBytes };
  }
}
