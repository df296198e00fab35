// Daily mixes (docs/insights.md, "Daily mixes"): a few playlists per user, each around one of their taste
// clusters, refreshed daily by the `mixes` job. A user's taste is their most played tracks (fading with
// time); clusters are found by label propagation on the graph the co-listening model draws between them
// (plus same-artist and similar-artist links), so "the jazz I play at night" and "the metal I run to" come
// apart. Each mix mixes what the user knows from the cluster with what its neighbours suggest that they
// have not heard, in an order that changes every day.
import { artistName } from '../catalog/artists.repository.ts';
import type { Database } from '../db/database.ts';
import { neighboursOfMany } from './model.repository.ts';
import {
  deletePersonalInsights,
  heardByUser,
  type MixRow,
  mixesOf,
  mostPlayedByUser,
  replaceMixes,
  topTrackIdsOfArtists,
} from './personal.repository.ts';

export { MIXES_JOB } from './job-kinds.ts';
export const MAX_MIXES = 6;
export const MIX_SIZE = 50;
const MIN_CLUSTER = 3;
const TASTE_SIZE = 300;
const DAY_MS = 86_400_000;

export interface Mix extends MixRow {}

/** A stable pseudo-random sequence from a string (the day's order of a mix). */
function seededRandom(seed: string): () => number {
  let state = 2166136261;
  for (let i = 0; i < seed.length; i++) state = Math.imul(state ^ seed.charCodeAt(i), 16777619);
  return () => {
    state = Math.imul(state ^ (state >>> 15), 2246822507);
    state = Math.imul(state ^ (state >>> 13), 3266489909);
    state ^= state >>> 16;
    return (state >>> 0) / 4294967296;
  };
}

/** Groups the taste tracks: weighted label propagation, in a fixed order, ties to the smaller label. */
export function tasteClusters(
  nodes: readonly string[],
  edges: readonly [string, string, number][],
): string[][] {
  const index = new Map(nodes.map((id, i) => [id, i]));
  const adjacency: Map<number, number>[] = nodes.map(() => new Map());
  for (const [a, b, weight] of edges) {
    const i = index.get(a);
    const j = index.get(b);
    if (i === undefined || j === undefined || i === j) continue;
    adjacency[i]!.set(j, (adjacency[i]!.get(j) ?? 0) + weight);
    adjacency[j]!.set(i, (adjacency[j]!.get(i) ?? 0) + weight);
  }
  const labels = nodes.map((_, i) => i);
  for (let round = 0; round < 20; round++) {
    let changed = false;
    for (let i = 0; i < nodes.length; i++) {
      const votes = new Map<number, number>();
      for (const [j, weight] of adjacency[i]!) votes.set(labels[j]!, (votes.get(labels[j]!) ?? 0) + weight);
      let best = labels[i]!;
      let bestVote = votes.get(best) ?? 0;
      for (const [label, vote] of votes)
        if (vote > bestVote + 1e-12 || (Math.abs(vote - bestVote) <= 1e-12 && label < best)) {
          best = label;
          bestVote = vote;
        }
      if (best !== labels[i]) {
        labels[i] = best;
        changed = true;
      }
    }
    if (!changed) break;
  }
  const clusters = new Map<number, string[]>();
  nodes.forEach((id, i) => {
    const cluster = clusters.get(labels[i]!) ?? [];
    cluster.push(id);
    clusters.set(labels[i]!, cluster);
  });
  return [...clusters.values()];
}

