// Players: every client a user streams from — its `c` parameter plus its user agent, per user — is
// remembered, so the user or an admin can give it its own bitrate limit and preferred format (a phone on
// a data plan gets 128 kbit/s opus, the desktop the originals). Like Navidrome's players. One Players per
// server (made with the app), holding the players its requests saw in the last few seconds.
import { randomBytes } from 'node:crypto';
import type { User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import {
  deletePlayerRow,
  findPlayerRow,
  findPlayerRowOfClient,
  listPlayerRows,
  type PlayerRow,
  recordPlayerSighting,
  updatePlayerRow,
} from './players.repository.ts';
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

/** What a stream decision needs of a player; plain data, so it travels to read workers. */
export type PlayerSettings = Pick<Player, 'id' | 'maxBitRate' | 'format'>;

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
// to a player (limits, format) is seen once that moment has passed, or at once through this class.
const RECENT_MS = 5_000;

/** Values kept for RECENT_MS. */
class Recent<T> {
  private readonly values = new Map<string, { value: T; until: number }>();

  /** The kept value, or else the one `load` gives (then kept). */
  get(key: string, now: number, load: () => T): T {
    const known = this.values.get(key);
    if (known && known.until > now) return known.value;
    if (this.values.size > 10_000) this.values.clear();
    const value = load();
    this.values.set(key, { value, until: now + RECENT_MS });
    return value;
  }

  clear(): void {
    this.values.clear();
  }
}

export class Players {
  private readonly db: Database;
  private readonly remembered = new Recent<PlayerSettings>();
  private readonly lookedUp = new Recent<Player | undefined>();

  constructor(db: Database) {
    this.db = db;
  }

  /**
   * The player behind a request, created on first sight; its last sighting and address are recorded.
   * `known` is the player the request was already found to come from (findPlayer), so it is not read again.
   */
  remember(sighting: PlayerSighting, known?: PlayerSettings): PlayerSettings {
    const now = sighting.now ?? Date.now();
    const client = sighting.client.slice(0, MAX_TEXT);
    const userAgent = sighting.userAgent.slice(0, MAX_TEXT);
    const key = `${sighting.userId}\u0000${client}\u0000${userAgent}\u0000${sighting.address}`;
    return this.remembered.get(key, now, () => this.record(sighting, client, userAgent, now, known));
  }

  /**
   * The player a request comes from, if it was seen before; never creates one. Browsing answers use it to
   * tell a client what its songs would be transcoded to (transcodedSuffix), on every request, so the
   * answer is kept for a few seconds like remember's.
   */
  find(sighting: Pick<PlayerSighting, 'userId' | 'client' | 'userAgent' | 'now'>): Player | undefined {
    const client = sighting.client.slice(0, MAX_TEXT);
    const userAgent = sighting.userAgent.slice(0, MAX_TEXT);
    const key = `${sighting.userId}\u0000${client}\u0000${userAgent}`;
    return this.lookedUp.get(key, sighting.now ?? Date.now(), () =>
      this.ofClient(sighting.userId, client, userAgent),
    );
  }

  /** The caller's players, or everybody's for an admin who asks for all. */
  list(viewer: User, all = false): Player[] {
    return listPlayerRows(this.db, all && viewer.roles.admin ? undefined : viewer.id).map(fromRow);
  }

  /** Changes a player's name, limit or format: its owner or an admin. */
  update(viewer: User, id: string, changes: PlayerChanges): Player {
    const player = this.visible(viewer, id);
    const name = changes.name === undefined ? player.name : changes.name.trim().slice(0, MAX_TEXT);
    if (name === '') throw new TonearmError('INVALID_INPUT', 'a player name must not be empty');
    const maxBitRate = changes.maxBitRate ?? player.maxBitRate;
    if (!Number.isInteger(maxBitRate) || maxBitRate < 0 || maxBitRate > 10_000) {
      throw new TonearmError('INVALID_INPUT', 'maxBitRate must be kbit/s from 0 (no limit) to 10000');
    }
    const format = changes.format === undefined ? player.format : changes.format.trim().toLowerCase();
    if (format !== '' && format !== 'raw' && !findProfile(this.db, format)) {
      throw new TonearmError(
        'INVALID_INPUT',
        `unknown format "${format}": use a transcode profile name, raw or empty`,
      );
    }
    updatePlayerRow(this.db, id, { name, max_bit_rate: maxBitRate, format });
    this.forgetRecent();
    return this.visible(viewer, id);
  }

  delete(viewer: User, id: string): void {
    this.visible(viewer, id);
    deletePlayerRow(this.db, id);
    this.forgetRecent();
  }

  /** Forgets the players remembered for requests, so a change counts at once. */
  private forgetRecent(): void {
    this.remembered.clear();
    this.lookedUp.clear();
  }

  private ofClient(userId: string, client: string, userAgent: string): Player | undefined {
    const row = findPlayerRowOfClient(this.db, userId, client, userAgent);
    return row ? fromRow(row) : undefined;
  }

  private visible(viewer: User, id: string): Player {
    const row = findPlayerRow(this.db, id);
    // Another user's player is as unknown as a missing one, unless the viewer is an admin.
    if (!row || (row.user_id !== viewer.id && !viewer.roles.admin)) {
      throw new TonearmError('NOT_FOUND', `player not found: ${id}`);
    }
    return fromRow(row);
  }

  private record(
    sighting: PlayerSighting,
    client: string,
    userAgent: string,
    now: number,
    known: PlayerSettings | undefined,
  ): PlayerSettings {
    // Remembering when a player was last seen must not keep a song from starting on a full disk or while
    // another program holds the database: a player seen before is used as it is; a new one is not saved yet.
    const saved = this.db.bestEffort(() => {
      recordPlayerSighting(
        this.db,
        {
          id: `pr-${randomBytes(9).toString('base64url')}`,
          user_id: sighting.userId,
          client,
          user_agent: userAgent,
          name: client || 'unknown client',
          last_seen_at: now,
          last_address: sighting.address,
          created_at: now,
        },
        SEEN_RESOLUTION_MS,
      );
      return true;
    });
    if (known) return known;
    const player = this.ofClient(sighting.userId, client, userAgent);
    if (player) return player;
    if (saved) throw new Error('a player just saved cannot be read back');
    return unsavedPlayer(sighting, client, userAgent, now);
  }
}

export interface PlayerChanges {
  name?: string;
  maxBitRate?: number;
  format?: string;
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
