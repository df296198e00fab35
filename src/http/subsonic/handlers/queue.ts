// Play queue (savePlayQueue / getPlayQueue and the OpenSubsonic indexBasedQueue pair) and bookmarks.
import {
  createBookmark as createBookmarkFor,
  deleteBookmark as deleteBookmarkFor,
  listBookmarks,
} from '../../../activity/bookmarks.service.ts';
import {
  getPlayQueue as getPlayQueueFor,
  type PlayQueue,
  savePlayQueueByIndex as savePlayQueueByIndexFor,
  savePlayQueue as savePlayQueueFor,
} from '../../../activity/play-queue.service.ts';
import { TonearmError } from '../../../shared/errors.ts';
import type { SubsonicEndpoint } from '../endpoint.ts';
import {
  caller,
  childrenById,
  childrenInOrder,
  ids,
  isoDate,
  msParam,
  type Payload,
  text,
} from './activity-common.ts';

/**
 * Common fields. Nothing saved: a bare queue with the username, and `changed` at the epoch, so a client
 * that compares times keeps its own local queue rather than "restoring" an empty one.
 */
function queueBase(queue: PlayQueue): Payload {
  return {
    position: queue.positionMs,
    username: queue.username,
    changed: isoDate(queue.changedAt ?? 0),
    changedBy: queue.changedBy,
  };
}

export const getPlayQueue: SubsonicEndpoint = {
  name: 'getPlayQueue',
  handle: (request) => {
    const queue = getPlayQueueFor(request.db, caller(request));
    const entry = childrenInOrder(request, queue.trackIds);
    const current = queue.currentIndex === undefined ? undefined : queue.trackIds[queue.currentIndex];
    return { playQueue: { current, ...queueBase(queue), entry } };
  },
};

export const getPlayQueueByIndex: SubsonicEndpoint = {
  name: 'getPlayQueueByIndex',
  handle: (request) => {
    const queue = getPlayQueueFor(request.db, caller(request));
    const entry = childrenInOrder(request, queue.trackIds);
    return { playQueueByIndex: { currentIndex: queue.currentIndex, ...queueBase(queue), entry } };
  },
};

/** No parameters clears the queue (OpenSubsonic errata); with ids, current must be one of them. */
export const savePlayQueue: SubsonicEndpoint = {
  name: 'savePlayQueue',
  handle: (request) => {
    const { params } = request;
    const current = params.get('current') || undefined;
    const positionMs = msParam(params, 'position');
    savePlayQueueFor(request.db, caller(request), {
      ids: ids(params, 'id'),
      ...(current !== undefined ? { current } : {}),
      ...(positionMs !== undefined ? { positionMs } : {}),
      client: request.client,
    });
  },
};

export const savePlayQueueByIndex: SubsonicEndpoint = {
  name: 'savePlayQueueByIndex',
  handle: (request) => {
    const { params } = request;
    const currentText = params.get('currentIndex');
    let currentIndex: number | undefined;
    if (currentText !== undefined && currentText !== '') {
      currentIndex = /^-?\d+$/.test(currentText.trim()) ? Number(currentText.trim()) : Number.NaN;
      if (!Number.isSafeInteger(currentIndex)) {
        throw new TonearmError('MISSING_PARAMETER', 'currentIndex must be a 0-based index into the queue');
      }
    }
    const positionMs = msParam(params, 'position');
    savePlayQueueByIndexFor(request.db, caller(request), {
      ids: ids(params, 'id'),
      ...(currentIndex !== undefined ? { currentIndex } : {}),
      ...(positionMs !== undefined ? { positionMs } : {}),
      client: request.client,
    });
  },
};

export const getBookmarks: SubsonicEndpoint = {
  name: 'getBookmarks',
  handle: (request) => {
    const bookmarks = listBookmarks(request.db, caller(request));
    const children = childrenById(
      request,
      bookmarks.map((bookmark) => bookmark.trackId),
    );
    return {
      bookmarks: {
        bookmark: bookmarks.flatMap((bookmark) => {
          const entry = children.get(bookmark.trackId);
          if (!entry) return [];
          return [
            {
              position: bookmark.positionMs,
              username: bookmark.username,
              comment: bookmark.comment,
              created: isoDate(bookmark.createdAt),
              changed: isoDate(bookmark.changedAt),
              entry: { ...entry, bookmarkPosition: bookmark.positionMs },
            },
          ];
        }),
      },
    };
  },
};

export const createBookmark: SubsonicEndpoint = {
  name: 'createBookmark',
  handle: (request) => {
    const { params } = request;
    const id = params.required('id');
    params.required('position');
    const comment = text(params, 'comment');
    createBookmarkFor(request.db, caller(request), {
      trackId: id,
      positionMs: msParam(params, 'position')!,
      ...(comment !== undefined ? { comment } : {}),
    });
  },
};

export const deleteBookmark: SubsonicEndpoint = {
  name: 'deleteBookmark',
  handle: (request) => {
    deleteBookmarkFor(request.db, caller(request), request.params.required('id'));
  },
};

export const queueEndpoints: readonly SubsonicEndpoint[] = [
  getPlayQueue,
  getPlayQueueByIndex,
  savePlayQueue,
  savePlayQueueByIndex,
  getBookmarks,
  createBookmark,
  deleteBookmark,
];
