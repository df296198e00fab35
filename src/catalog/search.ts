// Full-text search over artists, albums and tracks, with SQLite FTS5. Every line of FTS5 SQL in Tonearm
// lives in this module: the index is derived data it owns, so another backend replaces this file only.
//
// - One contentless FTS5 table per kind (search_artist, search_album, search_track); the FTS rowid is the
//   catalog row's integer pk. The tables are created and filled here at start-up (ensureSearchIndex), never
//   by a migration, and rebuilt whole when SEARCH_INDEX_VERSION changes.
// - unicode61 with remove_diacritics folds "Beyoncé" and "beyonce" together. Letters it does not fold
//   (ø, ł, æ, ß, ...) and compatibility forms (full-width, ligatures) are folded here, on both sides.
// - CJK text has no spaces between words, so every Han, kana and Hangul character is indexed as its own
//   token and a CJK run in a query becomes a phrase: "東京" finds "東京の夜", and so does "の夜".
// - Other query words are prefix terms ("radioh" finds "Radiohead"), ANDed together; a single letter or
//   digit is a whole word. User text only reaches FTS5 inside double-quoted strings, so no input can be
//   read as query syntax.
// - Rows whose title (or name) matches every word rank first, then the rest, each by bm25.
// - A query that finds nothing is retried once with misspelt words replaced by the most frequent indexed
//   word within a small edit distance ("radiohaed" finds "Radiohead").
import { ChangeScopedCache } from '../db/change-scoped.ts';
import type { Database } from '../db/database.ts';
import { allLibraryIds } from './access.ts';

/** Bump when the tables, tokenizer or indexed text change: the next start-up rebuilds the index. */
export const SEARCH_INDEX_VERSION = 1;
const VERSION_KEY = 'search.version';

export interface SearchOptions {
  offset?: number;
  limit?: number;
  /** Libraries the caller may see; undefined means all of them. */
  libraryIds?: readonly number[] | undefined;
}

export interface ReindexRequest {
  trackPks?: readonly number[];
  albumPks?: readonly number[];
  artistPks?: readonly number[];
}

export type SearchKind = 'artist' | 'album' | 'track';

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
  /** SQL condition on catalog row `c` that keeps rows of the libraries bound as `?` placeholders. */
  libraryCondition: (placeholders: string) => string;
}

const TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'";
const MAX_QUERY_LENGTH = 200;
const MAX_TERMS = 12;
const REBUILD_CHUNK = 2000;

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
    libraryCondition: (placeholders) => `c.library_id IN (${placeholders})`,
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
    libraryCondition: (placeholders) =>
      `EXISTS (SELECT 1 FROM library_album l WHERE l.album_id = c.id AND l.library_id IN (${placeholders}))`,
  },
  artist: {
    table: 'search_artist',
    vocab: 'search_artist_vocab',
    catalog: 'artist',
    columns: ['name', 'sort_name'],
    weights: [8, 1],
    textSql: `SELECT c.pk, c.name, CASE WHEN c.sort_name = c.name THEN NULL ELSE c.sort_name END
      FROM artist c WHERE c.pk IN (SELECT value FROM json_each(?))`,
    libraryCondition: (placeholders) =>
      `EXISTS (SELECT 1 FROM library_artist l WHERE l.artist_id = c.id AND l.library_id IN (${placeholders}))`,
  },
};

type StatementKind = 'page' | 'count' | 'any';

/**
 * The SQL for one MATCH over one index; binds the MATCH expression, then the library ids (if filtered),
 * then limit and offset for a page. A page is ranked by bm25 with ties broken by pk, so pages never
 * overlap. Without a library filter a page is of FTS rowids (catalog pks) alone, joined to the catalog
 * afterwards: a broad word can match half the library, and a catalog lookup per match would cost more than
 * the ranking itself.
 */
