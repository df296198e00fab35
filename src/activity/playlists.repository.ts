// Playlists and their entries. Entries point at track ids without a foreign key (see the migration), so
// reads join the track table to see which entries are present right now.
import type { Insertable, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { PlaylistTable } from '../db/schema.ts';

export type PlaylistRow = Selectable<PlaylistTable>;

export interface PlaylistSummaryRow extends PlaylistRow {
  owner_name: string;
  song_count: number;
  duration: number;
  first_album_id: string | null;
}

/**
 * Playlists with their owner's name and the count and total duration of their present entries (in the
 * given libraries when restricted). Hand-written SQL: three correlated sub-selects read clearer than
 * Kysely's nesting here.
 */
function summaries(
  db: Database,
  where: {
    ownerId?: string;
    orPublic?: boolean;
    id?: string;
    libraryId?: number;
    /** Keyset paging: playlists after this one in the list's order, at most `limit` of them. */
    after?: PlaylistKey;
    limit?: number;
  },
  libraries?: readonly number[],
): PlaylistSummaryRow[] {
  const visible = libraries ? ` AND t.library_id IN (${libraries.map(() => '?').join(',') || 'NULL'})` : '';
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (where.id !== undefined) {
    conditions.push('p.id = ?');
    params.push(where.id);
  }
  if (where.ownerId !== undefined) {
    conditions.push(where.orPublic ? '(p.owner_id = ? OR p.public = 1)' : 'p.owner_id = ?');
    params.push(where.ownerId);
  }
  if (where.libraryId !== undefined) {
    conditions.push('p.library_id = ?');
    params.push(where.libraryId);
  }
  if (where.after !== undefined) {
    conditions.push('(p.name > ? COLLATE NOCASE OR (p.name = ? COLLATE NOCASE AND p.id > ?))');
    params.push(where.after.name, where.after.name, where.after.id);
  }
  const sqlText = `
    SELECT p.*, u.username AS owner_name,
      (SELECT count(*) FROM playlist_track e JOIN track t ON t.id = e.track_id
         WHERE e.playlist_id = p.id${visible}) AS song_count,
      (SELECT coalesce(sum(t.duration), 0) FROM playlist_track e JOIN track t ON t.id = e.track_id
         WHERE e.playlist_id = p.id${visible}) AS duration,
      (SELECT t.album_id FROM playlist_track e JOIN track t ON t.id = e.track_id
         WHERE e.playlist_id = p.id${visible} ORDER BY e.position LIMIT 1) AS first_album_id
    FROM playlist p JOIN user u ON u.id = p.owner_id
    ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
    ORDER BY p.name COLLATE NOCASE, p.id${where.limit !== undefined ? ' LIMIT ?' : ''}`;
  // The library list is bound once per sub-select, before the WHERE parameters.
  const libs = libraries ?? [];
  const all = [...libs, ...libs, ...libs, ...params, ...(where.limit !== undefined ? [where.limit] : [])];
  return db.prepare(sqlText).all(...all) as PlaylistSummaryRow[];
}

/** Where a page of the playlist list ends: the list is ordered by name (case-insensitive), then id. */
export interface PlaylistKey {
  name: string;
  id: string;
}

export function listPlaylistSummaries(
  db: Database,
  options: { ownerId: string; includePublic: boolean; after?: PlaylistKey; limit?: number },
  libraries?: readonly number[],
): PlaylistSummaryRow[] {
  return summaries(
    db,
    {
      ownerId: options.ownerId,
      orPublic: options.includePublic,
      ...(options.after ? { after: options.after } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    },
    libraries,
  );
}

export function findPlaylistSummary(
  db: Database,
  id: string,
  libraries?: readonly number[],
): PlaylistSummaryRow | undefined {
  return summaries(db, { id }, libraries)[0];
}

export function findPlaylistRow(db: Database, id: string): PlaylistRow | undefined {
  return db.first(db.kysely.selectFrom('playlist').selectAll().where('id', '=', id));
}

export function insertPlaylistRow(db: Database, row: Insertable<PlaylistTable>): void {
  db.run(db.kysely.insertInto('playlist').values(row));
}

export function updatePlaylistRow(
  db: Database,
  id: string,
  changes: { name?: string; comment?: string; public?: number; changed_at: number; source_mtime?: number },
): void {
  db.run(db.kysely.updateTable('playlist').set(changes).where('id', '=', id));
}

export function deletePlaylistRow(db: Database, id: string): void {
  db.run(db.kysely.deleteFrom('playlist').where('id', '=', id));
}

/** Every stored entry in order, present or not. */
export function playlistTrackIds(db: Database, playlistId: string): string[] {
  return db
    .all(
      db.kysely
        .selectFrom('playlist_track')
        .select('track_id')
        .where('playlist_id', '=', playlistId)
        .orderBy('position'),
    )
    .map((row) => row.track_id);
}

export function replacePlaylistTracks(db: Database, playlistId: string, trackIds: readonly string[]): void {
  db.run(db.kysely.deleteFrom('playlist_track').where('playlist_id', '=', playlistId));
  const insert = db.prepare('INSERT INTO playlist_track (playlist_id, position, track_id) VALUES (?, ?, ?)');
  for (const [position, trackId] of trackIds.entries()) insert.run(playlistId, position, trackId);
}

/** Imported playlists of one library, by source path. */
export function importedPlaylists(
  db: Database,
  libraryId: number,
): { id: string; source_path: string; source_mtime: number | null }[] {
  return db.all(
    db.kysely
      .selectFrom('playlist')
      .select(['id', 'source_path', 'source_mtime'])
      .where('library_id', '=', libraryId)
      .where('source_path', 'is not', null),
  ) as { id: string; source_path: string; source_mtime: number | null }[];
}

export function firstAdminId(db: Database): string | undefined {
  return db.first(
    db.kysely.selectFrom('user').select('id').where('is_admin', '=', 1).orderBy('created_at').orderBy('pk'),
  )?.id;
}
