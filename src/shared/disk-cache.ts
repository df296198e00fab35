// A folder of files kept within a byte budget, least recently used out first: the one disk cache behind
// finished transcodes, HLS segments and artwork.
// - Atomic: an entry's maker writes it under a `.part` name (partFile) and publish() renames it into place,
//   so an entry is always a whole file, and a crash leaves only `.part` files, removed at the next start.
// - The use order lives in memory (a Map in use order); a hit touches no file, so hits cost no writes and
//   a file's mtime (hence an ETag made from it) stays as it was written.
// - It survives restarts: open() takes stock of the folder, oldest first, and evicts what no longer fits.
// - Keys are the caller's: keyOf() tells which files of the folder are entries (one folder level deep at
//   most) and names their keys; anything else in the folder is left alone.
// The policies where the three differ (how far eviction frees, entries too recently used to go, the newest
// entry staying over budget, how old a leftover `.part` must be) are options.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger.ts';

export interface DiskCacheOptions {
  folder: string;
  /** 0 turns the cache off: nothing is published (the folder still holds `.part` files of makers). */
  maxBytes: number;
  /** The key of an entry file (its path relative to the folder, '/'-separated), undefined for other files. */
  keyOf(relativePath: string): string | undefined;
  /** Eviction frees down to this share of maxBytes, so a full cache does not evict on every write (default 1). */
  lowWater?: number;
  /** Entries used this recently stay even over budget: a request may still be sending them (default 0). */
  graceMs?: number;
  /** The newest entry stays even over budget, even when it alone is larger (default false). */
  keepNewest?: boolean;
  /** `.part` files younger than this are left at start: another process may be writing them (default 0). */
  stalePartMs?: number;
  /** At start, entries are ordered by when they were last read rather than written (default false). */
  orderByAccess?: boolean;
  /** Says what was found at start (debug). */
  logger?: Logger;
  /** Names the cache in that line: 'transcode cache'. */
  label?: string;
}

/** A published entry: serve it with sendFile (size and mtime give its ETag). */
export interface CacheFile {
  file: string;
  size: number;
  mtimeMs: number;
}

interface Entry extends CacheFile {
  lastUsed: number;
}

interface Found {
  entries: [string, Entry][];
  staleParts: string[];
}

export class DiskCache {
  readonly folder: string;
  private readonly options: DiskCacheOptions;
  /** Least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  private opened = false;

  constructor(options: DiskCacheOptions) {
    this.options = options;
    this.folder = options.folder;
  }

  get enabled(): boolean {
    return this.options.maxBytes > 0;
  }

  get bytes(): number {
    return this.total;
  }

  get count(): number {
    return this.entries.size;
  }

  /** Creates the folder and takes stock of it; once. Throws when the folder cannot be read or created. */
  open(): void {
    if (this.opened) return;
    fs.mkdirSync(this.folder, { recursive: true });
    const found = this.listSync();
    for (const part of found.staleParts) fs.rmSync(part, { force: true });
    this.takeStock(found);
  }

  /** open() without blocking the event loop on a large folder. */
  async openAsync(): Promise<void> {
    if (this.opened) return;
    await fs.promises.mkdir(this.folder, { recursive: true });
    const found = await this.listAsync();
    if (this.opened) return;
    for (const part of found.staleParts) await fs.promises.rm(part, { force: true });
    this.takeStock(found);
  }

