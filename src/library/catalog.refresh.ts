// After a scan changed tracks: rebuild the albums, artists and genres those tracks touched from the
// tracks themselves (counts, durations, dates, cover choice, library membership), drop what is left
// empty, and bring the search index up to date.
import path from 'node:path';
import { reindex } from '../catalog/search.ts';
import type { Database } from '../db/database.ts';
import {
  type AlbumTrack,
  albumArtistIdsOf,
  albumToRefresh,
  allAlbumIds,
  allArtistIds,
  artistIdByName,
  artistPk,
  artistUsage,
  deleteAlbum,
  deleteArtist,
  refreshGenreCounts,
  replaceAlbumArtists,
  replaceAlbumGenres,
  replaceAlbumLibraries,
  replaceArtistLibraries,
  trackOfArtistAlbums,
  tracksOfAlbumToRefresh,
  updateAlbumAggregate,
  updateArtistAggregate,
} from './catalog-refresh.repository.ts';
import type { DirtySets } from './catalog.writer.ts';
import { folderImages } from './folders.repository.ts';
import { folderId, orderName } from '../music/identity.ts';
import { albumFolderOf, folderOf } from './walk.ts';

export interface RefreshOptions {
  articles: readonly string[];
  coverArtPriority: readonly string[];
  artistImageNames: readonly string[];
}

/** Everything: used after a scan that was interrupted, when the dirty sets are unknown. */
export function allDirty(db: Database): DirtySets {
  return {
    albums: new Set(allAlbumIds(db)),
    artists: new Set(allArtistIds(db)),
    trackPks: new Set(),
    albumPks: new Set(),
    artistPks: new Set(),
  };
}

const REFRESH_CHUNK = 50;
const REINDEX_CHUNK = 250;

/**
 * Refreshes what a scan touched, in short transactions with a turn of the event loop in between, so
 * HTTP requests are answered while a large first scan finishes. Safe to split: the scan's refresh marker
 * stays set until the caller's last step, so a crash in between leads to a full refresh next time.
 */
export async function refreshCatalog(
  db: Database,
  dirty: DirtySets,
  options: RefreshOptions,
  now: number,
  rebuildSearch: boolean,
): Promise<void> {
  // Album refreshes add the artists they touch to the dirty set, so artists come after all albums.
  for (const chunk of chunksOf([...dirty.albums], REFRESH_CHUNK)) {
    db.transaction(() => {
      for (const album of chunk) refreshAlbum(db, album, options, now, dirty);
    });
    await yieldToEventLoop();
  }
  for (const chunk of chunksOf([...dirty.artists], REFRESH_CHUNK)) {
    db.transaction(() => {
      for (const artist of chunk) refreshArtist(db, artist, options, now, dirty);
    });
    await yieldToEventLoop();
  }
  db.transaction(() => refreshGenreCounts(db));
  if (rebuildSearch) return;
  const trackPks = [...dirty.trackPks];
  for (let start = 0; start < trackPks.length || start === 0; start += REINDEX_CHUNK) {
    const last = start + REINDEX_CHUNK >= trackPks.length;
    reindex(db, {
      trackPks: trackPks.slice(start, start + REINDEX_CHUNK),
      ...(last ? { albumPks: [...dirty.albumPks], artistPks: [...dirty.artistPks] } : {}),
    });
    await yieldToEventLoop();
    if (last) break;
  }
}

