// Queries on the user table. `username` is declared COLLATE NOCASE, so `=` on it is case-insensitive.
import type { Insertable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { UserRow, UserTable } from '../db/schema.ts';

export type NewUserRow = Insertable<UserTable>;

export function insertUserRow(db: Database, row: NewUserRow): void {
  db.run(db.kysely.insertInto('user').values(row));
}

export function findUserRowByName(db: Database, username: string): UserRow | undefined {
  return db.first(db.kysely.selectFrom('user').selectAll().where('username', '=', username));
}

export function listUserRows(db: Database): UserRow[] {
  return db.all(db.kysely.selectFrom('user').selectAll().orderBy('username'));
}

export function updatePasswordHash(db: Database, id: string, passwordHash: string, now: number): number {
  return db.run(
    db.kysely.updateTable('user').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', id),
  ).changes;
}

export function deleteUserRow(db: Database, id: string): number {
  return db.run(db.kysely.deleteFrom('user').where('id', '=', id)).changes;
}

export function countAdmins(db: Database): number {
  const row = db.first(
    db.kysely
      .selectFrom('user')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('is_admin', '=', 1),
  );
  return row?.n ?? 0;
}
