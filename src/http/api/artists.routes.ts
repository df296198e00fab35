// Artists on the native API: the paged, sorted and filtered list (catalog/pages.ts), one artist, its
// albums, its top tracks and similar artists (catalog/browse.ts and info.ts, as getArtist, getTopSongs and
// getSimilarSongs2 use them).
import { z } from 'zod';
import { getArtist } from '../../catalog/browse.ts';
import { topSongs } from '../../catalog/info.ts';
import { similarArtists } from '../../insights/recommendations.ts';
import { albumPage, artistPage } from '../../catalog/pages.ts';
import { ALBUM_SORTS, ARTIST_SORTS } from '../../catalog/sorts.ts';
import { libraryQuery, orderQuery, seedQuery, unseededShuffle, viewerOf } from './catalog.params.ts';
import {
  albumJson,
  albumSchema,
  artistJson,
  artistSchema,
  trackJson,
  trackSchema,
} from './catalog.schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { countQuery, idParams, page, pageQuery, queryBoolean } from './schemas.ts';

const MARK_SORTS_NOTE =
  'playCount, lastPlayed, recentlyPlayed, starredAt and rating list only what the caller has played, starred or rated.';

export const artistRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/artists',
    tag: 'Artists',
    summary: 'Album artists, sorted, filtered and paged',
    description:
      'Artists credited on at least one album, as Subsonic getArtists lists them. sort=name ignores leading ' +
      `articles ("The Beatles" under B), in getArtists' order. ${MARK_SORTS_NOTE}`,
    access: 'user',
    query: z.object({
      ...pageQuery,
      sort: z.enum(ARTIST_SORTS).default('name'),
      order: orderQuery,
      library: libraryQuery,
      genre: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('Artists with an album of this genre (exact name).'),
      starred: queryBoolean.optional().describe('Only artists the caller starred (true) or did not (false).'),
      q: z.string().trim().min(1).max(200).optional().describe('Part of the name, case-insensitive.'),
    }),
    response: page(artistSchema),
    read(input) {
      const { db, query } = input;
      const result = artistPage(
        db,
        viewerOf(input, query.library),
        { genre: query.genre, starred: query.starred, text: query.q },
        query,
      );
      return { items: result.items.map(artistJson), nextCursor: result.nextCursor };
    },
  }),
  route({
    method: 'get',
    path: '/artists/:id',
    tag: 'Artists',
    summary: 'One artist',
    access: 'user',
    params: idParams,
    errors: [404],
    response: artistSchema,
    read(input) {
      const { db, params } = input;
      return artistJson(getArtist(db, viewerOf(input), params.id));
    },
  }),
  route({
    method: 'get',
    path: '/artists/:id/albums',
    tag: 'Artists',
    summary: "The artist's albums, paged",
    description:
      'Albums the artist is an album artist of; by default oldest first, undated last (as getArtist).',
    access: 'user',
    params: idParams,
    query: z.object({
      ...pageQuery,
      sort: z.enum(ALBUM_SORTS).default('year'),
      order: orderQuery,
      seed: seedQuery,
    }),
    errors: [404],
    unrepeatable: unseededShuffle,
    response: page(albumSchema),
    read(input) {
      const { db, params, query } = input;
      const viewer = viewerOf(input);
      getArtist(db, viewer, params.id);
      const result = albumPage(db, viewer, { artistId: params.id }, query);
      return { items: result.items.map(albumJson), nextCursor: result.nextCursor };
    },
  }),
  route({
    method: 'get',
    path: '/artists/:id/top-tracks',
    tag: 'Artists',
    summary: "The artist's most played tracks",
    description:
      'Most played first (by the users who share their listening), then in album order (as getTopSongs).',
    access: 'user',
    params: idParams,
    query: z.object({ limit: countQuery(20) }),
    errors: [404],
    response: page(trackSchema),
    read(input) {
      const { db, params, query } = input;
      const viewer = viewerOf(input);
      getArtist(db, viewer, params.id);
      return { items: topSongs(db, viewer, params.id, query.limit).map(trackJson), nextCursor: null };
    },
  }),
  route({
    method: 'get',
    path: '/artists/:id/similar',
    tag: 'Artists',
    summary: 'Artists similar to the artist',
    description:
      'Artists co-listened with the artist by the users of this server (docs/insights.md), then album ' +
      "artists sharing the most genres with the artist's albums.",
    access: 'user',
    params: idParams,
    query: z.object({ limit: countQuery(20) }),
    errors: [404],
    response: page(artistSchema),
    read(input) {
      const { db, params, query } = input;
      const viewer = viewerOf(input);
      getArtist(db, viewer, params.id);
      return { items: similarArtists(db, viewer, params.id, query.limit).map(artistJson), nextCursor: null };
    },
  }),
];
