// Playlist rules. Who sees what: the owner sees their playlists; everyone sees public ones; admins see
// all (they may delete any, so they may look first). A private playlist of someone else is "not found"
// (70) for reads and changes alike, so its existence is not revealed; a public one of someone else can
// be read but not changed (50). Imported playlists (M3U files in a library) are owned by the first
// admin, public, and read-only: the file is the source of truth and is re-read when it changes.
//
// Entries survive missing files: lists and counts show only the entries present now (and in the
// libraries the viewer may see), and the indexes of updatePlaylist refer to that visible list.
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

/** The caller's own playlists and everyone's public ones; with `username` (admins only) that user's. */
export function listPlaylists(db: Database, user: User, options: { username?: string } = {}): Playlist[] {
  let ownerId = user.id;
  let includePublic = true;
  if (options.username !== undefined && options.username.toLowerCase() !== user.username.toLowerCase()) {
    if (!user.isAdmin) throw new TonearmError('FORBIDDEN', "only admins may list another user's playlists");
    const other = findUserByName(db, options.username);
    if (!other) throw notFound('user', options.username);
    ownerId = other.id;
    includePublic = false;
  }
  return listPlaylistSummaries(db, { ownerId, includePublic }, visibleLibraryIds(user)).map((row) =>
    toPlaylist(row, user),
  );
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
  input: { name?: string; playlistId?: string; songIds: readonly string[] },
  now = Date.now(),
): PlaylistWithTracks {
  const name = checkText(input.name?.trim(), 'name', PLAYLIST_NAME_MAX);
  if (input.songIds.length > PLAYLIST_MAX_ENTRIES) {
    throw new TonearmError('BAD_REQUEST', `a playlist holds at most ${PLAYLIST_MAX_ENTRIES} songs`);
  }
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
      comment: '',
      public: 0,
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
      const present = findTrackFacts(db, stored, visibleLibraryIds(user));
      // Visible index → stored position, so missing files keep their place while indexes match the client's view.
      const positions = stored.flatMap((trackId, position) => (present.has(trackId) ? [position] : []));
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
      if (next.length > PLAYLIST_MAX_ENTRIES) {
        throw new TonearmError('BAD_REQUEST', `a playlist holds at most ${PLAYLIST_MAX_ENTRIES} songs`);
      }
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
