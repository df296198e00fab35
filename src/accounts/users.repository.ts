// Queries on the user table. `username` is declared COLLATE NOCASE, so `=` on it is case-insensitive.
import type { Insertable, Updateable } from 'kysely';
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

/** Up to `limit` users by name (NOCASE order) after the name `after`: one page of a list. */
export function listUserRowsAfter(db: Database, after: string | undefined, limit: number): UserRow[] {
  let query = db.kysely.selectFrom('user').selectAll();
  if (after !== undefined) query = query.where('username', '>', after);
  return db.all(query.orderBy('username').limit(limit));
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

export function findUserRowById(db: Database, id: string): UserRow | undefined {
  return db.first(db.kysely.selectFrom('user').selectAll().where('id', '=', id));
}

export function updateUserRow(db: Database, id: string, changes: Updateable<UserTable>): number {
  return db.run(db.kysely.updateTable('user').set(changes).where('id', '=', id)).changes;
}

/** Stores a sealed password copy only if the password is still the one that was checked. */
export function storePasswordCopy(db: Database, id: string, passwordHash: string, sealed: string): number {
  return db.run(
    db.kysely
      .updateTable('user')
      .set({ password_enc: sealed })
      .where('id', '=', id)
      .where('password_hash', '=', passwordHash),
  ).changes;
}

export function libraryIdsOfUser(db: Database, userId: string): number[] {
  return db
    .all(
      db.kysely
        .selectFrom('user_library')
        .select('library_id')
        .where('user_id', '=', userId)
        .orderBy('library_id'),
    )
    .map((row) => row.library_id);
}

export function libraryIdsByUser(db: Database): Map<string, number[]> {
  const rows = db.all(
    db.kysely.selectFrom('user_library').select(['user_id', 'library_id']).orderBy('library_id'),
  );
  return groupGrants(rows);
}

/** Library grants of the users whose names sort after `after` up to `last`: one page of users. */
export function libraryIdsByUserInRange(
  db: Database,
  after: string | undefined,
  last: string,
): Map<string, number[]> {
  let query = db.kysely
    .selectFrom('user_library')
    .innerJoin('user', 'user.id', 'user_library.user_id')
    .select(['user_library.user_id', 'user_library.library_id'])
    .where('user.username', '<=', last);
  if (after !== undefined) query = query.where('user.username', '>', after);
  return groupGrants(db.all(query.orderBy('user_library.library_id')));
}

function groupGrants(rows: readonly { user_id: string; library_id: number }[]): Map<string, number[]> {
  const byUser = new Map<string, number[]>();
  for (const row of rows) {
    const list = byUser.get(row.user_id);
    if (list) list.push(row.library_id);
    else byUser.set(row.user_id, [row.library_id]);
  }
  return byUser;
}

export function replaceUserLibraries(db: Database, userId: string, libraryIds: readonly number[]): void {
  db.run(db.kysely.deleteFrom('user_library').where('user_id', '=', userId));
  if (libraryIds.length > 0)
    db.run(
      db.kysely
        .insertInto('user_library')
        .values(libraryIds.map((libraryId) => ({ user_id: userId, library_id: libraryId }))),
    );
}

export function existingLibraryIds(db: Database): number[] {
  return db.all(db.kysely.selectFrom('library').select('id').orderBy('id')).map((row) => row.id);
}

/** Records the first successful password or token login (later ones change nothing, and write nothing). */
export function markFirstLogin(db: Database, userId: string, at: number): void {
  db.run(
    db.kysely
      .updateTable('user')
      .set({ first_login_at: at })
      .where('id', '=', userId)
      .where('first_login_at', 'is', null),
  );
}

/** Whether a user has left any trace of use: a login, a session, an API key or a client seen (players). */
export function userHasBeenUsed(db: Database, userId: string): boolean {
  const used = db.first(
    db.kysely.selectNoFrom((eb) => [
      eb
        .or([
          eb.exists(
            eb
              .selectFrom('user')
              .select('id')
              .where('id', '=', userId)
              .where('first_login_at', 'is not', null),
          ),
          eb.exists(eb.selectFrom('session').select('id').where('user_id', '=', userId)),
          eb.exists(eb.selectFrom('api_key').select('id').where('user_id', '=', userId)),
          eb.exists(eb.selectFrom('player').select('id').where('user_id', '=', userId)),
        ])
        .as('used'),
    ]),
  );
  return Number(used?.used ?? 0) === 1;
}
