// What the catalog's paged lists (pages.ts) can be sorted and filtered by. The SQL behind each sort is in
// the *-pages repositories; this file only names them, so the HTTP layer can list them in its schemas.

export type SortOrder = 'asc' | 'desc';

export const ARTIST_SORTS = [
  'name',
  'albumCount',
  'trackCount',
  'recentlyAdded',
  'playCount',
  'lastPlayed',
  'starredAt',
] as const;
export type ArtistSort = (typeof ARTIST_SORTS)[number];

export const ALBUM_SORTS = [
  'name',
  'artist',
  'year',
  'recentlyAdded',
  'recentlyPlayed',
  'playCount',
  'starredAt',
  'rating',
  'random',
] as const;
export type AlbumSort = (typeof ALBUM_SORTS)[number];

export const TRACK_SORTS = [
  'title',
  'artist',
  'album',
  'year',
  'recentlyAdded',
  'playCount',
  'lastPlayed',
  'duration',
  'starredAt',
  'rating',
] as const;
export type TrackSort = (typeof TRACK_SORTS)[number];

/** Sorts that list only the items the viewer has that mark on (as Subsonic's starred/frequent/recent lists do). */
export const ANNOTATION_SORTS: readonly string[] = [
  'playCount',
  'lastPlayed',
  'recentlyPlayed',
  'starredAt',
  'rating',
];

/** The order a sort takes when none is asked for: counts, times and ratings highest first. */
export function defaultOrder(sort: ArtistSort | AlbumSort | TrackSort): SortOrder {
  return sort === 'recentlyAdded' ||
    sort === 'albumCount' ||
    sort === 'trackCount' ||
    ANNOTATION_SORTS.includes(sort)
    ? 'desc'
    : 'asc';
}

export interface ArtistFilter {
  /** Artists with an album of this genre (exact name). */
  genre?: string | undefined;
  /** true: starred by the viewer; false: not starred. */
  starred?: boolean | undefined;
  /** Part of the name (or sort name), case-insensitive for ASCII letters. */
  text?: string | undefined;
}

export interface AlbumFilter {
  /** Albums the artist is an album artist of. */
  artistId?: string | undefined;
  genre?: string | undefined;
  yearFrom?: number | undefined;
  yearTo?: number | undefined;
  starred?: boolean | undefined;
  compilation?: boolean | undefined;
  /** The viewer's rating is at least this (1–5). */
  minRating?: number | undefined;
}

export interface TrackFilter {
  albumId?: string | undefined;
  /** Tracks the artist is credited on as an artist, or that are on one of the artist's albums. */
  artistId?: string | undefined;
  genre?: string | undefined;
  yearFrom?: number | undefined;
  yearTo?: number | undefined;
  starred?: boolean | undefined;
  lossless?: boolean | undefined;
}