function matchSql(spec: IndexSpec, statement: StatementKind, libraryCount: number | undefined): string {
  const score = `bm25(${spec.table}, ${spec.weights.join(', ')})`;
  if (libraryCount === undefined) {
    if (statement === 'count') return `SELECT count(*) FROM ${spec.table} WHERE ${spec.table} MATCH ?`;
    if (statement === 'any') return `SELECT 1 FROM ${spec.table} WHERE ${spec.table} MATCH ? LIMIT 1`;
    return `SELECT rowid FROM ${spec.table} WHERE ${spec.table} MATCH ? ORDER BY ${score}, rowid LIMIT ? OFFSET ?`;
  }
  const placeholders = Array.from({ length: libraryCount }, () => '?').join(', ');
  const from = `FROM ${spec.table} JOIN ${spec.catalog} c ON c.pk = ${spec.table}.rowid
    WHERE ${spec.table} MATCH ? AND ${spec.libraryCondition(placeholders)}`;
  if (statement === 'count') return `SELECT count(*) ${from}`;
  if (statement === 'any') return `SELECT 1 ${from} LIMIT 1`;
  return `SELECT c.id ${from} ORDER BY ${score}, c.pk LIMIT ? OFFSET ?`;
}

const kinds: readonly SearchKind[] = ['artist', 'album', 'track'];

// ---------------------------------------------------------------------------------------------------
// Text normalisation, shared by the indexed text and the queries so both sides tokenize alike.

