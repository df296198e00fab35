// The folder tree as the scanner keeps it (the catalog reads it for folder browsing). Callers own the
// transactions.
import type { Database } from '../db/database.ts';
import type { FolderRow } from '../db/schema.ts';

export type StoredFolder = Pick<FolderRow, 'id' | 'path' | 'mtime' | 'images'>;
export type FolderWrite = Pick<
  FolderRow,
  'id' | 'library_id' | 'parent_id' | 'path' | 'name' | 'mtime' | 'images'
>;

export function foldersOfLibrary(db: Database, libraryId: number): StoredFolder[] {
  return db
    .prepare('SELECT id, path, mtime, images FROM folder WHERE library_id = ?')
    .all(libraryId) as StoredFolder[];
}

export function upsertFolder(db: Database, folder: FolderWrite, now: number): void {
  db.prepare(
    `INSERT INTO folder (id, library_id, parent_id, path, name, mtime, images, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name, mtime = excluded.mtime, images = excluded.images, updated_at = excluded.updated_at`,
  ).run(
    folder.id,
    folder.library_id,
    folder.parent_id,
    folder.path,
    folder.name,
    folder.mtime,
    folder.images,
    now,
  );
}

export function deleteFolders(db: Database, ids: Iterable<string>): void {
  const statement = db.prepare('DELETE FROM folder WHERE id = ?');
  for (const id of ids) statement.run(id);
}

/** Recounts the tracks directly in each of these folders. */
export function refreshFolderTrackCounts(db: Database, folderIds: Iterable<string>): void {
  const statement = db.prepare(
    'UPDATE folder SET track_count = (SELECT count(*) FROM track WHERE folder_id = folder.id) WHERE id = ?',
  );
  for (const id of folderIds) statement.run(id);
}

/** The image file names in the folder (none when the folder is not known). */
export function folderImages(db: Database, id: string): string[] {
  const images = db.prepare('SELECT images FROM folder WHERE id = ?').pluck().get(id) as string | undefined;
  return images ? (JSON.parse(images) as string[]) : [];
}
