// Queries on the api_key table. Keys are looked up by the SHA-256 of the secret (unique index).
import type { Insertable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ApiKeyRow, ApiKeyTable, UserRow } from '../db/schema.ts';

export function insertApiKeyRow(db: Database, row: Insertable<ApiKeyTable>): void {
  db.run(db.kysely.insertInto('api_key').values(row));
}

export function findApiKeyByHash(
  db: Database,
  keyHash: string,
): { key: ApiKeyRow; user: UserRow } | undefined {
  const key = db.first(db.kysely.selectFrom('api_key').selectAll().where('key_hash', '=', keyHash));
  if (!key) return undefined;
  const user = db.first(db.kysely.selectFrom('user').selectAll().where('id', '=', key.user_id));
  return user ? { key, user } : undefined;
}

export function listApiKeyRows(db: Database, userId?: string): (ApiKeyRow & { username: string })[] {
  let query = db.kysely
    .selectFrom('api_key')
    .innerJoin('user', 'user.id', 'api_key.user_id')
    .selectAll('api_key')
    .select('user.username')
    .orderBy('user.username')
    .orderBy('api_key.created_at')
    .orderBy('api_key.id');
  if (userId !== undefined) query = query.where('api_key.user_id', '=', userId);
  return db.all(query);
}

/** One page of keys in the order they were made, after the key (createdAt, id) `after`; one user's or all. */
export function listApiKeyRowsAfter(
  db: Database,
  page: { userId?: string; after?: { createdAt: number; id: string }; limit: number },
): (ApiKeyRow & { username: string })[] {
  let query = db.kysely
    .selectFrom('api_key')
    .innerJoin('user', 'user.id', 'api_key.user_id')
    .selectAll('api_key')
    .select('user.username');
  if (page.userId !== undefined) query = query.where('api_key.user_id', '=', page.userId);
  const after = page.after;
  if (after)
    query = query.where((eb) =>
      eb.or([
        eb('api_key.created_at', '>', after.createdAt),
        eb.and([eb('api_key.created_at', '=', after.createdAt), eb('api_key.id', '>', after.id)]),
      ]),
    );
  return db.all(query.orderBy('api_key.created_at').orderBy('api_key.id').limit(page.limit));
}

export function findApiKeyRowById(db: Database, id: string): (ApiKeyRow & { username: string }) | undefined {
  return db.first(
    db.kysely
      .selectFrom('api_key')
      .innerJoin('user', 'user.id', 'api_key.user_id')
      .selectAll('api_key')
      .select('user.username')
      .where('api_key.id', '=', id),
  );
}

export function deleteApiKeyRow(db: Database, id: string): number {
  return db.run(db.kysely.deleteFrom('api_key').where('id', '=', id)).changes;
}

export function touchApiKey(db: Database, id: string, at: number): void {
  db.run(db.kysely.updateTable('api_key').set({ last_used_at: at }).where('id', '=', id));
}
