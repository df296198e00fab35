// Libraries (music folders). The config names them; the database keeps their integer ids stable so
// Subsonic music-folder ids do not move under clients.
import type { Database } from '../db/database.ts';
import type { LibraryRow } from '../db/schema.ts';

export interface LibraryDefinition {
  name: string;
  path: string;
}

/** Adds configured libraries and updates moved ones. A library dropped from the config is left as it is. */
export function syncLibraries(
  db: Database,
  libraries: readonly LibraryDefinition[],
  now: number,
): LibraryRow[] {
  const q = db.kysely;
  db.transaction(() => {
    for (const library of libraries) {
      const existing = db.first(q.selectFrom('library').selectAll().where('name', '=', library.name));
      if (!existing) {
        db.run(q.insertInto('library').values({ name: library.name, path: library.path, created_at: now }));
      } else if (existing.path !== library.path) {
        db.run(q.updateTable('library').set({ path: library.path }).where('id', '=', existing.id));
      }
    }
  });
  return libraries.map(
    (library) => db.first(q.selectFrom('library').selectAll().where('name', '=', library.name))!,
  );
}

export function listLibraries(db: Database): LibraryRow[] {
  return db.all(db.kysely.selectFrom('library').selectAll().orderBy('id'));
}

export function findLibrary(db: Database, id: number): LibraryRow | undefined {
  return db.first(db.kysely.selectFrom('library').selectAll().where('id', '=', id));
}

export function markLibraryScanned(db: Database, id: number, at: number, changed: boolean): void {
  const update = changed ? { last_scan_at: at, changed_at: at } : { last_scan_at: at };
  db.run(db.kysely.updateTable('library').set(update).where('id', '=', id));
}

/** Whether the catalog holds any track of the library (one index probe). */
export function libraryHasTracks(db: Database, id: number): boolean {
  return (
    db.first(db.kysely.selectFrom('track').select('pk').where('library_id', '=', id).limit(1)) !== undefined
  );
}

/**
 * Marks a library offline. Returns true when it was online (the caller logs the change once); a library
 * already offline keeps its first offline_since and takes the newer reason.
 */
export function markLibraryOffline(db: Database, id: number, reason: string, at: number): boolean {
  const q = db.kysely;
  return db.transaction(() => {
    const before = db.first(
      q.selectFrom('library').select(['offline_since', 'offline_reason']).where('id', '=', id),
    );
    if (!before || (before.offline_since !== null && before.offline_reason === reason)) return false;
    db.run(
      q
        .updateTable('library')
        .set({ offline_since: before.offline_since ?? at, offline_reason: reason })
        .where('id', '=', id),
    );
    return before.offline_since === null;
  });
}

/** Marks a library online on `device`. Returns true when it was offline (the caller logs the return). */
export function markLibraryOnline(db: Database, id: number, device: string | undefined): boolean {
  const q = db.kysely;
  return db.transaction(() => {
    const before = db.first(q.selectFrom('library').select(['offline_since', 'device']).where('id', '=', id));
    if (!before) return false;
    if (before.offline_since !== null || (device !== undefined && before.device !== device))
      db.run(
        q
          .updateTable('library')
          .set({ offline_since: null, offline_reason: null, ...(device !== undefined ? { device } : {}) })
          .where('id', '=', id),
      );
    return before.offline_since !== null;
  });
}
