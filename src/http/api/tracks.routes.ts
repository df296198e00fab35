// Tracks on the native API: the paged, sorted and filtered list (catalog/pages.ts), one track, and its
// lyrics (catalog/info.ts songLyrics, as getLyricsBySongId).
import { z } from 'zod';
import { getTrack } from '../../catalog/browse.ts';
import { songLyrics } from '../../catalog/info.ts';
import { trackPage } from '../../catalog/pages.ts';
import { TRACK_SORTS } from '../../catalog/sorts.ts';
import { lyricsJson, lyricsSchema, trackJson, trackSchema } from './catalog.schemas.ts';
import { libraryQuery, orderQuery, viewerOf, yearQuery } from './catalog.params.ts';
import { type AnyRoute, route } from './route.ts';
import { idParams, page, pageQuery, queryBoolean } from './schemas.ts';

export const trackRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/tracks',
    tag: 'Tracks',
    summary: 'Tracks, sorted, filtered and paged',
    description:
      "sort=album and artist go by album (artist: the album artist, articles ignored), each album's tracks " +
      'together in play order; year goes by the track year, tracks without one last; playCount, ' +
      'lastPlayed, starredAt and rating list only what the caller has played, starred or rated.',
    access: 'user',
    query: z.object({
      ...pageQuery,
      sort: z.enum(TRACK_SORTS).default('title'),
      order: orderQuery,
      library: libraryQuery,
      albumId: z.string().min(1).max(200).optional(),
      artistId: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe("Tracks the artist is credited on as artist, or on the artist's albums."),
      genre: z.string().min(1).max(200).optional().describe('Exact genre name.'),
      yearFrom: yearQuery,
      yearTo: yearQuery,
      starred: queryBoolean.optional().describe('Only tracks the caller starred (true) or did not (false).'),
      lossless: queryBoolean.optional(),
    }),
    response: page(trackSchema),
    read(input) {
      const { db, query } = input;
      const result = trackPage(
        db,
        viewerOf(input, query.library),
        {
          albumId: query.albumId,
          artistId: query.artistId,
          genre: query.genre,
          yearFrom: query.yearFrom,
          yearTo: query.yearTo,
          starred: query.starred,
          lossless: query.lossless,
        },
        query,
      );
      return { items: result.items.map(trackJson), nextCursor: result.nextCursor };
    },
  }),
  route({
    method: 'get',
    path: '/tracks/:id',
    tag: 'Tracks',
    summary: 'One track',
    access: 'user',
    params: idParams,
    errors: [404],
    response: trackSchema,
    read(input) {
      const { db, params } = input;
      return trackJson(getTrack(db, viewerOf(input), params.id));
    },
  }),
  route({
    method: 'get',
    path: '/tracks/:id/lyrics',
    tag: 'Tracks',
    summary: "The track's lyrics",
    description:
      "Every lyric set the scan found (embedded, .lrc, .txt): synced ones with each line's start in ms, " +
      'and every set as plain text too. Empty when the track has none.',
    access: 'user',
    params: idParams,
    errors: [404],
    response: page(lyricsSchema),
    read(input) {
      const { db, params } = input;
      return { items: songLyrics(db, viewerOf(input), params.id).map(lyricsJson), nextCursor: null };
    },
  }),
];
