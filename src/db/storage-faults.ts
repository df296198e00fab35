// Faults of the storage under the database — a full disk, a data folder remounted read-only, a database
// held locked by another program, a failing disk — turned into errors a client can act on, and remembered
// so /health can say the server is degraded until a write succeeds again. SQLite keeps the database
// consistent through all of them (the failed transaction rolls back); what was acknowledged before stays.
import fs from 'node:fs';
import path from 'node:path';
import { TonearmError } from '../shared/errors.ts';

export type StorageFaultKind = 'full' | 'read-only' | 'busy' | 'io';

/** The fault behind an error from SQLite (SqliteError codes) or the file system (errno codes), if any. */
export function storageFaultOf(error: unknown): StorageFaultKind | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === 'EIO') return 'io';
  return undefined;
}

/**
 * storageFaultOf, made precise for SQLite's I/O errors, which do not say why a write failed: a small file
 * written in the database's folder tells a read-only remount or a full disk from a failing one.
 */
export function diagnoseStorageFault(error: unknown, folder: string): StorageFaultKind | undefined {
  const kind = storageFaultOf(error);
  if (kind !== 'io') return kind;
  const probe = path.join(folder, `.write-probe-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'x');
    return 'io';
  } catch (probeError) {
    const probed = storageFaultOf(probeError);
    return probed === 'full' || probed === 'read-only' ? probed : 'io';
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

const RETRY_AFTER_SECONDS: Record<StorageFaultKind, number> = { full: 60, 'read-only': 60, busy: 5, io: 30 };

/** A clear error for a storage fault, or undefined when `error` is not one (it is then rethrown as it is). */
export function storageErrorFrom(
  error: unknown,
  kind: StorageFaultKind | undefined = storageFaultOf(error),
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
  /** Told when a fault starts or ends (serve logs it). */
  onChange: ((fault: StorageFault | undefined, previous: StorageFault | undefined) => void) | undefined;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Records a storage fault of this kind. */
  note(kind: StorageFaultKind, error: unknown): void {
    const now = this.now();
    const previous = this.fault;
    if (previous?.kind === kind) previous.lastSeen = now;
    else {
      this.fault = { kind, since: now, lastSeen: now, message: (error as Error).message };
      this.onChange?.(this.fault, previous);
    }
  }

  noteWriteOk(): void {
    if (this.fault) this.clear();
  }

  clear(): void {
    const previous = this.fault;
    this.fault = undefined;
    if (previous) this.onChange?.(undefined, previous);
  }

  current(): StorageFault | undefined {
    return this.fault;
  }
}
