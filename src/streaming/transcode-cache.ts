// The transcode cache on disk: finished transcodes under <dataDir>/cache/transcode/<key>.<suffix>, the key a
// hash of everything that shapes the output (track, file version, profile and its arguments, bitrate,
// offset), so a changed file or profile is simply a new entry. Kept within a byte budget, least recently
// used first out. A transcode in progress is a .part file in the same folder (transcoder.ts); only a
// complete one is renamed into place, so a cache hit is always a whole file that can be served with Range.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/logger.ts';

export interface CachedTranscode {
  file: string;
  size: number;
  mtimeMs: number;
}

interface Entry extends CachedTranscode {
  lastUsed: number;
}

export interface TranscodeKeyParts {
  trackId: string;
  fileSize: number;
  fileMtimeMs: number;
  profileName: string;
  profileArguments: readonly string[];
  bitrate: number;
  offset: number;
  channels: number;
}

export function transcodeKey(parts: TranscodeKeyParts): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        parts.trackId,
        parts.fileSize,
        Math.floor(parts.fileMtimeMs),
        parts.profileName,
        parts.profileArguments,
        parts.bitrate,
        parts.offset,
        parts.channels,
      ]),
    )
    .digest('hex')
    .slice(0, 40);
}

export class TranscodeCache {
  readonly folder: string;
  private readonly maxBytes: number;
  private readonly log: Logger;
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;

  constructor(folder: string, maxBytes: number, log: Logger) {
    this.folder = folder;
    this.maxBytes = maxBytes;
    this.log = log;
    fs.mkdirSync(folder, { recursive: true });
    this.loadIndex();
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Where a transcode in progress is written. */
  partFile(key: string): string {
    return path.join(this.folder, `${key}.${process.pid}.part`);
  }

  /** A complete transcode, or undefined. Marks it used. */
  get(key: string): CachedTranscode | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.lastUsed = Date.now();
    // Map order is the LRU order: move to the end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** Takes a finished .part file into the cache (or deletes it when the cache is off or it is too big). */
  async adopt(key: string, partFile: string, suffix: string): Promise<CachedTranscode | undefined> {
    const stat = await fs.promises.stat(partFile).catch(() => undefined);
    if (!stat || !this.enabled || stat.size > this.maxBytes) {
      await fs.promises.rm(partFile, { force: true });
      return undefined;
    }
    const file = path.join(this.folder, `${key}.${suffix}`);
    await fs.promises.rename(partFile, file);
    this.forget(key);
    const entry: Entry = { file, size: stat.size, mtimeMs: stat.mtimeMs, lastUsed: Date.now() };
    this.entries.set(key, entry);
    this.totalBytes += stat.size;
    await this.evict();
    return entry;
  }

  /** Drops an entry whose file vanished (somebody cleaned the folder). */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.totalBytes -= entry.size;
  }

  private async evict(): Promise<void> {
    for (const [key, entry] of this.entries) {
      if (this.totalBytes <= this.maxBytes) break;
      this.forget(key);
      await fs.promises.rm(entry.file, { force: true });
    }
  }

  // The folder survives restarts: take stock of it, oldest first, and remove leftovers of transcodes that
  // were running when the server stopped.
  private loadIndex(): void {
    const found: [string, Entry][] = [];
    for (const name of fs.readdirSync(this.folder)) {
      const file = path.join(this.folder, name);
      if (name.endsWith('.part')) {
        fs.rmSync(file, { force: true });
        continue;
      }
      const match = /^([0-9a-f]{40})\.[a-z0-9]+$/.exec(name);
      if (!match) continue;
      try {
        const stat = fs.statSync(file);
        found.push([match[1]!, { file, size: stat.size, mtimeMs: stat.mtimeMs, lastUsed: stat.atimeMs }]);
      } catch {
        // Vanished between readdir and stat.
      }
    }
    found.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, entry] of found) {
      this.entries.set(key, entry);
      this.totalBytes += entry.size;
    }
    if (found.length > 0)
      this.log.debug({ entries: found.length, bytes: this.totalBytes }, 'transcode cache loaded');
    void this.evict();
  }
}
