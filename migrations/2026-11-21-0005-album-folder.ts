// The folder an album lives in (its first track's folder), kept on the album row: folder-style answers
// (getAlbumList, getStarred, search2) need it for every album, and a sub-query per album was a large part
// of an album page's cost at 100k tracks. The scanner's refresh keeps it current.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE album ADD COLUMN folder_id TEXT`.execute(db);
  await sql`UPDATE album SET folder_id = (
    SELECT t.folder_id FROM track t WHERE t.album_id = album.id ORDER BY t.disc_number, t.track_number, t.path LIMIT 1)`.execute(db);
}
