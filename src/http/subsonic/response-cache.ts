// Whole serialised answers of heavy, read-only endpoints (getArtists lists every album artist: at 100k
// tracks that is 5,000 entries, ~20 ms to build and serialise). Clients call them at every start-up, so
// the same answer is served until the database changes. The database's version is this connection's
// change count plus SQLite's data_version (other connections' commits): any write anywhere drops the
// cache, which keeps it trivially correct (stars and ratings appear in these answers too).
import type { Database } from '../../db/database.ts';

const MAX_ENTRIES = 64;
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface CachedAnswer {
  contentType: string;
  body: string;
  /** The gzip form, made on first need and kept with the answer. */
  gzipped?: Buffer;
}

export class ResponseCache {
  private readonly db: Database;
  private version = '';
  private readonly entries = new Map<string, CachedAnswer>();

  constructor(db: Database) {
    this.db = db;
  }

  private currentVersion(): string {
    return this.db.changeVersion();
  }

  get(key: string): CachedAnswer | undefined {
    const version = this.currentVersion();
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
      return undefined;
    }
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last: the Map's insertion order is the eviction order.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, answer: CachedAnswer): void {
    if (answer.body.length > MAX_BODY_BYTES) return;
    if (this.version !== this.currentVersion()) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, answer);
  }
}

/** The cache key of a request: endpoint, caller and every parameter except credentials. */
export function cacheKey(
  endpoint: string,
  userId: string,
  names: string[],
  get: (name: string) => string[],
  /** The caller's player: its format and limit show in song entries (transcodedSuffix). */
  playerId = '',
): string {
  const credentials = new Set(['u', 'p', 't', 's', 'apiKey']);
  const parts = names
    .filter((name) => !credentials.has(name))
    .sort()
    .map((name) => `${name}=${get(name).join('\u0001')}`);
  return `${endpoint}\u0000${userId}\u0000${playerId}\u0000${parts.join('\u0000')}`;
}
