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
  private readonly watchers: FSWatcher[] = [];
  private readonly pending = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly options: LibraryWatcherOptions;

  constructor(options: LibraryWatcherOptions) {
    this.options = options;
  }

  async start(libraries: readonly WatchedLibrary[]): Promise<void> {
    for (const library of libraries) {
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
      await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
      this.watchers.push(watcher);
    }
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
    await Promise.all(this.watchers.map((watcher) => watcher.close()));
    this.watchers.length = 0;
  }
}
