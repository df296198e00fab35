// One scan at a time across processes. The server and `tonearm scan` (or two servers on one data folder)
// must not scan at once: each would diff the catalog as it was before the other's writes, and the marker
// that tells a killed scan from a running one (scan.refreshPending) would be read wrongly.
//
// The lease is the write lock of an empty SQLite file of its own (<data>/scan.lock), held for the length
// of the scan and never committed. The operating system lets go of it when the holding process ends,
// however it ends, so a killed scan never blocks the next one, and the database itself is not written (a
// rescan that changes nothing still writes nothing). The holder notes who it is (pid, host, since when)
// in scan.lock.json, so a waiting process can say whom it waits for.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeLeaseLock, type LeaseLock, openLeaseLock, tryTakeWriteLock } from './scan-lease.repository.ts';

export const SCAN_LOCK_FILE = 'scan.lock';
const POLL_MS = 250;

export interface LeaseHolder {
  pid: number;
  host: string;
  /** ISO time the holder's scan started; '' when it is not known yet. */
  since: string;
}

export class ScanLease {
  private readonly file: string;
  private readonly infoFile: string;
  private lock: LeaseLock | undefined;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, SCAN_LOCK_FILE);
    this.infoFile = `${this.file}.json`;
  }

  /** Takes the lease when it is free; otherwise answers who holds it. */
  tryAcquire(): LeaseHolder | undefined {
    const lock = this.open();
    if (!tryTakeWriteLock(lock)) return this.holder();
    const holder: LeaseHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
    fs.writeFileSync(this.infoFile, JSON.stringify(holder), { mode: 0o600 });
    return undefined;
  }

  /** Waits for the lease; `onWait` is told once who holds it. */
  async acquire(onWait?: (holder: LeaseHolder) => void): Promise<void> {
    let told = false;
    for (;;) {
      const holder = this.tryAcquire();
      if (!holder) return;
      if (!told) onWait?.(holder);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  release(): void {
    const lock = this.lock;
    this.lock = undefined;
    if (lock) closeLeaseLock(lock);
  }

  private open(): LeaseLock {
    if (this.lock) return this.lock;
    try {
      // Private like everything in the data folder; 'wx' opens nothing when the file is there already.
      fs.closeSync(fs.openSync(this.file, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    this.lock = openLeaseLock(this.file);
    return this.lock;
  }

  /** Who holds the lease, as the holder said; unknown in the instant before it has. */
  private holder(): LeaseHolder {
    try {
      return JSON.parse(fs.readFileSync(this.infoFile, 'utf8')) as LeaseHolder;
    } catch {
      return { pid: 0, host: 'unknown', since: '' };
    }
  }
}
