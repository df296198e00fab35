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

/** Numbers for ids, in the order first met. */
class Numbering {
  readonly ids: string[] = [];
  private readonly numbers = new Map<string, number>();
  of(id: string | null): number {
    if (id === null) return -1;
    let number = this.numbers.get(id);
    if (number === undefined) {
      number = this.ids.length;
      this.ids.push(id);
      this.numbers.set(id, number);
    }
    return number;
  }
}

/** Users per subject key: room for two million user pks. */
const USER_SPAN = 2 ** 21;

export function computeTrends(db: Database, now: number): number {
  const longest = Math.max(...Object.values(TREND_PERIODS).map((period) => period.horizonMs));
  // Each item's track, album and artist as numbers; the plays in typed arrays (two months of a busy
  // server are a few hundred thousand).
  const numberings = TREND_KINDS.map(() => new Numbering());
  const subjectOf = TREND_KINDS.map(() => new Map<number, number>());
  for (const [pk, ...ids] of insightItems(db))
    TREND_KINDS.forEach((_, column) => {
      subjectOf[column]!.set(pk, numberings[column]!.of(ids[column]!));
    });
  const items: number[] = [];
  const users: number[] = [];
  const times: number[] = [];
  for (const userPk of sharingUserPks(db))
    for (const [startedAt, itemPk] of playsOfSince(db, userPk, now - longest)) {
      items.push(itemPk);
      users.push(userPk);
      times.push(startedAt);
    }
  const rows: TrendRow[] = [];
  for (const [period, { horizonMs, halfLifeMs }] of Object.entries(TREND_PERIODS) as [
    TrendPeriod,
    (typeof TREND_PERIODS)[TrendPeriod],
  ][]) {
    TREND_KINDS.forEach((kind, column) => {
      const subjects = numberings[column]!;
      // (subject, user) → decayed plays; subject → plays.
      const decayed = new Map<number, number>();
      const counts = new Float64Array(subjects.ids.length);
      for (let i = 0; i < items.length; i++) {
        const age = now - times[i]!;
        if (age > horizonMs || age < -3_600_000) continue;
        const subject = subjectOf[column]!.get(items[i]!) ?? -1;
        if (subject < 0) continue;
        const key = subject * USER_SPAN + users[i]!;
        decayed.set(key, (decayed.get(key) ?? 0) + 2 ** (-Math.max(0, age) / halfLifeMs));
        counts[subject]!++;
      }
      const scores = new Float64Array(subjects.ids.length);
      const listeners = new Int32Array(subjects.ids.length);
      for (const [key, value] of decayed) {
        const subject = Math.floor(key / USER_SPAN);
        scores[subject]! += Math.log2(1 + value);
        listeners[subject]!++;
      }
      const ranked: number[] = [];
      for (let subject = 0; subject < scores.length; subject++)
        if (counts[subject]! > 0) ranked.push(subject);
      const score = (subject: number) => Math.round(scores[subject]! * 1e6) / 1e6;
      const { ids } = subjects;
      ranked.sort((a, b) => score(b) - score(a) || (ids[a]! < ids[b]! ? -1 : 1));
      ranked.slice(0, TREND_SIZE).forEach((subject, index) => {
        rows.push({
          period,
          kind,
          rank: index + 1,
          subjectId: ids[subject]!,
          score: score(subject),
          plays: counts[subject]!,
          listeners: listeners[subject]!,
        });
      });
    });
  }
  db.transaction(() => replaceTrends(db, rows, now));
  return rows.length;
}
