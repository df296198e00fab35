// Stars and ratings in the native API, over the same domain functions as Subsonic's star, unstar,
// setRating (activity/annotation.service.ts) and getStarred2 (catalog/lists.ts): one store, two views. An
// id says what it names (tr-, al-, ar-, fo-); one the caller may not see is 404, as on Subsonic (70).
import { z } from 'zod';
import { setRating, star, unstar } from '../../activity/annotation.service.ts';
import { viewerFor } from '../../catalog/access.ts';
import { starredPage, type StarredKey } from '../../catalog/lists.ts';
import type { Album, Artist, Track } from '../../catalog/model.ts';
import { encodeCursor } from '../../shared/cursor.ts';
import {
  activityAlbumSchema,
  activityArtistSchema,
  activityTrackSchema,
  albumJson,
  artistJson,
  cursorKey,
  trackJson,
} from './activity-schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { idParams, page, pageQuery } from './schemas.ts';

const TAG = 'Stars and ratings';

function starTargets(id: string) {
  return { ids: [id], albumIds: [], artistIds: [] };
}

function afterKey(cursor: string | undefined): StarredKey | undefined {
  if (!cursor) return undefined;
  const [starredAt, id] = cursorKey(cursor, ['number', 'string']);
  return { starredAt: starredAt as number, id: id as string };
}

function nextCursor(next: StarredKey | undefined): string | null {
  return next ? encodeCursor([next.starredAt, next.id]) : null;
}

const starredQuery = z.object(pageQuery);
const starredDescription =
  'Most recently starred first. Items in libraries the caller may not see are left out.';

export const annotationRoutes: readonly AnyRoute[] = [
  route({
    method: 'put',
    path: '/stars/:id',
    tag: TAG,
    summary: 'Star a track, album or artist',
    description: 'Starring again keeps it starred and moves it to the top of the starred list.',
    access: 'user',
    params: idParams,
    status: 204,
    errors: [404],
    handle({ services, user, params }) {
      star(services.db, user, starTargets(params.id));
    },
  }),
  route({
    method: 'delete',
    path: '/stars/:id',
    tag: TAG,
    summary: 'Unstar a track, album or artist',
    description: 'Also works while the item is missing from its library (its file is gone for now).',
    access: 'user',
    params: idParams,
    status: 204,
    errors: [404],
    handle({ services, user, params }) {
      unstar(services.db, user, starTargets(params.id));
    },
  }),
  route({
    method: 'put',
    path: '/ratings/:id',
    tag: TAG,
    summary: 'Rate a track, album or artist',
    access: 'user',
    params: idParams,
    body: z.strictObject({ rating: z.number().int().min(0).max(5).describe('1–5; 0 removes the rating.') }),
    status: 204,
    errors: [404],
    handle({ services, user, params, body }) {
      setRating(services.db, user, params.id, body.rating);
    },
  }),
  route({
    method: 'get',
    path: '/starred/tracks',
    tag: TAG,
    summary: 'Tracks the caller starred',
    description: starredDescription,
    access: 'user',
    query: starredQuery,
    response: page(activityTrackSchema),
    handle({ services, user, query }) {
      const viewer = viewerFor(services.catalog, user);
      const found = starredPage(services.db, viewer, 'tr', {
        after: afterKey(query.cursor),
        limit: query.limit,
      });
      return {
        items: found.items.map((track: Track) => trackJson(track)),
        nextCursor: nextCursor(found.next),
      };
    },
  }),
  route({
    method: 'get',
    path: '/starred/albums',
    tag: TAG,
    summary: 'Albums the caller starred',
    description: starredDescription,
    access: 'user',
    query: starredQuery,
    response: page(activityAlbumSchema),
    handle({ services, user, query }) {
      const viewer = viewerFor(services.catalog, user);
      const found = starredPage(services.db, viewer, 'al', {
        after: afterKey(query.cursor),
        limit: query.limit,
      });
      return {
        items: found.items.map((album: Album) => albumJson(album)),
        nextCursor: nextCursor(found.next),
      };
    },
  }),
  route({
    method: 'get',
    path: '/starred/artists',
    tag: TAG,
    summary: 'Artists the caller starred',
    description: starredDescription,
    access: 'user',
    query: starredQuery,
    response: page(activityArtistSchema),
    handle({ services, user, query }) {
      const viewer = viewerFor(services.catalog, user);
      const found = starredPage(services.db, viewer, 'ar', {
        after: afterKey(query.cursor),
        limit: query.limit,
      });
      return {
        items: found.items.map((artist: Artist) => artistJson(artist)),
        nextCursor: nextCursor(found.next),
      };
    },
  }),
];
