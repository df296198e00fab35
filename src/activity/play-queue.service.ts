// The play queue: one per user, saved by id (savePlayQueue: `current` names a track) or by index
// (OpenSubsonic indexBasedQueue: `currentIndex`, which stays right with duplicates). Both share one
// store: the ordered track ids plus the index of the current one. Saving with no ids clears the queue.
// Reading skips entries whose files are missing now and moves the current index to match.
import type { User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { visibleLibraryIds } from './access.ts';
import { notFound } from './annotation.service.ts';
import { findTrackFacts } from '../catalog/lookup.ts';
import { deletePlayQueueRow, findPlayQueueRow, upsertPlayQueueRow } from './play-queue.repository.ts';

export const PLAY_QUEUE_MAX_ENTRIES = 50_000;

export interface PlayQueue {
  username: string;
  /** Present entries, in order. */
  trackIds: string[];
  /** Index into trackIds; undefined when the queue is empty. */
  currentIndex: number | undefined;
  positionMs: number;
  /** undefined when nothing is saved. */
  changedAt: number | undefined;
  changedBy: string;
}

export function getPlayQueue(db: Database, user: User): PlayQueue {
  const row = findPlayQueueRow(db, user.id);
  if (!row) {
    return {
      username: user.username,
      trackIds: [],
      currentIndex: undefined,
      positionMs: 0,
      changedAt: undefined,
      changedBy: '',
    };
  }
  const stored = JSON.parse(row.track_ids) as string[];
  const present = findTrackFacts(db, stored, visibleLibraryIds(user));
  const trackIds: string[] = [];
  let currentIndex: number | undefined;
  stored.forEach((id, position) => {
    if (!present.has(id)) return;
    // The current entry, or the first present one after it when its file is missing.
    if (currentIndex === undefined && row.current_index !== null && position >= row.current_index) {
      currentIndex = trackIds.length;
    }
    trackIds.push(id);
  });
  if (trackIds.length > 0 && currentIndex === undefined) currentIndex = 0;
  return {
    username: user.username,
    trackIds,
    currentIndex,
    positionMs: row.position_ms,
    changedAt: row.changed_at,
    changedBy: row.changed_by,
  };
}

function save(
  db: Database,
  user: User,
  ids: readonly string[],
  currentIndex: number,
  positionMs: number,
  client: string,
  now: number,
): void {
  if (ids.length > PLAY_QUEUE_MAX_ENTRIES) {
    throw new TonearmError('BAD_REQUEST', `a play queue holds at most ${PLAY_QUEUE_MAX_ENTRIES} songs`);
  }
  db.transaction(() => {
    const present = findTrackFacts(db, ids, visibleLibraryIds(user));
    for (const id of ids) if (!present.has(id)) throw notFound('song', id);
    upsertPlayQueueRow(db, {
      user_id: user.id,
      track_ids: JSON.stringify(ids),
      current_index: currentIndex,
      position_ms: positionMs,
      changed_at: now,
      changed_by: client,
    });
  });
}

/** savePlayQueue: no ids clears; otherwise `current` is required and must be one of the ids. */
export function savePlayQueue(
  db: Database,
  user: User,
  input: { ids: readonly string[]; current?: string; positionMs?: number; client: string },
  now = Date.now(),
): void {
  if (input.ids.length === 0) {
    deletePlayQueueRow(db, user.id);
    return;
  }
  if (input.current === undefined) {
    throw new TonearmError('MISSING_PARAMETER', 'required parameter is missing: current');
  }
  const currentIndex = input.ids.indexOf(input.current);
  if (currentIndex < 0) throw new TonearmError('BAD_REQUEST', 'current must be one of the queued ids');
  save(db, user, input.ids, currentIndex, input.positionMs ?? 0, input.client, now);
}

/** savePlayQueueByIndex: no ids clears (and then currentIndex must be absent); else 0 <= currentIndex < ids. */
export function savePlayQueueByIndex(
  db: Database,
  user: User,
  input: { ids: readonly string[]; currentIndex?: number; positionMs?: number; client: string },
  now = Date.now(),
): void {
  if (input.ids.length === 0) {
    if (input.currentIndex !== undefined) {
      throw new TonearmError(
        'MISSING_PARAMETER',
        'currentIndex needs ids: an empty queue has no current entry',
      );
    }
    deletePlayQueueRow(db, user.id);
    return;
  }
  if (input.currentIndex === undefined) {
    throw new TonearmError('MISSING_PARAMETER', 'required parameter is missing: currentIndex');
  }
  if (input.currentIndex < 0 || input.currentIndex >= input.ids.length) {
    throw new TonearmError(
      'MISSING_PARAMETER',
      `currentIndex must be from 0 to ${input.ids.length - 1} (the queue has ${input.ids.length} entries)`,
    );
  }
  save(db, user, input.ids, input.currentIndex, input.positionMs ?? 0, input.client, now);
}
