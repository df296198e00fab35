// Players: every client a user streams from — its `c` parameter plus its user agent, per user — is
// remembered, so the user or an admin can give it its own bitrate limit and preferred format (a phone on
// a data plan gets 128 kbit/s opus, the desktop the originals). Like Navidrome's players.
import { randomBytes } from 'node:crypto';
import type { User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { findProfile } from './profiles.ts';

export interface Player {
  id: string;
  userId: string;
  username: string;
  client: string;
  userAgent: string;
  name: string;
  /** kbit/s, 0 = no limit of its own. */
  maxBitRate: number;
  /** A profile name or '' (no preference). */
  format: string;
  lastSeenAt: number;
  lastAddress: string;
}

/** What of a player the Subsonic answers need; plain data, so it travels to read workers. */
export type PlayerSettings = Pick<Player, 'id' | 'maxBitRate' | 'format'>;

interface PlayerRow {
  id: string;
  user_id: string;
  username: string;
  client: string;
  user_agent: string;
  name: string;
  max_bit_rate: number;
  format: string;
  last_seen_at: number;
  last_address: string;
}

const SELECT = `SELECT p.id, p.user_id, u.username, p.client, p.user_agent, p.name, p.max_bit_rate, p.format,
  p.last_seen_at, p.last_address FROM player p JOIN user u ON u.id = p.user_id`;

// Seen-at is refreshed at most this often: a burst of range requests is one write, not fifty.
const SEEN_RESOLUTION_MS = 60_000;
const MAX_TEXT = 200;

function fromRow(row: PlayerRow): Player {
  return {
    id: row.id,
    userId: row.user_id,
    username: row.username,
    client: row.client,
    userAgent: row.user_agent,
    name: row.name,
    maxBitRate: row.max_bit_rate,
    format: row.format,
    lastSeenAt: row.last_seen_at,
    lastAddress: row.last_address,
  };
}

export interface PlayerSighting {
  userId: string;
  client: string;
  userAgent: string;
  address: string;
  now?: number;
}

// A song start is often several requests (HEAD, ranges, the next song prefetched): the player found for a
// client is reused for a few seconds instead of being written and read again each time. A change made
// to a player (limits, format) is seen once that moment has passed, or at once through this module.
const RECENT_MS = 5_000;

/** Values kept for RECENT_MS per database connection. */
class Recent<T> {
  private readonly byDatabase = new WeakMap<Database, Map<string, { value: T; until: number }>>();

  /** The kept value, or else the one `load` gives (then kept). */
  get(db: Database, key: string, now: number, load: () => T): T {
    let recent = this.byDatabase.get(db);
    if (!recent) {
      recent = new Map();
      this.byDatabase.set(db, recent);
    }
    const known = recent.get(key);
    if (known && known.until > now) return known.value;
    if (recent.size > 10_000) recent.clear();
    const value = load();
    recent.set(key, { value, until: now + RECENT_MS });
    return value;
  }

  forget(db: Database): void {
    this.byDatabase.get(db)?.clear();
  }
}

const remembered = new Recent<Player>();
const lookedUp = new Recent<Player | undefined>();

/** The player behind a request, created on first sight. */
export function rememberPlayer(db: Database, sighting: PlayerSighting): Player {
  const now = sighting.now ?? Date.now();
  const client = sighting.client.slice(0, MAX_TEXT);
  const userAgent = sighting.userAgent.slice(0, MAX_TEXT);
  const key = `${sighting.userId}\u0000${client}\u0000${userAgent}\u0000${sighting.address}`;
  return remembered.get(db, key, now, () => upsertPlayer(db, sighting, client, userAgent, now));
}

/**
 * The player a request comes from, if it was seen before; never creates one. Browsing answers use it to
 * tell a client what its songs would be transcoded to (transcodedSuffix), on every request, so the
 * answer is kept for a few seconds like rememberPlayer's.
 */
export function findPlayer(
  db: Database,
  sighting: Pick<PlayerSighting, 'userId' | 'client' | 'userAgent' | 'now'>,
): Player | undefined {
  const client = sighting.client.slice(0, MAX_TEXT);
  const userAgent = sighting.userAgent.slice(0, MAX_TEXT);
  const key = `${sighting.userId}\u0000${client}\u0000${userAgent}`;
  return lookedUp.get(db, key, sighting.now ?? Date.now(), () =>
    playerOfClient(db, sighting.userId, client, userAgent),
  );
}

function playerOfClient(db: Database, userId: string, client: string, userAgent: string): Player | undefined {
  const row = db
    .prepare(`${SELECT} WHERE p.user_id = ? AND p.client = ? AND p.user_agent = ?`)
    .get(userId, client, userAgent) as PlayerRow | undefined;
  return row ? fromRow(row) : undefined;
}

/** Forgets the players remembered for requests, so a change counts at once (updatePlayer, deletePlayer). */
function forgetRecentPlayers(db: Database): void {
  remembered.forget(db);
  lookedUp.forget(db);
}

function upsertPlayer(
  db: Database,
  sighting: PlayerSighting,
  client: string,
  userAgent: string,
  now: number,
): Player {
  // Remembering when a player was last seen must not keep a song from starting on a full disk or while
  // another program holds the database: a player seen before is used as it is; a new one is not saved yet.
  const saved = db.bestEffort(() =>
    db
      .prepare(
        `INSERT INTO player (id, user_id, client, user_agent, name, last_seen_at, last_address, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id, client, user_agent) DO UPDATE SET last_seen_at = excluded.last_seen_at,
       last_address = excluded.last_address
     WHERE player.last_seen_at < excluded.last_seen_at - ${SEEN_RESOLUTION_MS} OR player.last_address <> excluded.last_address`,
      )
      .run(
        `pr-${randomBytes(9).toString('base64url')}`,
        sighting.userId,
        client,
        userAgent,
        client || 'unknown client',
        now,
        sighting.address,
        now,
      ),
  );
  const player = playerOfClient(db, sighting.userId, client, userAgent);
  if (player) return player;
  if (saved) throw new Error('a player just saved cannot be read back');
  return unsavedPlayer(sighting, client, userAgent, now);
}

/** A player the database could not save yet: no limits of its own; it is saved when it is seen again. */
function unsavedPlayer(sighting: PlayerSighting, client: string, userAgent: string, now: number): Player {
  return {
    id: 'pr-unsaved',
    userId: sighting.userId,
    username: '',
    client,
    userAgent,
    name: client || 'unknown client',
    maxBitRate: 0,
    format: '',
    lastSeenAt: now,
    lastAddress: sighting.address,
  };
}

/** The caller's players, or everybody's for an admin who asks for all. */
export function listPlayers(db: Database, viewer: User, all = false): Player[] {
  const rows =
    all && viewer.roles.admin
      ? (db.prepare(`${SELECT} ORDER BY u.username, p.last_seen_at DESC`).all() as PlayerRow[])
      : (db
          .prepare(`${SELECT} WHERE p.user_id = ? ORDER BY p.last_seen_at DESC`)
          .all(viewer.id) as PlayerRow[]);
  return rows.map(fromRow);
}

function visiblePlayer(db: Database, viewer: User, id: string): Player {
  const row = db.prepare(`${SELECT} WHERE p.id = ?`).get(id) as PlayerRow | undefined;
  // Another user's player is as unknown as a missing one, unless the viewer is an admin.
  if (!row || (row.user_id !== viewer.id && !viewer.roles.admin)) {
    throw new TonearmError('NOT_FOUND', `player not found: ${id}`);
  }
  return fromRow(row);
}

export interface PlayerChanges {
  name?: string;
  maxBitRate?: number;
  format?: string;
}

/** Changes a player's name, limit or format: its owner or an admin. */
export function updatePlayer(db: Database, viewer: User, id: string, changes: PlayerChanges): Player {
  const player = visiblePlayer(db, viewer, id);
  const name = changes.name === undefined ? player.name : changes.name.trim().slice(0, MAX_TEXT);
  if (name === '') throw new TonearmError('INVALID_INPUT', 'a player name must not be empty');
  const maxBitRate = changes.maxBitRate ?? player.maxBitRate;
  if (!Number.isInteger(maxBitRate) || maxBitRate < 0 || maxBitRate > 10_000) {
    throw new TonearmError('INVALID_INPUT', 'maxBitRate must be kbit/s from 0 (no limit) to 10000');
  }
  const format = changes.format === undefined ? player.format : changes.format.trim().toLowerCase();
  if (format !== '' && format !== 'raw' && !findProfile(db, format)) {
    throw new TonearmError(
      'INVALID_INPUT',
      `unknown format "${format}": use a transcode profile name, raw or empty`,
    );
  }
  db.prepare('UPDATE player SET name = ?, max_bit_rate = ?, format = ? WHERE id = ?').run(
    name,
    maxBitRate,
    format,
    id,
  );
  forgetRecentPlayers(db);
  return visiblePlayer(db, viewer, id);
}

export function deletePlayer(db: Database, viewer: User, id: string): void {
  visiblePlayer(db, viewer, id);
  db.prepare('DELETE FROM player WHERE id = ?').run(id);
  forgetRecentPlayers(db);
}