function chunksOf<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function refreshAlbum(
  db: Database,
  id: string,
  options: RefreshOptions,
  now: number,
  dirty: DirtySets,
): void {
  const album = albumToRefresh(db, id);
  if (!album) return;
  dirty.albumPks.add(album.pk);
  const tracks = tracksOfAlbumToRefresh(db, id);
  const oldArtists = albumArtistIdsOf(db, id);
  for (const artist of [...oldArtists, album.artist_id]) dirty.artists.add(artist);
  if (tracks.length === 0) {
    deleteAlbum(db, id);
    return;
  }
  const first = tracks[0]!;
  const tags = JSON.parse(first.tags) as {
    albumArtists?: string[];
    releaseTypes?: string[];
    recordLabels?: string[];
    albumVersion?: string;
    mbzReleaseGroupId?: string | null;
    albumSort?: string | null;
    albumArtistSort?: string | null;
  };
  const albumArtists = tags.albumArtists?.length ? tags.albumArtists : [first.album_artist_name];
  const artistIds = albumArtists
    .map((name) => artistIdByName(db, name))
    .filter((value): value is string => Boolean(value));
  const primaryArtistId = artistIds[0] ?? album.artist_id;
  const years = tracks.map((track) => track.year).filter((year): year is number => year !== null);
  const discs = new Map<number, string>();
  for (const track of tracks)
    if (track.disc_subtitle && !discs.has(track.disc_number))
      discs.set(track.disc_number, track.disc_subtitle);
  const cover = chooseCover(db, tracks, options.coverArtPriority);
  const sortName = tags.albumSort?.trim() || first.album_name;
  updateAlbumAggregate(
    db,
    id,
    {
      name: first.album_name,
      sort_name: sortName,
      order_name: orderName(sortName, options.articles),
      version: tags.albumVersion ?? '',
      artist_id: primaryArtistId,
      artist_name: first.album_artist_name,
      order_artist_name: orderName(tags.albumArtistSort?.trim() || first.album_artist_name, options.articles),
      compilation: tracks.some((track) => track.compilation) ? 1 : 0,
      mbz_album_id: first.mbz_album_id,
      mbz_release_group_id: tags.mbzReleaseGroupId ?? null,
      year: years.length ? Math.min(...years) : null,
      date: first.date,
      original_date: first.original_date,
      release_date: first.release_date,
      release_types: JSON.stringify(tags.releaseTypes ?? []),
      record_labels: JSON.stringify(tags.recordLabels ?? []),
      song_count: tracks.length,
      disc_count: Math.max(...tracks.map((track) => track.disc_number)),
      duration: tracks.reduce((sum, track) => sum + track.duration, 0),
      size: tracks.reduce((sum, track) => sum + track.file_size, 0),
      disc_titles: JSON.stringify(
        [...discs].sort((a, b) => a[0] - b[0]).map(([disc, title]) => ({ disc, title })),
      ),
      cover_library_id: cover?.libraryId ?? null,
      cover_path: cover?.path ?? null,
      cover_track_id: cover?.trackId ?? null,
      folder_id: first.folder_id,
      created_at: Math.min(...tracks.map((track) => track.created_at)),
    },
    now,
  );
  const credited = artistIds.length ? artistIds : [primaryArtistId];
  replaceAlbumArtists(db, id, credited);
  for (const artist of credited) dirty.artists.add(artist);
  replaceAlbumGenres(db, id);
  replaceAlbumLibraries(db, id);
}

function imagesIn(db: Database, libraryId: number, relFolder: string): string[] {
  return folderImages(db, folderId(libraryId, relFolder));
}

function matchesPattern(fileName: string, pattern: string): boolean {
  const lowered = fileName.toLowerCase();
  const wanted = pattern.toLowerCase();
  if (wanted.endsWith('.*'))
    return lowered.startsWith(wanted.slice(0, -1)) && lowered.lastIndexOf('.') === wanted.length - 2;
  return lowered === wanted;
}

function chooseCover(
  db: Database,
  tracks: AlbumTrack[],
  priority: readonly string[],
): { libraryId: number; path: string | null; trackId: string | null } | undefined {
  const first = tracks[0]!;
  const folders = [...new Set(tracks.map((track) => folderOf(track.path)))];
  const albumFolder = albumFolderOf(first.path);
  if (!folders.includes(albumFolder)) folders.push(albumFolder);
  for (const pattern of priority) {
    if (pattern === 'embedded') {
      const withArt = tracks.find((track) => track.has_embedded_art);
      if (withArt) return { libraryId: withArt.library_id, path: null, trackId: withArt.id };
      continue;
    }
    for (const folder of folders) {
      const image = imagesIn(db, first.library_id, folder).find((name) => matchesPattern(name, pattern));
      if (image)
        return {
          libraryId: first.library_id,
          path: folder === '' ? image : `${folder}/${image}`,
          trackId: null,
        };
    }
  }
  return undefined;
}

function refreshArtist(
  db: Database,
  id: string,
  options: RefreshOptions,
  now: number,
  dirty: DirtySets,
): void {
  const pk = artistPk(db, id);
  if (pk === undefined) return;
  dirty.artistPks.add(pk);
  const { albumCount, songCount, roles, albumRefs } = artistUsage(db, id);
  if (albumCount === 0 && roles.length === 0 && albumRefs === 0) {
    deleteArtist(db, id);
    return;
  }
  if (albumCount > 0) roles.unshift('albumartist');
  const image = findArtistImage(db, id, options.artistImageNames);
  updateArtistAggregate(
    db,
    id,
    {
      album_count: albumCount,
      song_count: songCount,
      roles: JSON.stringify(roles),
      image_library_id: image?.libraryId ?? null,
      image_path: image?.path ?? null,
    },
    now,
  );
  replaceArtistLibraries(db, id);
}

/** artist.* in the folder that holds the artist's album folders (or in an album folder itself). */
function findArtistImage(
  db: Database,
  artistIdValue: string,
  names: readonly string[],
): { libraryId: number; path: string } | undefined {
  const sample = trackOfArtistAlbums(db, artistIdValue);
  if (!sample) return undefined;
  const albumFolder = albumFolderOf(sample.path);
  const candidates =
    albumFolder === ''
      ? ['']
      : [path.posix.dirname(albumFolder) === '.' ? '' : path.posix.dirname(albumFolder), albumFolder];
  for (const folder of candidates) {
    const images = imagesIn(db, sample.library_id, folder);
    for (const pattern of names) {
      const image = images.find((name) => matchesPattern(name, pattern));
      if (image) return { libraryId: sample.library_id, path: folder === '' ? image : `${folder}/${image}` };
    }
  }
  return undefined;
}
