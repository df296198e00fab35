// Playlist rules. Who sees what: the owner sees their playlists; everyone sees public ones; admins see
// all (they may delete any, so they may look first). A private playlist of someone else is "not found"
// (70) for reads and changes alike, so its existence is not revealed; a public one of someone else can
// be read but not changed (50). Imported playlists (M3U files in a library) are owned by the first
// admin, public, and read-only: the file is the source of truth and is re-read when it changes.
//
// Entries survive missing files: lists and counts show only the entries present now (and in the
// libraries the viewer may see), and the indexes of updatePlaylist and of the entry changes (insert,
// remove, move: the native API's) refer to that visible list.
import { findUserByName, type User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { visibleLibraryIds } from './access.ts';
import { notFound } from './annotation.service.ts';
import { findTrackFacts } from '../catalog/lookup.ts';
import { newId } from './ids.ts';
import {
  deletePlaylistRow,
  findPlaylistSummary,
  insertPlaylistRow,
  listPlaylistSummaries,
  type PlaylistKey,
  type PlaylistSummaryRow,
  playlistTrackIds,
  replacePlaylistTracks,
  updatePlaylistRow,
} from './playlists.repository.ts';

export const PLAYLIST_NAME_MAX = 500;
export const PLAYLIST_COMMENT_MAX = 5000;
export const PLAYLIST_MAX_ENTRIES = 50_000;

export interface Playlist {
  id: string;
  name: string;
  comment: string;
  ownerId: string;
  ownerName: string;
  public: boolean;
  createdAt: number;
  changedAt: number;
  songCount: number;
  /** Seconds, of the present entries. */
  duration: number;
  /** Album of the first present entry (its cover stands for the playlist). */
  coverAlbumId: string | undefined;
  /** For the viewer: not theirs, or imported from a file. */
  readonly: boolean;
  imported: boolean;
}

export type { PlaylistKey } from './playlists.repository.ts';

export interface PlaylistWithTracks extends Playlist {
  /** Present entries the viewer may see, in order (duplicates kept). */
  trackIds: string[];
}

function toPlaylist(row: PlaylistSummaryRow, viewer: User): Playlist {
  const imported = row.source_path !== null;
  return {
    id: row.id,
    name: row.name,
    comment: row.comment,
    ownerId: row.owner_id,
    ownerName: row.owner_name,
    public: row.public === 1,
    createdAt: row.created_at,
    changedAt: row.changed_at,
    songCount: row.song_count,
    duration: Math.round(row.duration),
    coverAlbumId: row.first_album_id ?? undefined,
    readonly: imported || row.owner_id !== viewer.id,
    imported,
  };
}

function maySee(row: PlaylistSummaryRow, user: User): boolean {
  return row.owner_id === user.id || row.public === 1 || user.isAdmin;
}

/** The playlist if the user may see it; NOT_FOUND otherwise (existence is not revealed). */
function visibleSummary(db: Database, user: User, id: string): PlaylistSummaryRow {
  const row = findPlaylistSummary(db, id, visibleLibraryIds(user));
  if (!row || !maySee(row, user)) throw notFound('playlist', id);
  return row;
}

function ownedSummary(db: Database, user: User, id: string): PlaylistSummaryRow {
  const row = visibleSummary(db, user, id);
  if (row.owner_id !== user.id) throw new TonearmError('FORBIDDEN', 'only the owner may change a playlist');
  if (row.source_path !== null) {
    throw new TonearmError(
      'FORBIDDEN',
      `playlist "${row.name}" is imported from ${row.source_path}; change the file instead`,
    );
  }
  return row;
}

/** Present, visible entries of a playlist in order. */
function visibleTrackIds(db: Database, user: User, playlistId: string): string[] {
  const stored = playlistTrackIds(db, playlistId);
  const present = findTrackFacts(db, stored, visibleLibraryIds(user));
  return stored.filter((id) => present.has(id));
}

/**
 * Visible index → stored position: entries whose file is missing (or in a library the user may no longer
 * see) keep their place, while the indexes the user sends match the list they were shown.
 */
function visiblePositions(db: Database, user: User, stored: readonly string[]): number[] {
  const present = findTrackFacts(db, stored, visibleLibraryIds(user));
  return stored.flatMap((trackId, position) => (present.has(trackId) ? [position] : []));
}

function assertSize(entries: readonly unknown[]): void {
  if (entries.length > PLAYLIST_MAX_ENTRIES) {
    throw new TonearmError('BAD_REQUEST', `a playlist holds at most ${PLAYLIST_MAX_ENTRIES} songs`);
  }
}

function assertTracks(db: Database, user: User, ids: readonly string[]): void {
  const present = findTrackFacts(db, ids, visibleLibraryIds(user));
  for (const id of ids) if (!present.has(id)) throw notFound('song', id);
}

function checkText(value: string | undefined, what: string, max: number): string | undefined {
  if (value !== undefined && value.length > max) {
    throw new TonearmError('BAD_REQUEST', `${what} must be at most ${max} characters`);
  }
  return value;
}

/**
 * The caller's own playlists and everyone's public ones; with `username` (admins only) that user's. By
 * name, then id; `after` and `limit` give one page of that order.
 */
export function listPlaylists(
  db: Database,
  user: User,
  options: { username?: string; after?: PlaylistKey; limit?: number } = {},
): Playlist[] {
  let ownerId = user.id;
  let includePublic = true;
  if (options.username !== undefined && options.username.toLowerCase() !== user.username.toLowerCase()) {
    if (!user.isAdmin) throw new TonearmError('FORBIDDEN', "only admins may list another user's playlists");
    const other = findUserByName(db, options.username);
    if (!other) throw notFound('user', options.username);
    ownerId = other.id;
    includePublic = false;
  }
  const page = {
    ...(options.after ? { after: options.after } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
  return listPlaylistSummaries(db, { ownerId, includePublic, ...page }, visibleLibraryIds(user)).map((row) =>
    toPlaylist(row, user),
  );
}

/** The playlist without its entries (NOT_FOUND when the user may not see it). */
export function findPlaylist(db: Database, user: User, id: string): Playlist {
  return toPlaylist(visibleSummary(db, user, id), user);
}

export function getPlaylist(db: Database, user: User, id: string): PlaylistWithTracks {
  const row = visibleSummary(db, user, id);
  return { ...toPlaylist(row, user), trackIds: visibleTrackIds(db, user, id) };
}

/**
 * createPlaylist: with `name` only, a new playlist; with `playlistId`, the playlist's whole track list is
 * replaced (clients reorder this way) and it is renamed when a name is given too.
 */
export function createPlaylist(
  db: Database,
  user: User,
  input: {
    name?: string;
    playlistId?: string;
    songIds: readonly string[];
    /** A new playlist's comment and visibility (the native API sets them at once). */
    comment?: string;
    public?: boolean;
  },
  now = Date.now(),
): PlaylistWithTracks {
  const name = checkText(input.name?.trim(), 'name', PLAYLIST_NAME_MAX);
  const comment = checkText(input.comment, 'comment', PLAYLIST_COMMENT_MAX) ?? '';
  assertSize(input.songIds);
  const id = db.transaction(() => {
    assertTracks(db, user, input.songIds);
    if (input.playlistId !== undefined) {
      ownedSummary(db, user, input.playlistId);
      updatePlaylistRow(db, input.playlistId, { ...(name ? { name } : {}), changed_at: now });
      replacePlaylistTracks(db, input.playlistId, input.songIds);
      return input.playlistId;
    }
    if (!name)
      throw new TonearmError('MISSING_PARAMETER', 'required parameter is missing: name or playlistId');
    const created = newId('pl-');
    insertPlaylistRow(db, {
      id: created,
      owner_id: user.id,
      name,
      comment,
      public: input.public ? 1 : 0,
      created_at: now,
      changed_at: now,
      library_id: null,
      source_path: null,
      source_mtime: null,
    });
    replacePlaylistTracks(db, created, input.songIds);
    return created;
  });
  return getPlaylist(db, user, id);
}

export interface PlaylistUpdate {
  name?: string;
  comment?: string;
  public?: boolean;
  /** 0-based indexes into the playlist as the owner saw it before this call; removed together. */
  songIndexesToRemove: readonly number[];
  /** Appended after the removals. */
  songIdsToAdd: readonly string[];
}

export function updatePlaylist(
  db: Database,
  user: User,
  id: string,
  update: PlaylistUpdate,
  now = Date.now(),
): void {
  const name = checkText(update.name?.trim(), 'name', PLAYLIST_NAME_MAX);
  if (update.name !== undefined && !name) throw new TonearmError('BAD_REQUEST', 'name must not be empty');
  const comment = checkText(update.comment, 'comment', PLAYLIST_COMMENT_MAX);
  db.transaction(() => {
    ownedSummary(db, user, id);
    const changesTracks = update.songIndexesToRemove.length > 0 || update.songIdsToAdd.length > 0;
    if (changesTracks) {
      assertTracks(db, user, update.songIdsToAdd);
      const stored = playlistTrackIds(db, id);
      const positions = visiblePositions(db, user, stored);
      const remove = new Set<number>();
      for (const index of update.songIndexesToRemove) {
        const position = positions[index];
        if (!Number.isInteger(index) || position === undefined) {
          throw new TonearmError(
            'BAD_REQUEST',
            `songIndexToRemove ${index} is outside the playlist (0 to ${positions.length - 1})`,
          );
        }
        remove.add(position);
      }
      const next = [...stored.filter((_, position) => !remove.has(position)), ...update.songIdsToAdd];
      assertSize(next);
      replacePlaylistTracks(db, id, next);
    }
    updatePlaylistRow(db, id, {
      ...(name !== undefined ? { name } : {}),
      ...(comment !== undefined ? { comment } : {}),
      ...(update.public !== undefined ? { public: update.public ? 1 : 0 } : {}),
      changed_at: now,
    });
  });
}

/**
 * Changes the entries of the user's own playlist in one transaction: `change` gets the stored track ids
 * and the stored position of each visible entry, and returns the new stored list.
 */
function changeEntries(
  db: Database,
  user: User,
  id: string,
  change: (stored: string[], positions: number[]) => string[],
  now: number,
): void {
  db.transaction(() => {
    ownedSummary(db, user, id);
    const stored = playlistTrackIds(db, id);
    const next = change(stored, visiblePositions(db, user, stored));
    assertSize(next);
    replacePlaylistTracks(db, id, next);
    updatePlaylistRow(db, id, { changed_at: now });
  });
}

function outside(what: string, index: number, length: number): TonearmError {
  return new TonearmError(
    'BAD_REQUEST',
    length === 0
      ? `${what} ${index} is outside the playlist: it is empty`
      : `${what} ${index} is outside the playlist (0 to ${length - 1})`,
  );
}

/** Stored position before which an entry lands at visible index `at` (0 ≤ at ≤ visible count). */
function storedInsertPoint(stored: readonly string[], positions: readonly number[], at: number): number {
  return at < positions.length ? positions[at]! : stored.length;
}

/**
 * Adds tracks (in order, duplicates kept) before the entry at visible index `at`, or at the end when `at`
 * is absent or equals the number of entries.
 */
export function insertPlaylistEntries(
  db: Database,
  user: User,
  id: string,
  trackIds: readonly string[],
  at?: number,
  now = Date.now(),
): void {
  if (trackIds.length === 0) throw new TonearmError('MISSING_PARAMETER', 'give at least one track id to add');
  changeEntries(
    db,
    user,
    id,
    (stored, positions) => {
      assertTracks(db, user, trackIds);
      if (at !== undefined && (at < 0 || at > positions.length)) {
        throw new TonearmError(
          'BAD_REQUEST',
          `position ${at} is outside the playlist (0 to ${positions.length}, the end)`,
        );
      }
      const point = storedInsertPoint(stored, positions, at ?? positions.length);
      return [...stored.slice(0, point), ...trackIds, ...stored.slice(point)];
    },
    now,
  );
}

/** Removes the entries at the given visible indexes (0-based, as the user saw the list before this call). */
export function removePlaylistEntries(
  db: Database,
  user: User,
  id: string,
  indexes: readonly number[],
  now = Date.now(),
): void {
  if (indexes.length === 0)
    throw new TonearmError('MISSING_PARAMETER', 'give at least one position to remove');
  changeEntries(
    db,
    user,
    id,
    (stored, positions) => {
      const remove = new Set<number>();
      for (const index of indexes) {
        const position = positions[index];
        if (position === undefined) throw outside('position', index, positions.length);
        remove.add(position);
      }
      return stored.filter((_, position) => !remove.has(position));
    },
    now,
  );
}

/**
 * Moves `count` entries starting at visible index `from` so that the first of them is at visible index
 * `to` afterwards (0 ≤ to ≤ entries − count). Entries are named by position, so duplicates of one track
 * move independently.
 */
export function movePlaylistEntries(
  db: Database,
  user: User,
  id: string,
  move: { from: number; count: number; to: number },
  now = Date.now(),
): void {
  const { from, count, to } = move;
  if (!Number.isInteger(count) || count < 1)
    throw new TonearmError('BAD_REQUEST', 'count must be at least 1');
  changeEntries(
    db,
    user,
    id,
    (stored, positions) => {
      if (from < 0 || from + count > positions.length) {
        throw new TonearmError(
          'BAD_REQUEST',
          `entries ${from} to ${from + count - 1} are not all in the playlist (0 to ${positions.length - 1})`,
        );
      }
      const remaining = positions.length - count;
      if (to < 0 || to > remaining) {
        throw new TonearmError(
          'BAD_REQUEST',
          `to must be from 0 to ${remaining} when moving ${count} entries`,
        );
      }
      const moving = new Set(positions.slice(from, from + count));
      const movedIds = [...moving].map((position) => stored[position]!);
      const visible = new Set(positions);
      // What stays, and where its visible entries are once the moved ones are out.
      const kept: string[] = [];
      const keptVisible: number[] = [];
      for (const [position, trackId] of stored.entries()) {
        if (moving.has(position)) continue;
        if (visible.has(position)) keptVisible.push(kept.length);
        kept.push(trackId);
      }
      const point = storedInsertPoint(kept, keptVisible, to);
      return [...kept.slice(0, point), ...movedIds, ...kept.slice(point)];
    },
    now,
  );
}

/** The owner or an admin (admins may also delete imported ones; the next scan brings them back if the file is still there). */
export function deletePlaylist(db: Database, user: User, id: string): void {
  db.transaction(() => {
    const row = visibleSummary(db, user, id);
    if (row.owner_id !== user.id && !user.isAdmin) {
      throw new TonearmError('FORBIDDEN', 'only the owner or an admin may delete a playlist');
    }
    deletePlaylistRow(db, id);
  });
}
