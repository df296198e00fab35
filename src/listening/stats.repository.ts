// Running counts of finished listens (migration 0015), kept in the transaction that ends each listen, so
// statistics and the models read small tables instead of the whole history: per user and track
// (listen_stat), per user and hour (listen_hour) and per user (listen_total). A play also marks its listen for the models'
// incremental update (insight_dirty).
import type { Database } from '../db/database.ts';

export const HOUR_MS = 3_600_000;

export interface CountedListen {
  userId: string;
  trackId: string;
  startedAt: number;
  listenedMs: number;
  outcome: 'play' | 'skip' | 'partial';
}

export function addListenToStats(db: Database, listen: CountedListen): void {
  const play = listen.outcome === 'play' ? 1 : 0;
  const skip = listen.outcome === 'skip' ? 1 : 0;
  const playedAt = play ? listen.startedAt : null;
  db.prepare(
    `INSERT INTO listen_stat (user_id, track_id, listens, plays, skips, listened_ms, first_played_at, last_played_at, last_listen_at)
     VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id, track_id) DO UPDATE SET
       listens = listens + 1, plays = plays + excluded.plays, skips = skips + excluded.skips,
       listened_ms = listened_ms + excluded.listened_ms,
       first_played_at = coalesce(min(first_played_at, excluded.first_played_at), first_played_at, excluded.first_played_at),
       last_played_at = coalesce(max(last_played_at, excluded.last_played_at), last_played_at, excluded.last_played_at),
       last_listen_at = max(last_listen_at, excluded.last_listen_at)`,
  ).run(listen.userId, listen.trackId, play, skip, listen.listenedMs, playedAt, playedAt, listen.startedAt);
  db.prepare(
    `INSERT INTO listen_hour (user_id, hour, listens, plays, skips, listened_ms) VALUES (?, ?, 1, ?, ?, ?)
     ON CONFLICT (user_id, hour) DO UPDATE SET listens = listens + 1, plays = plays + excluded.plays,
       skips = skips + excluded.skips, listened_ms = listened_ms + excluded.listened_ms`,
  ).run(listen.userId, Math.floor(listen.startedAt / HOUR_MS), play, skip, listen.listenedMs);
  db.prepare(
    `INSERT INTO listen_total (user_id, listens, plays, skips, listened_ms, last_listen_at) VALUES (?, 1, ?, ?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET listens = listens + 1, plays = plays + excluded.plays,
       skips = skips + excluded.skips, listened_ms = listened_ms + excluded.listened_ms,
       last_listen_at = max(last_listen_at, excluded.last_listen_at)`,
  ).run(listen.userId, play, skip, listen.listenedMs, listen.startedAt);
}

/**
 * A finished play, for the models: into their timeline (integers: user, time, item) and their inbox of
 * plays not yet taken in.
 */
export function addPlayForModels(
  db: Database,
  play: {
    listenPk: number;
    userId: string;
    trackId: string;
    albumId: string | null;
    artistId: string | null;
    startedAt: number;
  },
): void {
  // The track's album and artist as the catalog has them now (the full recompute refreshes them all).
  db.prepare(
    `INSERT INTO insight_item (track_id, album_id, artist_id) VALUES (?, ?, ?)
     ON CONFLICT (track_id) DO UPDATE SET album_id = coalesce(excluded.album_id, album_id),
       artist_id = coalesce(excluded.artist_id, artist_id)`,
  ).run(play.trackId, play.albumId, play.artistId);
  db.prepare(
    `INSERT OR IGNORE INTO play_timeline (user_pk, started_at, item_pk)
     VALUES ((SELECT pk FROM user WHERE id = ?), ?, (SELECT pk FROM insight_item WHERE track_id = ?))`,
  ).run(play.userId, play.startedAt, play.trackId);
  db.prepare('INSERT OR IGNORE INTO insight_dirty (listen_pk) VALUES (?)').run(play.listenPk);
}

/** Forgets a user's counts (with their history). */
export function deleteStatsOf(db: Database, userId: string): void {
  db.prepare('DELETE FROM listen_stat WHERE user_id = ?').run(userId);
  db.prepare('DELETE FROM listen_hour WHERE user_id = ?').run(userId);
  db.prepare('DELETE FROM listen_total WHERE user_id = ?').run(userId);
  db.prepare('DELETE FROM play_timeline WHERE user_pk = (SELECT pk FROM user WHERE id = ?)').run(userId);
}
