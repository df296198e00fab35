// Insights (issue 14, docs/insights.md): what the listening history is turned into.
//   - listen_stat / listen_hour / listen_total: per user, every finished listen counted by track, by hour
//     and in all, kept as
//     listens end (src/listening), so statistics never rescan the history;
//   - insight_dirty: finished plays the models have not taken in yet (the incremental update's input);
//   - insight_item / play_timeline: every play as integers (user, time, item), what the models load;
//   - track_similar / artist_similar: the co-listening model, the strongest neighbours of each track and
//     artist, rewritten by the recompute jobs;
//   - insight_total: plays, skips, listens and listeners per track, album and artist over the users who
//     share their listening; trend: the trending lists per window;
//   - user_mix: each user's daily mixes; station / station_track: radio queues and what they gave;
//   - user.share_listening / user.history_visible_to_admins: the privacy choices.
// Ids without foreign keys to the catalog, as everywhere in activity. Frozen once shipped.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `CREATE TABLE listen_stat (
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      track_id TEXT NOT NULL,
      listens INTEGER NOT NULL,
      plays INTEGER NOT NULL,
      skips INTEGER NOT NULL,
      listened_ms INTEGER NOT NULL,
      first_played_at INTEGER,
      last_played_at INTEGER,
      last_listen_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, track_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX listen_stat_track ON listen_stat (track_id)`,
    // A user's most played first (their taste, the recommendations' seeds) without sorting all they heard.
    `CREATE INDEX listen_stat_user_plays ON listen_stat (user_id, plays DESC)`,
    `CREATE TABLE listen_hour (
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      hour INTEGER NOT NULL,
      listens INTEGER NOT NULL,
      plays INTEGER NOT NULL,
      skips INTEGER NOT NULL,
      listened_ms INTEGER NOT NULL,
      PRIMARY KEY (user_id, hour)
    ) WITHOUT ROWID`,
    `CREATE INDEX listen_hour_time ON listen_hour (hour)`,
    `CREATE TABLE listen_total (
      user_id TEXT PRIMARY KEY REFERENCES user(id) ON DELETE CASCADE,
      listens INTEGER NOT NULL,
      plays INTEGER NOT NULL,
      skips INTEGER NOT NULL,
      listened_ms INTEGER NOT NULL,
      last_listen_at INTEGER NOT NULL
    ) WITHOUT ROWID`,
    `CREATE TABLE insight_dirty (listen_pk INTEGER PRIMARY KEY)`,
    // The plays as the models read them, in integers (a million rows load in under a second): each
    // track id gets a small number of its own, not the catalog's pk, so history outlives a file that
    // goes and comes back.
    // With the track's album and artist (kept by new plays and each full recompute): the models and the
    // totals read them here, not from the catalog's wide track rows.
    `CREATE TABLE insight_item (
      pk INTEGER PRIMARY KEY,
      track_id TEXT NOT NULL UNIQUE,
      album_id TEXT,
      artist_id TEXT
    )`,
    `CREATE INDEX insight_item_album ON insight_item (album_id)`,
    `CREATE INDEX insight_item_artist ON insight_item (artist_id)`,
    `CREATE TABLE play_timeline (
      user_pk INTEGER NOT NULL REFERENCES user(pk) ON DELETE CASCADE,
      started_at INTEGER NOT NULL,
      item_pk INTEGER NOT NULL,
      PRIMARY KEY (user_pk, started_at, item_pk)
    ) WITHOUT ROWID`,
    `CREATE TABLE track_similar (
      track_id TEXT NOT NULL,
      similar_id TEXT NOT NULL,
      score REAL NOT NULL,
      computed_at INTEGER NOT NULL,
      PRIMARY KEY (track_id, similar_id)
    ) WITHOUT ROWID`,
    `CREATE TABLE artist_similar (
      artist_id TEXT NOT NULL,
      similar_id TEXT NOT NULL,
      score REAL NOT NULL,
      computed_at INTEGER NOT NULL,
      PRIMARY KEY (artist_id, similar_id)
    ) WITHOUT ROWID`,
    `CREATE TABLE insight_total (
      kind TEXT NOT NULL CHECK (kind IN ('track', 'album', 'artist')),
      subject_id TEXT NOT NULL,
      listens INTEGER NOT NULL,
      plays INTEGER NOT NULL,
      skips INTEGER NOT NULL,
      listened_ms INTEGER NOT NULL,
      listeners INTEGER NOT NULL,
      PRIMARY KEY (kind, subject_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX insight_total_plays ON insight_total (kind, plays DESC, subject_id)`,
    `CREATE INDEX insight_total_skips ON insight_total (kind, skips DESC, subject_id)`,
    `CREATE TABLE trend (
      period TEXT NOT NULL CHECK (period IN ('day', 'week', 'month')),
      kind TEXT NOT NULL CHECK (kind IN ('track', 'album', 'artist')),
      rank INTEGER NOT NULL,
      subject_id TEXT NOT NULL,
      score REAL NOT NULL,
      plays INTEGER NOT NULL,
      listeners INTEGER NOT NULL,
      computed_at INTEGER NOT NULL,
      PRIMARY KEY (period, kind, rank)
    ) WITHOUT ROWID`,
    `CREATE TABLE user_mix (
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      title TEXT NOT NULL,
      description TEXT NOT NULL,
      seed_artist_ids TEXT NOT NULL,
      track_ids TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, position)
    ) WITHOUT ROWID`,
    `CREATE TABLE station (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      seed_type TEXT NOT NULL CHECK (seed_type IN ('track', 'album', 'artist', 'genre')),
      seed_id TEXT NOT NULL,
      title TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      used_at INTEGER NOT NULL
    ) WITHOUT ROWID`,
    `CREATE INDEX station_used ON station (used_at)`,
    `CREATE TABLE station_track (
      station_id TEXT NOT NULL REFERENCES station(id) ON DELETE CASCADE,
      track_id TEXT NOT NULL,
      position INTEGER NOT NULL,
      PRIMARY KEY (station_id, track_id)
    ) WITHOUT ROWID`,
    // Listens by time across users: trends, active listeners per minute.
    `CREATE INDEX listen_time ON listen (started_at)`,
    `ALTER TABLE user ADD COLUMN share_listening INTEGER NOT NULL DEFAULT 1`,
    `ALTER TABLE user ADD COLUMN history_visible_to_admins INTEGER NOT NULL DEFAULT 0`,
    // Listens finished before this version, counted as later ones will be.
    `INSERT INTO listen_stat (user_id, track_id, listens, plays, skips, listened_ms, first_played_at, last_played_at, last_listen_at)
     SELECT user_id, track_id, count(*), sum(outcome = 'play'), sum(outcome = 'skip'), sum(listened_ms),
       min(CASE WHEN outcome = 'play' THEN started_at END), max(CASE WHEN outcome = 'play' THEN started_at END), max(started_at)
     FROM listen WHERE outcome IS NOT NULL AND outcome <> 'ignored' GROUP BY user_id, track_id`,
    `INSERT OR IGNORE INTO insight_item (track_id, album_id, artist_id)
     SELECT DISTINCT l.track_id, t.album_id, t.artist_id FROM listen l LEFT JOIN track t ON t.id = l.track_id
     WHERE l.outcome = 'play'`,
    `INSERT OR IGNORE INTO play_timeline (user_pk, started_at, item_pk)
     SELECT u.pk, l.started_at, i.pk FROM listen l JOIN user u ON u.id = l.user_id JOIN insight_item i ON i.track_id = l.track_id
     WHERE l.outcome = 'play'`,
    `INSERT INTO listen_total (user_id, listens, plays, skips, listened_ms, last_listen_at)
     SELECT user_id, count(*), sum(outcome = 'play'), sum(outcome = 'skip'), sum(listened_ms), max(started_at)
     FROM listen WHERE outcome IS NOT NULL AND outcome <> 'ignored' GROUP BY user_id`,
    `INSERT INTO listen_hour (user_id, hour, listens, plays, skips, listened_ms)
     SELECT user_id, started_at / 3600000, count(*), sum(outcome = 'play'), sum(outcome = 'skip'), sum(listened_ms)
     FROM listen WHERE outcome IS NOT NULL AND outcome <> 'ignored' GROUP BY user_id, started_at / 3600000`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
