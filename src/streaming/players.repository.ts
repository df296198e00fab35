// Queries on the player table (with each player's username from user).
import type { Insertable, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { PlayerTable } from '../db/schema.ts';

export type PlayerRow = Selectable<PlayerTable> & { username: string };

function selectPlayers(db: Database) {
  return db.kysely
    .selectFrom('player as p')
    .innerJoin('user as u', 'u.id', 'p.user_id')
    .selectAll('p')
    .select('u.username');
}

export function findPlayerRow(db: Database, id: string): PlayerRow | undefined {
  return db.first(selectPlayers(db).where('p.id', '=', id));
}

export function findPlayerRowOfClient(
  db: Database,
  userId: string,
  client: string,
  userAgent: string,
): PlayerRow | undefined {
  return db.first(
    selectPlayers(db)
      .where('p.user_id', '=', userId)
      .where('p.client', '=', client)
      .where('p.user_agent', '=', userAgent),
  );
}

/** One user's players, most recently seen first; or everybody's, by username, without userId. */
export function listPlayerRows(db: Database, userId?: string): PlayerRow[] {
  const query =
    userId === undefined
      ? selectPlayers(db).orderBy('u.username').orderBy('p.last_seen_at', 'desc')
      : selectPlayers(db).where('p.user_id', '=', userId).orderBy('p.last_seen_at', 'desc');
  return db.all(query);
}

/**
 * Records a sighting of a player: a new one is added; a known one gets its last address, and its last
 * sighting when the one recorded is older than `resolutionMs` (a burst of requests is one write).
 */
export function recordPlayerSighting(
  db: Database,
  row: Insertable<PlayerTable> & { last_address: string },
  resolutionMs: number,
): void {
  db.run(
    db.kysely
      .insertInto('player')
      .values(row)
      .onConflict((conflict) =>
        conflict
          .columns(['user_id', 'client', 'user_agent'])
          .doUpdateSet((eb) => ({
            last_seen_at: eb.ref('excluded.last_seen_at'),
            last_address: eb.ref('excluded.last_address'),
          }))
          .where((eb) =>
            eb.or([
              eb('player.last_seen_at', '<', eb(eb.ref('excluded.last_seen_at'), '-', resolutionMs)),
              eb('player.last_address', '<>', eb.ref('excluded.last_address')),
            ]),
          ),
      ),
  );
}

export function updatePlayerRow(
  db: Database,
  id: string,
  changes: { name: string; max_bit_rate: number; format: string },
): void {
  db.run(db.kysely.updateTable('player').set(changes).where('id', '=', id));
}

export function deletePlayerRow(db: Database, id: string): void {
  db.run(db.kysely.deleteFrom('player').where('id', '=', id));
}
