// Faults of the storage under the database — a full disk, a data folder remounted read-only, a database
// held locked by another program, a failing disk — turned into errors a client can act on, and remembered
// so /health can say the server is degraded until a write succeeds again. SQLite keeps the database
// consistent through all of them (the failed transaction rolls back); what was acknowledged before stays.
import fs from 'node:fs';
import path from 'node:path';
import { TonearmError } from '../shared/errors.ts';

export type StorageFaultKind = 'full' | 'read-only' | 'busy' | 'io' | 'damaged';

/**
 * The fault behind an error SQLite raised (SqliteError codes), if any. Errors of anything else — a music
 * file on a flaky NAS, a socket — are not the database's and are left alone.
 */
export function databaseFaultOf(error: unknown): StorageFaultKind | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  if (code === 'SQLITE_FULL') return 'full';
  // The file was deleted or replaced under the running server (a backup restored over it).
  if (code === 'SQLITE_READONLY_DBMOVED') return 'damaged';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code.startsWith('SQLITE_BUSY')) return 'busy';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'damaged';
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') return 'io';
  return undefined;
}

/** The fault behind a file-system error (errno codes) of a probe write in the data folder. */
export function fileFaultOf(error: unknown): 'full' | 'read-only' | 'io' | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code === 'EROFS') return 'read-only';
  if (code === 'EIO') return 'io';
  return undefined;
}

/**
 * Writes a small file of `bytes` in `folder` and removes it: undefined when that works, else the error
 * (with fileFaultOf to name it). What SQLite's I/O errors do not say, and what /health shows.
 */
export function probeWrite(folder: string, bytes = 1): NodeJS.ErrnoException | undefined {
  const probe = path.join(folder, `.write-probe-${process.pid}`);
  try {
    fs.writeFileSync(probe, Buffer.alloc(bytes));
    return undefined;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

/**
 * databaseFaultOf, made precise for SQLite's I/O errors, which do not say why a write failed: a small file
 * written in the database's folder tells a read-only remount or a full disk from a failing one.
 */
export function diagnoseDatabaseFault(error: unknown, folder: string): StorageFaultKind | undefined {
  const kind = databaseFaultOf(error);
  if (kind !== 'io') return kind;
  const probeError = probeWrite(folder);
  return probeError ? (fileFaultOf(probeError) ?? 'io') : 'io';
}

const RETRY_AFTER_SECONDS: Record<StorageFaultKind, number> = {
  full: 60,
  'read-only': 60,
  busy: 5,
  io: 30,
  damaged: 300,
};

/** A clear error for a storage fault, or undefined when `error` is not one (it is then rethrown as it is). */
export function storageErrorFrom(
  error: unknown,
  kind: StorageFaultKind | undefined = databaseFaultOf(error),
): TonearmError | undefined {
  if (error instanceof TonearmError || !kind) return undefined;
  const options = { cause: error, retryAfterSeconds: RETRY_AFTER_SECONDS[kind] };
  switch (kind) {
    case 'full':
      return new TonearmError(
        'STORAGE_FULL',
        "the server's disk is full, so this was not saved; an administrator must free space in its data folder",
        options,
      );
    case 'read-only':
      return new TonearmError(
        'STORAGE_READ_ONLY',
        "the server's data folder is read-only at the moment, so this was not saved",
        options,
      );
    case 'busy':
      return new TonearmError(
        'DATABASE_BUSY',
        'the database is locked by another program (a backup, sqlite3 or a tonearm command); try again shortly',
        options,
      );
    case 'io':
      return new TonearmError(
        'STORAGE_FAILED',
        'the server could not read or write its database (a disk error), so this was not saved',
        options,
      );
    case 'damaged':
      return new TonearmError(
        'DATABASE_DAMAGED',
        "the server's database is damaged or was replaced while the server ran; an administrator must restart it (and restore a backup if this stays)",
        options,
      );
  }
}

export interface StorageFault {
  kind: StorageFaultKind;
  /** When it was first seen (epoch ms) and when last. */
  since: number;
  lastSeen: number;
  message: string;
}

/**
 * The storage faults one database connection has met. A fault stands until a write on the connection
 * succeeds again (or /health's own probes show the cause gone and call clear()).
 */
export class StorageHealth {
  private fault: StorageFault | undefined;
  private readonly now: () => number;
  private readonly listeners = new Set<
    (fault: StorageFault | undefined, previous: StorageFault | undefined) => void
  >();

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Told when a fault starts, changes kind or ends (serve logs it; the connection shortens its lock wait). */
  subscribe(listener: (fault: StorageFault | undefined, previous: StorageFault | undefined) => void): void {
    this.listeners.add(listener);
  }

  /** Records a storage fault of this kind. */
  note(kind: StorageFaultKind, error: unknown): void {
    const now = this.now();
    const previous = this.fault;
    if (previous?.kind === kind) previous.lastSeen = now;
    else {
      this.fault = { kind, since: now, lastSeen: now, message: (error as Error).message };
      for (const listener of this.listeners) listener(this.fault, previous);
    }
  }

  noteWriteOk(): void {
    if (this.fault) this.clear();
  }

  clear(): void {
    const previous = this.fault;
    this.fault = undefined;
    if (previous) for (const listener of this.listeners) listener(undefined, previous);
  }

  current(): StorageFault | undefined {
    return this.fault;
  }
}
