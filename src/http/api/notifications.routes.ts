// The caller's notifications (src/activity/follows.ts): new albums of followed artists and the like,
// newest first, kept until read; the same arrive live as `notification` events (GET /api/v1/events).
import { z } from 'zod';
import { listNotifications, type Notification, readNotifications } from '../../activity/follows.ts';
import { encodeCursor } from '../../shared/cursor.ts';
import { cursorKey } from './activity-schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { isoOrNull, isoTime, page, pageQuery, queryBoolean } from './schemas.ts';

const notificationSchema = z
  .object({
    id: z.string(),
    kind: z.string().describe('release.new: a followed artist has a new album.'),
    subject: z.object({ type: z.enum(['track', 'album', 'artist', 'upload']), id: z.string() }),
    title: z.string(),
    message: z.string(),
    createdAt: isoTime,
    readAt: isoTime.nullable(),
  })
  .meta({ id: 'Notification' });

function notificationJson(notification: Notification): z.input<typeof notificationSchema> {
  return {
    id: notification.id,
    kind: notification.kind,
    subject: notification.subject,
    title: notification.title,
    message: notification.message,
    createdAt: isoOrNull(notification.createdAt)!,
    readAt: isoOrNull(notification.readAt),
  };
}

function notificationPosition(cursor: string): { createdAt: number; id: string } {
  const [createdAt, id] = cursorKey(cursor, ['number', 'string']);
  return { createdAt: createdAt as number, id: id as string };
}

export const notificationRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/notifications',
    tag: 'Notifications',
    summary: "The caller's notifications, newest first",
    description:
      'Starring an artist follows it: a new album of it found by a scan becomes a notification (kind ' +
      '`release.new`). `unread=true` lists the unread ones only.',
    access: 'user',
    query: z.object({ unread: queryBoolean.optional(), ...pageQuery }),
    response: page(notificationSchema),
    handle({ services, user, query }) {
      const result = listNotifications(services.db, user.id, {
        unreadOnly: query.unread === true,
        limit: query.limit,
        after: query.cursor === undefined ? undefined : notificationPosition(query.cursor),
      });
      return {
        items: result.items.map(notificationJson),
        nextCursor: result.next ? encodeCursor([result.next.createdAt, result.next.id]) : null,
      };
    },
  }),
  route({
    method: 'post',
    path: '/notifications/read',
    tag: 'Notifications',
    summary: 'Mark notifications read',
    description:
      'The given ids of the caller, or all of them with `all: true`; ids of others change nothing.',
    access: 'user',
    body: z.union([
      z.strictObject({ ids: z.array(z.string().min(1).max(100)).min(1).max(1000) }),
      z.strictObject({ all: z.literal(true) }),
    ]),
    response: z.object({ marked: z.number().int().describe('How many were unread before.') }),
    handle({ services, user, body }) {
      return { marked: readNotifications(services.db, user.id, 'all' in body ? 'all' : body.ids) };
    },
  }),
];
