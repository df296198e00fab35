// The setting table: small key/value switches an admin changes (from the CLI or, later, the API).
import type { Database } from '../db/database.ts';

export function readSetting(db: Database, key: string): string | undefined {
  return db.first(db.kysely.selectFrom('setting').select('value').where('key', '=', key))?.value;
}

export function writeSetting(db: Database, key: string, value: string): void {
  db.run(
    db.kysely
      .insertInto('setting')
      .values({ key, value })
      .onConflict((conflict) => conflict.column('key').doUpdateSet({ value })),
  );
}
