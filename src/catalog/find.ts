// search2/search3 and the legacy search: a real query goes to the full-text index (search.ts); an empty
// one ("", the two characters "" that Symfonium and Feishin send, `*`, or no query) lists everything, each
// kind paged on its own in natural (pk) order, which is stable across pages and cheap at any offset.
import { albumIdPage, loadAlbums } from './albums.repository.ts';
import { albumArtistIdPage, loadArtists } from './artists.repository.ts';
import type { Album, Artist, Track, Viewer } from './model.ts';
import type { CatalogReader } from './reader.ts';
import { searchAlbums, searchArtists, searchTracks } from './search.ts';
import { idsAddedAfter, loadTracks, trackIdPage, trackIdsAddedAfter } from './tracks.repository.ts';

export interface Page {
  count: number;
  offset: number;
}

export interface SearchQuery {
  query: string | undefined;
  artists: Page;
  albums: Page;
  songs: Page;
}

export interface SearchResult {
  artists: Artist[];
  albums: Album[];
  tracks: Track[];
}

/** The query with DSub's trailing `*` removed; '' when it asks for everything. */
export function normalizeQuery(query: string | undefined): string {
  let text = (query ?? '').trim();
  while (text.endsWith('*')) text = text.slice(0, -1).trim();
  if (text === '""' || text === "''") return '';
  return text;
}

export function search(catalog: CatalogReader, viewer: Viewer, query: SearchQuery): SearchResult {
  const { db } = catalog;
  const text = normalizeQuery(query.query);
  if (text === '') return everything(catalog, viewer, query);
  const options = (page: Page) => ({ offset: page.offset, limit: page.count, libraryIds: viewer.libraryIds });
  return {
    artists:
      query.artists.count > 0
        ? loadArtists(db, searchArtists(catalog, text, options(query.artists)), viewer)
        : [],
    albums:
      query.albums.count > 0
        ? loadAlbums(db, searchAlbums(catalog, text, options(query.albums)), viewer)
        : [],
    tracks:
      query.songs.count > 0 ? loadTracks(db, searchTracks(catalog, text, options(query.songs)), viewer) : [],
  };
}

function everything(catalog: CatalogReader, viewer: Viewer, query: SearchQuery): SearchResult {
  const { db } = catalog;
  const libraries = viewer.libraryIds;
  const page = (p: Page, ids: (count: number, offset: number) => string[]): string[] =>
    p.count > 0 ? ids(p.count, p.offset) : [];
  // Artists: album artists only, as getArtists lists them (track-only artists would be dead ends).
  return {
    artists: loadArtists(
      db,
      page(query.artists, (count, offset) => albumArtistIdPage(db, libraries, count, offset)),
      viewer,
    ),
    albums: loadAlbums(
      db,
      page(query.albums, (count, offset) => albumIdPage(db, libraries, count, offset)),
      viewer,
    ),
    tracks: loadTracks(
      db,
      page(query.songs, (count, offset) => trackIdPage(db, libraries, count, offset)),
      viewer,
    ),
  };
}

export interface LegacySearchQuery {
  artist?: string;
  album?: string;
  title?: string;
  any?: string;
  count: number;
  offset: number;
  newerThan?: number;
}

/** Subsonic's original `search`: songs matching all given fields, with the total number of hits. */
export function legacySearch(
  catalog: CatalogReader,
  viewer: Viewer,
  query: LegacySearchQuery,
): { tracks: Track[]; total: number } {
  const { db } = catalog;
  const text = normalizeQuery(
    [query.artist, query.album, query.title, query.any].filter((part) => part?.trim()).join(' '),
  );
  const newer = query.newerThan ?? 0;
  let ids: string[];
  if (text === '') {
    ids = trackIdsAddedAfter(db, viewer.libraryIds, newer);
  } else {
    // Hits are capped at a thousand, like the original server's search index did.
    const hits = searchTracks(catalog, text, { limit: 1000, libraryIds: viewer.libraryIds });
    if (newer > 0) {
      const kept = new Set(idsAddedAfter(db, hits, newer));
      ids = hits.filter((id) => kept.has(id));
    } else {
      ids = hits;
    }
  }
  return {
    tracks: loadTracks(db, ids.slice(query.offset, query.offset + query.count), viewer),
    total: ids.length,
  };
}
