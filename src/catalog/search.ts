// Full-text search over artists, albums and tracks: what to ask the index and how to rank it. The FTS5
// SQL itself is in search.repository.ts (the index is derived data the catalog owns).
//
// - One index per kind; it is created and filled at start-up (ensureSearchIndex), never by a migration,
//   and rebuilt whole when SEARCH_INDEX_VERSION changes.
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
import type { Database } from '../db/database.ts';
import type { CatalogReader } from './reader.ts';
import {
  catalogPksAfter,
  deleteIndexEntries,
  idsOfPks,
  indexSourceRows,
  insertIndexEntry,
  matchCount,
  matchesAny,
  optimizeIndex,
  rankedIdsIn,
  rankedPks,
  recreateIndex,
  SEARCH_KINDS,
  type SearchKind,
  searchColumns,
  searchTablesPresent,
  storedIndexVersion,
  storeIndexVersion,
  vocabularyRows,
} from './search.repository.ts';
import { buildVocabulary, closestTerm, isKnownPrefix, MIN_CORRECTED_LENGTH } from './vocabulary.ts';

export type { SearchKind } from './search.repository.ts';
export { editDistance } from './vocabulary.ts';

/** Bump when the tables, tokenizer or indexed text change: the next start-up rebuilds the index. */
export const SEARCH_INDEX_VERSION = 1;

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

const MAX_QUERY_LENGTH = 200;
const MAX_TERMS = 12;
const REBUILD_CHUNK = 2000;

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
  return matchExpressions(parseQuery(text), searchColumns(kind)[0]!)?.all;
}

// ---------------------------------------------------------------------------------------------------
// Index maintenance.

/** Creates the search tables and (re)builds them when they are missing or from another version. */
export function ensureSearchIndex(db: Database): void {
  if (!searchTablesPresent(db) || storedIndexVersion(db) !== String(SEARCH_INDEX_VERSION)) {
    rebuildSearchIndex(db);
  }
}

/** Drops and refills the whole index from the catalog tables, in one transaction. */
export function rebuildSearchIndex(db: Database): void {
  db.transaction(() => {
    for (const kind of SEARCH_KINDS) {
      recreateIndex(db, kind);
      for (let after = 0; ; ) {
        const pks = catalogPksAfter(db, kind, after, REBUILD_CHUNK);
        if (pks.length === 0) break;
        insertRows(db, kind, pks);
        after = pks[pks.length - 1]!;
      }
      optimizeIndex(db, kind);
    }
    storeIndexVersion(db, String(SEARCH_INDEX_VERSION));
  });
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
      const unique = [...new Set(pks)].filter((pk) => Number.isSafeInteger(pk));
      deleteIndexEntries(db, kind, unique);
      insertRows(db, kind, unique);
    }
  });
}

