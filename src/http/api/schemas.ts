// Schema pieces every native route shares: one paging style, booleans and lists in query strings, the
// problem-details shape. Named schemas (`.meta({ id })`) become components of the OpenAPI document.
import { z } from 'zod';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * One paging style everywhere: `?limit=50&cursor=…` → `{ items, nextCursor }`. The cursor is opaque
 * (it encodes the last item's sort key); nextCursor is null on the last page.
 */
export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Items per page (1–${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}).`),
  cursor: z
    .string()
    .max(2000)
    .optional()
    .describe('The nextCursor of the previous page; absent for the first page.'),
};

/** `?limit=` of a short list that is not paged (top tracks, similar items, trends): 1–100. */
export const countQuery = (fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(fallback)
    .describe(`How many (1–100, default ${fallback}).`);

export function page<Item extends z.ZodType>(item: Item) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last page.'),
  });
}

/** `?flag=true|false|1|0` as a boolean. */
export const queryBoolean = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** A query value that may be given several times (`?genre=a&genre=b`) or comma-separated once. */
export function queryList<Item extends z.ZodType<unknown, string>>(item: Item) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((part) => part.trim()))
    .transform((parts) => parts.filter((part) => part !== ''))
    .pipe(z.array(item));
}

export const idParams = z.object({ id: z.string().min(1).max(200) });

/** A timestamp in answers: ISO 8601 in UTC. */
export const isoTime = z.iso.datetime();

export function isoOrNull(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString();
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    requestId: z.string().describe('Quote it when reporting a problem: the server log has the same id.'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });
