// Watches the libraries and turns bursts of events into one incremental scan of the affected libraries
// after a quiet period (which also lets a file being copied finish: its writes keep the period open).
// Native events (inotify): one watch per folder, none per file (FolderWatch below). Polling, for network
// mounts where inotify sees nothing: chokidar, which stats every file each interval.
//
// Why not chokidar for native events too: it watches every file on its own as well as every folder and
// keeps a record of each, ~12 KB per file: 120 MB for a library of 10,000 files (docs/benchmarks.md,
// "Memory (issue 11)"). A folder's watch already reports what happens to the files in it.
import fs from 'node:fs';
import path from 'node:path';
import { watch } from 'chokidar';
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
    { watcher: { close(): Promise<void> }; ready: Promise<void>; settle: () => void }
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
    const changed = (file: string) => {
      this.options.logger.debug({ file: path.relative(library.path, file) }, 'library changed');
      this.pending.add(library.id);
      this.schedule();
    };
    const failed = (error: Error) =>
      this.options.logger.warn({ err: error.message, library: library.path }, 'watcher error');
    if (!this.options.polling) {
      const folders = new FolderWatch(library.path, changed, failed);
      let settle: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => {
        settle = resolve;
        void folders.start().then(resolve);
      });
      this.watchers.set(library.id, { watcher: folders, ready, settle });
      await ready;
      return;
    }
    const watcher = watch(library.path, {
      ignoreInitial: true,
      persistent: true,
      usePolling: true,
      interval: this.options.pollingIntervalMs,
      binaryInterval: this.options.pollingIntervalMs,
      ignored: (file: string) => ignored(file),
      awaitWriteFinish: { stabilityThreshold: 500, pollInterval: 100 },
    });
    watcher.on('all', (_event, file) => changed(file));
    watcher.on('error', (error) => failed(error as Error));
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

/** Hidden files and folders (.DS_Store, .Trash, a tagger's temporary files) are not the library's. */
function ignored(file: string): boolean {
  return path.basename(file).startsWith('.');
}

/**
 * One fs.watch per folder of a library. An event names the entry that changed inside the folder: that is
 * reported; a folder that appears (made, or moved in) is watched with everything under it, and a folder
 * that is gone stops being watched.
 */
class FolderWatch {
  private readonly watches = new Map<string, fs.FSWatcher>();
  private closed = false;
  private warnedFull = false;
  private readonly root: string;
  private readonly changed: (file: string) => void;
  private readonly failed: (error: Error) => void;

  constructor(root: string, changed: (file: string) => void, failed: (error: Error) => void) {
    this.root = root;
    this.changed = changed;
    this.failed = failed;
  }

  start(): Promise<void> {
    return this.watchTree(this.root);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const handle of this.watches.values()) handle.close();
    this.watches.clear();
  }

  private async watchTree(folder: string): Promise<void> {
    if (this.closed || this.watches.has(folder)) return;
    let handle: fs.FSWatcher;
    try {
      handle = fs.watch(folder, { persistent: true }, (_event, name) => this.onEvent(folder, name));
    } catch (error) {
      this.cannotWatch(folder, error as NodeJS.ErrnoException);
      return;
    }
    handle.on('error', () => this.unwatchTree(folder));
    this.watches.set(folder, handle);
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(folder, { withFileTypes: true });
    } catch {
      return; // gone again, or unreadable: the scan reports what it cannot read
    }
    for (const entry of entries) {
      if (entry.isDirectory() && !ignored(entry.name)) await this.watchTree(path.join(folder, entry.name));
    }
  }

  private onEvent(folder: string, name: string | Buffer | null): void {
    if (this.closed) return;
    if (name === null) {
      this.changed(folder);
      return;
    }
    const entry = path.join(folder, name.toString());
    if (ignored(entry)) return;
    this.changed(entry);
    fs.stat(entry, (error, stats) => {
      if (error) this.unwatchTree(entry);
      else if (stats.isDirectory()) void this.watchTree(entry);
    });
  }

  private unwatchTree(folder: string): void {
    for (const [watched, handle] of this.watches) {
      if (watched === folder || watched.startsWith(folder + path.sep)) {
        handle.close();
        this.watches.delete(watched);
      }
    }
  }

  private cannotWatch(folder: string, error: NodeJS.ErrnoException): void {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return;
    if (error.code === 'ENOSPC' && !this.warnedFull) {
      // The system-wide limit of inotify watches: changes under this folder go unseen.
      this.warnedFull = true;
      this.failed(
        new Error(
          `cannot watch ${folder}: the system's limit of watched folders is reached (raise fs.inotify.max_user_watches, or set scanner.watchPolling)`,
        ),
      );
      return;
    }
    if (error.code !== 'ENOSPC') this.failed(error);
  }
}
