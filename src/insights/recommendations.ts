// Recommendations for one user (docs/insights.md, "Recommendations"), read from the models the jobs keep:
// similar tracks and artists (co-listening first, the files' own facts when nobody listened yet), the
// user's "for you" tracks, and the shelves of the home page, each saying why it is there.
import { loadTracks } from '../catalog/tracks.repository.ts';
import { loadArtists, artistIdsSharingGenres } from '../catalog/artists.repository.ts';
import type { Artist, Track, Viewer } from '../catalog/model.ts';
import type { Database } from '../db/database.ts';
import { neighboursOf, neighboursOfMany } from './model.repository.ts';
import {
  contentNeighbourIds,
  forgottenByUser,
  heardByUser,
  mostPlayedByUser,
  recentPlaysByTrack,
  topTrackIdsOfArtists,
} from './personal.repository.ts';
import { trendingIds } from './analytics.repository.ts';

const DAY_MS = 86_400_000;
/** A play's weight in a user's taste halves every this long. */
const TASTE_HALF_LIFE_MS = 60 * DAY_MS;

export interface Scored {
  id: string;
  score: number;
}

/** Tracks like a track: co-listened ones first, then ones alike by genre, artist, year, tempo and loudness. */
export function similarTrackIds(db: Database, trackId: string, limit: number): Scored[] {
  const listened = neighboursOf(db, 'track_similar', trackId, limit);
  if (listened.length >= limit) return listened;
  const seen = new Set([trackId, ...listened.map((item) => item.id)]);
  const content = contentNeighbourIds(db, trackId, limit)
    .filter((id) => !seen.has(id))
    .slice(0, limit - listened.length)
    // Below every co-listened one, in their own order.
    .map((id, index) => ({ id, score: 1e-3 / (index + 1) }));
  return [...listened, ...content];
}

/** Artists like an artist: co-listened ones first, then album artists sharing genres. */
export function similarArtistIds(db: Database, artistId: string, limit: number): string[] {
  const listened = neighboursOf(db, 'artist_similar', artistId, limit).map((item) => item.id);
  if (listened.length >= limit) return listened;
  const seen = new Set([artistId, ...listened]);
  const byGenre = artistIdsSharingGenres(db, artistId, limit * 2 + 10).filter((id) => !seen.has(id));
  return [...listened, ...byGenre].slice(0, limit);
}

export function similarArtists(db: Database, viewer: Viewer, artistId: string, count: number): Artist[] {
  if (count <= 0) return [];
  // A few more than asked: some may be in libraries the viewer does not see.
  return loadArtists(db, similarArtistIds(db, artistId, count + 5), viewer).slice(0, count);
}

/** What a user's recommendations read of their listening, read once per request. */
export interface Taste {
  /** Track → weight (plays, fading with time since the last). */
  tracks: Map<string, number>;
  /** Artist → summed weight. */
  artists: Map<string, number>;
  /** Artists by weight, heaviest first. */
  favouriteArtists: string[];
  /** Every track they played or skipped. */
  heard: Set<string>;
}

export function tasteOf(db: Database, userId: string, now: number): Taste {
  const tracks = new Map<string, number>();
  const artists = new Map<string, number>();
  for (const row of mostPlayedByUser(db, userId, TASTE_SIZE)) {
    const age = Math.max(0, now - (row.lastPlayedAt ?? now));
    const weight = Math.log2(1 + row.plays) * 2 ** (-age / TASTE_HALF_LIFE_MS);
    tracks.set(row.trackId, weight);
    if (row.artistId) artists.set(row.artistId, (artists.get(row.artistId) ?? 0) + weight);
  }
  const favouriteArtists = ranked(artists, artists.size).map((item) => item.id);
  return { tracks, artists, favouriteArtists, heard: heardByUser(db, userId) };
}

const TASTE_SIZE = 200;

/** Played or skipped before: not a discovery. */
function known(taste: Taste, trackId: string): boolean {
  return taste.heard.has(trackId);
}

function ranked(scores: Map<string, number>, limit: number): Scored[] {
  return [...scores]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, limit);
}

/**
 * Tracks new to the user that people who play what they play also play: the neighbours of their taste,
 * each weighted by how much the user likes the track it came from; then top tracks of artists like their
 * favourite ones. Empty without history.
 */
