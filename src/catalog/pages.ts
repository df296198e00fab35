// The catalog's paged lists for the native API: artists, albums and tracks with filters and sorts, the
// entries of a folder, genres. One paging style: a page of items and an opaque cursor for the next one.
// The cursor holds the sort key of the page's last item (keyset paging, keyset.repository.ts) and the
// list, sort and order it was made for, so a cursor is never read under another sort (INVALID_INPUT).
// Visibility is the viewer's, as everywhere in the catalog: the page queries filter by it and the loaders
// check it again.
import { randomInt } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { type CursorValue, decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { TonearmError } from '../shared/errors.ts';
import { albumPageRows } from './album-pages.repository.ts';
import { loadAlbums } from './albums.repository.ts';
import { artistPageRows } from './artist-pages.repository.ts';
import { loadArtists } from './artists.repository.ts';
import { listGenres } from './browse.ts';
import { type FolderEntry, folderEntries } from './folders.ts';
import { findFolder, folderTrackRows, foldersByIds, subFolderRows } from './folders.repository.ts';
import type { KeysetRow, KeyValue, Position } from './keyset.repository.ts';
import type { Album, Artist, Genre, Track, Viewer } from './model.ts';
import {
  type AlbumFilter,
  type AlbumSort,
  type ArtistFilter,
  type ArtistSort,
  defaultOrder,
  type SortOrder,
  type TrackFilter,
  type TrackSort,
} from './sorts.ts';
import { trackPageRows } from './track-pages.repository.ts';
import { loadTracks } from './tracks.repository.ts';

export interface Page<T> {
  items: T[];
  /** Pass back for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  /** The nextCursor of the previous page. */
  cursor?: string | undefined;
}

export interface SortedPageRequest<S extends string> extends PageRequest {
  sort: S;
  /** The sort's default order (sorts.ts defaultOrder) when absent. */
  order?: SortOrder | undefined;
}

/** The most key values a position of any list holds (tracks by artist: three album keys, four in-album). */
const CURSOR_VALUES = 8;
/** Seeds of random sorts: non-negative 31-bit integers. */
export const MAX_SEED = 2 ** 31 - 1;

/** A cursor's parts: what it was made for (`list:sort:order`), the seed of a random sort, the position. */
interface CursorParts {
  tag: string;
  seed: number | null;
  position: Position;
}

function encodePosition(tag: string, seed: number | null, position: Position): string {
  const values: CursorValue[] = [...position.values];
  while (values.length < CURSOR_VALUES) values.push(null);
  return encodeCursor([tag, seed, position.segment, ...values]);
}

function decodePosition(cursor: string): CursorParts {
  const [tag, seed, segment, ...values] = decodeCursor(cursor, 3 + CURSOR_VALUES);
  const keys = values.slice(0, values.indexOf(null) < 0 ? values.length : values.indexOf(null));
  if (
    typeof tag !== 'string' ||
    !(seed === null || (Number.isInteger(seed) && (seed as number) >= 0)) ||
    !Number.isInteger(segment) ||
    (segment as number) < 0 ||
    values.slice(keys.length).some((value) => value !== null)
  )
    throw new TonearmError('INVALID_INPUT', 'cursor is not valid: pass the nextCursor of the previous page');
  return {
    tag,
    seed: seed as number | null,
    position: { segment: segment as number, values: keys as KeyValue[] },
  };
}

/** Where a sorted list starts (or goes on from), and how to make the next page's cursor. */
interface Resumed {
  direction: SortOrder;
  seed: number;
  after: Position | undefined;
  cursorAfter(position: Position): string;
}

function resume(list: string, request: SortedPageRequest<string> & { seed?: number | undefined }): Resumed {
  const random = request.sort === 'random';
  const direction = random ? 'asc' : (request.order ?? defaultOrder(request.sort as AlbumSort));
  const tag = `${list}:${request.sort}:${direction}`;
  let seed = request.seed ?? randomInt(0, MAX_SEED);
  let after: Position | undefined;
  if (request.cursor !== undefined) {
    const parts = decodePosition(request.cursor);
    if (parts.tag !== tag) throw madeForAnother(parts.tag, tag);
    if (random) {
      if (parts.seed === null || (request.seed !== undefined && request.seed !== parts.seed))
        throw new TonearmError(
          'INVALID_INPUT',
          'cursor was made for another seed: pass the same seed, or none',
        );
      seed = parts.seed;
    }
    after = parts.position;
  }
  return {
    direction,
    seed,
    after,
    cursorAfter: (position) => encodePosition(tag, random ? seed : null, position),
  };
}

function madeForAnother(made: string, asked: string): TonearmError {
  const [madeList, madeSort, madeOrder] = made.split(':');
  const [askedList] = asked.split(':');
  return new TonearmError(
    'INVALID_INPUT',
    madeList === askedList
      ? `cursor was made for sort=${madeSort}&order=${madeOrder}: keep the sort and order while paging, or start again without a cursor`
      : `cursor was made for another list (${madeList}), not ${askedList}`,
  );
}

/** Rows fetched one past the limit tell whether a next page exists. */
function pageOf<T>(
  rows: KeysetRow[],
  limit: number,
  load: (ids: string[]) => T[],
  cursorAfter: (position: Position) => string,
): Page<T> {
  const shown = rows.slice(0, limit);
  return {
    items: load(shown.map((row) => row.id)),
    nextCursor: rows.length > limit ? cursorAfter(shown[shown.length - 1]!.position) : null,
  };
}

export function artistPage(
  db: Database,
  viewer: Viewer,
  filter: ArtistFilter,
  request: SortedPageRequest<ArtistSort>,
): Page<Artist> {
  const { direction, after, cursorAfter } = resume('artists', request);
  const rows = artistPageRows(db, viewer, filter, request.sort, direction, after, request.limit + 1);
  return pageOf(rows, request.limit, (ids) => loadArtists(db, ids, viewer), cursorAfter);
}

export function albumPage(
  db: Database,
  viewer: Viewer,
  filter: AlbumFilter,
  request: SortedPageRequest<AlbumSort> & { seed?: number | undefined },
): Page<Album> {
  const { direction, seed, after, cursorAfter } = resume('albums', request);
  const rows = albumPageRows(db, viewer, filter, request.sort, direction, seed, after, request.limit + 1);
  return pageOf(rows, request.limit, (ids) => loadAlbums(db, ids, viewer), cursorAfter);
}

export function trackPage(
  db: Database,
  viewer: Viewer,
  filter: TrackFilter,
  request: SortedPageRequest<TrackSort>,
): Page<Track> {
  const { direction, after, cursorAfter } = resume('tracks', request);
  const rows = trackPageRows(db, viewer, filter, request.sort, direction, after, request.limit + 1);
  return pageOf(rows, request.limit, (ids) => loadTracks(db, ids, viewer), cursorAfter);
}

export type FolderItem = { kind: 'folder'; folder: FolderEntry } | { kind: 'track'; track: Track };

export interface FolderPage extends Page<FolderItem> {
  folder: FolderEntry;
  /** Whether the folder is a library root (it then has no parent to show). */
  isRoot: boolean;
}

/**
 * One folder and a page of its entries: its sub-folders with audio below them by name, then its own audio
 * files by path (folders.ts's order). The cursor's segment says which of the two the page ended in.
 */
export function folderPage(db: Database, viewer: Viewer, id: string, request: PageRequest): FolderPage {
  const row = findFolder(db, id, viewer.libraryIds);
  if (!row) throw new TonearmError('NOT_FOUND', `folder not found: ${id}`);
  const tag = `folder:${id}`;
  let after: Position | undefined;
  if (request.cursor !== undefined) {
    const parts = decodePosition(request.cursor);
    if (parts.tag !== tag) throw new TonearmError('INVALID_INPUT', 'cursor was made for another folder');
    if (parts.position.segment > 1) throw new TonearmError('INVALID_INPUT', 'cursor is not valid');
    after = parts.position;
  }
  const wanted = request.limit + 1;
  const rows: (KeysetRow & { kind: 'folder' | 'track' })[] = [];
  if (!after || after.segment === 0) {
    for (const folder of subFolderRows(db, id, after, wanted)) rows.push({ ...folder, kind: 'folder' });
  }
  if (rows.length < wanted) {
    const trackAfter = after?.segment === 1 ? { ...after, segment: 0 } : undefined;
    for (const track of folderTrackRows(db, viewer.libraryIds, id, trackAfter, wanted - rows.length))
      rows.push({ ...track, kind: 'track', position: { ...track.position, segment: 1 } });
  }
  const shown = rows.slice(0, request.limit);
  const folders = new Map(
    folderEntries(
      db,
      viewer,
      foldersByIds(
        db,
        shown.filter((entry) => entry.kind === 'folder').map((entry) => entry.id),
      ),
    ).map((folder) => [folder.id, folder]),
  );
  const tracks = new Map(
    loadTracks(
      db,
      shown.filter((entry) => entry.kind === 'track').map((entry) => entry.id),
      viewer,
    ).map((track) => [track.id, track]),
  );
  const items: FolderItem[] = [];
  for (const entry of shown) {
    const folder = folders.get(entry.id);
    const track = tracks.get(entry.id);
    if (entry.kind === 'folder' && folder) items.push({ kind: 'folder', folder });
    else if (entry.kind === 'track' && track) items.push({ kind: 'track', track });
  }
  return {
    folder: folderEntries(db, viewer, [row])[0]!,
    isRoot: row.parent_id === null,
    items,
    nextCursor:
      rows.length > request.limit ? encodePosition(tag, null, shown[shown.length - 1]!.position) : null,
  };
}

/** Genres with their counts in the viewer's libraries, by name; a page is a slice after the last name. */
export function genrePage(db: Database, viewer: Viewer, request: PageRequest): Page<Genre> {
  const genres = listGenres(db, viewer);
  let start = 0;
  if (request.cursor !== undefined) {
    const parts = decodePosition(request.cursor);
    const last = parts.position.values[0];
    if (parts.tag !== 'genres' || typeof last !== 'string')
      throw new TonearmError('INVALID_INPUT', 'cursor was made for another list, not genres');
    // After the last name shown; when that genre has gone since, after where it would be.
    const at = genres.findIndex((genre) => genre.name === last);
    start = at >= 0 ? at + 1 : genres.findIndex((genre) => genre.name > last);
    if (start < 0) start = genres.length;
  }
  const items = genres.slice(start, start + request.limit);
  const more = start + request.limit < genres.length;
  return {
    items,
    nextCursor: more
      ? encodePosition('genres', null, { segment: 0, values: [items[items.length - 1]!.name] })
      : null,
  };
}
