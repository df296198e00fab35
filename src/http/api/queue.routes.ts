// The play queue and bookmarks in the native API, over the same domain functions as Subsonic's
// getPlayQueue(ByIndex)/savePlayQueueByIndex and the bookmark endpoints (activity/play-queue.service.ts,
// bookmarks.service.ts). Both belong to the caller alone: there is no way to name someone else's, so
// nobody can read or change another user's queue or bookmarks.
import { z } from 'zod';
import {
  BOOKMARK_COMMENT_MAX,
  type Bookmark,
  createBookmark,
  deleteBookmark,
  listBookmarks,
} from '../../activity/bookmarks.service.ts';
import { getPlayQueue, savePlayQueueByIndex } from '../../activity/play-queue.service.ts';
import type { User } from '../../accounts/users.service.ts';
import type { AppContext } from '../context.ts';
import type { Services } from '../services.ts';
import { activityTrackSchema, itemId, pageOfList, trackIds, tracksInOrder } from './activity-schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { isoOrNull, isoTime, page, pageQuery } from './schemas.ts';

const DEVICE_MAX = 200;
/** Milliseconds into a track; a day is far beyond any track. */
const positionMs = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const playQueueSchema = z
  .object({
    tracks: z.array(activityTrackSchema).describe('In play order, repeats kept; missing files left out.'),
    currentIndex: z.number().int().nullable().describe('Index into tracks; null when the queue is empty.'),
    positionMs: z.number().int().describe('How far into the current track.'),
    changedAt: isoTime.nullable().describe('When it was saved; null when nothing is saved.'),
    changedBy: z.string().describe('The device or client that saved it.'),
  })
  .meta({ id: 'PlayQueue' });

const bookmarkSchema = z
  .object({
    track: activityTrackSchema,
    positionMs: z.number().int(),
    comment: z.string(),
    createdAt: isoTime,
    changedAt: isoTime,
  })
  .meta({ id: 'Bookmark' });

function playQueueJson(services: Services, user: User): z.input<typeof playQueueSchema> {
  const queue = getPlayQueue(services.db, user);
  // Same visibility as the queue's own check, read in the same synchronous step: nothing drops out between.
  const tracks = tracksInOrder(services, user, queue.trackIds);
  return {
    tracks,
    currentIndex: queue.currentIndex ?? null,
    positionMs: queue.positionMs,
    changedAt: isoOrNull(queue.changedAt),
    changedBy: queue.changedBy,
  };
}

/** The device named in the request, else the client's User-Agent, so another device can say who saved. */
function deviceOf(ctx: AppContext, device: string | undefined): string {
  return (device?.trim() || ctx.get('User-Agent').trim() || 'API').slice(0, DEVICE_MAX);
}

function bookmarkJson(
  bookmark: Bookmark,
  track: z.input<typeof activityTrackSchema>,
): z.input<typeof bookmarkSchema> {
  return {
    track,
    positionMs: bookmark.positionMs,
    comment: bookmark.comment,
    createdAt: isoOrNull(bookmark.createdAt)!,
    changedAt: isoOrNull(bookmark.changedAt)!,
  };
}

export const queueRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/play-queue',
    tag: 'Play queue',
    summary: "The caller's saved play queue",
    description: 'What another device saved, to resume there: the tracks, the current one and the position.',
    access: 'user',
    response: playQueueSchema,
    handle({ services, user }) {
      return playQueueJson(services, user);
    },
  }),
  route({
    method: 'put',
    path: '/play-queue',
    tag: 'Play queue',
    summary: "Save the caller's play queue",
    description:
      'Replaces the saved queue; no trackIds clears it. `currentIndex` (required with tracks) names the ' +
      'current entry by position, so repeats of one track are told apart. `device` is shown to the other ' +
      "devices as who saved it (default: the request's User-Agent).",
    access: 'user',
    body: z.strictObject({
      trackIds,
      currentIndex: z.number().int().min(0).optional(),
      positionMs: positionMs.optional(),
      device: z.string().max(DEVICE_MAX).optional(),
    }),
    response: playQueueSchema,
    errors: [404],
    handle({ ctx, services, user, body }) {
      savePlayQueueByIndex(services.db, user, {
        ids: body.trackIds,
        ...(body.currentIndex !== undefined ? { currentIndex: body.currentIndex } : {}),
        ...(body.positionMs !== undefined ? { positionMs: body.positionMs } : {}),
        client: deviceOf(ctx, body.device),
      });
      return playQueueJson(services, user);
    },
  }),
  route({
    method: 'get',
    path: '/bookmarks',
    tag: 'Bookmarks',
    summary: "The caller's bookmarks",
    description: 'Most recently changed first; bookmarks of tracks missing now are left out.',
    access: 'user',
    query: z.object(pageQuery),
    response: page(bookmarkSchema),
    handle({ services, user, query }) {
      const bookmarks = pageOfList(
        listBookmarks(services.db, user),
        (bookmark) => [-bookmark.changedAt, bookmark.trackId],
        ['number', 'string'],
        query,
      );
      const tracks = new Map(
        tracksInOrder(
          services,
          user,
          bookmarks.items.map((bookmark) => bookmark.trackId),
        ).map((track) => [track.id, track]),
      );
      return {
        items: bookmarks.items.flatMap((bookmark) => {
          const track = tracks.get(bookmark.trackId);
          return track ? [bookmarkJson(bookmark, track)] : [];
        }),
        nextCursor: bookmarks.nextCursor,
      };
    },
  }),
  route({
    method: 'put',
    path: '/bookmarks/:trackId',
    tag: 'Bookmarks',
    summary: 'Set the bookmark of a track',
    access: 'user',
    params: z.object({ trackId: itemId }),
    body: z.strictObject({
      positionMs,
      comment: z.string().max(BOOKMARK_COMMENT_MAX).optional(),
    }),
    response: bookmarkSchema,
    errors: [404],
    handle({ services, user, params, body }) {
      createBookmark(services.db, user, {
        trackId: params.trackId,
        positionMs: body.positionMs,
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
      });
      const bookmark = listBookmarks(services.db, user).find((mark) => mark.trackId === params.trackId)!;
      return bookmarkJson(bookmark, tracksInOrder(services, user, [params.trackId])[0]!);
    },
  }),
  route({
    method: 'delete',
    path: '/bookmarks/:trackId',
    tag: 'Bookmarks',
    summary: 'Remove the bookmark of a track',
    description: 'Answers 204 whether or not there was one (clients remove after finishing without asking).',
    access: 'user',
    params: z.object({ trackId: itemId }),
    status: 204,
    handle({ services, user, params }) {
      deleteBookmark(services.db, user, params.trackId);
    },
  }),
];
