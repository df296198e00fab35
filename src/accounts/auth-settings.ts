// The admin switch that turns off password and token logins, leaving only API keys (the OpenSubsonic
// apiKeyAuthentication extension recommends it: a key can be revoked alone and never reveals a password).
// Stored in the setting table and read on every login, so a change made by the CLI while the server runs
// takes effect at once. Absent means enabled.
import type { Database } from '../db/database.ts';

export const PASSWORD_AUTH_SETTING = 'auth.passwordAuthEnabled';

export function isPasswordAuthEnabled(db: Database): boolean {
  const row = db.first(
    db.kysely.selectFrom('setting').select('value').where('key', '=', PASSWORD_AUTH_SETTING),
  );
  return row?.value !== 'false';
}

export function setPasswordAuthEnabled(db: Database, enabled: boolean): void {
  db.run(
    db.kysely
      .insertInto('setting')
      .values({ key: PASSWORD_AUTH_SETTING, value: enabled ? 'true' : 'false' })
      .onConflict((conflict) => conflict.column('key').doUpdateSet({ value: enabled ? 'true' : 'false' })),
  );
}
