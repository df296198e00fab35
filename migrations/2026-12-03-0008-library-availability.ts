// Unavailable libraries (issue 10): an unmounted share, an emptied mount point or a disk that is not the
// one of the last scan makes a library "offline" instead of emptying its catalog. `device` is the root
// folder's st_dev (text: dev_t is 64-bit) at the last good scan; offline_since (ms epoch) and
// offline_reason (a sentence for admins) are NULL while the library is online.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE library ADD COLUMN device TEXT`.execute(db);
  await sql`ALTER TABLE library ADD COLUMN offline_since INTEGER`.execute(db);
  await sql`ALTER TABLE library ADD COLUMN offline_reason TEXT`.execute(db);
}
