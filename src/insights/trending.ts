// Trending tracks, albums and artists over a day, a week and a month (docs/insights.md, "Trending"): each
// play counts less the older it is (halving every `halfLifeMs`), and each listener's share is damped
// (log2(1 + their decayed plays)), so what many people play now rises above what one person loops.
import type { Database } from '../db/database.ts';
import {
  insightItems,
  eachPlayOf,
  replaceTrends,
  sharingUserPks,
  type TrendRow,
  trendsComputedAt,
} from './model.repository.ts';
import { Numbering } from './similarity.ts';

export const TREND_PERIODS = {
  day: { horizonMs: 2 * 86_400_000, halfLifeMs: 8 * 3_600_000 },
  week: { horizonMs: 14 * 86_400_000, halfLifeMs: 2 * 86_400_000 },
  month: { horizonMs: 60 * 86_400_000, halfLifeMs: 7 * 86_400_000 },
} as const;
export type TrendPeriod = keyof typeof TREND_PERIODS;
export type TrendKind = 'track' | 'album' | 'artist';
export const TREND_KINDS: readonly TrendKind[] = ['track', 'album', 'artist'];
/** The incremental update refreshes the trends at most this often (they read two months of plays). */
export const TRENDS_EVERY_MS = 10 * 60_000;
/** Without new plays, trends still age: recomputed hourly. */
export const QUIET_TRENDS_EVERY_MS = 60 * 60_000;
/** Entries kept per period and kind. */
export const TREND_SIZE = 100;

/** Computes the trends unless they are younger than `maxAgeMs`; returns whether it did. */
export function refreshTrends(db: Database, now: number, maxAgeMs = TRENDS_EVERY_MS): boolean {
  if (now - trendsComputedAt(db) < maxAgeMs) return false;
  computeTrends(db, now);
  return true;
}

export function computeTrends(db: Database, now: number): number {
  const longest = Math.max(...Object.values(TREND_PERIODS).map((period) => period.horizonMs));
  const periods = Object.entries(TREND_PERIODS) as [TrendPeriod, (typeof TREND_PERIODS)[TrendPeriod]][];
  // Each item's track, album and artist as numbers.
  const numberings = TREND_KINDS.map(() => new Numbering());
  const items = insightItems(db);
  const size = items.reduce((max, [pk]) => Math.max(max, pk), 0) + 1;
  const subjectOf = TREND_KINDS.map(() => new Int32Array(size).fill(-1));
  for (const [pk, ...ids] of items)
    TREND_KINDS.forEach((_, column) => {
      subjectOf[column]![pk] = numberings[column]!.of(ids[column]!);
    });
  items.length = 0;
  // Per period and kind: each subject's score (Σ over listeners of log2(1 + their decayed plays)), its
  // listeners and its plays. Plays come a user at a time, so one user's decayed plays are summed in a
  // small map and folded into the scores when the next user begins.
  const tallies = periods.map(() =>
    TREND_KINDS.map((_, column) => {
      const size = numberings[column]!.ids.length;
      return { scores: new Float64Array(size), listeners: new Int32Array(size), plays: new Int32Array(size) };
    }),
  );
  for (const userPk of sharingUserPks(db)) {
    const mine = periods.map(() => TREND_KINDS.map(() => new Map<number, number>()));
    eachPlayOf(
      db,
      userPk,
      (startedAt, itemPk) => {
        const age = now - startedAt;
        periods.forEach(([, { horizonMs, halfLifeMs }], p) => {
          if (age > horizonMs || age < -3_600_000) return;
          const weight = 2 ** (-Math.max(0, age) / halfLifeMs);
          TREND_KINDS.forEach((_, column) => {
            const subject = subjectOf[column]![itemPk] ?? -1;
            if (subject < 0) return;
            const decayed = mine[p]![column]!;
            decayed.set(subject, (decayed.get(subject) ?? 0) + weight);
            tallies[p]![column]!.plays[subject]!++;
          });
        });
      },
      now - longest,
    );
    mine.forEach((kinds, p) => {
      kinds.forEach((decayed, column) => {
        const tally = tallies[p]![column]!;
        for (const [subject, value] of decayed) {
          tally.scores[subject]! += Math.log2(1 + value);
          tally.listeners[subject]!++;
        }
      });
    });
  }
  const rows: TrendRow[] = [];
  periods.forEach(([period], p) => {
    TREND_KINDS.forEach((kind, column) => {
      const { ids } = numberings[column]!;
      const tally = tallies[p]![column]!;
      const score = (subject: number) => Math.round(tally.scores[subject]! * 1e6) / 1e6;
      const ranked: number[] = [];
      for (let subject = 0; subject < ids.length; subject++)
        if (tally.plays[subject]! > 0) ranked.push(subject);
      ranked.sort((a, b) => score(b) - score(a) || (ids[a]! < ids[b]! ? -1 : 1));
      ranked.slice(0, TREND_SIZE).forEach((subject, index) => {
        rows.push({
          period,
          kind,
          rank: index + 1,
          subjectId: ids[subject]!,
          score: score(subject),
          plays: tally.plays[subject]!,
          listeners: tally.listeners[subject]!,
        });
      });
    });
  });
  db.transaction(() => replaceTrends(db, rows, now));
  return rows.length;
}
