// The catalog's read side on the native API (docs/api.md, "Library (native API)"): libraries, genres,
// folders, search and artwork here; artists, albums and tracks in their own files. Every route is a view
// over the catalog functions the Subsonic handlers use, with the caller as a Viewer, so library
// restrictions are the same on both APIs.
import { z } from 'zod';
import { parseArtworkSize } from '../../artwork/cover-art.ts';
import { viewerFor } from '../../catalog/access.ts';
import { normalizeQuery, search } from '../../catalog/find.ts';
import { libraryOverviews, libraryRootFolders } from '../../catalog/libraries.ts';
import { folderPage, genrePage } from '../../catalog/pages.ts';
import { sendImage } from '../send-image.ts';
import { libraryQuery, viewerOf } from './catalog.params.ts';
import {
  albumJson,
  albumSchema,
  artistJson,
  artistSchema,
  folderItemJson,
  folderItemSchema,
  folderJson,
  folderSchema,
  genreJson,
  genreSchema,
  libraryJson,
  librarySchema,
  trackJson,
  trackSchema,
} from './catalog.schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { idParams, page, pageQuery, queryList } from './schemas.ts';

const SEARCH_TYPES = ['artists', 'albums', 'tracks'] as const;

const searchResultSchema = z
  .object({
    artists: z.array(artistSchema),
    albums: z.array(albumSchema),
    tracks: z.array(trackSchema),
  })
  .meta({ id: 'SearchResult', description: 'Best hits first; the types not asked for are empty.' });

export const catalogRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/libraries',
    tag: 'Libraries',
    summary: "The caller's libraries",
    description: 'Every library the caller may see, with its counts, last scan and offline state.',
    access: 'user',
    response: page(librarySchema),
    read(input) {
      const { db } = input;
      const viewer = viewerOf(input);
      const roots = new Map(libraryRootFolders(db, viewer).map((folder) => [folder.libraryId, folder.id]));
      return {
        items: libraryOverviews(db, viewer).map((library) =>
          libraryJson(library, roots.get(library.id) ?? null),
        ),
        nextCursor: null,
      };
    },
  }),
  route({
    method: 'get',
    path: '/genres',
    tag: 'Genres',
    summary: 'Genres with their album and track counts',
    description: "By name; counts are of the caller's libraries (or of `library`).",
    access: 'user',
    query: z.object({ ...pageQuery, library: libraryQuery }),
    response: page(genreSchema),
    read(input) {
      const { db, query } = input;
      const result = genrePage(db, viewerOf(input, query.library), query);
      return { items: result.items.map(genreJson), nextCursor: result.nextCursor };
    },
  }),
  route({
    method: 'get',
    path: '/folders',
    tag: 'Folders',
    summary: "The root folders of the caller's libraries",
    description: 'The tops of folder browsing, one per library, named after the library.',
    access: 'user',
    response: page(folderSchema),
    read(input) {
      const { db } = input;
      return { items: libraryRootFolders(db, viewerOf(input)).map(folderJson), nextCursor: null };
    },
  }),
  route({
    method: 'get',
    path: '/folders/:id',
    tag: 'Folders',
    summary: 'A folder and a page of its entries',
    description:
      'Its sub-folders with audio below them (by name), then its own audio files (by path), paged together.',
    access: 'user',
    params: idParams,
    query: z.object(pageQuery),
    errors: [404],
    response: z
      .object({ folder: folderSchema, isRoot: z.boolean(), ...page(folderItemSchema).shape })
      .meta({ id: 'FolderPage' }),
    read(input) {
      const { db, params, query } = input;
      const result = folderPage(db, viewerOf(input), params.id, query);
      return {
        folder: folderJson(result.folder),
        isRoot: result.isRoot,
        items: result.items.map(folderItemJson),
        nextCursor: result.nextCursor,
      };
    },
  }),
  route({
    method: 'get',
    path: '/search',
    tag: 'Search',
    summary: 'Artists, albums and tracks matching as you type',
    description:
      'Every word matches as a prefix ("radioh" finds Radiohead; a single letter or digit is a whole word), ' +
      'accents and case ignored, a misspelt word corrected when nothing matches; ranked as Subsonic search3 ' +
      'ranks (title or name matches first). Grouped by type, best first.',
    access: 'user',
    query: z.object({
      q: z.string().max(200).describe('What was typed so far.'),
      types: queryList(z.enum(SEARCH_TYPES))
        .optional()
        .describe('Which groups to fill: artists, albums, tracks (default all).'),
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(100)
        .default(20)
        .describe('Hits per group (1–100, default 20).'),
      library: libraryQuery,
    }),
    response: searchResultSchema,
    read(input) {
      const { catalog, query } = input;
      const types = new Set(query.types && query.types.length > 0 ? query.types : SEARCH_TYPES);
      // An empty query means "everything" to search3; as you type it means nothing yet.
      if (normalizeQuery(query.q) === '') return { artists: [], albums: [], tracks: [] };
      const count = (type: (typeof SEARCH_TYPES)[number]) => ({
        count: types.has(type) ? query.limit : 0,
        offset: 0,
      });
      const result = search(catalog, viewerOf(input, query.library), {
        query: query.q,
        artists: count('artists'),
        albums: count('albums'),
        songs: count('tracks'),
      });
      return {
        artists: result.artists.map(artistJson),
        albums: result.albums.map(albumJson),
        tracks: result.tracks.map(trackJson),
      };
    },
  }),
  route({
    method: 'get',
    path: '/artwork/:id',
    tag: 'Artwork',
    summary: 'Cover art of an artist, album, track, folder or playlist',
    description:
      'Any coverArtId the API hands out (or a plain item id). Without `size` the original picture; with one, ' +
      'scaled to fit size×size (at most 2048). Items without a picture get a placeholder. For <img> ' +
      'elements, a signed URL works instead of credentials. Cached by clients for an hour, then revalidated ' +
      'with its ETag.',
    access: 'user',
    signedUrl: true,
    params: idParams,
    query: z.object({
      size: z.string().max(10).optional().describe('Pixels to fit in; absent or 0 for the original.'),
    }),
    produces: [
      'image/jpeg',
      'image/png',
      'image/webp',
      'image/gif',
      'image/avif',
      'image/bmp',
      'image/svg+xml',
    ],
    errors: [404],
    async handle({ ctx, services, user, params, query }) {
      const image = await services.coverArt.image(services.db, services.config, {
        id: params.id,
        size: parseArtworkSize(query.size),
        libraryIds: viewerFor(services.catalog, user).libraryIds,
        viewer: { userId: user.id, isAdmin: user.isAdmin },
        log: ctx.state.log,
      });
      await sendImage(ctx, image);
    },
  }),
];
