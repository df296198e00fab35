// search2/search3 and the legacy search: a real query goes to the FTS5 index (search.ts); an empty one
// ("", the two characters "" that Symfonium and Feishin send, `*`, or no query) lists everything, each kind
// paged on its own in natural (pk) order, which is stable across pages and cheap at any offset.
import type { Database } from '../db/database.ts';
import {
  albumVisible,
  artistVisible,
  libraryFilter,
  loadAlbums,
  loadArtists,
  loadTracks,
} from './items.repository.ts';
import type { Album, Artist, Track, Viewer } from './model.ts';
import { searchAlbums, searchArtists, searchTracks } from './search.ts';

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

export function search(db: Database, viewer: Viewer, query: SearchQuery): SearchResult {
  const text = normalizeQuery(query.query);
  if (text === '') return everything(db, viewer, query);
  const options = (page: Page) => ({ offset: page.offset, limit: page.count, libraryIds: viewer.libraryIds });
  return {
    artists:
      query.artists.count > 0 ? loadArtists(db, searchArtists(db, text, options(query.artists)), viewer) : [],
    albums:
      query.albums.count > 0 ? loadAlbums(db, searchAlbums(db, text, options(query.albums)), viewer) : [],
    tracks: query.songs.count > 0 ? loadTracks(db, searchTracks(db, text, options(query.songs)), viewer) : [],
  };
}

function everything(db: Database, viewer: Viewer, query: SearchQuery): SearchResult {
  const page = (sql: string, params: unknown[], p: Page): string[] =>
    p.count > 0
      ? (db
          .prepare(`${sql} LIMIT ? OFFSET ?`)
          .pluck()
          .all(...params, p.count, p.offset) as string[])
      : [];
  const artists = artistVisible(viewer);
  const albums = albumVisible(viewer);
  const tracks = libraryFilter(viewer, 't.library_id');
  // Artists: album artists only, as getArtists lists them (track-only artists would be dead ends).
  return {
    artists: loadArtists(
      db,
      page(
        `SELECT ar.id FROM artist ar WHERE ar.album_count > 0${artists.sql} ORDER BY ar.pk`,
        artists.params,
        query.artists,
      ),
      viewer,
    ),
    albums: loadAlbums(
      db,
      page(`SELECT al.id FROM album al WHERE 1${albums.sql} ORDER BY al.pk`, albums.params, query.albums),
      viewer,
    ),
    tracks: loadTracks(
      db,
      page(`SELECT t.id FROM track t WHERE 1${tracks.sql} ORDER BY t.pk`, tracks.params, query.songs),
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
  db: Database,
  viewer: Viewer,
  query: LegacySearchQuery,
): { tracks: Track[]; total: number } {
  const text = normalizeQuery(
    [query.artist, query.album, query.title, query.any].filter((part) => part?.trim()).join(' '),
  );
  const filter = libraryFilter(viewer, 't.library_id');
  const newer = query.newerThan ?? 0;
  let ids: string[];
  if (text === '') {
    ids = db
      .prepare(
        `SELECT t.id FROM track t WHERE t.created_at > ?${filter.sql} ORDER BY t.created_at DESC, t.id DESC`,
      )
      .pluck()
      .all(newer, ...filter.params) as string[];
  } else {
    // Hits are capped at a thousand, like the original server's search index did.
    const hits = searchTracks(db, text, { limit: 1000, libraryIds: viewer.libraryIds });
    ids =
      newer > 0
        ? (db
            .prepare(
              'SELECT t.id FROM track t WHERE t.id IN (SELECT value FROM json_each(?)) AND t.created_at > ?',
            )
            .pluck()
            .all(JSON.stringify(hits), newer) as string[])
        : hits;
    if (newer > 0) {
      const kept = new Set(ids);
      ids = hits.filter((id) => kept.has(id));
    }
  }
  return {
    tracks: loadTracks(db, ids.slice(query.offset, query.offset + query.count), viewer),
    total: ids.length,
  };
}
