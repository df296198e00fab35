// The one library-visibility filter: every catalog query that reads tracks, albums, artists or folders
// for someone who may see only some libraries adds this condition. Tracks and folders belong to one
// library (their library_id); albums and artists to every library they have tracks in (the library_album
// and library_artist links). The library ids go in as one JSON array, so the statement text does not
// depend on how many there are.

/** Libraries a caller may see; undefined means every library. */
export type LibraryScope = readonly number[] | undefined;

export type VisibleKind = 'track' | 'folder' | 'album' | 'artist';

export interface SqlCondition {
  /** Empty, or text that starts with ' AND '. */
  sql: string;
  params: unknown[];
}

const EVERYTHING: SqlCondition = Object.freeze({ sql: '', params: [] }) as SqlCondition;
const IN_LIST = 'IN (SELECT value FROM json_each(?))';

/**
 * ` AND <row aliased alias is in one of the libraries>`. Every library (undefined) adds nothing, so a
 * caller who sees everything pays nothing: at 100k tracks the per-row check is most of a list's cost.
 */
export function visibleIn(libraries: LibraryScope, kind: VisibleKind, alias: string): SqlCondition {
  if (!libraries) return EVERYTHING;
  const params = [JSON.stringify(libraries)];
  switch (kind) {
    case 'track':
    case 'folder':
      return { sql: ` AND ${alias}.library_id ${IN_LIST}`, params };
    case 'album':
      return {
        sql: ` AND EXISTS (SELECT 1 FROM library_album la WHERE la.album_id = ${alias}.id AND la.library_id ${IN_LIST})`,
        params,
      };
    case 'artist':
      return {
        sql: ` AND EXISTS (SELECT 1 FROM library_artist la WHERE la.artist_id = ${alias}.id AND la.library_id ${IN_LIST})`,
        params,
      };
  }
}
