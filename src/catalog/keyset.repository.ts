// Keyset paging for the catalog's lists (pages.ts): one page of ids in a fixed order that continues after
// the sort key of the previous page's last row — WHERE (key, id) > (?, ?), never OFFSET, so the last page
// of 100k rows costs what the first does and a page does not shift when rows are added before it.
// The lists (album-pages, track-pages and artist-pages repositories) describe their sorts as fixed SQL
// fragments; user input only ever arrives as bound parameters.
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import type { SqlCondition } from './visibility.repository.ts';

export type Direction = 'asc' | 'desc';

/** A value of a sort key as a cursor keeps it. */
export type KeyValue = string | number;

export interface KeyColumn {
  /** Never NULL (a NULL makes the row-value comparison NULL): NULLs go in a segment of their own. */
  sql: string;
  /** Ascending whatever order was asked for (an album's tracks inside a list by album, newest first). */
  ascending?: boolean;
}

/**
 * One run of the list's order. Most sorts have one; a sort on a column that may be NULL has a second,
 * the rows without a value, so they come last in both directions (and no comparison meets a NULL).
 */
export interface Segment {
  /** What the segment's rows meet besides the list's conditions, e.g. `al.year IS NOT NULL`. */
  where?: string;
  /** The order; the last column names one row (the item id). */
  columns: readonly KeyColumn[];
  /**
   * How many leading columns an index walks in the outer table of a join (albums, then their tracks): they
   * are bound once more as `(a, b) >= (?, ?)`, which SQLite can seek to, so the walk starts at the cursor.
   */
  seek?: number;
}

export interface KeysetList {
  /** FROM text, with the parameters it holds (a random sort's seed). */
  from: string;
  fromParams?: readonly unknown[];
  /** The item id as an expression (the last key column names the same row). */
  id: string;
  /** Conditions every row meets, each ` AND …` (as visibleIn makes them). */
  conditions: readonly SqlCondition[];
  segments: readonly Segment[];
}

/** Where a page ends: the segment and the key values of its last row. */
export interface Position {
  segment: number;
  values: KeyValue[];
}

export interface KeysetRow {
  id: string;
  position: Position;
}

/** An ` AND …` condition from a bare one with its parameters. */
export function and(sql: string, ...params: unknown[]): SqlCondition {
  return { sql: ` AND ${sql}`, params };
}

/**
 * Up to `limit` rows after `after` (from the start without it), in the list's order in `direction`.
 * A position that does not fit the list (a forged or mangled cursor) is INVALID_INPUT.
 */
export function keysetPage(
  db: Database,
  list: KeysetList,
  direction: Direction,
  after: Position | undefined,
  limit: number,
): KeysetRow[] {
  if (after) checkPosition(list, after);
  const rows: KeysetRow[] = [];
  for (let index = after?.segment ?? 0; index < list.segments.length && rows.length < limit; index++) {
    const segment = list.segments[index]!;
    const conditions = [...list.conditions];
    if (segment.where) conditions.push(and(segment.where));
    if (after && index === after.segment) conditions.push(...continueAfter(segment, direction, after.values));
    const order = segment.columns
      .map((column) => `${column.sql} ${column.ascending ? 'ASC' : direction.toUpperCase()}`)
      .join(', ');
    const sql = `SELECT ${list.id}, ${segment.columns.map((column) => column.sql).join(', ')} FROM ${list.from}
      WHERE 1${conditions.map((condition) => condition.sql).join('')} ORDER BY ${order} LIMIT ?`;
    const params = [...(list.fromParams ?? []), ...conditions.flatMap((condition) => condition.params)];
    for (const [id, ...values] of db
      .prepare(sql)
      .raw()
      .all(...params, limit - rows.length) as [string, ...KeyValue[]][]) {
      rows.push({ id, position: { segment: index, values } });
    }
  }
  return rows;
}

function checkPosition(list: KeysetList, position: Position): void {
  const segment = list.segments[position.segment];
  if (
    !segment ||
    position.values.length !== segment.columns.length ||
    !position.values.every((value) => typeof value === 'string' || typeof value === 'number')
  )
    throw new TonearmError('INVALID_INPUT', 'cursor is not valid: pass the nextCursor of the previous page');
}

/**
 * The rows after `values` in the segment's order. Columns in one direction compare as one row value;
 * where the direction changes (descending albums, their tracks ascending), the comparison is spelt out
 * lexicographically: (a) < (?) OR ((a) = (?) AND (b, c) > (?, ?)).
 */
function continueAfter(segment: Segment, direction: Direction, values: readonly KeyValue[]): SqlCondition[] {
  const runs: { columns: string[]; values: KeyValue[]; direction: Direction }[] = [];
  segment.columns.forEach((column, index) => {
    const columnDirection = column.ascending ? 'asc' : direction;
    const last = runs[runs.length - 1];
    if (last && last.direction === columnDirection) {
      last.columns.push(column.sql);
      last.values.push(values[index]!);
    } else runs.push({ columns: [column.sql], values: [values[index]!], direction: columnDirection });
  });
  const alternatives: string[] = [];
  const params: unknown[] = [];
  let equalSoFar = '';
  const equalParams: unknown[] = [];
  for (const run of runs) {
    const compare = run.direction === 'asc' ? '>' : '<';
    alternatives.push(`(${equalSoFar}${rowValue(run.columns)} ${compare} ${placeholders(run.values)})`);
    params.push(...equalParams, ...run.values);
    equalSoFar += `${rowValue(run.columns)} = ${placeholders(run.values)} AND `;
    equalParams.push(...run.values);
  }
  const conditions = [{ sql: ` AND (${alternatives.join(' OR ')})`, params }];
  const seek = segment.seek ?? 0;
  if (seek > 0) {
    const compare = direction === 'asc' ? '>=' : '<=';
    const columns = segment.columns.slice(0, seek).map((column) => column.sql);
    const bound = values.slice(0, seek);
    conditions.push({ sql: ` AND ${rowValue(columns)} ${compare} ${placeholders(bound)}`, params: bound });
  }
  return conditions;
}

function rowValue(columns: readonly string[]): string {
  return `(${columns.join(', ')})`;
}

function placeholders(values: readonly unknown[]): string {
  return `(${values.map(() => '?').join(', ')})`;
}
