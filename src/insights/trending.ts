// Trending tracks, albums and artists over a day, a week and a month (docs/insights.md, "Trending"): each
// play counts less the older it is (halving every `halfLifeMs`), and each listener's share is damped
// (log2(1 + their decayed plays)), so what many people play now rises above what one person loops.
import type { Database } from '../db/database.ts';
import {
  insightItems,
  playsOfSince,
  replaceTrends,
  sharingUserPks,
  type TrendRow,
  trendsComputedAt,
} from './model.repository.ts';

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
  // [track, album, artist, user, startedAt] for every play of a sharing user in the longest period.
  const subjects = new Map<number, [string, string | null, string | null]>();
  for (const [pk, trackId, albumId, artistId] of insightItems(db))
    subjects.set(pk, [trackId, albumId, artistId]);
  const plays: [string, string | null, string | null, number, number][] = [];
  for (const userPk of sharingUserPks(db))
    for (const [startedAt, itemPk] of playsOfSince(db, userPk, now - longest)) {
      const subject = subjects.get(itemPk);
      if (subject) plays.push([...subject, userPk, startedAt]);
    }
  const rows: TrendRow[] = [];
  for (const [period, { horizonMs, halfLifeMs }] of Object.entries(TREND_PERIODS) as [
    TrendPeriod,
    (typeof TREND_PERIODS)[TrendPeriod],
  ][]) {
    TREND_KINDS.forEach((kind, column) => {
      // subject → user → decayed plays (and raw plays)
      const bySubject = new Map<string, Map<number, number>>();
      const counts = new Map<string, number>();
      for (const play of plays) {
        const age = now - play[4];
        if (age > horizonMs || age < -3_600_000) continue;
        const subject = play[column] as string | null;
        if (subject === null) continue;
        let users = bySubject.get(subject);
        if (!users) {
          users = new Map();
          bySubject.set(subject, users);
        }
        users.set(play[3], (users.get(play[3]) ?? 0) + 2 ** (-Math.max(0, age) / halfLifeMs));
        counts.set(subject, (counts.get(subject) ?? 0) + 1);
      }
      const scored = [...bySubject].map(([subjectId, users]) => {
        let score = 0;
        for (const decayed of users.values()) score += Math.log2(1 + decayed);
        return { subjectId, score: Math.round(score * 1e6) / 1e6, listeners: users.size };
      });
      scored.sort((a, b) => b.score - a.score || (a.subjectId < b.subjectId ? -1 : 1));
      scored.slice(0, TREND_SIZE).forEach((entry, index) => {
        rows.push({
          period,
          kind,
          rank: index + 1,
          subjectId: entry.subjectId,
          score: entry.score,
          plays: counts.get(entry.subjectId) ?? 0,
          listeners: entry.listeners,
        });
      });
    });
  }
  db.transaction(() => replaceTrends(db, rows, now));
  return rows.length;
}
