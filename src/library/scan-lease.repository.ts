// The scan lease's lock (scan-lease.ts): the write lock of an SQLite file of its own, taken without
// waiting and never committed. What only SQLite speaks (BEGIN IMMEDIATE, SQLITE_BUSY) stays here.
import BetterSqlite3 from 'better-sqlite3';

export type LeaseLock = BetterSqlite3.Database;

/** Opens the lock file (which must exist) without any busy wait. */
export function openLeaseLock(file: string): LeaseLock {
  return new BetterSqlite3(file, { timeout: 0 });
}

/** BEGIN IMMEDIATE without waiting: true when this connection now holds the write lock. */
export function tryTakeWriteLock(lock: LeaseLock): boolean {
  try {
    lock.exec('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
    throw error;
  }
}

/** Gives the write lock back (nothing was written) and closes the connection. */
export function closeLeaseLock(lock: LeaseLock): void {
  if (lock.inTransaction) lock.exec('ROLLBACK');
  lock.close();
}
