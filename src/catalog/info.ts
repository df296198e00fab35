// Artist and album information, top songs and lyrics, from local data: popularity is the plays of the
// users who share their listening (insight_total). Similar artists and songs live in src/insights.
import type { Database } from '../db/database.ts';
import { artistId as artistIdOf } from '../music/identity.ts';
import type { LyricSet } from '../music/lyrics.ts';
import { TonearmError } from '../shared/errors.ts';
import { artistIdExists, artistIdNamed } from './artists.repository.ts';
import { getAlbum, getArtist, getTrack } from './browse.ts';
import type { Album, Artist, Track, Viewer } from './model.ts';
import type { CatalogReader } from './reader.ts';
import { searchTracks } from './search.ts';
import { loadTracks, mostPlayedTrackIdsOfArtist, trackLyricsJson } from './tracks.repository.ts';

/** The artist an artist, album or song id points at (getArtistInfo accepts all three). */
export function resolveArtist(db: Database, viewer: Viewer, id: string): Artist {
  if (id.startsWith('al-')) return getArtist(db, viewer, getAlbum(db, viewer, id).artistId);
  if (id.startsWith('tr-')) return getArtist(db, viewer, getTrack(db, viewer, id).artistId);
  return getArtist(db, viewer, id);
}

/** The album an album or song id points at. */
export function resolveAlbum(db: Database, viewer: Viewer, id: string): Album {
  if (id.startsWith('tr-')) return getAlbum(db, viewer, getTrack(db, viewer, id).albumId);
  return getAlbum(db, viewer, id);
}

/** An artist id from a name: the derived id first (names are normalised the same way), then a case-blind match. */
export function artistIdByName(db: Database, name: string): string | undefined {
  const derived = artistIdOf(name);
  return artistIdExists(db, derived) ? derived : artistIdNamed(db, name);
}

/** The artist's songs, most played (by everyone who shares their listening) first, then in album order. */
export function topSongs(db: Database, viewer: Viewer, artistId: string, count: number): Track[] {
  if (count <= 0) return [];
  return loadTracks(db, mostPlayedTrackIdsOfArtist(db, viewer.libraryIds, artistId, count), viewer);
}

function lyricSets(db: Database, viewer: Viewer, trackId: string): LyricSet[] {
  const text = trackLyricsJson(db, viewer.libraryIds, trackId);
  if (text === undefined) throw new TonearmError('NOT_FOUND', `song not found: ${trackId}`);
  try {
    return JSON.parse(text) as LyricSet[];
  } catch {
    return [];
  }
}

/** Every lyric set of a song (embedded, .lrc, .txt), as stored by the scanner. */
export function songLyrics(db: Database, viewer: Viewer, trackId: string): LyricSet[] {
  return lyricSets(db, viewer, trackId);
}

/**
 * Plain lyrics by artist and title (getLyrics): the first song with that title (and artist, when given)
 * that has lyrics. Unsynced sets are preferred; synced ones lose their time stamps.
 */
export function plainLyrics(
  catalog: CatalogReader,
  viewer: Viewer,
  artist: string | undefined,
  title: string | undefined,
): { artist: string; title: string; text: string } | undefined {
  const wantTitle = title?.trim().toLowerCase();
  const wantArtist = artist?.trim().toLowerCase();
  if (!wantTitle && !wantArtist) return undefined;
  const { db } = catalog;
  const candidates = loadTracks(
    db,
    searchTracks(catalog, [artist, title].filter(Boolean).join(' '), {
      limit: 50,
      libraryIds: viewer.libraryIds,
    }),
    viewer,
  );
  for (const track of candidates) {
    if (!track.hasLyrics) continue;
    if (wantTitle && track.title.toLowerCase() !== wantTitle) continue;
    if (
      wantArtist &&
      track.artistName.toLowerCase() !== wantArtist &&
      !track.artists.some((a) => a.name.toLowerCase() === wantArtist)
    )
      continue;
    const sets = lyricSets(db, viewer, track.id);
    const set = sets.find((candidate) => !candidate.synced) ?? sets[0];
    if (!set) continue;
    return {
      artist: track.artistName,
      title: track.title,
      text: set.lines.map((line) => line.value).join('\n'),
    };
  }
  return undefined;
}
