// The SQL of full-text search, with SQLite FTS5: every FTS5 statement in Tonearm is here, so another
// backend replaces this file (and keeps search.ts, which decides what to ask).
//
// One contentless FTS5 table per kind (search_artist, search_album, search_track); the FTS rowid is the
// catalog row's integer pk. The tables are created and filled at start-up (search.ts ensureSearchIndex),
// never by a migration. unicode61 with remove_diacritics folds "Beyoncé" and "beyonce" together.
import type { Database } from '../db/database.ts';
import { type LibraryScope, visibleIn } from './visibility.repository.ts';

export type SearchKind = 'artist' | 'album' | 'track';

export const SEARCH_KINDS: readonly SearchKind[] = ['artist', 'album', 'track'];

interface IndexSpec {
  table: string;
  vocab: string;
  /** The catalog table whose integer pk is the FTS rowid. */
  catalog: SearchKind;
  /** The first column is the main one (title or name): exact words there get a bonus. */
  columns: readonly string[];
  /**
   * bm25 weights, one per column. FTS5 multiplies each hit by its column's weight before bm25 saturates
   * the term frequency (k1 = 1.2), so a weight far above 1 adds little: the main column gets 8 and the
   * others stay at or below 2, which keeps a title match clearly above an album or genre match.
   */
  weights: readonly number[];
  /** Selects `pk` and one text column per FTS column for the rows whose pk is in the bound JSON array. */
  textSql: string;
}

const TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'";
const VERSION_KEY = 'search.version';

const specs: Record<SearchKind, IndexSpec> = {
  track: {
    table: 'search_track',
    vocab: 'search_track_vocab',
    catalog: 'track',
    columns: ['title', 'artist', 'album', 'album_artist', 'composer', 'genre'],
    weights: [8, 2, 1, 0.6, 0.6, 0.3],
    textSql: `SELECT c.pk, c.title,
        coalesce((SELECT group_concat(a.name, ' / ') FROM track_artist ta JOIN artist a ON a.id = ta.artist_id
                  WHERE ta.track_id = c.id AND ta.role = 'artist'), c.artist_name),
        c.album_name, c.album_artist_name,
        (SELECT group_concat(a.name, ' / ') FROM track_artist ta JOIN artist a ON a.id = ta.artist_id
         WHERE ta.track_id = c.id AND ta.role = 'composer'),
        coalesce((SELECT group_concat(g.name, ' / ') FROM track_genre tg JOIN genre g ON g.id = tg.genre_id
                  WHERE tg.track_id = c.id), c.genre)
      FROM track c WHERE c.pk IN (SELECT value FROM json_each(?))`,
  },
  album: {
    table: 'search_album',
    vocab: 'search_album_vocab',
    catalog: 'album',
    columns: ['name', 'artist', 'genre', 'year'],
    weights: [8, 2, 0.3, 0.3],
    textSql: `SELECT c.pk, trim(c.name || ' ' || c.version),
        coalesce((SELECT group_concat(a.name, ' / ') FROM album_artist aa JOIN artist a ON a.id = aa.artist_id
                  WHERE aa.album_id = c.id), c.artist_name),
        coalesce((SELECT group_concat(g.name, ' / ') FROM album_genre ag JOIN genre g ON g.id = ag.genre_id
                  WHERE ag.album_id = c.id), c.genre),
        c.year
      FROM album c WHERE c.pk IN (SELECT value FROM json_each(?))`,
  },
  artist: {
    table: 'search_artist',
    vocab: 'search_artist_vocab',
    catalog: 'artist',
    columns: ['name', 'sort_name'],
    weights: [8, 1],
    textSql: `SELECT c.pk, c.name, CASE WHEN c.sort_name = c.name THEN NULL ELSE c.sort_name END
      FROM artist c WHERE c.pk IN (SELECT value FROM json_each(?))`,
  },
};

/** The indexed columns of a kind, the main one (title or name) first. */
export function searchColumns(kind: SearchKind): readonly string[] {
  return specs[kind].columns;
}

// ---------------------------------------------------------------------------------------------------
// Index maintenance.

/** Whether every search table exists. */
export function searchTablesPresent(db: Database): boolean {
  const names = SEARCH_KINDS.flatMap((kind) => [specs[kind].table, specs[kind].vocab]);
  const present = db
    .prepare(
      `SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name IN (${names.map(() => '?').join(', ')})`,
    )
    .get(...names) as { n: number };
  return present.n === names.length;
}

/** The version the index was built with (search.ts SEARCH_INDEX_VERSION), if any. */
export function storedIndexVersion(db: Database): string | undefined {
  return db.first(db.kysely.selectFrom('setting').select('value').where('key', '=', VERSION_KEY))?.value;
}

export function storeIndexVersion(db: Database, version: string): void {
  db.run(
    db.kysely
      .insertInto('setting')
      .values({ key: VERSION_KEY, value: version })
      .onConflict((conflict) => conflict.column('key').doUpdateSet({ value: version })),
  );
}

/** Drops the kind's index (and its vocabulary) and creates it empty. */
export function recreateIndex(db: Database, kind: SearchKind): void {
  const spec = specs[kind];
  db.sqlite.exec(`DROP TABLE IF EXISTS ${spec.vocab}; DROP TABLE IF EXISTS ${spec.table};`);
  // Contentless: the catalog already holds the text. contentless_delete allows deleting by rowid.
  db.sqlite.exec(
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${spec.table} USING fts5(${spec.columns.join(', ')}, ${TOKENIZE},
      content = '', contentless_delete = 1, prefix = '2 3')`,
  );
  db.sqlite.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${spec.vocab} USING fts5vocab(${spec.table}, 'row')`);
}