export function recommendedTrackIds(
  db: Database,
  userId: string,
  limit: number,
  now = Date.now(),
  taste: Taste = tasteOf(db, userId, now),
): Scored[] {
  const scores = new Map<string, number>();
  for (const [seed, similar, score] of neighboursOfMany(db, 'track_similar', [...taste.tracks.keys()])) {
    if (known(taste, similar)) continue;
    scores.set(similar, (scores.get(similar) ?? 0) + taste.tracks.get(seed)! * score);
  }
  if (scores.size < limit) {
    const favourites = taste.favouriteArtists.slice(0, 10);
    const artistScores = new Map<string, number>();
    for (const [artist, similar, score] of neighboursOfMany(db, 'artist_similar', favourites))
      artistScores.set(similar, (artistScores.get(similar) ?? 0) + taste.artists.get(artist)! * score);
    for (const artist of favourites)
      artistScores.set(artist, (artistScores.get(artist) ?? 0) + taste.artists.get(artist)!);
    for (const [artist, trackId] of topTrackIdsOfArtists(db, [...artistScores.keys()], 5)) {
      if (known(taste, trackId) || scores.has(trackId)) continue;
      // Below every co-listened track.
      scores.set(trackId, 1e-4 * artistScores.get(artist)!);
    }
  }
  return ranked(scores, limit);
}

export type ShelfReason =
  | { kind: 'for-you'; text: string }
  | { kind: 'because-track'; text: string; seed: { type: 'track'; id: string; name: string } }
  | { kind: 'because-artist'; text: string; seed: { type: 'artist'; id: string; name: string } }
  | { kind: 'on-repeat' | 'forgotten' | 'trending'; text: string };

export interface Shelf {
  id: string;
  title: string;
  reason: ShelfReason;
  tracks?: Track[];
  artists?: Artist[];
}

const SHELF_SIZE = 20;
const MIN_SHELF = 3;

/** The home page's shelves for a user, best first; shelves with too little in them are left out. */
export function shelvesFor(db: Database, viewer: Viewer, userId: string, now = Date.now()): Shelf[] {
  const shelves: Shelf[] = [];
  const tracks = (ids: readonly string[]) => loadTracks(db, ids, viewer).slice(0, SHELF_SIZE);
  const add = (shelf: Shelf) => {
    if ((shelf.tracks?.length ?? 0) + (shelf.artists?.length ?? 0) >= MIN_SHELF) shelves.push(shelf);
  };
  const taste = tasteOf(db, userId, now);
  add({
    id: 'for-you',
    title: 'Recommended for you',
    reason: { kind: 'for-you', text: 'Played by people who play what you play' },
    tracks: tracks(recommendedTrackIds(db, userId, SHELF_SIZE * 2, now, taste).map((item) => item.id)),
  });
  // Because you listened to …: the user's most played of the last month, one per artist, three at most.
  const recent = recentPlaysByTrack(db, userId, now - 30 * DAY_MS, 50);
  const seeds = loadTracks(
    db,
    recent.slice(0, 10).map(([id]) => id),
    viewer,
  );
  const seedArtists = new Set<string>();
  const { heard } = taste;
  for (const seed of seeds) {
    if (seedArtists.size >= 3) break;
    if (seedArtists.has(seed.artistId)) continue;
    seedArtists.add(seed.artistId);
    const similar = similarTrackIds(db, seed.id, SHELF_SIZE).filter((item) => !heard.has(item.id));
    add({
      id: `because-${seed.id}`,
      title: `Because you listened to ${seed.title}`,
      reason: {
        kind: 'because-track',
        text: `Co-listened with ${seed.title} by ${seed.artistName}`,
        seed: { type: 'track', id: seed.id, name: seed.title },
      },
      tracks: tracks(similar.map((item) => item.id)),
    });
  }
  const favourite = taste.favouriteArtists[0];
  const [artist] = favourite ? loadArtists(db, [favourite], viewer) : [];
  if (artist)
    add({
      id: `because-${artist.id}`,
      title: `Because you like ${artist.name}`,
      reason: {
        kind: 'because-artist',
        text: `Artists listened to alongside ${artist.name}`,
        seed: { type: 'artist', id: artist.id, name: artist.name },
      },
      artists: similarArtists(db, viewer, artist.id, SHELF_SIZE),
    });
  add({
    id: 'on-repeat',
    title: 'On repeat',
    reason: { kind: 'on-repeat', text: 'What you played most in the last 30 days' },
    tracks: tracks(onRepeat(recent)),
  });
  add({
    id: 'forgotten-favourites',
    title: 'Forgotten favourites',
    reason: { kind: 'forgotten', text: 'Played often once, not in the last three months' },
    tracks: tracks(forgottenByUser(db, userId, FORGOTTEN_MIN_PLAYS, now - 90 * DAY_MS, SHELF_SIZE * 2)),
  });
  add({
    id: 'trending-week',
    title: 'Trending this week',
    reason: { kind: 'trending', text: 'Rising on this server over the last week' },
    tracks: tracks(trendingIds(db, 'week', 'track', SHELF_SIZE * 2)),
  });
  return shelves;
}

export const FORGOTTEN_MIN_PLAYS = 5;
export const ON_REPEAT_MIN_PLAYS = 3;

/** Of the month's plays by track (most first), those played at least three times. */
function onRepeat(recent: readonly [string, number, number][]): string[] {
  return recent.filter(([, plays]) => plays >= ON_REPEAT_MIN_PLAYS).map(([id]) => id);
}
