// Query parameters and the viewer the catalog's native routes share (catalog, artists, albums, tracks).
import { z } from 'zod';
import type { User } from '../../accounts/users.service.ts';
import { narrowViewer, viewerFor } from '../../catalog/access.ts';
import type { Viewer } from '../../catalog/model.ts';
import { MAX_SEED } from '../../catalog/pages.ts';
import type { CatalogReader } from '../../catalog/reader.ts';
import type { Database } from '../../db/database.ts';

/** `?library=` on lists: one of the caller's libraries (another, or an unknown one, is 404). */
export const libraryQuery = z.coerce
  .number()
  .int()
  .min(1)
  .optional()
  .describe("Only this library's items (an id from GET /libraries).");

export const orderQuery = z
  .enum(['asc', 'desc'])
  .optional()
  .describe('Default: descending for counts, times and ratings; ascending for names, years and durations.');

export const seedQuery = z.coerce
  .number()
  .int()
  .min(0)
  .max(MAX_SEED)
  .optional()
  .describe('For sort=random: the shuffle (one is chosen when absent; the cursor keeps it).');

/** A random order with neither seed nor cursor is shuffled anew by every request (route.unrepeatable). */
export const unseededShuffle = (query: Record<string, string | string[]>): boolean =>
  query.sort === 'random' && query.seed === undefined && query.cursor === undefined;

export const yearQuery = z.coerce.number().int().min(0).max(9999).optional();

/** The caller as a catalog viewer (their libraries, their marks), narrowed to one library when asked. */
export function viewerOf(
  { db, catalog, user }: { db: Database; catalog: CatalogReader; user: User },
  library?: number,
): Viewer {
  return narrowViewer(db, viewerFor(catalog, user), library);
}