const CJK_CLASS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u30FC';
const CJK_CHAR = new RegExp(`[${CJK_CLASS}]`, 'gu');
// A query term: a CJK run, or a run of other letters/digits (marks may follow, never lead: a term of marks
// alone would tokenize to nothing).
const QUERY_TERM = new RegExp(
  `([${CJK_CLASS}]+)|([[\\p{L}\\p{N}\\p{Co}]--[${CJK_CLASS}]][[\\p{L}\\p{N}\\p{Co}\\p{M}]--[${CJK_CLASS}]]*)`,
  'gv',
);
// Apostrophes join what they split ("Don't" = "dont"); unicode61 would cut the word in two.
const APOSTROPHES = /['\u2019\u02BC\u0060\u00B4]/g;
// Letters unicode61 keeps as they are although people type them without the accent or as two letters.
const FOLDS: Record<string, string> = {
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  ı: 'i',
  ħ: 'h',
  ŧ: 't',
  ŋ: 'n',
};
const FOLDABLE = new RegExp(`[${Object.keys(FOLDS).join('')}]`, 'g');

function fold(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(APOSTROPHES, '')
    .replace(FOLDABLE, (c) => FOLDS[c]!);
}

/** The text stored in the index for one field: folded, with every CJK character a token of its own. */
function indexText(text: string | number | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  return fold(String(text)).replace(CJK_CHAR, ' $& ');
}

export interface QueryTerm {
  text: string;
  /** A CJK run, searched as a phrase of single characters; other terms are prefixes. */
  cjk: boolean;
}

/** Splits user input into search terms; punctuation, symbols and emoji are dropped. */
export function parseQuery(text: string): QueryTerm[] {
  if (typeof text !== 'string') return [];
  const terms: QueryTerm[] = [];
  const seen = new Set<string>();
  for (const match of fold(text.slice(0, MAX_QUERY_LENGTH)).matchAll(QUERY_TERM)) {
    const term = { text: match[0], cjk: match[1] !== undefined };
    if (seen.has(term.text)) continue;
    seen.add(term.text);
    terms.push(term);
    if (terms.length === MAX_TERMS) break;
  }
  return terms;
}

function quote(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** MATCH expressions for a query: every row that matches, and the two ranking tiers of those rows. */
interface MatchExpressions {
  all: string;
  /** Rows whose main column (title or name) matches every term. */
  main: string;
  /** The other rows. */
  rest: string;
}

function matchExpressions(terms: readonly QueryTerm[], mainColumn: string): MatchExpressions | undefined {
  if (terms.length === 0) return undefined;
  // The same word, whole and in the main column, is a second phrase that bm25 adds to the score: "love"
  // ranks the title "Love" above "Lovely".
  const all = terms
    .map((term) => termExpression(term, ` OR ${mainColumn} : ${quote(term.text)}`))
    .join(' AND ');
  const main = `${mainColumn} : (${terms.map((term) => termExpression(term, ` OR ${quote(term.text)}`)).join(' AND ')})`;
  return { all, main, rest: `(${all}) NOT ${main}` };
}

function termExpression(term: QueryTerm, exactWord: string): string {
  if (term.cjk) return quote([...term.text].join(' '));
  // One letter or digit as a prefix would match a third of the library and rank nothing usefully, so it
  // must be a whole word ("a", "5").
  if ([...term.text].length === 1) return quote(term.text);
  return `(${quote(term.text)}*${exactWord})`;
}

/** The FTS5 MATCH expression for user input, or undefined when the input can match nothing. */
export function buildMatchExpression(text: string, kind: SearchKind = 'track'): string | undefined {
  return matchExpressions(parseQuery(text), specs[kind].columns[0]!)?.all;
}

// ---------------------------------------------------------------------------------------------------
// Index maintenance.

function createStatements(spec: IndexSpec): string[] {
  return [
    // Contentless: the catalog already holds the text. contentless_delete allows deleting by rowid.
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${spec.table} USING fts5(${spec.columns.join(', ')}, ${TOKENIZE},
      content = '', contentless_delete = 1, prefix = '2 3')`,
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${spec.vocab} USING fts5vocab(${spec.table}, 'row')`,
  ];
}

/** Creates the search tables and (re)builds them when they are missing or from another version. */
export function ensureSearchIndex(db: Database): void {
  const names = kinds.flatMap((kind) => [specs[kind].table, specs[kind].vocab]);
  const present = db
    .prepare(
      `SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name IN (${names.map(() => '?').join(', ')})`,
    )
    .get(...names) as { n: number };
  const version = db.first(db.kysely.selectFrom('setting').select('value').where('key', '=', VERSION_KEY));
  if (present.n !== names.length || version?.value !== String(SEARCH_INDEX_VERSION)) rebuildSearchIndex(db);
}

/** Drops and refills the whole index from the catalog tables, in one transaction. */
export function rebuildSearchIndex(db: Database): void {
  db.transaction(() => {
    for (const kind of kinds) {
      const spec = specs[kind];
      db.sqlite.exec(`DROP TABLE IF EXISTS ${spec.vocab}; DROP TABLE IF EXISTS ${spec.table};`);
      for (const statement of createStatements(spec)) db.sqlite.exec(statement);
      const next = db
        .prepare(`SELECT pk FROM ${spec.catalog} WHERE pk > ? ORDER BY pk LIMIT ${REBUILD_CHUNK}`)
        .pluck();
      for (let after = 0; ; ) {
        const pks = next.all(after) as number[];
        if (pks.length === 0) break;
        insertRows(db, spec, pks);
        after = pks[pks.length - 1]!;
      }
      // One b-tree per table instead of many segments: fewer pages to read per query.
      db.prepare(`INSERT INTO ${spec.table} (${spec.table}) VALUES ('optimize')`).run();
    }
    db.run(
      db.kysely
        .insertInto('setting')
        .values({ key: VERSION_KEY, value: String(SEARCH_INDEX_VERSION) })
        .onConflict((conflict) =>
          conflict.column('key').doUpdateSet({ value: String(SEARCH_INDEX_VERSION) }),
        ),
    );
  });
  forgetVocabulary(db);
}

/**
 * Refreshes the index entries of the given catalog rows: each pk's entry is removed and, when the row
 * still exists, written again from the current catalog text. Pass pks of inserted, updated and deleted
 * rows (a deleted row's pk as it was). Runs in the caller's transaction when there is one.
 */
export function reindex(db: Database, request: ReindexRequest): void {
  const batches: [SearchKind, readonly number[] | undefined][] = [
    ['track', request.trackPks],
    ['album', request.albumPks],
    ['artist', request.artistPks],
  ];
  if (batches.every(([, pks]) => !pks || pks.length === 0)) return;
  db.transaction(() => {
    for (const [kind, pks] of batches) {
      if (!pks || pks.length === 0) continue;
      const spec = specs[kind];
      const unique = [...new Set(pks)].filter((pk) => Number.isSafeInteger(pk));
      const remove = db.prepare(`DELETE FROM ${spec.table} WHERE rowid = ?`);
      for (const pk of unique) remove.run(pk);
      insertRows(db, spec, unique);
    }
  });
  forgetVocabulary(db);
}

function insertRows(db: Database, spec: IndexSpec, pks: readonly number[]): void {
  const rows = db.prepare(spec.textSql).raw().all(JSON.stringify(pks)) as unknown[][];
  const insert = db.prepare(
    `INSERT INTO ${spec.table} (rowid, ${spec.columns.join(', ')}) VALUES (${['?', ...spec.columns.map(() => '?')].join(', ')})`,
  );
  for (const [pk, ...texts] of rows) {
    insert.run(pk, ...texts.map((text) => indexText(text as string | number | null)));
  }
}

// ---------------------------------------------------------------------------------------------------
// Searching.

export function searchTracks(db: Database, query: string, options: SearchOptions = {}): string[] {
  return search(db, 'track', query, options);
}

export function searchAlbums(db: Database, query: string, options: SearchOptions = {}): string[] {
  return search(db, 'album', query, options);
}

export function searchArtists(db: Database, query: string, options: SearchOptions = {}): string[] {
  return search(db, 'artist', query, options);
}

/**
 * Ranking has two tiers: rows whose main column (title or name) matches every word come first, then the
 * rest, each tier ordered by bm25. Besides making "a title match beats an album-name match" a rule rather
 * than a matter of weights, this keeps broad queries fast: bm25 costs about half a microsecond per matching
 * row, and a first page is usually filled from the first tier, a quarter of the matches or less.
 */
function search(db: Database, kind: SearchKind, query: string, options: SearchOptions): string[] {
  const offset = clampInteger(options.offset, 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = clampInteger(options.limit, 20, 0, Number.MAX_SAFE_INTEGER);
  const libraryIds = libraryFilter(db, kind, options.libraryIds);
  if (limit === 0 || libraryIds?.length === 0) return [];
  const spec = specs[kind];
  const terms = parseQuery(query);
  const expressions = matchExpressions(terms, spec.columns[0]!);
  if (expressions === undefined) return [];

  const statement = (type: StatementKind) => db.prepare(matchSql(spec, type, libraryIds?.length));
  const filter = libraryIds ?? [];
  const page = (match: string, pageLimit: number, pageOffset: number) =>
    statement('page')
      .pluck()
      .all(match, ...filter, pageLimit, pageOffset) as string[];
  const tieredPage = (match: MatchExpressions): string[] => {
    const first = page(match.main, limit, offset);
    if (first.length === limit) return first;
    // A short first page ends the first tier; an empty one means the offset is past it, by how much?
    const skip =
      first.length > 0 || offset === 0
        ? 0
        : offset -
          (statement('count')
            .pluck()
            .get(match.main, ...filter) as number);
    return [...first, ...page(match.rest, limit - first.length, skip)];
  };

  const pageOf = (match: MatchExpressions): string[] =>
    libraryIds === undefined ? rankedPage(db, spec, match, offset, limit) : tieredPage(match);
  const ids = pageOf(expressions);
  if (ids.length > 0) return ids;
  // An empty page past the end of real results is not a typo.
  if (offset > 0 && statement('any').get(expressions.all, ...filter) !== undefined) return [];
  const corrected = correctTerms(db, kind, terms);
  return corrected ? pageOf(matchExpressions(corrected, spec.columns[0]!)!) : [];
}

// The best hits of unfiltered searches, per connection, until the database changes. Ranking is the whole
// cost of a broad query (bm25 reads the size of every matching row: "the" matches 38,000 of 100,000
// synthetic tracks, ~10 ms), so a repeat of the query or one of its next pages is then a slice of a kept
// list. Only the first RANKED_DEPTH hits are kept (a bounded sort is cheaper than a full one); pages beyond
// them are ranked again by SQL. Bounded by the number of pks held (4 bytes each).
const RANKED_DEPTH = 1_000;
const RANKING_CACHE_PKS = 500_000;
const rankings = new WeakMap<Database, ChangeScopedCache<Int32Array>>();

function rankedHits(db: Database, spec: IndexSpec, match: string): Int32Array {
  let cache = rankings.get(db);
  if (!cache) {
    cache = new ChangeScopedCache(db, {
      maxEntries: 10_000,
      maxWeight: RANKING_CACHE_PKS,
      weigh: (pks) => pks.length,
    });
    rankings.set(db, cache);
  }
  return cache.get(`${spec.table}\u0000${match}`, () =>
    Int32Array.from(
      db
        .prepare(matchSql(spec, 'page', undefined))
        .pluck()
        .all(match, RANKED_DEPTH, 0) as number[],
    ),
  )!;
}

/** pks of one tier's page, best first: from the kept hits when they reach that far. */
function tierPage(db: Database, spec: IndexSpec, match: string, offset: number, limit: number): number[] {
  const hits = rankedHits(db, spec, match);
  if (offset + limit <= hits.length || hits.length < RANKED_DEPTH) {
    return Array.from(hits.subarray(offset, offset + limit));
  }
  return db
    .prepare(matchSql(spec, 'page', undefined))
    .pluck()
    .all(match, limit, offset) as number[];
}

function tierSize(db: Database, spec: IndexSpec, match: string): number {
  const hits = rankedHits(db, spec, match);
  if (hits.length < RANKED_DEPTH) return hits.length;
  return db
    .prepare(matchSql(spec, 'count', undefined))
    .pluck()
    .get(match) as number;
}

/** One page of an unfiltered search: the main-column tier first, then the rest, as ids. */
function rankedPage(
  db: Database,
  spec: IndexSpec,
  match: MatchExpressions,
  offset: number,
  limit: number,
): string[] {
  const pks = tierPage(db, spec, match.main, offset, limit);
  if (pks.length < limit) {
    // A short first page ends the first tier; an empty one means the offset is past it, by how much?
    const skip = pks.length > 0 || offset === 0 ? 0 : offset - tierSize(db, spec, match.main);
    pks.push(...tierPage(db, spec, match.rest, skip, limit - pks.length));
  }
  if (pks.length === 0) return [];
  return db
    .prepare(
      `SELECT c.id FROM json_each(?) AS hit JOIN ${spec.catalog} c ON c.pk = hit.value ORDER BY hit.key`,
    )
    .pluck()
    .all(JSON.stringify(pks)) as string[];
}

/**
 * The library ids to filter on, or undefined for no filter. Every track belongs to exactly one library,
 * so a filter naming all of them is dropped for tracks (the common case, and the costly join).
 */
function libraryFilter(
  db: Database,
  kind: SearchKind,
  requested: readonly number[] | undefined,
): number[] | undefined {
  if (requested === undefined) return undefined;
  const ids = [...new Set(requested)].filter((id) => Number.isSafeInteger(id));
  if (kind !== 'track' || ids.length === 0) return ids;
  return allLibraryIds(db).every((id) => ids.includes(id)) ? undefined : ids;
}

function clampInteger(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

// ---------------------------------------------------------------------------------------------------
// Typo tolerance. The vocabulary of each index is read once from fts5vocab and kept in memory until the
// index changes (through this module, or through another connection: PRAGMA data_version).

interface Vocabulary {
  /** Every indexed term, sorted, for the "is it a prefix of a known term" check. */
  sorted: string[];
  /** Terms of 4+ characters by length (in code points), with the number of rows holding them. */
  byLength: Map<number, VocabularyTerm[]>;
}

interface VocabularyTerm {
  term: string;
  chars: string[];
  rows: number;
}

interface SearchState {
  dataVersion: number;
  vocabularies: Map<SearchKind, Vocabulary>;
}

const states = new WeakMap<Database, SearchState>();
const MIN_CORRECTED_LENGTH = 4;

function forgetVocabulary(db: Database): void {
  states.delete(db);
}

function vocabulary(db: Database, kind: SearchKind): Vocabulary {
  const dataVersion = db.sqlite.pragma('data_version', { simple: true }) as number;
  let state = states.get(db);
  if (!state || state.dataVersion !== dataVersion) {
    state = { dataVersion, vocabularies: new Map() };
    states.set(db, state);
  }
  let vocabulary = state.vocabularies.get(kind);
  if (!vocabulary) {
    const rows = db.prepare(`SELECT term, doc FROM ${specs[kind].vocab}`).raw().all() as [string, number][];
    const byLength = new Map<number, VocabularyTerm[]>();
    for (const [term, count] of rows) {
      const chars = [...term];
      if (chars.length < MIN_CORRECTED_LENGTH) continue;
      const bucket = byLength.get(chars.length) ?? [];
      if (bucket.length === 0) byLength.set(chars.length, bucket);
      bucket.push({ term, chars, rows: count });
    }
    vocabulary = { sorted: rows.map(([term]) => term).sort(), byLength };
    state.vocabularies.set(kind, vocabulary);
  }
  return vocabulary;
}

/** Query terms with misspelt words replaced, or undefined when nothing could be corrected. */
function correctTerms(db: Database, kind: SearchKind, terms: readonly QueryTerm[]): QueryTerm[] | undefined {
  const candidates = terms.filter(
    (term) => !term.cjk && [...foldDiacritics(term.text)].length >= MIN_CORRECTED_LENGTH,
  );
  if (candidates.length === 0) return undefined;
  const words = vocabulary(db, kind);
  let changed = false;
  const corrected = terms.map((term) => {
    if (!candidates.includes(term)) return term;
    const word = foldDiacritics(term.text);
    if (isKnownPrefix(words.sorted, word)) return term;
    const replacement = closestTerm(words, word);
    if (replacement === undefined) return term;
    changed = true;
    return { text: replacement, cjk: false };
  });
  return changed ? corrected : undefined;
}

/** What unicode61 with remove_diacritics does to a Latin word, near enough to compare with its terms. */
function foldDiacritics(word: string): string {
  return word
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC');
}

function isKnownPrefix(sorted: readonly string[], word: string): boolean {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < word) low = middle + 1;
    else high = middle;
  }
  return low < sorted.length && sorted[low]!.startsWith(word);
}

function closestTerm(words: Vocabulary, word: string): string | undefined {
  const chars = [...word];
  const maxDistance = chars.length >= 8 ? 2 : 1;
  let best: { entry: VocabularyTerm; distance: number } | undefined;
  for (let length = chars.length - maxDistance; length <= chars.length + maxDistance; length++) {
    for (const entry of words.byLength.get(length) ?? []) {
      const distance = editDistance(chars, entry.chars, best?.distance ?? maxDistance);
      if (distance === undefined) continue;
      if (!best || distance < best.distance || entry.rows > best.entry.rows) best = { entry, distance };
    }
  }
  return best?.entry.term;
}

/**
 * Optimal string alignment distance (edits plus adjacent transpositions), or undefined when it exceeds
 * `max`; stops as soon as a whole row of the table is over the bound.
 */
export function editDistance(a: readonly string[], b: readonly string[], max: number): number | undefined {
  if (Math.abs(a.length - b.length) > max) return undefined;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, before[j - 2]! + 1);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return undefined;
    [before, previous, current] = [previous, current, before];
  }
  const distance = previous[b.length]!;
  return distance <= max ? distance : undefined;
}
