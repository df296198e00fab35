// Whole answers of read-only requests, of both APIs, kept until the database changes. Subsonic's heavy
// endpoints (getArtists lists every album artist: at 100k tracks ~20 ms to build and serialise) are asked
// at every client start; the native API's read routes are asked again whenever the web app comes back to
// a page, or when a second device opens the same one. A kept answer costs the main thread a Map lookup
// instead of a read worker's queries, JSON and gzip (~0.8 ms of CPU for a page of 50 albums).
//
// Correctness is by construction rather than by invalidation rules: an answer is a function of the
// request (endpoint, caller, parameters, accepted encoding) and of the database, and the database's
// version (this connection's change count plus SQLite's data_version, which counts other connections'
// and processes' commits) is read on every lookup, so any write anywhere, stars and plays included, drops
// everything. Only callers' answers are kept (the key names the user), so nobody sees another's marks.
//
// The same version names an answer for HTTP revalidation: etagOf(version, key) is the ETag, so a browser
// asking again with If-None-Match gets 304 without anything being read (src/http/api/route.ts).
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';

export interface CachedAnswer {
  contentType: string;
  /** The text; '' when only the gzip form was made (a read worker answering a gzip client). */
  body: string;
  /** The gzip form, made on first need (Subsonic) or by the read worker (native API). */
  gzipped?: Buffer | undefined;
}

export interface AnswerCacheOptions {
  /** The most the kept answers may weigh together (text and gzip bytes); 0 keeps nothing. */
  maxBytes: number;
}

/** No single answer may take more than this share of the cache (a 1 MB getArtists of 4 MB is fine). */
const LARGEST_SHARE = 4;

/**
 * Text and gzip bytes; a text kept without its gzip form is weighed with room for one (Subsonic adds it
 * when a gzip client first asks, after the answer was kept), which JSON and XML lists take about a fifth of.
 */
const weightOf = (answer: CachedAnswer): number =>
  answer.body.length + (answer.gzipped?.length ?? Math.ceil(answer.body.length / 5));

export class AnswerCache {
  private readonly db: Database;
  private readonly maxBytes: number;
  private version = '';
  private bytes = 0;
  private readonly entries = new Map<string, CachedAnswer>();
  /** Tells ETags of this process's versions from an earlier run's (the change count restarts at 0). */
  private readonly epoch = randomBytes(6).toString('base64url');

  constructor(db: Database, options: AnswerCacheOptions) {
    this.db = db;
    this.maxBytes = options.maxBytes;
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** Kept answers and their weight (tests, metrics). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** The database's version now; kept answers of an older one are dropped. */
  currentVersion(): string {
    const version = this.db.changeVersion();
    if (version !== this.version) this.clear(version);
    return version;
  }

  /** The ETag of the answer to `key` at `version` (quoted, as the header carries it). */
  etagOf(version: string, key: string): string {
    const digest = createHash('sha1').update(version).update('\u0000').update(key).digest('base64url');
    return `"${this.epoch}${digest.slice(0, 20)}"`;
  }

  /** The answer kept for `key`, if the database is still at `version` (just read by currentVersion). */
  get(key: string, version: string): CachedAnswer | undefined {
    if (version !== this.version) return undefined;
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last: the Map's insertion order is the eviction order.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  /** Keeps `answer`, made from the database at `version` (not kept when the database moved on since). */
  set(key: string, answer: CachedAnswer, version: string): void {
    if (!this.enabled || version !== this.currentVersion()) return;
    const weight = weightOf(answer);
    if (weight * LARGEST_SHARE > this.maxBytes) return;
    this.remove(key);
    while (this.entries.size > 0 && this.bytes + weight > this.maxBytes) {
      this.remove(this.entries.keys().next().value!);
    }
    this.entries.set(key, answer);
    this.bytes += weight;
  }

  private remove(key: string): void {
    const answer = this.entries.get(key);
    if (!answer) return;
    this.entries.delete(key);
    this.bytes -= weightOf(answer);
  }

  /** Drops every kept answer: the server went idle (src/app/idle-memory.ts), so it holds no answers. */
  clear(version = this.version): void {
    this.entries.clear();
    this.bytes = 0;
    this.version = version;
  }
}
