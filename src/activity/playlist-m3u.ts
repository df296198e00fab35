// Playlists as M3U8 files, out and in. Export writes the entries the user sees, with #EXTINF lines and
// paths relative to each track's library root by default: players resolve a relative entry against the
// playlist file's folder, so the file works wherever the music is mounted (a NAS share on a laptop, /music
// in a container) once it is saved in the library's root — where Tonearm's scanner imports it from too.
// Absolute paths (the server's own, only useful on the server or with the same mounts) are for admins:
// they show how the server's disks are laid out. Import matches every entry to a track of the libraries
// the user may see (absolute paths inside a library, paths relative to a library root, and as a last
// resort the trailing folders and file name of a path written on another machine) and reports the lines
// that matched nothing.
import fs from 'node:fs/promises';
import type { User } from '../accounts/users.service.ts';
import { findTrackFacts, libraryRoot, trackIdByPath } from '../catalog/lookup.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { visibleLibraryIds } from './access.ts';
import {
  formatM3u,
  type LibraryRoots,
  type M3uEntry,
  type PathCandidate,
  parseM3uText,
  pathCandidates,
  pathSuffixCandidates,
} from './m3u.ts';
import { createPlaylist, getPlaylist, type Playlist } from './playlists.service.ts';

export type M3uPaths = 'relative' | 'absolute';

/** The playlist as M3U8 text (NOT_FOUND when the user may not see it). */
export function exportPlaylistM3u(
  db: Database,
  user: User,
  id: string,
  paths: M3uPaths = 'relative',
): { name: string; text: string } {
  if (paths === 'absolute' && !user.isAdmin) {
    throw new TonearmError('FORBIDDEN', "only admins may export the server's absolute file paths");
  }
  const playlist = getPlaylist(db, user, id);
  const facts = findTrackFacts(db, playlist.trackIds, visibleLibraryIds(user));
  const roots = new Map<number, string>();
  const rootOf = (libraryId: number): string => {
    let root = roots.get(libraryId);
    if (root === undefined) {
      root = (libraryRoot(db, libraryId) ?? '').replace(/[/\\]+$/, '');
      roots.set(libraryId, root);
    }
    return root;
  };
  const tracks = playlist.trackIds.flatMap((trackId) => {
    const track = facts.get(trackId);
    if (!track) return [];
    return [
      {
        duration: track.duration,
        artist: track.artist_name,
        title: track.title,
        location: paths === 'absolute' ? `${rootOf(track.library_id)}/${track.path}` : track.path,
      },
    ];
  });
  return { name: playlist.name, text: formatM3u(playlist.name, tracks) };
}

export interface M3uImport {
  playlist: Playlist;
  /** Entry lines that became playlist entries. */
  matched: number;
  /** Entry lines that matched no track the user may see, in order. */
  unmatched: M3uEntry[];
}

/** A new playlist of the user's from M3U text; its name from the options, the #PLAYLIST line or a default. */
export async function importPlaylistM3u(
  db: Database,
  user: User,
  text: string,
  options: { name?: string; comment?: string; public?: boolean } = {},
  now = Date.now(),
): Promise<M3uImport> {
  const parsed = parseM3uText(text);
  if (parsed.entries.length === 0) {
    throw new TonearmError('BAD_REQUEST', 'the playlist has no entries (one path or URL a line)');
  }
  const libraryIds = visibleLibraryIds(user) ?? [];
  const libraries: LibraryRoots[] = await Promise.all(
    libraryIds.map(async (libraryId) => {
      const root = libraryRoot(db, libraryId) ?? '';
      return { id: libraryId, roots: [root, await fs.realpath(root).catch(() => root)] };
    }),
  );
  const bases = libraryIds.map((libraryId) => ({ libraryId, dir: '' }));
  const lookups = new Map<string, string | undefined>();
  const find = (candidates: PathCandidate[]): string | undefined => {
    for (const { libraryId, relPath } of candidates) {
      const key = `${libraryId}\u0000${relPath}`;
      if (!lookups.has(key)) lookups.set(key, trackIdByPath(db, libraryId, relPath));
      const found = lookups.get(key);
      if (found) return found;
    }
    return undefined;
  };
  const songIds: string[] = [];
  const unmatched: M3uEntry[] = [];
  for (const entry of parsed.entries) {
    const id =
      find(pathCandidates(entry.location, bases, libraries)) ??
      find(pathSuffixCandidates(entry.location, libraryIds));
    if (id) songIds.push(id);
    else unmatched.push(entry);
  }
  const name = options.name?.trim() || parsed.name || 'Imported playlist';
  const playlist = createPlaylist(
    db,
    user,
    {
      name,
      songIds,
      ...(options.comment !== undefined ? { comment: options.comment } : {}),
      ...(options.public !== undefined ? { public: options.public } : {}),
    },
    now,
  );
  return { playlist, matched: songIds.length, unmatched };
}
