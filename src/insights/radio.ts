// Radio (docs/insights.md, "Radio"): an endless queue from a track, an album, an artist or a genre.
// Candidates come from the co-listening model around the seed (its neighbours, their neighbours, the top
// tracks of similar artists), then the files' own likeness, then the seed's and similar artists' other
// tracks, then anything: the queue never runs dry. Each batch is drawn at random weighted by score, with
// at most a fifth of it (two at least) by one artist and never one artist twice in a row, so two radios
// from one seed differ and artists take turns. A station (native API) remembers
// what it gave and never gives it again; Subsonic's getSimilarSongs draws one batch without a station.
import { randomUUID } from 'node:crypto';
import { getAlbum, getArtist, getTrack } from '../catalog/browse.ts';
import type { Track, Viewer } from '../catalog/model.ts';
import {
  albumTrackIds,
  loadTracks,
  randomTrackIds,
  randomTrackIdsOfArtists,
} from '../catalog/tracks.repository.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { neighboursOfMany } from './model.repository.ts';
import {
  addStationTracks,
  findStation,
  genreExists,
  insertStation,
  popularTrackIdsOfGenre,
  type StationRow,
  stationGiven,
  topTrackIdsOfArtists,
} from './personal.repository.ts';
import { type Scored, similarArtistIds, similarTrackIds } from './recommendations.ts';

export type SeedType = StationRow['seedType'];
export interface RadioSeed {
  type: SeedType;
  id: string;
}

function add(scores: Map<string, number>, id: string, score: number): void {
  scores.set(id, (scores.get(id) ?? 0) + score);
}

/** Candidates around a seed, scored (not yet filtered by what the listener may see or was given). */
export function radioCandidates(db: Database, viewer: Viewer, seed: RadioSeed): Map<string, number> {
  const scores = new Map<string, number>();
  const artistTracks = (artistIds: readonly string[], weightOf: (artist: string) => number) => {
    const rank = new Map<string, number>();
    for (const [artist, trackId] of topTrackIdsOfArtists(db, artistIds, 10)) {
      const position = (rank.get(artist) ?? 0) + 1;
      rank.set(artist, position);
      add(scores, trackId, weightOf(artist) / (1 + position / 5));
    }
  };
  const aroundTracks = (trackIds: readonly string[]) => {
    for (const trackId of trackIds)
      for (const item of similarTrackIds(db, trackId, 50)) add(scores, item.id, item.score);
    const first = [...scores].sort((a, b) => b[1] - a[1]).slice(0, 10);
    for (const [from, to, score] of neighboursOfMany(
      db,
      'track_similar',
      first.map(([id]) => id),
    ))
      add(scores, to, 0.5 * score * (scores.get(from) ?? 0));
  };
  const aroundArtist = (artistId: string, own: number) => {
    const similar = similarArtistIds(db, artistId, 15);
    artistTracks([artistId], () => own);
    artistTracks(similar, (artist) => 0.3 / (1 + similar.indexOf(artist) / 3));
  };
  switch (seed.type) {
    case 'track': {
      const track = getTrack(db, viewer, seed.id);
      aroundTracks([track.id]);
      aroundArtist(track.artistId, 0.05);
      scores.delete(track.id);
      break;
    }
    case 'album': {
      const album = getAlbum(db, viewer, seed.id);
      const tracks = albumTrackIds(db, album.id, viewer.libraryIds);
      aroundTracks(tracks);
      aroundArtist(album.artistId, 0.05);
      for (const id of tracks) scores.delete(id);
      break;
    }
    case 'artist':
      aroundArtist(getArtist(db, viewer, seed.id).id, 1);
      break;
    case 'genre': {
      if (!genreExists(db, seed.id)) throw new TonearmError('NOT_FOUND', `no genre ${seed.id}`);
      popularTrackIdsOfGenre(db, seed.id, 500).forEach((id, index) => {
        add(scores, id, 1 / (1 + index / 20));
      });
      break;
    }
  }
  return scores;
}

/** Draws `count` of the candidates, weighted by score, a fifth at most by one artist while others are left. */
function draw(
  candidates: Track[],
  scores: Map<string, number>,
  count: number,
  random: () => number,
): Track[] {
  const pool = candidates.map((track) => ({ track, weight: Math.max(scores.get(track.id) ?? 0, 1e-9) }));
  const chosen: Track[] = [];
  const perArtist = new Map<string, number>();
  const maxPerArtist = Math.max(2, Math.ceil(count / 5));
  let capped = true;
  while (chosen.length < count && pool.length > 0) {
    const eligible = capped
      ? pool.filter((item) => (perArtist.get(item.track.artistId) ?? 0) < maxPerArtist)
      : pool;
    if (eligible.length === 0) {
      capped = false;
      continue;
    }
    const total = eligible.reduce((sum, item) => sum + item.weight, 0);
    let target = random() * total;
    let pick = eligible[eligible.length - 1]!;
    for (const item of eligible) {
      target -= item.weight;
      if (target <= 0) {
        pick = item;
        break;
      }
    }
    chosen.push(pick.track);
    perArtist.set(pick.track.artistId, (perArtist.get(pick.track.artistId) ?? 0) + 1);
    pool.splice(pool.indexOf(pick), 1);
  }
  return takingTurns(chosen);
}

