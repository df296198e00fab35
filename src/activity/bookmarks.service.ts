// Bookmarks (a position in a long track to come back to). Keyed by the caller, so nobody can read or
// delete another user's: deleting "another user's" bookmark just finds none of one's own.
import type { User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { visibleLibraryIds } from './access.ts';
import { notFound } from './annotation.service.ts';
import { deleteBookmarkRow, listBookmarkRows, upsertBookmarkRow } from './bookmarks.repository.ts';
import { findTrackFacts } from '../catalog/lookup.ts';

export const BOOKMARK_COMMENT_MAX = 2000;

export interface Bookmark {
  trackId: string;
  username: string;
  positionMs: number;
  comment: string;
  createdAt: number;
  changedAt: number;
}

export function createBookmark(
  db: Database,
  user: User,
  input: { trackId: string; positionMs: number; comment?: string },
  now = Date.now(),
): void {
  if (input.positionMs < 0) throw new TonearmError('BAD_REQUEST', 'position must not be negative');
  const comment = input.comment ?? '';
  if (comment.length > BOOKMARK_COMMENT_MAX) {
    throw new TonearmError('BAD_REQUEST', `comment must be at most ${BOOKMARK_COMMENT_MAX} characters`);
  }
  db.transaction(() => {
    if (!findTrackFacts(db, [input.trackId], visibleLibraryIds(user)).has(input.trackId)) {
      throw notFound('song', input.trackId);
    }
    upsertBookmarkRow(db, {
      user_id: user.id,
      track_id: input.trackId,
      position_ms: input.positionMs,
      comment,
      now,
    });
  });
}

/** The caller's bookmarks on tracks present now, most recently changed first. */
export function listBookmarks(db: Database, user: User): Bookmark[] {
  const rows = listBookmarkRows(db, user.id);
  const present = findTrackFacts(
    db,
    rows.map((row) => row.track_id),
    visibleLibraryIds(user),
  );
  return rows
    .filter((row) => present.has(row.track_id))
    .map((row) => ({
      trackId: row.track_id,
      username: user.username,
      positionMs: row.position_ms,
      comment: row.comment,
      createdAt: row.created_at,
      changedAt: row.changed_at,
    }));
}

/** Idempotent, like other servers: clients delete after finishing without checking first. */
export function deleteBookmark(db: Database, user: User, trackId: string): void {
  deleteBookmarkRow(db, user.id, trackId);
}
