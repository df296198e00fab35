// Listening events as players sent them, and the listens derived from them (migration 0012).
import type { Insertable, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ListeningEventTable, ListenTable } from '../db/schema.ts';
import { deleteStatsOf } from './stats.repository.ts';

export type ListenRow = Selectable<ListenTable>;

/** Stores one event; false when the user already sent one with this id (a retried batch). */
export function insertEvent(db: Database, event: Insertable<ListeningEventTable>): boolean {
  const { changes } = db.run(
    db.kysely
      .insertInto('listening_event')
      .values(event)
      .onConflict((conflict) => conflict.columns(['user_id', 'event_id']).doNothing()),
  );
  return changes === 1;
}

/** The listen going on for the user on this player, if any. */
export function openListen(db: Database, userId: string, player: string): ListenRow | undefined {
  return db.first(
    db.kysely
      .selectFrom('listen')
      .selectAll()
      .where('user_id', '=', userId)
      .where('player', '=', player)
      .where('ended_at', 'is', null),
  );
}

/** Stores a listen; returns its pk. */
export function insertListen(db: Database, listen: Insertable<ListenTable>): number {
  return db.first(db.kysely.insertInto('listen').values(listen).returning('pk'))!.pk;
}

/** Progress on an open listen: what was heard so far and where the playhead is. */
export function updateListen(
  db: Database,
  pk: number,
  progress: { listenedMs: number; positionMs: number; lastEventAt: number },
): void {
  db.run(
    db.kysely
      .updateTable('listen')
      .set({
        listened_ms: progress.listenedMs,
        position_ms: progress.positionMs,
        last_event_at: progress.lastEventAt,
      })
      .where('pk', '=', pk),
  );
}

export function closeListen(
  db: Database,
  pk: number,
  end: Pick<ListenRow, 'ended_at' | 'listened_ms' | 'position_ms' | 'end_type' | 'outcome' | 'last_event_at'>,
): void {
  db.run(db.kysely.updateTable('listen').set(end).where('pk', '=', pk));
}

/** Open listens nothing was heard from since `before` (a player that vanished without a stop). */
export function openListensIdleSince(db: Database, before: number): ListenRow[] {
  return db.all(
    db.kysely
      .selectFrom('listen')
      .selectAll()
      .where('ended_at', 'is', null)
      .where('last_event_at', '<', before)
      .orderBy('pk'),
  );
}

/** A user's finished listens of one track, oldest first (tests, analytics). */
export function listensOf(db: Database, userId: string): ListenRow[] {
  return db.all(
    db.kysely
      .selectFrom('listen')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('started_at')
      .orderBy('pk'),
  );
}

/** One page of a user's events in the order stored, after the row `afterPk` (export). */
export function eventsOfUserAfter(
  db: Database,
  userId: string,
  afterPk: number,
  limit: number,
): Selectable<ListeningEventTable>[] {
  return db.all(
    db.kysely
      .selectFrom('listening_event')
      .selectAll()
      .where('user_id', '=', userId)
      .where('pk', '>', afterPk)
      .orderBy('pk')
      .limit(limit),
  );
}

/**
 * Forgets a user's listening: their events, listens and plays, and the play counts and last-played
 * times on their marks (stars and ratings stay). Returns what went.
 */
export function deleteHistoryOf(
  db: Database,
  userId: string,
): { events: number; listens: number; plays: number } {
  return db.transaction(() => {
    const events = db.run(db.kysely.deleteFrom('listening_event').where('user_id', '=', userId)).changes;
    const listens = db.run(db.kysely.deleteFrom('listen').where('user_id', '=', userId)).changes;
    const plays = db.run(db.kysely.deleteFrom('play_event').where('user_id', '=', userId)).changes;
    deleteStatsOf(db, userId);
    db.run(
      db.kysely
        .updateTable('annotation')
        .set({ play_count: 0, last_played_at: null })
        .where('user_id', '=', userId)
        .where((eb) => eb.or([eb('play_count', '>', 0), eb('last_played_at', 'is not', null)])),
    );
    return { events, listens, plays };
  });
}
