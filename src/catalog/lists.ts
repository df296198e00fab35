// Album and song lists: getAlbumList(2) types, random songs, songs by genre, starred items. Every list
// first selects ids in a fixed order (id is always the last tie-breaker, so pages never overlap), then
// loads the objects by id.
import type { Database } from '../db/database.ts';
import { albumListPage, loadAlbums } from './albums.repository.ts';
import { type StarredKey, starredIds, starredIdsAfter } from './annotations.repository.ts';
import { loadArtists } from './artists.repository.ts';
import {
  ALBUM_LIST_TYPES,
  type Album,
  type AlbumListQuery,
  type AlbumListType,
  type Artist,
  type Track,
  type Viewer,
} from './model.ts';
import { genreTrackIds, loadTracks, randomTrackIds } from './tracks.repository.ts';

export { ALBUM_LIST_TYPES, type AlbumListQuery, type AlbumListType } from './model.ts';

export function isAlbumListType(type: string): type is AlbumListType {
  return (ALBUM_LIST_TYPES as readonly string[]).includes(type);
}

/** One page of an album list and the length of the whole list (for x-total-count). */
export function albumList(
  db: Database,
  viewer: Viewer,
  query: AlbumListQuery,
): { albums: Album[]; total: number } {
  const { ids, total } = albumListPage(db, viewer, query);
  return { albums: loadAlbums(db, ids, viewer), total };
}

export interface RandomSongsQuery {
  size: number;
  genre?: string;
  fromYear?: number;
  toYear?: number;
}

export function randomSongs(db: Database, viewer: Viewer, query: RandomSongsQuery): Track[] {
  return loadTracks(db, randomTrackIds(db, viewer.libraryIds, query), viewer);
}

/** Songs of one genre (exact name), in id order: the genre index hands them out already sorted. */
export function songsByGenre(
  db: Database,
  viewer: Viewer,
  genre: string,
  count: number,
  offset: number,
): Track[] {
  return loadTracks(db, genreTrackIds(db, viewer.libraryIds, genre, count, offset), viewer);
}

export interface Starred {
  artists: Artist[];
  albums: Album[];
  tracks: Track[];
}

/** What the viewer starred, most recent first; items in libraries they may not see are left out by the loaders. */
export function starredItems(db: Database, viewer: Viewer): Starred {
  return {
    artists: loadArtists(db, starredIds(db, viewer.userId, 'ar'), viewer),
    albums: loadAlbums(db, starredIds(db, viewer.userId, 'al'), viewer),
    tracks: loadTracks(db, starredIds(db, viewer.userId, 'tr'), viewer),
  };
}

export type { StarredKey } from './annotations.repository.ts';

export interface StarredPage<Item> {
  items: Item[];
  /** Where the next page starts; undefined on the last page. */
  next: StarredKey | undefined;
}

type StarredPageOptions = { after?: StarredKey | undefined; limit: number };

/**
 * One page of what the viewer starred of one kind, in starredItems' order: at most `limit` items after
 * `after`. Items the viewer may not see are skipped, so a page is short only when it is the last.
 */
export function starredPage(
  db: Database,
  viewer: Viewer,
  kind: 'ar',
  options: StarredPageOptions,
): StarredPage<Artist>;
export function starredPage(
  db: Database,
  viewer: Viewer,
  kind: 'al',
  options: StarredPageOptions,
): StarredPage<Album>;
export function starredPage(
  db: Database,
  viewer: Viewer,
  kind: 'tr',
  options: StarredPageOptions,
): StarredPage<Track>;
export function starredPage(
  db: Database,
  viewer: Viewer,
  kind: 'ar' | 'al' | 'tr',
  options: StarredPageOptions,
): StarredPage<Artist | Album | Track> {
  const load = { ar: loadArtists, al: loadAlbums, tr: loadTracks }[kind] as (
    db: Database,
    ids: readonly string[],
    viewer: Viewer,
  ) => (Artist | Album | Track)[];
  const items: (Artist | Album | Track)[] = [];
  let last: StarredKey | undefined;
  let after = options.after;
  for (;;) {
    const batch = starredIdsAfter(db, viewer.userId, kind, after, options.limit + 1);
    const loaded = new Map(
      load(
        db,
        batch.map((key) => key.id),
        viewer,
      ).map((item) => [item.id, item]),
    );
    for (const key of batch) {
      const item = loaded.get(key.id);
      if (!item) continue;
      if (items.length === options.limit) return { items, next: last };
      items.push(item);
      last = key;
    }
    if (batch.length <= options.limit) return { items, next: undefined };
    after = batch[batch.length - 1];
  }
}
