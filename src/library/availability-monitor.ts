// `tonearm serve`'s eye on its libraries' folders (availability.ts has the rules): every
// scanner.offlineCheckIntervalMs it looks at each library's root (one stat, one readdir) and scans
//   - an offline library whose root looks available again: the scan brings it, and its watcher, back;
//   - an online library whose root is gone, empty or on another device: the scan marks it offline.
// The second needs no file-system event: inotify sees nothing of an NFS or SMB share going away.
import type { LibraryRow } from '../db/schema.ts';
import type { Logger } from '../shared/logger.ts';
import { inspectRoot } from './availability.ts';

export interface AvailabilityMonitorOptions {
  logger: Logger;
  intervalMs: number;
  /** The libraries this server serves (the configured ones), read fresh on every round. */
  libraries: () => LibraryRow[];
  /** Scans one library (the scanner re-checks it and marks it online or keeps it offline). */
  scan: (libraryId: number) => Promise<unknown>;
  /** Whether the catalog holds tracks of the library (an empty root matters only then). */
  hasTracks: (libraryId: number) => boolean;
  /** Told every round what each library's state is (serve starts or stops its watcher). */
  onState: (library: LibraryRow, online: boolean) => void | Promise<void>;
}

/**
 * Every interval: scans the offline libraries whose roots look available again and the online ones whose
 * roots look unavailable. A root that looked available but whose scan kept it offline (a stray file in an
 * unmounted mount point) is not walked again until its device, mtime or entry count changes, or ten
 * intervals pass. It also hands every library's state to onState, so a library that a `tonearm scan` in
 * another process brought back gets its watcher.
 */
export class AvailabilityMonitor {
  private readonly options: AvailabilityMonitorOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly refused = new Map<number, { fingerprint: string; until: number }>();

  constructor(options: AvailabilityMonitorOptions) {
    this.options = options;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One round (also called by tests). Rounds never overlap. */
  check(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    try {
      for (const library of this.options.libraries()) {
        if (this.stopped) return;
        const look = await inspectRoot(library.path);
        if (library.offline_since === null) {
          await this.options.onState(library, true);
          const unavailable =
            !look.ok ||
            (library.device !== null && look.device !== library.device) ||
            (look.entries === 0 && this.options.hasTracks(library.id));
          if (unavailable) await this.rescan(library, 'library folder looks unavailable; scanning it');
          continue;
        }
        await this.options.onState(library, false);
        if (!look.ok || look.entries === 0) continue;
        const fingerprint = `${look.device}:${look.mtimeMs}:${look.entries}`;
        const refused = this.refused.get(library.id);
        if (refused && refused.fingerprint === fingerprint && Date.now() < refused.until) continue;
        const online = await this.rescan(library, 'offline library looks available again; scanning it');
        if (online) this.refused.delete(library.id);
        else this.refused.set(library.id, { fingerprint, until: Date.now() + 10 * this.options.intervalMs });
      }
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'library availability check failed');
    }
  }

  /** Scans one library and hands its new state on; true when it is online afterwards. */
  private async rescan(library: LibraryRow, message: string): Promise<boolean> {
    this.options.logger.info({ library: library.name, path: library.path }, message);
    await this.options.scan(library.id);
    const after = this.options.libraries().find((row) => row.id === library.id);
    const online = after !== undefined && after.offline_since === null;
    if (after && !this.stopped) await this.options.onState(after, online);
    return online;
  }

  /** Stops the rounds; one in progress ends at its next step (a scan it started is not waited for). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
