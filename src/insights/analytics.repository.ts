// What the analytics read: trends and totals kept by the jobs, a user's hourly counts and listens, and
// the server-wide figures an admin sees (totals, never another user's listens).
import type { Database } from '../db/database.ts';

export type SubjectKind = 'track' | 'album' | 'artist';

export function trendingIds(db: Database, period: string, kind: SubjectKind, limit: number): string[] {
  return db
    .prepare('SELECT subject_id FROM trend WHERE period = ? AND kind = ? ORDER BY rank LIMIT ?')
    .pluck()
    .all(period, kind, limit) as string[];
}

export interface TrendEntry {
  rank: number;
  subjectId: string;
  score: number;
  plays: number;
  listeners: number;
  computedAt: number;
}

export function trendEntries(db: Database, period: string, kind: SubjectKind, limit: number): TrendEntry[] {
  return db
    .prepare(
      `SELECT rank, subject_id AS subjectId, score, plays, listeners, computed_at AS computedAt FROM trend
       WHERE period = ? AND kind = ? ORDER BY rank LIMIT ?`,
    )
    .all(period, kind, limit) as TrendEntry[];
}

export interface TotalRow {
  subjectId: string;
  listens: number;
  plays: number;
  skips: number;
  listenedMs: number;
  listeners: number;
}

const TOTAL_COLUMNS = 'subject_id AS subjectId, listens, plays, skips, listened_ms AS listenedMs, listeners';

export type TotalsOrder = 'plays' | 'skips' | 'skipRate' | 'playThrough';

/** The top of the totals of one kind by plays, skips, skip rate or play-through rate (rates need `minListens`). */
export function topTotals(
  db: Database,
  kind: SubjectKind,
  order: TotalsOrder,
  limit: number,
  minListens: number,
): TotalRow[] {
  const orderBy = {
    plays: 'plays DESC, subject_id',
    skips: 'skips DESC, subject_id',
    skipRate: 'skips * 1.0 / listens DESC, listens DESC, subject_id',
    playThrough: 'plays * 1.0 / listens DESC, listens DESC, subject_id',
  }[order];
  const floor = order === 'skipRate' || order === 'playThrough' ? minListens : 1;
  const where = order === 'skips' ? 'skips > 0' : order === 'plays' ? 'plays > 0' : 'listens >= ?';
  const params: unknown[] = [kind];
  if (where.includes('?')) params.push(floor);
  return db
    .prepare(
      `SELECT ${TOTAL_COLUMNS} FROM insight_total WHERE kind = ? AND ${where} ORDER BY ${orderBy} LIMIT ?`,
    )
    .all(...params, limit) as TotalRow[];
}

export interface HourRow {
  userId: string;
  hour: number;
  listens: number;
  plays: number;
  skips: number;
  listenedMs: number;
}

/** Everyone's hourly counts summed by hour between two hours (end excluded), with how many listened. */
export function serverHourRows(
  db: Database,
  fromHour: number,
  toHour: number,
): (HourRow & { users: number })[] {
  return db
    .prepare(
      `SELECT '' AS userId, hour, sum(listens) AS listens, sum(plays) AS plays, sum(skips) AS skips,
         sum(listened_ms) AS listenedMs, count(*) AS users
       FROM listen_hour INDEXED BY listen_hour_time WHERE hour >= ? AND hour < ? GROUP BY hour`,
    )
    .all(fromHour, toHour) as (HourRow & { users: number })[];
}

/** How many users listened since each of the given hours. */
export function usersListeningSince(db: Database, hours: readonly number[]): number[] {
  const row = db
    .prepare(
      `SELECT ${hours.map(() => 'count(DISTINCT CASE WHEN hour >= ? THEN user_id END)').join(', ')}
       FROM listen_hour INDEXED BY listen_hour_time WHERE hour >= ?`,
    )
    .raw(true)
    .get(...hours, Math.min(...hours)) as number[];
  return row;
}

