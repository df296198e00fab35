// Values derived from the database that hot paths need on every request (the caller's user, the list of
// libraries, an admin switch) are kept until the database changes. "Changes" is
// Database.recentChangeVersion(): any write through this connection at once, a commit by another process
// (a CLI command) within 100 ms. Keeping a value costs one tiny statement per read instead of the queries
// that build it.
import type { Database } from './database.ts';

export interface ChangeScopedCacheOptions<V> {
  maxEntries?: number;
  /** With weigh: the most the kept values may weigh together (e.g. ids held); the oldest go first. */
  maxWeight?: number;
  weigh?: (value: V) => number;
}

export class ChangeScopedCache<V> {
  private readonly db: Database;
  private readonly maxEntries: number;
  private readonly maxWeight: number;
  private readonly weigh: (value: V) => number;
  private version = '';
  private weight = 0;
  private readonly entries = new Map<string, V>();

  constructor(db: Database, options: ChangeScopedCacheOptions<V> = {}) {
    this.db = db;
    this.maxEntries = options.maxEntries ?? 1_000;
    this.maxWeight = options.maxWeight ?? Number.POSITIVE_INFINITY;
    this.weigh = options.weigh ?? (() => 0);
  }

  /** The kept value of `key`, or compute's, kept when it is not undefined. */
  get(key: string, compute: () => V | undefined): V | undefined {
    const version = this.db.recentChangeVersion();
    if (version !== this.version) {
      this.entries.clear();
      this.weight = 0;
      this.version = version;
    }
    if (this.entries.has(key)) {
      // Most recently used last: the Map's insertion order is the eviction order.
      const kept = this.entries.get(key)!;
      this.entries.delete(key);
      this.entries.set(key, kept);
      return kept;
    }
    const value = compute();
    // compute may itself write (a first login records a password copy): keep only what was read from an
    // unchanged database.
    if (value === undefined || this.db.recentChangeVersion() !== version) return value;
    const weight = this.weigh(value);
    if (weight > this.maxWeight) return value;
    while (
      this.entries.size > 0 &&
      (this.entries.size >= this.maxEntries || this.weight + weight > this.maxWeight)
    ) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.entries.delete(oldestKey);
      this.weight -= this.weigh(oldest);
    }
    this.entries.set(key, value);
    this.weight += weight;
    return value;
  }
}

/** fn's result, computed again only after the database changed. */
export function untilChange<V>(db: Database, fn: () => V): () => V {
  const cache = new ChangeScopedCache<{ value: V }>(db, { maxEntries: 1 });
  return () => cache.get('', () => ({ value: fn() }))!.value;
}