/** Catalog pks of the kind after `after`, in order, at most `limit`. */
export function catalogPksAfter(db: Database, kind: SearchKind, after: number, limit: number): number[] {
  return db
    .prepare(`SELECT pk FROM ${specs[kind].catalog} WHERE pk > ? ORDER BY pk LIMIT ${limit}`)
    .pluck()
    .all(after) as number[];
}

/** For each catalog row of the given pks that exists: its pk, then the text of each indexed column. */
export function indexSourceRows(db: Database, kind: SearchKind, pks: readonly number[]): unknown[][] {
  return db.prepare(specs[kind].textSql).raw().all(JSON.stringify(pks)) as unknown[][];
}

export function insertIndexEntry(
  db: Database,
  kind: SearchKind,
  pk: unknown,
  texts: (string | null)[],
): void {
  const spec = specs[kind];
  db.prepare(
    `INSERT INTO ${spec.table} (rowid, ${spec.columns.join(', ')}) VALUES (${['?', ...spec.columns.map(() => '?')].join(', ')})`,
  ).run(pk, ...texts);
}

export function deleteIndexEntries(db: Database, kind: SearchKind, pks: readonly number[]): void {
  const remove = db.prepare(`DELETE FROM ${specs[kind].table} WHERE rowid = ?`);
  for (const pk of pks) remove.run(pk);
}

/** Merges the index into one b-tree instead of many segments: fewer pages to read per query. */
export function optimizeIndex(db: Database, kind: SearchKind): void {
  const table = specs[kind].table;
  db.prepare(`INSERT INTO ${table} (${table}) VALUES ('optimize')`).run();
}

/** Every indexed term of the kind with the number of rows holding it. */
export function vocabularyRows(db: Database, kind: SearchKind): [string, number][] {
  return db.prepare(`SELECT term, doc FROM ${specs[kind].vocab}`).raw().all() as [string, number][];
}

// ---------------------------------------------------------------------------------------------------
// Matching. MATCH expressions come from search.ts, which puts user text only inside quoted strings.

function score(spec: IndexSpec): string {
  return `bm25(${spec.table}, ${spec.weights.join(', ')})`;
}

/**
 * One page of catalog pks matching, best first (bm25, ties by pk so pages never overlap), in every
 * library. Pks alone, joined to the catalog afterwards (idsOfPks): a broad word can match half the
 * library, and a catalog lookup per match would cost more than the ranking itself.
 */
export function rankedPks(
  db: Database,
  kind: SearchKind,
  match: string,
  limit: number,
  offset: number,
): number[] {
  const spec = specs[kind];
  return db
    .prepare(
      `SELECT rowid FROM ${spec.table} WHERE ${spec.table} MATCH ? ORDER BY ${score(spec)}, rowid LIMIT ? OFFSET ?`,
    )
    .pluck()
    .all(match, limit, offset) as number[];
}

/** The catalog ids of the given pks, in their order. */
export function idsOfPks(db: Database, kind: SearchKind, pks: readonly number[]): string[] {
  return db
    .prepare(
      `SELECT c.id FROM json_each(?) AS hit JOIN ${specs[kind].catalog} c ON c.pk = hit.value ORDER BY hit.key`,
    )
    .pluck()
    .all(JSON.stringify(pks)) as string[];
}

/** One page of catalog ids matching in the given libraries, best first. */
export function rankedIdsIn(
  db: Database,
  kind: SearchKind,
  match: string,
  libraries: readonly number[],
  limit: number,
  offset: number,
): string[] {
  const spec = specs[kind];
  const visible = visibleIn(libraries, kind, 'c');
  return db
    .prepare(
      `SELECT c.id FROM ${spec.table} JOIN ${spec.catalog} c ON c.pk = ${spec.table}.rowid
       WHERE ${spec.table} MATCH ?${visible.sql} ORDER BY ${score(spec)}, c.pk LIMIT ? OFFSET ?`,
    )
    .pluck()
    .all(match, ...visible.params, limit, offset) as string[];
}

/** How many rows match (in the libraries, when given). */
export function matchCount(db: Database, kind: SearchKind, match: string, libraries: LibraryScope): number {
  const spec = specs[kind];
  if (!libraries) {
    return db
      .prepare(`SELECT count(*) FROM ${spec.table} WHERE ${spec.table} MATCH ?`)
      .pluck()
      .get(match) as number;
  }
  const visible = visibleIn(libraries, kind, 'c');
  return db
    .prepare(
      `SELECT count(*) FROM ${spec.table} JOIN ${spec.catalog} c ON c.pk = ${spec.table}.rowid
       WHERE ${spec.table} MATCH ?${visible.sql}`,
    )
    .pluck()
    .get(match, ...visible.params) as number;
}

/** Whether any row matches (in the libraries, when given). */
export function matchesAny(db: Database, kind: SearchKind, match: string, libraries: LibraryScope): boolean {
  const spec = specs[kind];
  if (!libraries) {
    return (
      db.prepare(`SELECT 1 FROM ${spec.table} WHERE ${spec.table} MATCH ? LIMIT 1`).get(match) !== undefined
    );
  }
  const visible = visibleIn(libraries, kind, 'c');
  return (
    db
      .prepare(
        `SELECT 1 FROM ${spec.table} JOIN ${spec.catalog} c ON c.pk = ${spec.table}.rowid
         WHERE ${spec.table} MATCH ?${visible.sql} LIMIT 1`,
      )
      .get(match, ...visible.params) !== undefined
  );
}
