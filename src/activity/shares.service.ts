// Shares: a user picks songs, albums (all their tracks) or playlists (their present entries) and gets a
// public link that works without an account until it expires. The list of tracks is fixed when the
// share is made. Only the owner manages a share (admins may delete any); others get FORBIDDEN (50).
import type { User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { maySharePublicly, visibleLibraryIds } from './access.ts';
import { notFound } from './annotation.service.ts';
import { albumTrackIds, findTrackFacts } from '../catalog/lookup.ts';
import { newId } from './ids.ts';
import { getPlaylist } from './playlists.service.ts';
import {
  deleteShareRow,
  findShareRow,
  insertShareRow,
  listShareRows,
  recordShareVisit,
  type ShareRow,
  shareHasTrack,
  shareTrackIds,
  updateShareRow,
} from './shares.repository.ts';

export const SHARE_DESCRIPTION_MAX = 2000;
export const SHARE_MAX_TRACKS = 5000;

export interface Share {
  id: string;
  userId: string;
  username: string;
  description: string;
  createdAt: number;
  expiresAt: number | undefined;
  lastVisitedAt: number | undefined;
  visitCount: number;
  /** Shared tracks present now, in order. */
  trackIds: string[];
}

function toShare(db: Database, row: ShareRow): Share {
  const stored = shareTrackIds(db, row.id);
  const present = findTrackFacts(db, stored);
  return {
    id: row.id,
    userId: row.user_id,
    username: row.username,
    description: row.description,
    createdAt: row.created_at,
    expiresAt: row.expires_at ?? undefined,
    lastVisitedAt: row.last_visited_at ?? undefined,
    visitCount: row.visit_count,
    trackIds: stored.filter((id) => present.has(id)),
  };
}

function checkDescription(description: string | undefined): string | undefined {
  if (description !== undefined && description.length > SHARE_DESCRIPTION_MAX) {
    throw new TonearmError('BAD_REQUEST', `description must be at most ${SHARE_DESCRIPTION_MAX} characters`);
  }
  return description;
}

/** Songs, albums and playlists the user may see, expanded to track ids in order. */
function expandIds(db: Database, user: User, ids: readonly string[]): string[] {
  const libraries = visibleLibraryIds(user);
  const tracks = findTrackFacts(
    db,
    ids.filter((id) => id.startsWith('tr-')),
    libraries,
  );
  const out: string[] = [];
  for (const id of ids) {
    if (id.startsWith('tr-')) {
      if (!tracks.has(id)) throw notFound('song', id);
      out.push(id);
    } else if (id.startsWith('al-')) {
      const albumTracks = albumTrackIds(db, id, libraries);
      if (albumTracks.length === 0) throw notFound('album', id);
      out.push(...albumTracks);
    } else if (id.startsWith('pl-')) {
      out.push(...getPlaylist(db, user, id).trackIds);
    } else {
      throw notFound('item', id);
    }
  }
  return out;
}

export function createShare(
  db: Database,
  user: User,
  input: { ids: readonly string[]; description?: string; expiresAt?: number },
  now = Date.now(),
): Share {
  if (!maySharePublicly(user)) throw new TonearmError('FORBIDDEN', 'this user may not share');
  if (input.ids.length === 0)
    throw new TonearmError('MISSING_PARAMETER', 'required parameter is missing: id');
  const description = checkDescription(input.description) ?? '';
  if (input.expiresAt !== undefined && input.expiresAt !== 0 && input.expiresAt <= now) {
    throw new TonearmError('BAD_REQUEST', 'expires must be in the future (milliseconds since 1970)');
  }
  const id = newId('sh-');
  db.transaction(() => {
    const trackIds = expandIds(db, user, input.ids);
    if (trackIds.length > SHARE_MAX_TRACKS) {
      throw new TonearmError('BAD_REQUEST', `a share holds at most ${SHARE_MAX_TRACKS} songs`);
    }
    insertShareRow(
      db,
      {
        id,
        user_id: user.id,
        description,
        created_at: now,
        expires_at: input.expiresAt ? input.expiresAt : null,
      },
      trackIds,
    );
  });
  return toShare(db, findShareRow(db, id)!);
}

/** The caller's own shares (admins too: a share list is personal). */
export function listShares(db: Database, user: User): Share[] {
  return listShareRows(db, user.id).map((row) => toShare(db, row));
}

function managed(db: Database, user: User, id: string, adminToo: boolean): ShareRow {
  const row = findShareRow(db, id);
  if (!row) throw notFound('share', id);
  if (row.user_id !== user.id && !(adminToo && user.isAdmin)) {
    throw new TonearmError('FORBIDDEN', 'only the owner may change a share');
  }
  return row;
}

/** One of the caller's own shares (NOT_FOUND when unknown, FORBIDDEN when someone else's). */
export function getShare(db: Database, user: User, id: string): Share {
  return toShare(db, managed(db, user, id, false));
}

/** expiresAt 0 means never. */
export function updateShare(
  db: Database,
  user: User,
  id: string,
  input: { description?: string; expiresAt?: number },
): void {
  const description = checkDescription(input.description);
  db.transaction(() => {
    managed(db, user, id, false);
    updateShareRow(db, id, {
      ...(description !== undefined ? { description } : {}),
      ...(input.expiresAt !== undefined
        ? { expires_at: input.expiresAt === 0 ? null : input.expiresAt }
        : {}),
    });
  });
}

export function deleteShare(db: Database, user: User, id: string): void {
  db.transaction(() => {
    managed(db, user, id, true);
    deleteShareRow(db, id);
  });
}

function liveShare(db: Database, id: string, now: number): ShareRow | undefined {
  const row = findShareRow(db, id);
  if (!row || (row.expires_at !== null && row.expires_at <= now)) return undefined;
  return row;
}

/** The public page: a live share (counting the visit), or undefined when unknown or expired. */
export function visitShare(db: Database, id: string, now = Date.now()): Share | undefined {
  return db.transaction(() => {
    const row = liveShare(db, id, now);
    if (!row) return undefined;
    recordShareVisit(db, id, now);
    return toShare(db, findShareRow(db, id)!);
  });
}

/** True when the track is part of a live share (its public stream may be played). */
export function isTrackShared(db: Database, shareId: string, trackId: string, now = Date.now()): boolean {
  return liveShare(db, shareId, now) !== undefined && shareHasTrack(db, shareId, trackId);
}
