// Listening statistics (docs/insights.md, "Analytics"): a user's own figures over any span (totals, by
// hour of day and weekday, by day, top tracks, artists, albums and genres), their year in music, and the
// server-wide figures: trends, most played and skipped, skip and play-through rates, active listeners per
// minute, listening time by day and hour. Times of day are the caller's (a UTC offset in minutes).
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import {
  artistsPlayedBefore,
  everyUsersTotals,
  type HourRow,
  hourRows,
  type ListenFacts,
  listensWithFacts,
  listenSpans,
  type SubjectKind,
  serverHourRows,
  usersListeningSince,
} from './analytics.repository.ts';
import { HOUR_MS } from '../listening/stats.repository.ts';

const DAY_MS = 86_400_000;

export interface Totals {
  listens: number;
  plays: number;
  skips: number;
  listenedMs: number;
  /** skips / listens; null without listens. */
  skipRate: number | null;
  /** plays / listens; null without listens. */
  playThroughRate: number | null;
}

export function totalsFrom(
  rows: readonly { listens: number; plays: number; skips: number; listenedMs: number }[],
): Totals {
  let listens = 0;
  let plays = 0;
  let skips = 0;
  let listenedMs = 0;
  for (const row of rows) {
    listens += row.listens;
    plays += row.plays;
    skips += row.skips;
    listenedMs += row.listenedMs;
  }
  return {
    listens,
    plays,
    skips,
    listenedMs,
    skipRate: listens ? round(skips / listens) : null,
    playThroughRate: listens ? round(plays / listens) : null,
  };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export interface Span {
  from: number;
  to: number;
  /** Minutes east of UTC for hours of day, weekdays and days. */
  offsetMinutes: number;
}

export interface TimeBreakdown {
  totals: Totals;
  /** 24 entries: listening time (ms) per hour of the day. */
  byHourOfDay: number[];
  /** 7 entries, Monday first: listening time (ms) per weekday. */
  byWeekday: number[];
  /** Every day of the span with listening: its date (YYYY-MM-DD) and figures. */
  byDay: { date: string; listens: number; plays: number; listenedMs: number }[];
}

/** Figures by hour of day, weekday and day, from hourly counts. */
export function breakdown(rows: readonly HourRow[], offsetMinutes: number): TimeBreakdown {
  const byHourOfDay = new Array<number>(24).fill(0);
  const byWeekday = new Array<number>(7).fill(0);
  const days = new Map<string, { date: string; listens: number; plays: number; listenedMs: number }>();
  for (const row of rows) {
    const local = new Date(row.hour * HOUR_MS + offsetMinutes * 60_000);
    byHourOfDay[local.getUTCHours()]! += row.listenedMs;
    byWeekday[(local.getUTCDay() + 6) % 7]! += row.listenedMs;
    const date = local.toISOString().slice(0, 10);
    let day = days.get(date);
    if (!day) {
      day = { date, listens: 0, plays: 0, listenedMs: 0 };
      days.set(date, day);
    }
    day.listens += row.listens;
    day.plays += row.plays;
    day.listenedMs += row.listenedMs;
  }
  return {
    totals: totalsFrom(rows),
    byHourOfDay,
    byWeekday,
    byDay: [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
  };
}

export interface Ranked {
  id: string;
  plays: number;
  listenedMs: number;
}

function top(counts: Map<string, Ranked>, limit: number): Ranked[] {
  return [...counts.values()]
    .sort((a, b) => b.plays - a.plays || b.listenedMs - a.listenedMs || (a.id < b.id ? -1 : 1))
    .slice(0, limit);
}

function tally(counts: Map<string, Ranked>, id: string | null, plays: number, listenedMs: number): void {
  if (!id) return;
  let entry = counts.get(id);
  if (!entry) {
    entry = { id, plays: 0, listenedMs: 0 };
    counts.set(id, entry);
  }
  entry.plays += plays;
  entry.listenedMs += listenedMs;
}

export interface Tops {
  tracks: Ranked[];
  artists: Ranked[];
  albums: Ranked[];
  genres: Ranked[];
}

function topsOf(listens: readonly ListenFacts[], limit: number): Tops {
  const tracks = new Map<string, Ranked>();
  const artists = new Map<string, Ranked>();
  const albums = new Map<string, Ranked>();
  const genres = new Map<string, Ranked>();
  for (const listen of listens) {
    const plays = listen.outcome === 'play' ? 1 : 0;
    tally(tracks, listen.trackId, plays, listen.listenedMs);
    tally(artists, listen.artistId, plays, listen.listenedMs);
    tally(albums, listen.albumId, plays, listen.listenedMs);
    for (const genre of (listen.genre ?? '').split(/\s*[;/]\s*/))
      tally(genres, genre || null, plays, listen.listenedMs);
  }
  const keep = (counts: Map<string, Ranked>) => top(counts, limit).filter((entry) => entry.plays > 0);
  return { tracks: keep(tracks), artists: keep(artists), albums: keep(albums), genres: keep(genres) };
}

export interface UserStats extends TimeBreakdown {
  from: number;
  to: number;
  top: Tops;
}

/** A user's own figures over a span (at most two years). */
export function userStats(db: Database, userId: string, span: Span, limit = 10): UserStats {
  if (span.to - span.from > 2 * 366 * DAY_MS)
    throw new TonearmError('BAD_REQUEST', 'a span of at most two years, please');
  const rows = hourRows(db, Math.floor(span.from / HOUR_MS), Math.ceil(span.to / HOUR_MS), userId);
  return {
    from: span.from,
    to: span.to,
    ...breakdown(rows, span.offsetMinutes),
    top: topsOf(listensWithFacts(db, userId, span.from, span.to), limit),
  };
}

export interface YearReview {
  year: number;
  totals: Totals;
  minutesListened: number;
  distinct: { tracks: number; artists: number; albums: number };
  /** Artists first played this year. */
  newArtists: number;
  top: Tops;
  topMonth: { month: number; listenedMs: number } | null;
  busiestDay: { date: string; listenedMs: number } | null;
  favouriteHour: number | null;
  /** The most days in a row with a play. */
  longestStreakDays: number;
  firstPlay: { trackId: string; at: number } | null;
}

/** "Your year in music": one calendar year of a user's listening, in their time zone. */
export function yearReview(db: Database, userId: string, year: number, offsetMinutes: number): YearReview {
  const from = Date.UTC(year, 0, 1) - offsetMinutes * 60_000;
  const to = Date.UTC(year + 1, 0, 1) - offsetMinutes * 60_000;
  const listens = listensWithFacts(db, userId, from, to);
  const time = breakdown(
    hourRows(db, Math.floor(from / HOUR_MS), Math.ceil(to / HOUR_MS), userId),
    offsetMinutes,
  );
  const months = new Array<number>(12).fill(0);
  const playDays = new Set<number>();
  for (const listen of listens) {
    const local = new Date(listen.startedAt + offsetMinutes * 60_000);
    months[local.getUTCMonth()]! += listen.listenedMs;
    if (listen.outcome === 'play')
      playDays.add(Math.floor((listen.startedAt + offsetMinutes * 60_000) / DAY_MS));
  }
  let longest = 0;
  for (const day of playDays) {
    if (playDays.has(day - 1)) continue;
    let length = 1;
    while (playDays.has(day + length)) length++;
    longest = Math.max(longest, length);
  }
  const knownArtists = new Set(artistsPlayedBefore(db, userId, from));
  const plays = listens.filter((listen) => listen.outcome === 'play');
  const newArtists = new Set(plays.map((l) => l.artistId).filter((id) => id && !knownArtists.has(id)));
  const topMonth = months.reduce<{ month: number; listenedMs: number } | null>(
    (best, listenedMs, index) =>
      listenedMs > 0 && (!best || listenedMs > best.listenedMs) ? { month: index + 1, listenedMs } : best,
    null,
  );
  const busiest = time.byDay.reduce<{ date: string; listenedMs: number } | null>(
    (best, day) =>
      !best || day.listenedMs > best.listenedMs ? { date: day.date, listenedMs: day.listenedMs } : best,
    null,
  );
  const hourMax = Math.max(...time.byHourOfDay);
  const first = plays[0];
  return {
    year,
    totals: time.totals,
    minutesListened: Math.round(time.totals.listenedMs / 60_000),
    distinct: {
      tracks: new Set(plays.map((l) => l.trackId)).size,
      artists: new Set(plays.map((l) => l.artistId).filter(Boolean)).size,
      albums: new Set(plays.map((l) => l.albumId).filter(Boolean)).size,
    },
    newArtists: newArtists.size,
    top: topsOf(listens, 5),
    topMonth,
    busiestDay: busiest,
    favouriteHour: hourMax > 0 ? time.byHourOfDay.indexOf(hourMax) : null,
    longestStreakDays: longest,
    firstPlay: first ? { trackId: first.trackId, at: first.startedAt } : null,
  };
}

/** How many people were listening, minute by minute (or per `stepMs`), over a span of at most a week. */
export function activeListeners(
  db: Database,
  from: number,
  to: number,
  stepMs = 60_000,
): { at: number; listeners: number }[] {
  if (to <= from) throw new TonearmError('BAD_REQUEST', '`to` must be after `from`');
  const steps = Math.ceil((to - from) / stepMs);
  if (steps > 20_160) throw new TonearmError('BAD_REQUEST', 'at most 20,160 points (a week by the minute)');
  const users = Array.from({ length: steps }, () => new Set<string>());
  // A listen longer than six hours is not one (a player left open); it counts for its first six.
  const longest = 6 * HOUR_MS;
  for (const [user, start, end] of listenSpans(db, from, to, longest)) {
    const last = Math.min(end, start + longest, to - 1);
    for (
      let step = Math.max(0, Math.floor((start - from) / stepMs));
      step <= Math.floor((last - from) / stepMs);
      step++
    )
      users[step]?.add(user);
  }
  return users.map((set, index) => ({ at: from + index * stepMs, listeners: set.size }));
}

export interface ServerOverview {
  users: number;
  activeUsers: { day: number; week: number; month: number };
  lastDay: TimeBreakdown;
  lastMonth: TimeBreakdown;
  perUser: {
    userId: string;
    username: string;
    totals: Totals;
    lastListenAt: number | null;
    sharesListening: boolean;
    historyVisible: boolean;
  }[];
}

/** The admin's dashboard: totals over everyone, and per user totals only. */
export function serverOverview(db: Database, now: number, offsetMinutes: number): ServerOverview {
  const nowHour = Math.ceil(now / HOUR_MS);
  const month = serverHourRows(db, nowHour - 30 * 24, nowHour);
  const [day, week, monthActive] = usersListeningSince(db, [
    nowHour - 24,
    nowHour - 7 * 24,
    nowHour - 30 * 24,
  ]);
  const users = everyUsersTotals(db);
  return {
    users: users.length,
    activeUsers: { day: day ?? 0, week: week ?? 0, month: monthActive ?? 0 },
    lastDay: breakdown(
      month.filter((row) => row.hour >= nowHour - 24),
      offsetMinutes,
    ),
    lastMonth: breakdown(month, offsetMinutes),
    perUser: users.map((row) => ({
      userId: row.userId,
      username: row.username,
      totals: totalsFrom([row]),
      lastListenAt: row.lastListenAt,
      sharesListening: row.shareListening === 1,
      historyVisible: row.historyVisible === 1,
    })),
  };
}

export type { SubjectKind };
