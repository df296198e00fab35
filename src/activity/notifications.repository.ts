// Notifications (migration 0014) and the facts behind "a followed artist has a new album".
import type { Insertable, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { NotificationTable } from '../db/schema.ts';

export type NotificationRow = Selectable<NotificationTable>;

/**
 * Albums first seen after `after` up to `upTo`, each with the users to tell: those who starred (follow)
 * one of its album artists and may see a library that holds it.
 */
export function newAlbumsForFollowers(
  db: Database,
  after: number,
  upTo: number,
): { album_id: string; album_name: string; artist_name: string; user_id: string }[] {
  return db
    .prepare(
      `SELECT DISTINCT al.id AS album_id, al.name AS album_name, al.artist_name, an.user_id
       FROM album al
       JOIN album_artist aa ON aa.album_id = al.id
       JOIN annotation an ON an.item_id = aa.artist_id AND an.starred_at IS NOT NULL
       WHERE al.created_at > ? AND al.created_at <= ?
         AND EXISTS (SELECT 1 FROM user_library ul JOIN library_album la ON la.library_id = ul.library_id
                     WHERE ul.user_id = an.user_id AND la.album_id = al.id)
       ORDER BY al.created_at, al.id, an.user_id`,
    )
    .all(after, upTo) as { album_id: string; album_name: string; artist_name: string; user_id: string }[];
}

/** Stores a notification unless the user already has one of this kind about this subject. */
export function insertNotification(db: Database, notification: Insertable<NotificationTable>): boolean {
  return (
    db.run(
      db.kysely
        .insertInto('notification')
        .values(notification)
        .onConflict((conflict) => conflict.columns(['user_id', 'kind', 'subject_id']).doNothing()),
    ).changes === 1
  );
}

/** A user's notifications, newest first; `before` continues a page. */
export function notificationsOf(
  db: Database,
  userId: string,
  options: { unreadOnly: boolean; limit: number; before?: { createdAt: number; id: string } | undefined },
): NotificationRow[] {
  let query = db.kysely
    .selectFrom('notification')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc');
  if (options.unreadOnly) query = query.where('read_at', 'is', null);
  const before = options.before;
  if (before)
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.createdAt),
        eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
      ]),
    );
  return db.all(query.limit(options.limit));
}

/** Marks the user's notifications read: the given ids, or all of them; returns how many changed. */
export function markNotificationsRead(
  db: Database,
  userId: string,
  ids: readonly string[] | 'all',
  at: number,
): number {
  let query = db.kysely
    .updateTable('notification')
    .set({ read_at: at })
    .where('user_id', '=', userId)
    .where('read_at', 'is', null);
  if (ids !== 'all') query = query.where('id', 'in', ids.length > 0 ? [...ids] : ['']);
  return db.run(query).changes;
}

export function unreadCount(db: Database, userId: string): number {
  return db.first(
    db.kysely
      .selectFrom('notification')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', userId)
      .where('read_at', 'is', null),
  )!.count;
}
