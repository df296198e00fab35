// Albums on the native API: the paged, sorted and filtered list (catalog/pages.ts) and one album with its
// discs and tracks in the album-track order (catalog/browse.ts, as getAlbum).
import { z } from 'zod';
import { albumTracks, getAlbum } from '../../catalog/browse.ts';
import { albumPage } from '../../catalog/pages.ts';
import { ALBUM_SORTS } from '../../catalog/sorts.ts';
import {
  libraryQuery,
  orderQuery,
  seedQuery,
  unseededShuffle,
  viewerOf,
  yearQuery,
} from './catalog.params.ts';
import { albumDetailJson, albumDetailSchema, albumJson, albumSchema } from './catalog.schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { idParams, page, pageQuery, queryBoolean } from './schemas.ts';

export const albumRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/albums',
    tag: 'Albums',
    summary: 'Albums, sorted, filtered and paged',
    description:
      'sort=name and artist ignore leading articles; year puts undated albums last either way; random ' +
      'shuffles by `seed` (one is chosen when absent; the cursor keeps it, so pages never repeat an album). ' +
      'recentlyPlayed, playCount, starredAt and rating list only what the caller has played, starred or rated.',
    access: 'user',
    query: z.object({
      ...pageQuery,
      sort: z.enum(ALBUM_SORTS).default('name'),
      order: orderQuery,
      seed: seedQuery,
      library: libraryQuery,
      artistId: z.string().min(1).max(200).optional().describe('Albums the artist is an album artist of.'),
      genre: z.string().min(1).max(200).optional().describe('Exact genre name.'),
      yearFrom: yearQuery,
      yearTo: yearQuery,
      starred: queryBoolean.optional().describe('Only albums the caller starred (true) or did not (false).'),
      compilation: queryBoolean.optional(),
      minRating: z.coerce
        .number()
        .int()
        .min(1)
        .max(5)
        .optional()
        .describe("The caller's rating is at least this."),
    }),
    unrepeatable: unseededShuffle,
    response: page(albumSchema),
    read(input) {
      const { db, query } = input;
      const result = albumPage(
        db,
        viewerOf(input, query.library),
        {
          artistId: query.artistId,
          genre: query.genre,
          yearFrom: query.yearFrom,
          yearTo: query.yearTo,
          starred: query.starred,
          compilation: query.compilation,
          minRating: query.minRating,
        },
        query,
      );
      return { items: result.items.map(albumJson), nextCursor: result.nextCursor };
    },
  }),
  route({
    method: 'get',
    path: '/albums/:id',
    tag: 'Albums',
    summary: 'One album with its discs and tracks',
    description: 'Tracks in play order: disc, track number, then file path (as getAlbum).',
    access: 'user',
    params: idParams,
    errors: [404],
    response: albumDetailSchema,
    read(input) {
      const { db, params } = input;
      const viewer = viewerOf(input);
      const album = getAlbum(db, viewer, params.id);
      return albumDetailJson(album, albumTracks(db, viewer, album.id));
    },
  }),
];