/** Hourly counts between two hours (epoch hours, end excluded); of one user, or of everyone. */
export function hourRows(db: Database, fromHour: number, toHour: number, userId?: string): HourRow[] {
  const sql = `SELECT user_id AS userId, hour, listens, plays, skips, listened_ms AS listenedMs FROM listen_hour
     ${userId === undefined ? 'INDEXED BY listen_hour_time WHERE' : 'WHERE user_id = ? AND'} hour >= ? AND hour < ?`;
  const params = userId === undefined ? [fromHour, toHour] : [userId, fromHour, toHour];
  return db.prepare(sql).all(...params) as HourRow[];
}

export interface ListenFacts {
  trackId: string;
  startedAt: number;
  listenedMs: number;
  outcome: 'play' | 'skip' | 'partial';
  artistId: string | null;
  albumId: string | null;
  genre: string | null;
}

/** A user's finished listens between two times, with their track's artist, album and genre. */
export function listensWithFacts(db: Database, userId: string, from: number, to: number): ListenFacts[] {
  return db
    .prepare(
      `SELECT l.track_id AS trackId, l.started_at AS startedAt, l.listened_ms AS listenedMs, l.outcome,
         t.artist_id AS artistId, t.album_id AS albumId, t.genre
       FROM listen l LEFT JOIN track t ON t.id = l.track_id
       WHERE l.user_id = ? AND l.started_at >= ? AND l.started_at < ? AND l.outcome IN ('play', 'skip', 'partial')
       ORDER BY l.started_at`,
    )
    .all(userId, from, to) as ListenFacts[];
}

/** The artists of the tracks a user first played before `before` (from the running counts, not the history). */
export function artistsPlayedBefore(db: Database, userId: string, before: number): string[] {
  return db
    .prepare(
      `SELECT DISTINCT t.artist_id FROM listen_stat s JOIN track t ON t.id = s.track_id
       WHERE s.user_id = ? AND s.first_played_at < ?`,
    )
    .pluck()
    .all(userId, before) as string[];
}

/** Listens of everyone overlapping a span: [user, start, end]. Open ones end at their last event. */
export function listenSpans(
  db: Database,
  from: number,
  to: number,
  longestMs: number,
): [string, number, number][] {
  return db
    .prepare(
      `SELECT user_id, started_at, coalesce(ended_at, last_event_at) FROM listen INDEXED BY listen_time
       WHERE started_at >= ? AND started_at < ?`,
    )
    .raw(true)
    .all(from - longestMs, to) as [string, number, number][];
}

export interface UserTotalsRow {
  userId: string;
  username: string;
  listens: number;
  plays: number;
  skips: number;
  listenedMs: number;
  lastListenAt: number | null;
  historyVisible: number;
  shareListening: number;
}

/** Every user's totals (the admin's table: counts, no listens). */
export function everyUsersTotals(db: Database): UserTotalsRow[] {
  return db
    .prepare(
      `SELECT u.id AS userId, u.username, coalesce(s.listens, 0) AS listens, coalesce(s.plays, 0) AS plays,
         coalesce(s.skips, 0) AS skips, coalesce(s.listened_ms, 0) AS listenedMs,
         s.last_listen_at AS lastListenAt, u.history_visible_to_admins AS historyVisible,
         u.share_listening AS shareListening
       FROM user u LEFT JOIN listen_total s ON s.user_id = u.id ORDER BY u.username`,
    )
    .all() as UserTotalsRow[];
}

export interface PrivacyRow {
  shareListening: number;
  historyVisibleToAdmins: number;
}

export function privacyOf(db: Database, userId: string): PrivacyRow | undefined {
  return db
    .prepare(
      'SELECT share_listening AS shareListening, history_visible_to_admins AS historyVisibleToAdmins FROM user WHERE id = ?',
    )
    .get(userId) as PrivacyRow | undefined;
}

export function setPrivacy(
  db: Database,
  userId: string,
  privacy: { [Key in keyof PrivacyRow]?: number | undefined },
): void {
  if (privacy.shareListening !== undefined)
    db.prepare('UPDATE user SET share_listening = ? WHERE id = ?').run(privacy.shareListening, userId);
  if (privacy.historyVisibleToAdmins !== undefined)
    db.prepare('UPDATE user SET history_visible_to_admins = ? WHERE id = ?').run(
      privacy.historyVisibleToAdmins,
      userId,
    );
}
