// Stars, ratings and plays. Every id is checked before anything is written: one unknown id (or one the
// user may not see) fails the whole call with NOT_FOUND (Subsonic 70) and nothing changes.
import type { User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { visibleLibraryIds } from './access.ts';
import {
  addPlay,
  annotatedItemIds,
  insertPlayEvent,
  setRatingValue,
  setStarredAt,
} from './annotation.repository.ts';
import {
  existingAlbumIds,
  existingArtistIds,
  existingFolderIds,
  findTrackFacts,
  type TrackFacts,
} from '../catalog/lookup.ts';

export interface StarTargets {
  /** Songs, or (in `id`, as clients do) any prefixed id: albums, artists, folders. */
  ids: readonly string[];
  albumIds: readonly string[];
  artistIds: readonly string[];
}

export function notFound(what: string, id: string): TonearmError {
  return new TonearmError('NOT_FOUND', `${what} not found: ${id.slice(0, 80)}`);
}

/** Every id that names something the user may see, by its prefix; throws NOT_FOUND for the first one that does not. */
function assertItemsExist(db: Database, user: User, ids: readonly string[], alsoAnnotated: boolean): void {
  const libraries = visibleLibraryIds(user);
  const byPrefix = (prefix: string) => ids.filter((id) => id.startsWith(prefix));
  const found = new Set<string>([
    ...findTrackFacts(db, byPrefix('tr-'), libraries).keys(),
    ...existingAlbumIds(db, byPrefix('al-'), libraries),
    ...existingArtistIds(db, byPrefix('ar-'), libraries),
    ...existingFolderIds(db, byPrefix('fo-'), libraries),
  ]);
  // Unstarring something whose file is gone for now must still work: the annotation row is the proof.
  const annotated = alsoAnnotated ? annotatedItemIds(db, user.id, ids) : new Set<string>();
  for (const id of ids) if (!found.has(id) && !annotated.has(id)) throw notFound('item', id);
}

function starTargetIds(targets: StarTargets): string[] {
  for (const id of targets.albumIds) if (!id.startsWith('al-')) throw notFound('album', id);
  for (const id of targets.artistIds) if (!id.startsWith('ar-')) throw notFound('artist', id);
  const all = [...targets.ids, ...targets.albumIds, ...targets.artistIds];
  if (all.length === 0) {
    throw new TonearmError('MISSING_PARAMETER', 'required parameter is missing: id, albumId or artistId');
  }
  return [...new Set(all)];
}

export function star(db: Database, user: User, targets: StarTargets, now = Date.now()): void {
  const ids = starTargetIds(targets);
  db.transaction(() => {
    assertItemsExist(db, user, ids, false);
    for (const id of ids) setStarredAt(db, user.id, id, now);
  });
}

export function unstar(db: Database, user: User, targets: StarTargets): void {
  const ids = starTargetIds(targets);
  db.transaction(() => {
    assertItemsExist(db, user, ids, true);
    for (const id of ids) setStarredAt(db, user.id, id, null);
  });
}

/** rating 1–5 sets, 0 removes. */
export function setRating(db: Database, user: User, id: string, rating: number): void {
  if (!Number.isInteger(rating) || rating < 0 || rating > 5) {
    throw new TonearmError('BAD_REQUEST', 'rating must be an integer from 0 (remove) to 5');
  }
  db.transaction(() => {
    assertItemsExist(db, user, [id], rating === 0);
    setRatingValue(db, user.id, id, rating === 0 ? null : rating);
  });
}

/**
 * Checks scrobble ids (and their optional times, paired by position) and returns the tracks in order.
 * Throws before anything is recorded.
 */
export function resolveScrobble(
  db: Database,
  user: User,
  ids: readonly string[],
  times: readonly number[],
): { track: TrackFacts; time: number | undefined }[] {
  if (ids.length === 0) throw new TonearmError('MISSING_PARAMETER', 'required parameter is missing: id');
  if (times.length > 0 && times.length !== ids.length) {
    throw new TonearmError(
      'BAD_REQUEST',
      `wrong number of time values: ${times.length}, there are ${ids.length} ids`,
    );
  }
  const facts = findTrackFacts(db, ids, visibleLibraryIds(user));
  return ids.map((id, index) => {
    const track = facts.get(id);
    if (!track) throw notFound('song', id);
    return { track, time: times[index] };
  });
}

/**
 * Records one play: the track's play count and last-played time, and the same on its album and artist
 * (so "frequent"/"recent" album lists need no aggregation over tracks), plus one listening event.
 */
export function recordPlay(
  db: Database,
  user: Pick<User, 'id'>,
  track: TrackFacts,
  playedAt: number,
  client: string,
  /** What reported it: a Subsonic call, the native API's listening events, an imported history. */
  source: 'scrobble' | 'playbackReport' | 'listening' | 'import',
): void {
  db.transaction(() => {
    addPlay(db, user.id, track.id, playedAt);
    addPlay(db, user.id, track.album_id, playedAt);
    addPlay(db, user.id, track.artist_id, playedAt);
    insertPlayEvent(db, { userId: user.id, trackId: track.id, playedAt, client, source });
  });
}
