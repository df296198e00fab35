// A user's own listening as the recommendations read it (listen_stat, listen), the mixes kept for them,
// radio stations, and the catalog facts the content-based fallback compares.
import type { Database } from '../db/database.ts';

export interface TasteRow {
  trackId: string;
  artistId: string | null;
  plays: number;
  skips: number;
  lastPlayedAt: number | null;
}

/** The user's most played tracks (all time), with their artist. */
export function mostPlayedByUser(db: Database, userId: string, limit: number): TasteRow[] {
  return db
    .prepare(
      `SELECT s.track_id AS trackId, t.artist_id AS artistId, s.plays, s.skips, s.last_played_at AS lastPlayedAt
       FROM listen_stat s LEFT JOIN insight_item t ON t.track_id = s.track_id
       WHERE s.user_id = ? AND s.plays > 0 ORDER BY s.plays DESC, s.track_id LIMIT ?`,
    )
    .all(userId, limit) as TasteRow[];
}

/** Tracks the user played or skipped (left out of discoveries). */
export function heardByUser(db: Database, userId: string): Set<string> {
  return new Set(
    db
      .prepare('SELECT track_id FROM listen_stat WHERE user_id = ? AND (plays > 0 OR skips > 0)')
      .pluck()
      .all(userId) as string[],
  );
}

/** The user's plays since `since` counted by track, most first: [track, plays, lastAt]. */
export function recentPlaysByTrack(
  db: Database,
  userId: string,
  since: number,
  limit: number,
): [string, number, number][] {
  return db
    .prepare(
      `SELECT track_id, count(*) AS plays, max(started_at) AS last FROM listen
       WHERE user_id = ? AND started_at >= ? AND outcome = 'play'
       GROUP BY track_id ORDER BY plays DESC, last DESC, track_id LIMIT ?`,
    )
    .raw(true)
    .all(userId, since, limit) as [string, number, number][];
}

/** Tracks the user played at least `minPlays` times but not since `before`, most played first. */
export function forgottenByUser(
  db: Database,
  userId: string,
  minPlays: number,
  before: number,
  limit: number,
): string[] {
  return db
    .prepare(
      `SELECT track_id FROM listen_stat WHERE user_id = ? AND plays >= ? AND last_played_at < ?
       ORDER BY plays DESC, last_played_at DESC, track_id LIMIT ?`,
    )
    .pluck()
    .all(userId, minPlays, before, limit) as string[];
}

/** The artist's tracks by plays of sharing users (then album order): the artist's top songs. */
export function topTrackIdsOfArtists(
  db: Database,
  artistIds: readonly string[],
  perArtist: number,
): [string, string][] {
  if (artistIds.length === 0) return [];
  return db
    .prepare(
      `SELECT artist_id, id FROM (
         SELECT t.artist_id, t.id, row_number() OVER (
           PARTITION BY t.artist_id ORDER BY coalesce(it.plays, 0) DESC, t.album_id, t.disc_number, t.track_number, t.id) AS n
         FROM track t LEFT JOIN insight_total it ON it.kind = 'track' AND it.subject_id = t.id
         WHERE t.artist_id IN (SELECT value FROM json_each(?)))
       WHERE n <= ?`,
    )
    .raw(true)
    .all(JSON.stringify(artistIds), perArtist) as [string, string][];
}

export interface ContentSeed {
  id: string;
  artistId: string;
  year: number | null;
  bpm: number | null;
  gain: number | null;
}

/**
 * Tracks like a seed by what the files say (the fallback when nobody listened to it): sharing a genre or
 * the artist, nearest in year, tempo and loudness first.
 */
export function contentNeighbourIds(db: Database, trackId: string, limit: number): string[] {
  return db
    .prepare(
      `WITH seed AS (SELECT id, artist_id, year, bpm, rg_track_gain AS gain FROM track WHERE id = ?),
       candidates AS (
         SELECT tg2.track_id AS id FROM track_genre tg1 JOIN track_genre tg2 ON tg2.genre_id = tg1.genre_id
         WHERE tg1.track_id = (SELECT id FROM seed) LIMIT 1000)
       SELECT t.id FROM track t, seed s
       WHERE (t.id IN (SELECT id FROM candidates) OR t.artist_id = s.artist_id) AND t.id <> s.id
       ORDER BY (t.artist_id = s.artist_id) * -0.5
         + coalesce(abs(t.year - s.year) / 5.0, 1)
         + coalesce(abs(t.bpm - s.bpm) / 15.0, 0.5)
         + coalesce(abs(t.rg_track_gain - s.gain) / 3.0, 0.5), t.id
       LIMIT ?`,
    )
    .pluck()
    .all(trackId, limit) as string[];
}