  /** The entry of key as the cache knows it, marked used; no file system call. */
  get(key: string): CacheFile | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.touch(key, entry);
    return { file: entry.file, size: entry.size, mtimeMs: entry.mtimeMs };
  }

  /**
   * The entry of key if its file is really there (one stat), marked used. A vanished file is forgotten;
   * a file at `relativePath` the cache did not know (another run put it there) is taken in.
   */
  async find(key: string, relativePath?: string): Promise<CacheFile | undefined> {
    const known = this.entries.get(key);
    const file = known?.file ?? (relativePath === undefined ? undefined : this.pathOf(relativePath));
    if (file === undefined) return undefined;
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (!stat?.isFile()) {
      this.forget(key);
      return undefined;
    }
    if (known) this.touch(key, known);
    else this.remember(key, { file, size: stat.size, mtimeMs: stat.mtimeMs, lastUsed: Date.now() });
    return { file, size: stat.size, mtimeMs: stat.mtimeMs };
  }

  /** The full path of an entry's file. */
  pathOf(relativePath: string): string {
    return path.join(this.folder, relativePath);
  }

  /** A fresh name to write an entry under before publishing it (its folder is the caller's to create). */
  partFile(relativePath: string): string {
    return `${this.pathOf(relativePath)}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
  }

  /**
   * Renames a finished `.part` file into place as the entry of key and evicts what no longer fits (never
   * this entry). When the cache is off or the file cannot fit, the `.part` file is removed instead and
   * the answer is undefined.
   */
  async publish(key: string, relativePath: string, partFile: string): Promise<CacheFile | undefined> {
    const stat = await fs.promises.stat(partFile).catch(() => undefined);
    if (!stat || !this.fits(stat.size)) {
      await fs.promises.rm(partFile, { force: true });
      return undefined;
    }
    const file = this.pathOf(relativePath);
    await fs.promises.rename(partFile, file);
    this.remember(key, { file, size: stat.size, mtimeMs: stat.mtimeMs, lastUsed: Date.now() });
    await this.evict(key);
    return { file, size: stat.size, mtimeMs: stat.mtimeMs };
  }

  /** Writes data as the entry of key (atomically, through a `.part` file); undefined when it cannot be kept. */
  async write(key: string, relativePath: string, data: Uint8Array): Promise<CacheFile | undefined> {
    if (!this.fits(data.length)) return undefined;
    const part = this.partFile(relativePath);
    try {
      await fs.promises.writeFile(part, data);
      return await this.publish(key, relativePath, part);
    } catch (error) {
      await fs.promises.rm(part, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** Drops an entry whose file vanished (somebody cleaned the folder); the file itself is not touched. */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.size;
  }

  private fits(size: number): boolean {
    return this.enabled && (size <= this.options.maxBytes || this.options.keepNewest === true);
  }

  private touch(key: string, entry: Entry): void {
    // Map order is the eviction order: a used entry moves to the end.
    this.entries.delete(key);
    entry.lastUsed = Date.now();
    this.entries.set(key, entry);
  }

  private remember(key: string, entry: Entry): void {
    this.forget(key);
    this.entries.set(key, entry);
    this.total += entry.size;
  }

  /** Least recently used out until the cache fits; never `keep` (the entry just published). */
  private async evict(keep?: string): Promise<void> {
    if (this.total <= this.options.maxBytes) return;
    const target = this.options.maxBytes * (this.options.lowWater ?? 1);
    const grace = this.options.graceMs ?? 0;
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (this.total <= target) break;
      if (this.options.keepNewest && this.entries.size <= 1) break;
      if (key === keep) continue;
      if (now - entry.lastUsed < grace) break; // later entries are younger still
      this.forget(key);
      // A request that already opened the file keeps reading it: unlinking does not cut an open file.
      await fs.promises.rm(entry.file, { force: true }).catch(() => undefined);
      // A folder of entries goes with its last one.
      const parent = path.dirname(entry.file);
      if (parent !== this.folder) await fs.promises.rmdir(parent).catch(() => undefined);
    }
  }

  private takeStock(found: Found): void {
    this.opened = true;
    found.entries.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, entry] of found.entries) this.remember(key, entry);
    if (found.entries.length > 0) {
      this.options.logger?.debug(
        { entries: found.entries.length, bytes: this.total },
        `${this.options.label ?? 'disk cache'} loaded`,
      );
    }
    void this.evict();
  }

  private classify(relativePath: string, stat: fs.Stats, found: Found): void {
    const file = this.pathOf(relativePath);
    if (relativePath.endsWith('.part')) {
      const stale = this.options.stalePartMs ?? 0;
      if (stale === 0 || Date.now() - stat.mtimeMs > stale) found.staleParts.push(file);
      return;
    }
    const key = this.options.keyOf(relativePath);
    if (key === undefined) return;
    const lastUsed = this.options.orderByAccess ? stat.atimeMs : stat.mtimeMs;
    found.entries.push([key, { file, size: stat.size, mtimeMs: stat.mtimeMs, lastUsed }]);
  }

  private listSync(): Found {
    const found: Found = { entries: [], staleParts: [] };
    for (const relativePath of this.candidatesSync()) {
      try {
        const stat = fs.statSync(this.pathOf(relativePath));
        if (stat.isFile()) this.classify(relativePath, stat, found);
      } catch {
        // Vanished between readdir and stat.
      }
    }
    return found;
  }

  private async listAsync(): Promise<Found> {
    const found: Found = { entries: [], staleParts: [] };
    for (const relativePath of await this.candidates()) {
      const stat = await fs.promises.stat(this.pathOf(relativePath)).catch(() => undefined);
      if (stat?.isFile()) this.classify(relativePath, stat, found);
    }
    return found;
  }

  // The files of the folder and of its direct subfolders, as '/'-separated relative paths.
  private candidatesSync(): string[] {
    const names: string[] = [];
    for (const item of fs.readdirSync(this.folder, { withFileTypes: true })) {
      if (!item.isDirectory()) names.push(item.name);
      else for (const inner of readdirOrNothing(this.pathOf(item.name))) names.push(`${item.name}/${inner}`);
    }
    return names;
  }

  private async candidates(): Promise<string[]> {
    const names: string[] = [];
    for (const item of await fs.promises.readdir(this.folder, { withFileTypes: true })) {
      if (!item.isDirectory()) {
        names.push(item.name);
        continue;
      }
      const inner = await fs.promises.readdir(this.pathOf(item.name)).catch(() => []);
      for (const name of inner) names.push(`${item.name}/${name}`);
    }
    return names;
  }
}

function readdirOrNothing(folder: string): string[] {
  try {
    return fs.readdirSync(folder);
  } catch {
    return [];
  }
}
