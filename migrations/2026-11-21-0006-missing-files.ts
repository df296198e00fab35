// A track whose file was gone when somebody tried to play it is flagged (missing_since, ms epoch) until
// the next scan removes the row or sees the file again; the admin and the web app can list them.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE track ADD COLUMN missing_since INTEGER`.execute(db);
  await sql`CREATE INDEX track_missing ON track (missing_since) WHERE missing_since IS NOT NULL`.execute(db);
}
