// Following artists (issue 14): starring an artist follows it, and an album of a followed artist that a
// scan adds becomes one notification for each follower who may see it: stored (listed, marked read) and
// handed back for the live event stream. Run as the `new-releases` job after every scan of the server
// and hourly (src/app/services.ts), so albums added by a CLI scan are announced too.
//
// What counts as new: albums whose created_at (when the catalog first had them) is after the last check.
// The first check ever only notes the time: the albums already in the library are not news.
import { randomUUID } from 'node:crypto';
import { readSetting, writeSetting } from '../accounts/settings.repository.ts';
import type { Database } from '../db/database.ts';
import {
  insertNotification,
  markNotificationsRead,
  type NotificationRow,
  newAlbumsForFollowers,
  notificationsOf,
  unreadCount,
} from './notifications.repository.ts';

const CHECKED_SETTING = 'newReleases.checkedAt';
export const NEW_RELEASE = 'release.new';

export interface Notification {
  id: string;
  userId: string;
  kind: string;
  subject: { type: NotificationRow['subject_type']; id: string };
  title: string;
  message: string;
  createdAt: number;
  readAt: number | null;
}

function notificationOf(row: NotificationRow): Notification {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    subject: { type: row.subject_type, id: row.subject_id },
    title: row.title,
    message: row.message,
    createdAt: row.created_at,
    readAt: row.read_at,
  };
}

/** Notifications for the albums of followed artists added since the last check; returns the new ones. */
export function announceNewReleases(db: Database, now = Date.now()): Notification[] {
  return db.transaction(() => {
    const checked = readSetting(db, CHECKED_SETTING);
    writeSetting(db, CHECKED_SETTING, String(now));
    if (checked === undefined) return [];
    const created: Notification[] = [];
    for (const release of newAlbumsForFollowers(db, Number(checked), now)) {
      const row: NotificationRow = {
        id: `nt-${randomUUID()}`,
        user_id: release.user_id,
        kind: NEW_RELEASE,
        subject_type: 'album',
        subject_id: release.album_id,
        title: `New from ${release.artist_name}`,
        message: `${release.album_name} by ${release.artist_name} is in the library.`,
        created_at: now,
        read_at: null,
      };
      if (insertNotification(db, row)) created.push(notificationOf(row));
    }
    return created;
  });
}

export function listNotifications(
  db: Database,
  userId: string,
  options: { unreadOnly: boolean; limit: number; after?: { createdAt: number; id: string } | undefined },
): { items: Notification[]; next: { createdAt: number; id: string } | null; unread: number } {
  const rows = notificationsOf(db, userId, { ...options, limit: options.limit + 1, before: options.after });
  const items = rows.slice(0, options.limit).map(notificationOf);
  const last = items.at(-1);
  return {
    items,
    next: rows.length > options.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
    unread: unreadCount(db, userId),
  };
}

export function readNotifications(
  db: Database,
  userId: string,
  ids: readonly string[] | 'all',
  now = Date.now(),
): number {
  return markNotificationsRead(db, userId, ids, now);
}
