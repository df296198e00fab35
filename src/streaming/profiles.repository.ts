// Queries on the transcode_profile table: the admin's own profiles (the built-in ones live in profiles.ts).
import type { Insertable, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { TranscodeProfileTable } from '../db/schema.ts';

export type ProfileRow = Selectable<TranscodeProfileTable>;

export function listProfileRows(db: Database): ProfileRow[] {
  return db.all(db.kysely.selectFrom('transcode_profile').selectAll().orderBy('name'));
}

export function findProfileRow(db: Database, name: string): ProfileRow | undefined {
  return db.first(db.kysely.selectFrom('transcode_profile').selectAll().where('name', '=', name));
}

/** Adds a profile or replaces the one of the same name. */
export function saveProfileRow(db: Database, row: Insertable<TranscodeProfileTable>): void {
  db.run(
    db.kysely
      .insertInto('transcode_profile')
      .values(row)
      .onConflict((conflict) =>
        conflict.column('name').doUpdateSet((eb) => ({
          suffix: eb.ref('excluded.suffix'),
          content_type: eb.ref('excluded.content_type'),
          codec: eb.ref('excluded.codec'),
          lossless: eb.ref('excluded.lossless'),
          default_bit_rate: eb.ref('excluded.default_bit_rate'),
          max_bit_rate: eb.ref('excluded.max_bit_rate'),
          arguments: eb.ref('excluded.arguments'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      ),
  );
}

/** Removes a profile; the number of rows removed (0 or 1). */
export function deleteProfileRow(db: Database, name: string): number {
  return db.run(db.kysely.deleteFrom('transcode_profile').where('name', '=', name)).changes;
}