function insertRows(db: Database, kind: SearchKind, pks: readonly number[]): void {
  for (const [pk, ...texts] of indexSourceRows(db, kind, pks)) {
    insertIndexEntry(
      db,
      kind,
      pk,
      texts.map((text) => indexText(text as string | number | null)),
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Searching. Each takes the connection's CatalogReader, which keeps rankings and vocabularies.

export function searchTracks(catalog: CatalogReader, query: string, options: SearchOptions = {}): string[] {
  return search(catalog, 'track', query, options);
}

export function searchAlbums(catalog: CatalogReader, query: string, options: SearchOptions = {}): string[] {
  return search(catalog, 'album', query, options);
}

export function searchArtists(catalog: CatalogReader, query: string, options: SearchOptions = {}): string[] {
  return search(catalog, 'artist', query, options);
}

/**
 * Ranking has two tiers: rows whose main column (title or name) matches every word come first, then the
 * rest, each tier ordered by bm25. Besides making "a title match beats an album-name match" a rule rather
 * than a matter of weights, this keeps broad queries fast: bm25 costs about half a microsecond per matching
 * row, and a first page is usually filled from the first tier, a quarter of the matches or less.
 */
function search(catalog: CatalogReader, kind: SearchKind, query: string, options: SearchOptions): string[] {
  const { db } = catalog;
  const offset = clampInteger(options.offset, 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = clampInteger(options.limit, 20, 0, Number.MAX_SAFE_INTEGER);
  const libraryIds = libraryFilter(catalog, kind, options.libraryIds);
  if (limit === 0 || libraryIds?.length === 0) return [];
  const terms = parseQuery(query);
  const mainColumn = searchColumns(kind)[0]!;
  const expressions = matchExpressions(terms, mainColumn);
  if (expressions === undefined) return [];

  const tieredPage = (match: MatchExpressions, libraries: readonly number[]): string[] => {
    const first = rankedIdsIn(db, kind, match.main, libraries, limit, offset);
    if (first.length === limit) return first;
    // A short first page ends the first tier; an empty one means the offset is past it, by how much?
    const skip = first.length > 0 || offset === 0 ? 0 : offset - matchCount(db, kind, match.main, libraries);
    return [...first, ...rankedIdsIn(db, kind, match.rest, libraries, limit - first.length, skip)];
  };

  const pageOf = (match: MatchExpressions): string[] =>
    libraryIds === undefined
      ? rankedPage(catalog, kind, match, offset, limit)
      : tieredPage(match, libraryIds);
  const ids = pageOf(expressions);
  if (ids.length > 0) return ids;
  // An empty page past the end of real results is not a typo.
  if (offset > 0 && matchesAny(db, kind, expressions.all, libraryIds)) return [];
  const corrected = correctTerms(catalog, kind, terms);
  return corrected ? pageOf(matchExpressions(corrected, mainColumn)!) : [];
}

// The best hits of unfiltered searches are kept in the CatalogReader until the database changes. Ranking
// is the whole cost of a broad query (bm25 reads the size of every matching row: "the" matches 38,000 of
// 100,000 synthetic tracks, ~10 ms), so a repeat of the query or one of its next pages is then a slice of a
// kept list. Only the first RANKED_DEPTH hits are kept (a bounded sort is cheaper than a full one); pages
// beyond them are ranked again by SQL.
const RANKED_DEPTH = 1_000;

function rankedHits(catalog: CatalogReader, kind: SearchKind, match: string): Int32Array {
  return catalog.rankings.get(`${kind}\u0000${match}`, () =>
    Int32Array.from(rankedPks(catalog.db, kind, match, RANKED_DEPTH, 0)),
  )!;
}

/** pks of one tier's page, best first: from the kept hits when they reach that far. */
function tierPage(
  catalog: CatalogReader,
  kind: SearchKind,
  match: string,
  offset: number,
  limit: number,
): number[] {
  const hits = rankedHits(catalog, kind, match);
  if (offset + limit <= hits.length || hits.length < RANKED_DEPTH) {
    return Array.from(hits.subarray(offset, offset + limit));
  }
  return rankedPks(catalog.db, kind, match, limit, offset);
}

function tierSize(catalog: CatalogReader, kind: SearchKind, match: string): number {
  const hits = rankedHits(catalog, kind, match);
  if (hits.length < RANKED_DEPTH) return hits.length;
  return matchCount(catalog.db, kind, match, undefined);
}

/** One page of an unfiltered search: the main-column tier first, then the rest, as ids. */
function rankedPage(
  catalog: CatalogReader,
  kind: SearchKind,
  match: MatchExpressions,
  offset: number,
  limit: number,
): string[] {
  const pks = tierPage(catalog, kind, match.main, offset, limit);
  if (pks.length < limit) {
    // A short first page ends the first tier; an empty one means the offset is past it, by how much?
    const skip = pks.length > 0 || offset === 0 ? 0 : offset - tierSize(catalog, kind, match.main);
    pks.push(...tierPage(catalog, kind, match.rest, skip, limit - pks.length));
  }
  if (pks.length === 0) return [];
  return idsOfPks(catalog.db, kind, pks);
}

/**
 * The library ids to filter on, or undefined for no filter. Every track belongs to exactly one library,
 * so a filter naming all of them is dropped for tracks (the common case, and the costly join).
 */
function libraryFilter(
  catalog: CatalogReader,
  kind: SearchKind,
  requested: readonly number[] | undefined,
): number[] | undefined {
  if (requested === undefined) return undefined;
  const ids = [...new Set(requested)].filter((id) => Number.isSafeInteger(id));
  if (kind !== 'track' || ids.length === 0) return ids;
  return catalog.libraryIds().every((id) => ids.includes(id)) ? undefined : ids;
}

function clampInteger(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

// ---------------------------------------------------------------------------------------------------
// Typo tolerance (vocabulary.ts). The vocabulary of each index is read from the index once and kept in
// the CatalogReader until the database changes.

/** Query terms with misspelt words replaced, or undefined when nothing could be corrected. */
function correctTerms(
  catalog: CatalogReader,
  kind: SearchKind,
  terms: readonly QueryTerm[],
): QueryTerm[] | undefined {
  const candidates = terms.filter(
    (term) => !term.cjk && [...foldDiacritics(term.text)].length >= MIN_CORRECTED_LENGTH,
  );
  if (candidates.length === 0) return undefined;
  const words = catalog.vocabulary(kind, () => buildVocabulary(vocabularyRows(catalog.db, kind)));
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
