// Queries for two-factor login: the TOTP columns of the user table and the recovery_code table.
import type { Database } from '../db/database.ts';
import type { UserTable } from '../db/schema.ts';

export interface TotpRow {
  id: string;
  username: string;
  totp_secret_enc: string | null;
  totp_enabled_at: number | null;
  totp_pending_enc: string | null;
  totp_last_step: number | null;
}

const TOTP_COLUMNS = [
  'id',
  'username',
  'totp_secret_enc',
  'totp_enabled_at',
  'totp_pending_enc',
  'totp_last_step',
] as const satisfies readonly (keyof UserTable)[];

export function findTotpRowById(db: Database, userId: string): TotpRow | undefined {
  return db.first(db.kysely.selectFrom('user').select(TOTP_COLUMNS).where('id', '=', userId));
}

export function findTotpRowByName(db: Database, username: string): TotpRow | undefined {
  return db.first(db.kysely.selectFrom('user').select(TOTP_COLUMNS).where('username', '=', username));
}

export function storePendingTotp(db: Database, userId: string, sealed: string): void {
  db.run(db.kysely.updateTable('user').set({ totp_pending_enc: sealed }).where('id', '=', userId));
}

/** Moves the pending secret into place; 0 changes when it was replaced or already moved meanwhile. */
export function enableTotpRow(
  db: Database,
  userId: string,
  pending: string,
  enabledAt: number,
  acceptedStep: number,
): number {
  return db.run(
    db.kysely
      .updateTable('user')
      .set({
        totp_secret_enc: pending,
        totp_pending_enc: null,
        totp_enabled_at: enabledAt,
        totp_last_step: acceptedStep,
      })
      .where('id', '=', userId)
      .where('totp_pending_enc', '=', pending)
      .where('totp_enabled_at', 'is', null),
  ).changes;
}

/** Turns two-factor login off (a pending set-up goes too); the number of rows changed. */
export function clearTotpRow(db: Database, userId: string): number {
  return db.run(
    db.kysely
      .updateTable('user')
      .set({ totp_secret_enc: null, totp_enabled_at: null, totp_pending_enc: null, totp_last_step: null })
      .where('id', '=', userId),
  ).changes;
}

/**
 * Records `step` as the last accepted time step if it is later than the one recorded: 1 when the code may
 * be accepted, 0 when that step (or a later one) was used already. One statement, so two logins racing
 * with the same code cannot both win.
 */
export function claimTotpStep(db: Database, userId: string, step: number): number {
  return db.run(
    db.kysely
      .updateTable('user')
      .set({ totp_last_step: step })
      .where('id', '=', userId)
      .where('totp_enabled_at', 'is not', null)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)])),
  ).changes;
}

export function replaceRecoveryCodes(
  db: Database,
  userId: string,
  codeHashes: readonly string[],
  createdAt: number,
): void {
  deleteRecoveryCodes(db, userId);
  if (codeHashes.length > 0)
    db.run(
      db.kysely
        .insertInto('recovery_code')
        .values(codeHashes.map((hash) => ({ user_id: userId, code_hash: hash, created_at: createdAt }))),
    );
}

export function deleteRecoveryCodes(db: Database, userId: string): number {
  return db.run(db.kysely.deleteFrom('recovery_code').where('user_id', '=', userId)).changes;
}

/** Marks an unused code as used: 1 when it was there and unused, else 0. */
export function useRecoveryCode(db: Database, userId: string, codeHash: string, usedAt: number): number {
  return db.run(
    db.kysely
      .updateTable('recovery_code')
      .set({ used_at: usedAt })
      .where('user_id', '=', userId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null),
  ).changes;
}

export function countUnusedRecoveryCodes(db: Database, userId: string): number {
  const row = db.first(
    db.kysely
      .selectFrom('recovery_code')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null),
  );
  return row?.n ?? 0;
}