/** The same tracks, reordered so one artist never plays twice in a row where another can go between. */
function takingTurns(tracks: Track[]): Track[] {
  const left = [...tracks];
  const ordered: Track[] = [];
  while (left.length > 0) {
    const previous = ordered.at(-1)?.artistId;
    const next = left.findIndex((track) => track.artistId !== previous);
    ordered.push(...left.splice(next < 0 ? 0 : next, 1));
  }
  return ordered;
}

/** One batch of a radio: `count` tracks around the seed, none of `exclude`. */
export function radioBatch(
  db: Database,
  viewer: Viewer,
  seed: RadioSeed,
  count: number,
  exclude: ReadonlySet<string> = new Set(),
  random: () => number = Math.random,
): Track[] {
  if (count <= 0) return [];
  const scores = radioCandidates(db, viewer, seed);
  const ids = [...scores.keys()].filter((id) => !exclude.has(id));
  const batch = draw(loadTracks(db, ids, viewer), scores, count, random);
  if (batch.length >= count) return batch;
  // The model ran out: the seed's artists' other tracks, then anything, so the radio never stops.
  const taken = new Set([...exclude, ...batch.map((track) => track.id), seed.id]);
  const artists = [...new Set(batch.map((track) => track.artistId))].slice(0, 20);
  const fill = (ids: string[]) => {
    for (const track of loadTracks(db, ids, viewer)) {
      if (batch.length >= count) return;
      if (taken.has(track.id)) continue;
      taken.add(track.id);
      batch.push(track);
    }
  };
  if (artists.length > 0) fill(randomTrackIdsOfArtists(db, viewer.libraryIds, artists, seed.id, count * 3));
  // Then anything it has not given: the radio only stops when the whole library was played.
  if (batch.length < count)
    fill(randomTrackIds(db, viewer.libraryIds, { size: count - batch.length, exclude: [...taken] }));
  return batch;
}

/** What a station is called. */
function stationTitle(db: Database, viewer: Viewer, seed: RadioSeed): string {
  switch (seed.type) {
    case 'track':
      return `${getTrack(db, viewer, seed.id).title} radio`;
    case 'album':
      return `${getAlbum(db, viewer, seed.id).name} radio`;
    case 'artist':
      return `${getArtist(db, viewer, seed.id).name} radio`;
    case 'genre':
      return `${seed.id} radio`;
  }
}

export interface Station {
  id: string;
  title: string;
  seed: RadioSeed;
  createdAt: number;
}

function stationOf(row: StationRow): Station {
  return {
    id: row.id,
    title: row.title,
    seed: { type: row.seedType, id: row.seedId },
    createdAt: row.createdAt,
  };
}

/** Starts a radio for a user (the seed must exist and be visible to them). */
export function createStation(
  db: Database,
  viewer: Viewer,
  userId: string,
  seed: RadioSeed,
  now = Date.now(),
): Station {
  const title = stationTitle(db, viewer, seed);
  const row: StationRow = {
    id: `st-${randomUUID()}`,
    userId,
    seedType: seed.type,
    seedId: seed.id,
    title,
    createdAt: now,
    usedAt: now,
  };
  insertStation(db, row);
  return stationOf(row);
}

/** The next tracks of a user's station, never one it gave before. */
export function nextFromStation(
  db: Database,
  viewer: Viewer,
  userId: string,
  stationId: string,
  count: number,
  now = Date.now(),
  random: () => number = Math.random,
): { station: Station; tracks: Track[] } {
  const row = findStation(db, stationId);
  // Another user's station is as unknown as a missing one.
  if (!row || row.userId !== userId) throw new TonearmError('NOT_FOUND', `no station ${stationId}`);
  const station = stationOf(row);
  const tracks = radioBatch(db, viewer, station.seed, count, stationGiven(db, stationId), random);
  db.transaction(() =>
    addStationTracks(
      db,
      stationId,
      tracks.map((track) => track.id),
      now,
    ),
  );
  return { station, tracks };
}

export type { Scored };
