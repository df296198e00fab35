// Internet radio stations (shared by all users).
import type { Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { RadioStationTable } from '../db/schema.ts';

export type RadioStationRow = Selectable<RadioStationTable>;

export function listRadioRows(db: Database): RadioStationRow[] {
  return db.all(db.kysely.selectFrom('radio_station').selectAll().orderBy('name').orderBy('id'));
}

export function findRadioRow(db: Database, id: string): RadioStationRow | undefined {
  return db.first(db.kysely.selectFrom('radio_station').selectAll().where('id', '=', id));
}

export function insertRadioRow(db: Database, row: Omit<RadioStationRow, 'pk'>): void {
  db.run(db.kysely.insertInto('radio_station').values(row));
}

export function updateRadioRow(
  db: Database,
  id: string,
  changes: { name: string; stream_url: string; homepage_url: string | null; updated_at: number },
): number {
  return db.run(db.kysely.updateTable('radio_station').set(changes).where('id', '=', id)).changes;
}

export function deleteRadioRow(db: Database, id: string): number {
  return db.run(db.kysely.deleteFrom('radio_station').where('id', '=', id)).changes;
}