/** Track ids of a genre (exact name), most played by sharing users first, then a stable order. */
export function popularTrackIdsOfGenre(db: Database, genre: string, limit: number): string[] {
  return db
    .prepare(
      `SELECT tg.track_id FROM track_genre tg LEFT JOIN insight_total it ON it.kind = 'track' AND it.subject_id = tg.track_id
       WHERE tg.genre_id = (SELECT id FROM genre WHERE name = ?)
       ORDER BY coalesce(it.plays, 0) DESC, tg.track_id LIMIT ?`,
    )
    .pluck()
    .all(genre, limit) as string[];
}

export function genreExists(db: Database, genre: string): boolean {
  return db.prepare('SELECT 1 FROM genre WHERE name = ?').get(genre) !== undefined;
}

// ---- mixes

export interface MixRow {
  position: number;
  title: string;
  description: string;
  seedArtistIds: string[];
  trackIds: string[];
  createdAt: number;
}

export function replaceMixes(db: Database, userId: string, mixes: readonly MixRow[]): void {
  db.prepare('DELETE FROM user_mix WHERE user_id = ?').run(userId);
  const insert = db.prepare(
    'INSERT INTO user_mix (user_id, position, title, description, seed_artist_ids, track_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  for (const mix of mixes)
    insert.run(
      userId,
      mix.position,
      mix.title,
      mix.description,
      JSON.stringify(mix.seedArtistIds),
      JSON.stringify(mix.trackIds),
      mix.createdAt,
    );
}

export function mixesOf(db: Database, userId: string): MixRow[] {
  const rows = db
    .prepare(
      'SELECT position, title, description, seed_artist_ids, track_ids, created_at FROM user_mix WHERE user_id = ? ORDER BY position',
    )
    .all(userId) as {
    position: number;
    title: string;
    description: string;
    seed_artist_ids: string;
    track_ids: string;
    created_at: number;
  }[];
  return rows.map((row) => ({
    position: row.position,
    title: row.title,
    description: row.description,
    seedArtistIds: JSON.parse(row.seed_artist_ids) as string[],
    trackIds: JSON.parse(row.track_ids) as string[],
    createdAt: row.created_at,
  }));
}

/** Users with any play, for the nightly mixes. */
export function usersWithPlays(db: Database): string[] {
  return db.prepare('SELECT DISTINCT user_id FROM listen_stat WHERE plays > 0').pluck().all() as string[];
}

// ---- stations (radio)

export interface StationRow {
  id: string;
  userId: string;
  seedType: 'track' | 'album' | 'artist' | 'genre';
  seedId: string;
  title: string;
  createdAt: number;
  usedAt: number;
}

export function insertStation(db: Database, station: StationRow): void {
  db.prepare(
    'INSERT INTO station (id, user_id, seed_type, seed_id, title, created_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(
    station.id,
    station.userId,
    station.seedType,
    station.seedId,
    station.title,
    station.createdAt,
    station.usedAt,
  );
}

export function findStation(db: Database, id: string): StationRow | undefined {
  return db
    .prepare(
      `SELECT id, user_id AS userId, seed_type AS seedType, seed_id AS seedId, title, created_at AS createdAt, used_at AS usedAt
       FROM station WHERE id = ?`,
    )
    .get(id) as StationRow | undefined;
}

export function stationGiven(db: Database, stationId: string): Set<string> {
  return new Set(
    db.prepare('SELECT track_id FROM station_track WHERE station_id = ?').pluck().all(stationId) as string[],
  );
}

export function addStationTracks(
  db: Database,
  stationId: string,
  trackIds: readonly string[],
  now: number,
): void {
  const start =
    (db
      .prepare('SELECT count(*) FROM station_track WHERE station_id = ?')
      .pluck()
      .get(stationId) as number) ?? 0;
  const insert = db.prepare(
    'INSERT OR IGNORE INTO station_track (station_id, track_id, position) VALUES (?, ?, ?)',
  );
  trackIds.forEach((trackId, index) => {
    insert.run(stationId, trackId, start + index);
  });
  db.prepare('UPDATE station SET used_at = ? WHERE id = ?').run(now, stationId);
}

/** Stations nobody asked anything of since `before` go; returns how many. */
export function pruneStations(db: Database, before: number): number {
  return db.prepare('DELETE FROM station WHERE used_at < ?').run(before).changes;
}

/** Forgets what the recommendations kept for a user (with their history). */
export function deletePersonalInsights(db: Database, userId: string): void {
  db.prepare('DELETE FROM user_mix WHERE user_id = ?').run(userId);
  db.prepare('DELETE FROM station WHERE user_id = ?').run(userId);
}
