// Pages of artists (pages.ts) in each sort, through the keyset engine. Like getArtists, the list holds
// album artists (artists credited on at least one album): track-only artists would be dead ends. Names go
// by order_name, which had the configured articles removed at scan time ("The Beatles" under B), the
// order getArtists uses; the counts and the date added walk the indexes of migration 0010.
import type { Database } from '../db/database.ts';
import { markWalk, starredBy } from './annotations.repository.ts';
import {
  and,
  type Direction,
  type KeysetList,
  type KeysetRow,
  keysetPage,
  type Position,
} from './keyset.repository.ts';
import type { Viewer } from './model.ts';
import type { ArtistFilter, ArtistSort } from './sorts.ts';
import { type SqlCondition, visibleIn } from './visibility.repository.ts';

const column = (sql: string) => ({ sql });

const INDEXED: Partial<Record<ArtistSort, KeysetList['segments']>> = {
  name: [{ columns: [column('ar.order_name'), column('ar.id')] }],
  albumCount: [{ columns: [column('ar.album_count'), column('ar.id')] }],
  trackCount: [{ columns: [column('ar.song_count'), column('ar.id')] }],
  recentlyAdded: [{ columns: [column('ar.created_at'), column('ar.id')] }],
};

export function artistPageRows(
  db: Database,
  viewer: Viewer,
  filter: ArtistFilter,
  sort: ArtistSort,
  direction: Direction,
  after: Position | undefined,
  limit: number,
): KeysetRow[] {
  const conditions = artistConditions(viewer, filter);
  const indexed = INDEXED[sort];
  let list: KeysetList;
  if (indexed) {
    list = { from: 'artist ar', id: 'ar.id', conditions, segments: indexed };
  } else {
    const walk = markWalk(
      viewer.userId,
      'ar',
      'artist ar ON ar.id = a.item_id',
      sort as 'playCount' | 'lastPlayed' | 'starredAt',
    );
    list = { ...walk, conditions: [walk.condition, ...conditions] };
  }
  return keysetPage(db, list, direction, after, limit);
}

function artistConditions(viewer: Viewer, filter: ArtistFilter): SqlCondition[] {
  // Unary +: album_count is also a sort key, and its index must serve the cursor's range, not this one.
  const conditions = [and('+ar.album_count > 0'), visibleIn(viewer.libraryIds, 'artist', 'ar')];
  if (filter.genre !== undefined)
    conditions.push(
      and(
        `ar.id IN (SELECT aa.artist_id FROM album_genre ag JOIN genre g ON g.id = ag.genre_id
           JOIN album_artist aa ON aa.album_id = ag.album_id WHERE g.name = ?)`,
        filter.genre,
      ),
    );
  if (filter.text !== undefined) {
    // LIKE with the user's text as a literal: its own % _ and \ are escaped.
    const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(and("(ar.name LIKE ? ESCAPE '\\' OR ar.sort_name LIKE ? ESCAPE '\\')", pattern, pattern));
  }
  if (filter.starred !== undefined) conditions.push(starredBy(viewer.userId, 'ar.id', filter.starred));
  return conditions;
}
