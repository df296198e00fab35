// Shapes the activity routes (playlists, stars, queue, bookmarks, shares, radio) share: short summaries of
// the tracks, albums and artists they list, and paging over lists that are small enough to hold whole
// (a user's bookmarks, shares, the radio stations) in the one paging style of schemas.ts.
import { z } from 'zod';
import type { User } from '../../accounts/users.service.ts';
import { viewerFor } from '../../catalog/access.ts';
import { tracksById } from '../../catalog/browse.ts';
import type { Album, Annotation, Artist, Track } from '../../catalog/model.ts';
import { type CursorValue, decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { Services } from '../services.ts';
import { isoOrNull, isoTime } from './schemas.ts';

/** Ids one request may carry: a JSON body is at most 256 KiB (src/http/json-body.ts). */
export const MAX_IDS_PER_REQUEST = 5000;

export const itemId = z.string().min(1).max(200);

export const trackIds = z
  .array(itemId)
  .max(MAX_IDS_PER_REQUEST)
  .describe(`Track ids (tr-…), in order; repeats allowed; at most ${MAX_IDS_PER_REQUEST} a request.`);

const annotationFields = {
  starredAt: isoTime.nullable().describe('When the caller starred it; null when not starred.'),
  rating: z.number().int().min(1).max(5).nullable().describe("The caller's rating, 1–5; null when unrated."),
};

const artistRef = z.object({ id: z.string(), name: z.string() });

export const activityTrackSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    artistId: z.string(),
    artistName: z.string(),
    artists: z.array(artistRef),
    albumId: z.string(),
    albumName: z.string(),
    trackNumber: z.number().int().nullable(),
    discNumber: z.number().int(),
    year: z.number().int().nullable(),
    genre: z.string().nullable(),
    duration: z.number().describe('Seconds.'),
    suffix: z.string(),
    contentType: z.string(),
    bitrate: z.number().int().nullable().describe('Kbit/s.'),
    coverArtId: z.string(),
    libraryId: z.number().int(),
    ...annotationFields,
    playCount: z.number().int(),
  })
  .meta({
    id: 'ActivityTrack',
    description: 'A track as playlists, the play queue, bookmarks and shares list it.',
  });

export const activityAlbumSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    artistId: z.string(),
    artistName: z.string(),
    year: z.number().int().nullable(),
    songCount: z.number().int(),
    duration: z.number(),
    coverArtId: z.string(),
    ...annotationFields,
  })
  .meta({ id: 'ActivityAlbum', description: 'An album as the starred list shows it.' });

export const activityArtistSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    albumCount: z.number().int(),
    songCount: z.number().int(),
    coverArtId: z.string(),
    ...annotationFields,
  })
  .meta({ id: 'ActivityArtist', description: 'An artist as the starred list shows it.' });

type ActivityTrack = z.input<typeof activityTrackSchema>;

function annotationJson(annotation: Annotation) {
  return { starredAt: isoOrNull(annotation.starredAt), rating: annotation.rating };
}

export function trackJson(track: Track): ActivityTrack {
  return {
    id: track.id,
    title: track.title,
    artistId: track.artistId,
    artistName: track.artistName,
    artists: track.artists.map((artist) => ({ id: artist.id, name: artist.name })),
    albumId: track.albumId,
    albumName: track.albumName,
    trackNumber: track.trackNumber,
    discNumber: track.discNumber,
    year: track.year,
    genre: track.genre,
    duration: track.duration,
    suffix: track.suffix,
    contentType: track.contentType,
    bitrate: track.bitrate,
    coverArtId: track.coverArtId,
    libraryId: track.libraryId,
    ...annotationJson(track.annotation),
    playCount: track.annotation.playCount,
  };
}

export function albumJson(album: Album): z.input<typeof activityAlbumSchema> {
  return {
    id: album.id,
    name: album.name,
    artistId: album.artistId,
    artistName: album.artistName,
    year: album.year,
    songCount: album.songCount,
    duration: album.duration,
    coverArtId: album.coverArtId,
    ...annotationJson(album.annotation),
  };
}

export function artistJson(artist: Artist): z.input<typeof activityArtistSchema> {
  return {
    id: artist.id,
    name: artist.name,
    albumCount: artist.albumCount,
    songCount: artist.songCount,
    coverArtId: artist.coverArtId,
    ...annotationJson(artist.annotation),
  };
}

/**
 * The tracks of `ids` as the user may see them, in order with repeats kept; ids whose track is gone (or
 * hidden from the user) are left out.
 */
export function tracksInOrder(services: Services, user: User, ids: readonly string[]): ActivityTrack[] {
  if (ids.length === 0) return [];
  const byId = new Map(
    tracksById(services.db, viewerFor(services.catalog, user), [...new Set(ids)]).map((track) => [
      track.id,
      trackJson(track),
    ]),
  );
  return ids.flatMap((id) => {
    const track = byId.get(id);
    return track ? [track] : [];
  });
}

type KeyPart = 'string' | 'number';

/** The values of a cursor made by this module with parts of the given types; INVALID_INPUT otherwise. */
export function cursorKey(cursor: string, parts: readonly KeyPart[]): CursorValue[] {
  const values = decodeCursor(cursor, parts.length);
  if (!values.every((value, index) => typeof value === parts[index])) {
    throw new TonearmError('INVALID_INPUT', 'cursor is not valid: pass the nextCursor of the previous page');
  }
  return values;
}

function compareKeys(a: readonly (string | number)[], b: readonly CursorValue[]): number {
  for (const [index, value] of a.entries()) {
    const other = b[index]!;
    if (value < other) return -1;
    if (value > other) return 1;
  }
  return 0;
}

/**
 * One page of a list held whole, ordered by `key` ascending (negate a number for descending order; the
 * last part must be unique, e.g. the id; `parts` names the type of each part). The cursor is the last
 * item's key, so a page does not shift when items before it are removed.
 */
export function pageOfList<T>(
  items: readonly T[],
  key: (item: T) => (string | number)[],
  parts: readonly KeyPart[],
  query: { limit: number; cursor?: string | undefined },
): { items: T[]; nextCursor: string | null } {
  const keyed = items.map((item) => ({ item, key: key(item) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  const after = query.cursor ? cursorKey(query.cursor, parts) : undefined;
  const found = after ? keyed.findIndex((entry) => compareKeys(entry.key, after) > 0) : 0;
  const start = found < 0 ? keyed.length : found;
  const slice = keyed.slice(start, start + query.limit);
  return {
    items: slice.map((entry) => entry.item),
    nextCursor: start + query.limit < keyed.length ? encodeCursor(slice[slice.length - 1]!.key) : null,
  };
}
