// Opaque paging cursors: the sort key of the last item of a page, as base64url JSON. Keyset paging
// (WHERE (key, id) > (last key, last id)) stays fast on the last page of 100k rows, where OFFSET would
// walk them all, and a page does not shift when rows are added before it.
import { TonearmError } from './errors.ts';

export type CursorValue = string | number | null;

export function encodeCursor(values: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** The values of a cursor made by encodeCursor with `length` values; a 400 for anything else. */
export function decodeCursor(cursor: string, length: number): CursorValue[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (
    !Array.isArray(values) ||
    values.length !== length ||
    !values.every((value) => value === null || typeof value === 'string' || typeof value === 'number')
  )
    throw invalidCursor();
  return values as CursorValue[];
}

function invalidCursor(): TonearmError {
  return new TonearmError('INVALID_INPUT', 'cursor is not valid: pass the nextCursor of the previous page');
}
