// The admin switch that turns off password and token logins, leaving only API keys (the OpenSubsonic
// apiKeyAuthentication extension recommends it: a key can be revoked alone and never reveals a password).
// Stored in the setting table and read on every login, so a change made by the CLI while the server runs
// takes effect at once. Absent means enabled.
import { untilChange } from '../db/change-scoped.ts';
import type { Database } from '../db/database.ts';
import { readSetting, writeSetting } from './settings.repository.ts';

export const PASSWORD_AUTH_SETTING = 'auth.passwordAuthEnabled';

export function isPasswordAuthEnabled(db: Database): boolean {
  return readSetting(db, PASSWORD_AUTH_SETTING) !== 'false';
}

/** The switch as logins read it: kept until the database changes (one tiny statement per login). */
export function passwordAuthSwitch(db: Database): () => boolean {
  return untilChange(db, () => isPasswordAuthEnabled(db));
}

export function setPasswordAuthEnabled(db: Database, enabled: boolean): void {
  writeSetting(db, PASSWORD_AUTH_SETTING, enabled ? 'true' : 'false');
}
