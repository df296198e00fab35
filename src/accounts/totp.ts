// Placeholder until the two-factor work lands (replaced at merge).
import type { Database } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import type { User } from './users.service.ts';

export function hasSecondFactor(row: Pick<UserRow, 'totp_enabled_at'>): boolean {
  return row.totp_enabled_at !== null;
}

export function verifySecondFactor(
  _db: Database,
  _user: User,
  _code: string,
  _now = Date.now(),
): 'ok' | 'recovery-used' | 'wrong' {
  return 'wrong';
}
