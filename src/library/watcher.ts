// Watches the libraries (chokidar; polling for network mounts where inotify sees nothing) and turns
// bursts of events into one incremental scan of the affected libraries after a quiet period.
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { Logger } from '../shared/logger.ts';

export interface WatchedLibrary {
  id: number;
  path: string;
}

export interface LibraryWatcherOptions {
  polling: boolean;
  pollingIntervalMs: number;
  debounceMs: number;
  logger: Logger;
  /** Called once per quiet period with the libraries that changed. */
  onChange: (libraryIds: number[]) => void;
}

export class LibraryWatcher {
  /** One chokidar watcher per library, by library id (ready resolves once its first crawl is done). */
  private readonly watchers = new Map<
    number,
    { watcher: FSWatcher; ready: Promise<void>; settle: () => void }
  >();
  private readonly pending = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly options: LibraryWatcherOptions;

  constructor(options: LibraryWatcherOptions) {
    this.options = options;
  }

  async start(libraries: readonly WatchedLibrary[]): Promise<void> {
    for (const library of libraries) await this.watch(library);
  }

  isWatching(libraryId: number): boolean {
    return this.watchers.has(libraryId);
  }

  /**
   * Starts watching one library (a no-op when it is watched). Used again when an offline library comes
   * back: a watcher set up on an unmounted path sees nothing of the share mounted over it later.
   */
  async watch(library: WatchedLibrary): Promise<void> {
    const known = this.watchers.get(library.id);
    if (known) return known.ready;
    const watcher = watch(library.path, {
      ignoreInitial: true,
      persistent: true,
      usePolling: this.options.polling,
      interval: this.options.pollingIntervalMs,
      binaryInterval: this.options.pollingIntervalMs,
      ignored: (file: string) => path.basename(file).startsWith('.'),
      awaitWriteFinish: { stabilityThreshold: 500, pollInterval: 100 },
    });
    watcher.on('all', (event, file) => {
      this.options.logger.debug({ event, file: path.relative(library.path, file) }, 'library changed');
      this.pending.add(library.id);
      this.schedule();
    });
    watcher.on('error', (error) =>
      this.options.logger.warn({ err: (error as Error).message, library: library.path }, 'watcher error'),
    );
    let settle: () => void = () => undefined;
    // Ready after the first crawl, or when unwatch() closes it before that.
    const ready = new Promise<void>((resolve) => {
      settle = resolve;
      watcher.once('ready', () => resolve());
    });
    this.watchers.set(library.id, { watcher, ready, settle });
    await ready;
  }

  /** Stops watching one library (it went offline); a no-op when it is not watched. */
  async unwatch(libraryId: number): Promise<void> {
    const entry = this.watchers.get(libraryId);
    if (!entry) return;
    this.watchers.delete(libraryId);
    this.pending.delete(libraryId);
    entry.settle();
    await entry.watcher.close();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const ids = [...this.pending];
      this.pending.clear();
      if (ids.length > 0) this.options.onChange(ids);
    }, this.options.debounceMs);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const entries = [...this.watchers.values()];
    this.watchers.clear();
    for (const entry of entries) entry.settle();
    await Promise.all(entries.map((entry) => entry.watcher.close()));
  }
}
