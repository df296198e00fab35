// Library totals for /metrics (every scrape: one query) and everything `tonearm stats` prints.
import type { Database } from '../db/database.ts';
import { detailCounts, type TotalRows, totalRows } from './stats.repository.ts';

export type LibraryTotals = TotalRows;

export function libraryTotals(db: Database): LibraryTotals {
  return totalRows(db);
}

export interface LibraryStats extends LibraryTotals {
  folders: number;
  albumsWithCover: number;
  skippedFiles: number;
  durationSeconds: number;
  sizeBytes: number;
  byLibrary: Map<number, number>;
}

export function libraryStats(db: Database): LibraryStats {
  const { tracksByLibrary, ...details } = detailCounts(db);
  return { ...totalRows(db), ...details, byLibrary: tracksByLibrary };
}