/** Computes and stores a user's daily mixes; returns them. */
export function refreshMixes(db: Database, userId: string, now = Date.now()): Mix[] {
  const taste = mostPlayedByUser(db, userId, TASTE_SIZE);
  const weight = new Map<string, number>();
  const artistOf = new Map<string, string>();
  for (const row of taste) {
    const age = Math.max(0, now - (row.lastPlayedAt ?? now));
    weight.set(row.trackId, Math.log2(1 + row.plays) * 2 ** (-age / (90 * DAY_MS)));
    if (row.artistId) artistOf.set(row.trackId, row.artistId);
  }
  const nodes = taste.map((row) => row.trackId);
  const neighbours = neighboursOfMany(db, 'track_similar', nodes);
  const edges: [string, string, number][] = neighbours.filter(([, b]) => weight.has(b));
  // Tracks of one artist, and of artists listened to together, belong together.
  const byArtist = new Map<string, string[]>();
  for (const [track, artist] of artistOf) byArtist.set(artist, [...(byArtist.get(artist) ?? []), track]);
  for (const tracks of byArtist.values())
    for (let i = 1; i < tracks.length; i++) edges.push([tracks[0]!, tracks[i]!, 0.5]);
  const artists = [...byArtist.keys()];
  for (const [a, b, score] of neighboursOfMany(db, 'artist_similar', artists))
    if (byArtist.has(b)) edges.push([byArtist.get(a)![0]!, byArtist.get(b)![0]!, score]);

  const clusters = tasteClusters(nodes, edges)
    .filter((cluster) => cluster.length >= MIN_CLUSTER)
    .map((cluster) => ({ cluster, weight: cluster.reduce((sum, id) => sum + weight.get(id)!, 0) }))
    .sort((a, b) => b.weight - a.weight || (a.cluster[0]! < b.cluster[0]! ? -1 : 1))
    .slice(0, MAX_MIXES);

  const heard = heardByUser(db, userId);
  const day = new Date(now).toISOString().slice(0, 10);
  const used = new Set<string>();
  const mixes: Mix[] = clusters.map(({ cluster }, position) => {
    const members = new Set(cluster);
    const familiar = [...cluster]
      .sort((a, b) => weight.get(b)! - weight.get(a)! || (a < b ? -1 : 1))
      .slice(0, 20);
    // Discoveries: what the cluster's tracks are co-listened with, new to the user.
    const scores = new Map<string, number>();
    for (const [seed, similar, score] of neighbours) {
      if (!members.has(seed) || heard.has(similar) || used.has(similar)) continue;
      scores.set(similar, (scores.get(similar) ?? 0) + weight.get(seed)! * score);
    }
    const clusterArtists = rankArtists(cluster, artistOf, weight);
    if (scores.size < MIX_SIZE - familiar.length) {
      // Thin history: the top tracks of the cluster's artists they have not heard yet.
      for (const [, trackId] of topTrackIdsOfArtists(db, clusterArtists.slice(0, 10), 8))
        if (!heard.has(trackId) && !used.has(trackId) && !scores.has(trackId)) scores.set(trackId, 1e-6);
    }
    const discoveries = [...scores]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MIX_SIZE - familiar.length)
      .map(([id]) => id);
    const random = seededRandom(`${userId}:${day}:${position}`);
    const shuffle = (ids: string[]) => {
      for (let i = ids.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [ids[i], ids[j]] = [ids[j]!, ids[i]!];
      }
      return ids;
    };
    // Two new ones for each known one, known ones spread through the mix.
    const known = shuffle([...familiar]);
    const fresh = shuffle([...discoveries]);
    const trackIds: string[] = [];
    while (known.length > 0 || fresh.length > 0) {
      if (known.length > 0) trackIds.push(known.shift()!);
      for (let i = 0; i < 2 && fresh.length > 0; i++) trackIds.push(fresh.shift()!);
    }
    for (const id of trackIds) used.add(id);
    const names = clusterArtists
      .slice(0, 3)
      .map((id) => artistName(db, id))
      .filter((name): name is string => Boolean(name));
    return {
      position: position + 1,
      title: `Daily Mix ${position + 1}`,
      description:
        names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? ''),
      seedArtistIds: clusterArtists.slice(0, 3),
      trackIds: trackIds.slice(0, MIX_SIZE),
      createdAt: now,
    };
  });
  db.transaction(() => replaceMixes(db, userId, mixes));
  return mixes;
}

function rankArtists(
  cluster: readonly string[],
  artistOf: Map<string, string>,
  weight: Map<string, number>,
): string[] {
  const byArtist = new Map<string, number>();
  for (const id of cluster) {
    const artist = artistOf.get(id);
    if (artist) byArtist.set(artist, (byArtist.get(artist) ?? 0) + weight.get(id)!);
  }
  return [...byArtist].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
}

/** The user's stored mixes, and whether they are older than a day (the caller queues a refresh). */
export function storedMixes(
  db: Database,
  userId: string,
  now = Date.now(),
): { mixes: Mix[]; stale: boolean } {
  const mixes = mixesOf(db, userId);
  const newest = Math.max(0, ...mixes.map((mix) => mix.createdAt));
  return { mixes, stale: now - newest > DAY_MS };
}

/** Forgets a user's mixes and stations (with their history). */
export function forgetPersonalInsights(db: Database, userId: string): void {
  db.transaction(() => deletePersonalInsights(db, userId));
}
