// The catalog's state for one database connection: values kept between requests until the database
// changes. One is made per connection (the main thread's, and each read worker's own) and handed to the
// functions that use it, so nothing is looked up by connection.
import { ChangeScopedCache, untilChange } from '../db/change-scoped.ts';
import type { Database } from '../db/database.ts';
import { allLibraryIds } from './libraries.repository.ts';
import type { SearchKind } from './search.repository.ts';
import type { Vocabulary } from './vocabulary.ts';

/** The most catalog pks the kept search rankings may hold together (4 bytes each). */
const RANKING_CACHE_PKS = 500_000;

export class CatalogReader {
  readonly db: Database;
  /** Every library id. Asked on every request (viewerFor), so kept until the database changes. */
  readonly libraryIds: () => number[];
  /**
   * The best hits of unfiltered searches by index and MATCH expression, as catalog pks (search.ts):
   * ranking is the whole cost of a broad query, so a repeat or a next page is a slice of a kept list.
   */
  readonly rankings: ChangeScopedCache<Int32Array>;
  private vocabularyVersion = '';
  private readonly vocabularies = new Map<SearchKind, Vocabulary>();

  constructor(db: Database) {
    this.db = db;
    this.libraryIds = untilChange(db, () => allLibraryIds(db));
    this.rankings = new ChangeScopedCache(db, {
      maxEntries: 10_000,
      maxWeight: RANKING_CACHE_PKS,
      weigh: (pks) => pks.length,
    });
  }

  /**
   * The vocabulary of a search index (typo correction), built by `read` and kept until anything in the
   * database changes: a reindex through this connection as much as a commit by another one.
   */
  vocabulary(kind: SearchKind, read: () => Vocabulary): Vocabulary {
    const version = this.db.changeVersion();
    if (version !== this.vocabularyVersion) {
      this.vocabularies.clear();
      this.vocabularyVersion = version;
    }
    let vocabulary = this.vocabularies.get(kind);
    if (!vocabulary) {
      vocabulary = read();
      this.vocabularies.set(kind, vocabulary);
    }
    return vocabulary;
  }
}
