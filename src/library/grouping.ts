// Turns what was read from files into catalog identity: splits artists, applies fallbacks for untagged
// files, decides each album's album artist (tag; else "Various Artists" for compilations and for albums
// whose tracks do not share one artist; else the track artist) and derives album and track ids.
import path from 'node:path';
import { albumId, normalizeKey, trackId } from '../music/identity.ts';
import type { ReadTrack } from './tags.ts';
import { albumFolderOf, discNumberFromFolder, extensionOf } from './walk.ts';

export const VARIOUS_ARTISTS = 'Various Artists';
export const UNKNOWN_ARTIST = '[Unknown Artist]';

export interface GroupingOptions {
  artistSeparators: readonly string[];
  genreSeparators: readonly string[];
}

/** What grouping needs of a track; stored with every track so an album can be regrouped without re-reading files. */
export interface GroupingInputs {
  path: string;
  title: string;
  artists: string[];
  albumName: string;
  albumArtistTag: string | null;
  albumArtists: string[];
  compilation: boolean;
  mbzAlbumId: string | null;
  mbzTrackId: string | null;
  albumVersion: string;
  discNumber: number;
  trackNumber: number | null;
  suffix: string;
}

export interface GroupedIdentity {
  albumId: string;
  albumArtists: string[];
  albumArtistDisplay: string;
  /** The id before disambiguation of same-identity files. */
  baseTrackId: string;
}

/** Splits "A feat. B" / "A; B" into names, unless the file already lists artists one by one. */
export function splitArtists(
  display: string | null,
  listed: readonly string[],
  separators: readonly string[],
): string[] {
  if (listed.length > 1) return dedupe(listed.flatMap((name) => splitOn(name, separators)));
  const source = display ?? listed[0];
  if (!source) return [];
  return dedupe(splitOn(source, separators));
}

export function splitGenres(genres: readonly string[], separators: readonly string[]): string[] {
  return dedupe(genres.flatMap((genre) => splitOn(genre, separators)));
}

function splitOn(text: string, separators: readonly string[]): string[] {
  let parts = [text];
  for (const separator of separators) {
    const lowered = separator.toLowerCase();
    parts = parts.flatMap((part) => {
      const pieces: string[] = [];
      let rest = part;
      for (
        let index = rest.toLowerCase().indexOf(lowered);
        index >= 0;
        index = rest.toLowerCase().indexOf(lowered)
      ) {
        pieces.push(rest.slice(0, index));
        rest = rest.slice(index + separator.length);
      }
      pieces.push(rest);
      return pieces;
    });
  }
  return parts.map((part) => part.trim()).filter(Boolean);
}

function dedupe(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const name of names) {
    const key = normalizeKey(name);
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    result.push(name.trim());
  }
  return result;
}

/** "01 - Title", "1-03 Title", "03. Title" → track/disc numbers and the title without them. */
export function parseFileName(relPath: string): {
  title: string;
  trackNumber: number | null;
  discNumber: number | null;
} {
  const base = path.posix.basename(relPath).replace(/\.[^.]+$/, '');
  const match = /^(?:(\d{1,2})[-.])?(\d{1,3})(?:\s*[-._)]\s*|\s+)(.+)$/.exec(base);
  if (match && match[3]!.trim()) {
    return {
      title: match[3]!.trim(),
      trackNumber: Number(match[2]),
      discNumber: match[1] ? Number(match[1]) : null,
    };
  }
  return { title: base.trim() || base, trackNumber: null, discNumber: null };
}

/** The grouping inputs of a freshly read file, with fallbacks to folder and file names. */
export function groupingInputsFromRead(
  read: ReadTrack,
  relPath: string,
  options: GroupingOptions,
): GroupingInputs {
  const fromName = parseFileName(relPath);
  const albumFolder = albumFolderOf(relPath);
  const folderName = path.posix.basename(path.posix.dirname(relPath));
  const artists = splitArtists(read.artist, read.artists, options.artistSeparators);
  const fallbackArtist = albumFolder.includes('/')
    ? path.posix.basename(path.posix.dirname(albumFolder))
    : UNKNOWN_ARTIST;
  const albumArtistTag =
    read.albumArtist ?? (read.albumArtists.length > 0 ? read.albumArtists.join('; ') : null);
  return {
    path: relPath,
    title: read.title ?? fromName.title,
    artists: artists.length > 0 ? artists : [read.title || read.album ? UNKNOWN_ARTIST : fallbackArtist],
    albumName: read.album ?? (albumFolder === '' ? '[Unknown Album]' : path.posix.basename(albumFolder)),
    albumArtistTag,
    albumArtists: albumArtistTag
      ? splitArtists(read.albumArtist, read.albumArtists, options.artistSeparators)
      : [],
    compilation: read.compilation,
    mbzAlbumId: read.mbzAlbumId,
    mbzTrackId: read.mbzTrackId,
    albumVersion: read.albumVersion ?? '',
    discNumber: read.discNumber ?? discNumberFromFolder(folderName) ?? fromName.discNumber ?? 1,
    trackNumber: read.trackNumber ?? fromName.trackNumber,
    suffix: extensionOf(relPath),
  };
}

/**
 * Decides album identity for every member of a set of album folders. Members without an album-artist
 * tag are grouped by album folder and album name: one shared artist becomes the album artist, several
 * make it a "Various Artists" album.
 */
export function groupMembers(members: readonly GroupingInputs[]): Map<string, GroupedIdentity> {
  const untaggedGroups = new Map<string, Set<string>>();
  const groupKey = (member: GroupingInputs) =>
    `${albumFolderOf(member.path)}\u0000${normalizeKey(member.albumName)}`;
  for (const member of members) {
    if (member.albumArtistTag || member.compilation) continue;
    const key = groupKey(member);
    const artists = untaggedGroups.get(key) ?? new Set<string>();
    artists.add(normalizeKey(member.artists[0] ?? UNKNOWN_ARTIST));
    untaggedGroups.set(key, artists);
  }
  const result = new Map<string, GroupedIdentity>();
  for (const member of members) {
    let albumArtists: string[];
    let display: string;
    if (member.albumArtistTag) {
      albumArtists = member.albumArtists.length > 0 ? member.albumArtists : [member.albumArtistTag];
      display = member.albumArtistTag;
    } else if (member.compilation || (untaggedGroups.get(groupKey(member))?.size ?? 1) > 1) {
      albumArtists = [VARIOUS_ARTISTS];
      display = VARIOUS_ARTISTS;
    } else {
      albumArtists = [member.artists[0] ?? UNKNOWN_ARTIST];
      display = albumArtists[0]!;
    }
    const album = albumId({
      mbzAlbumId: member.mbzAlbumId,
      albumArtist: display,
      albumName: member.albumName,
      version: member.albumVersion,
    });
    result.set(member.path, {
      albumId: album,
      albumArtists,
      albumArtistDisplay: display,
      baseTrackId: trackId({
        mbzTrackId: member.mbzTrackId,
        albumId: album,
        discNumber: member.discNumber,
        trackNumber: member.trackNumber,
        title: member.title,
      }),
    });
  }
  return result;
}
