// The jobs that turn listening into models (docs/insights.md, "Recomputing"):
//   - insights-recompute: everything from the whole history — the co-listening neighbours of every track
//     and artist, the totals, the trends. Nightly, and when the models are empty. Goes through the items
//     in id order, a chunk per transaction, each chunk's lists written with the checkpoint that says they
//     are done: stopped or killed, it resumes at the next chunk, and the result is the same as an
//     uninterrupted run's (the lists depend only on the plays, and are written whole).
//   - insights-update: takes in the plays finished since (insight_dirty): the neighbours of the items
//     they touch (the item played and what was played around it), their totals, and the trends when
//     they are ten minutes old.
// Both run in the server's process, yielding to it between pages and chunks, so requests go on.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Database } from '../db/database.ts';
import type { JobContext } from '../jobs/queue.ts';
import {
  clearDirty,
  dirtyListenPks,
  type DirtyPlay,
  dirtyPlays,
  dropNeighboursExcept,
  type NeighbourTable,
  recomputeTotals,
  refreshItemFacts,
  eachPlayOf,
  insightItems,
  sharedPlayCount,
  sharingUserPks,
  updateNeighbours,
} from './model.repository.ts';
import { CoListening, Numbering, TimelineBuilder } from './similarity.ts';
import { computeTrends, QUIET_TRENDS_EVERY_MS, refreshTrends } from './trending.ts';

export { RECOMPUTE_JOB, UPDATE_JOB } from './job-kinds.ts';
/** Neighbours kept per track and per artist. */
export const TRACK_NEIGHBOURS = 25;
export const ARTIST_NEIGHBOURS = 30;
const CHUNK = 1_000;
const PAGE = 50_000;
/** Plays one update takes in at most (more wait for the next). */
const UPDATE_BATCH = 50_000;

type ModelKind = 'track' | 'artist';
const MODELS: readonly { kind: ModelKind; table: NeighbourTable; limit: number }[] = [
  { kind: 'track', table: 'track_similar', limit: TRACK_NEIGHBOURS },
  { kind: 'artist', table: 'artist_similar', limit: ARTIST_NEIGHBOURS },
];

export interface RecomputeCheckpoint {
  /** When the run began. */
  runAt: number;
  phase: ModelKind | 'finish';
  /** The last item whose list is written in this phase. */
  after: string | null;
  done: number;
  total: number;
}

type Context<C> = Pick<JobContext<unknown, C>, 'checkpoint' | 'saveCheckpoint' | 'signal' | 'log'>;

export interface Models {
  track: CoListening;
  artist: CoListening;
  artistOf: Map<string, string>;
}

class Interrupted extends Error {}

/** Both co-listening models from the plays of sharing users, read a user at a time. */
export async function loadModels(db: Database, signal?: AbortSignal): Promise<Models> {
  // Items numbered once: plays then map through arrays, not maps (a million of them).
  const items = insightItems(db);
  const size = items.reduce((max, [pk]) => Math.max(max, pk), 0) + 1;
  const trackOfItem = new Int32Array(size).fill(-1);
  const artistOfItem = new Int32Array(size).fill(-1);
  const trackIds: string[] = [];
  const artists = new Numbering();
  const artistOf = new Map<string, string>();
  for (const [pk, trackId, , artistId] of items) {
    trackOfItem[pk] = trackIds.length;
    trackIds.push(trackId);
    if (artistId === null) continue;
    artistOfItem[pk] = artists.of(artistId);
    artistOf.set(trackId, artistId);
  }
  const plays = sharedPlayCount(db);
  const trackTimeline = new TimelineBuilder(plays);
  const artistTimeline = new TimelineBuilder(plays);
  let read = 0;
  for (const userPk of sharingUserPks(db)) {
    eachPlayOf(db, userPk, (startedAt, itemPk) => {
      trackTimeline.add(userPk, trackOfItem[itemPk]!, startedAt);
      const artist = artistOfItem[itemPk]!;
      if (artist >= 0) artistTimeline.add(userPk, artist, startedAt);
      read++;
    });
    // A user at a time, then the server's other work goes on.
    if (read >= PAGE) {
      read = 0;
      await yieldToEventLoop();
      if (signal?.aborted) throw new Interrupted('stopped');
    }
  }
  return {
    track: new CoListening(trackTimeline.build(trackIds)),
    artist: new CoListening(artistTimeline.build(artists.ids)),
    artistOf,
  };
}

/** The models, or undefined when the job was told to stop while they loaded. */
async function loadModelsUnlessStopped(db: Database, signal: AbortSignal): Promise<Models | undefined> {
  try {
    return await loadModels(db, signal);
  } catch (error) {
    if (error instanceof Interrupted) return undefined;
    throw error;
  }
}

const PHASES: readonly RecomputeCheckpoint['phase'][] = ['track', 'artist', 'finish'];

/**
 * Loads the models and writes every item's neighbour list from where the checkpoint stands, a chunk per
 * transaction with its checkpoint; returns the checkpoint of the finish and the items that have lists,
 * or undefined when the job was told to stop.
 */
async function writeNeighbourLists(
  db: Database,
  context: Context<RecomputeCheckpoint>,
  from: RecomputeCheckpoint,
  chunkSize: number,
): Promise<{ checkpoint: RecomputeCheckpoint; kept: Record<NeighbourTable, string[]> } | undefined> {
  let checkpoint = from;
  const models = await loadModelsUnlessStopped(db, context.signal);
  if (!models) return undefined;
  const kept = {} as Record<NeighbourTable, string[]>;
  for (const { kind, table, limit } of MODELS) {
    const model = models[kind];
    const { ids } = model.timeline;
    const anchors = model.anchorsInOrder();
    kept[table] = anchors.map((anchor) => ids[anchor]!);
    if (PHASES.indexOf(checkpoint.phase) > PHASES.indexOf(kind)) continue;
    let start = 0;
    if (checkpoint.phase === kind && checkpoint.after !== null) {
      const after = checkpoint.after;
      start = anchors.findIndex((anchor) => ids[anchor]! > after);
      if (start < 0) start = anchors.length;
    }
    for (let index = start; index < anchors.length; index += chunkSize) {
      if (context.signal.aborted) return undefined;
      const chunk = anchors.slice(index, index + chunkSize);
      const lists = chunk.map((anchor) => ({
        id: ids[anchor]!,
        neighbours: model.neighbours(anchor, limit),
      }));
      checkpoint = {
        runAt: checkpoint.runAt,
        phase: kind,
        after: lists.at(-1)!.id,
        done: index + chunk.length,
        total: anchors.length,
      };
      const saved = checkpoint;
      context.saveCheckpoint(saved, () => {
        for (const list of lists) updateNeighbours(db, table, list.id, list.neighbours, saved.runAt);
      });
      await yieldToEventLoop();
    }
    checkpoint = {
      runAt: checkpoint.runAt,
      phase: PHASES[PHASES.indexOf(kind) + 1]!,
      after: null,
      done: 0,
      total: 0,
    };
  }
  return { checkpoint, kept };
}

/** The full recompute (RECOMPUTE_JOB's handler). */
export async function recomputeInsights(
  db: Database,
  context: Context<RecomputeCheckpoint>,
  clock: () => number = Date.now,
  options: { chunkSize?: number } = {},
): Promise<void> {
  const chunkSize = options.chunkSize ?? CHUNK;
  let checkpoint: RecomputeCheckpoint = context.checkpoint ?? {
    runAt: clock(),
    phase: 'track',
    after: null,
    done: 0,
    total: 0,
  };
  // Plays finished before the load are in it: the incremental update need not take them in again. A
  // resumed run wrote its first lists from an earlier load, so it leaves them all to the update.
  const takenIn = context.checkpoint === undefined ? dirtyListenPks(db) : [];
  // Tracks retagged since their plays: the artist model and the totals follow the catalog.
  if (context.checkpoint === undefined) refreshItemFacts(db);
  const written = await writeNeighbourLists(db, context, checkpoint, chunkSize);
  if (!written) return;
  checkpoint = written.checkpoint;
  // The models are out of memory by now (the totals and trends need room of their own). Lists of items
  // nobody plays any more go; the totals and trends are made anew.
  context.saveCheckpoint(checkpoint, () => {
    for (const { table } of MODELS) dropNeighboursExcept(db, table, written.kept[table]);
    recomputeTotals(db);
    for (let start = 0; start < takenIn.length; start += 10_000)
      clearDirty(db, takenIn.slice(start, start + 10_000));
  });
  computeTrends(db, clock());
}

export interface UpdateResult {
  plays: number;
  tracks: number;
  artists: number;
  rowsWritten: number;
  /** Whether the trends were refreshed too (at most every ten minutes). */
  trendsRefreshed: boolean;
  /** Where the time went (ms): loading the model, the lists, the totals, the trends. */
  ms: { load: number; lists: number; totals: number; trends: number };
}

/**
 * Loads the models, finds the items the plays touch (each played item and what was played within its
 * window, both ways) and rewrites their lists, a chunk per transaction with the server's work in between.
 * Returns the tracks played, or undefined when the job was told to stop; the models are let go after.
 */
async function rewriteTouchedLists(
  db: Database,
  context: Pick<JobContext, 'signal'>,
  dirty: readonly DirtyPlay[],
  now: number,
  result: UpdateResult,
  elapsed: () => number,
): Promise<Set<string> | undefined> {
  const models = await loadModelsUnlessStopped(db, context.signal);
  if (!models) return undefined;
  result.ms.load = elapsed();
  const touched: Record<ModelKind, Set<number>> = { track: new Set(), artist: new Set() };
  const playedTracks = new Set<string>();
  for (const play of dirty) {
    // A listen forgotten since (its user deleted their history) has nothing left to take in.
    if (play.userPk === null || play.trackId === null || play.startedAt === null) continue;
    playedTracks.add(play.trackId);
    const artistId = models.artistOf.get(play.trackId);
    for (const [kind, itemId] of [
      ['track', play.trackId],
      ['artist', artistId],
    ] as const) {
      if (itemId === undefined) continue;
      const model = models[kind];
      // Not in the model: the user keeps their listening to themselves.
      const at = model.findPlay(play.userPk, itemId, play.startedAt);
      if (at === undefined) continue;
      touched[kind].add(model.timeline.items[at]!);
      model.windowOf(at, (other) => touched[kind].add(other));
    }
  }
  result.tracks = touched.track.size;
  result.artists = touched.artist.size;
  // The plays leave the inbox after this (the caller): cut short, the next update does them again, to
  // the same result.
  for (const { kind, table, limit } of MODELS) {
    const model = models[kind];
    const items = [...touched[kind]];
    for (let start = 0; start < items.length; start += CHUNK) {
      if (context.signal.aborted) return undefined;
      const lists = items
        .slice(start, start + CHUNK)
        .map((item) => ({ id: model.timeline.ids[item]!, neighbours: model.neighbours(item, limit) }));
      db.transaction(() => {
        for (const list of lists)
          result.rowsWritten += updateNeighbours(db, table, list.id, list.neighbours, now);
      });
      await yieldToEventLoop();
    }
  }
  return playedTracks;
}

/** The incremental update (UPDATE_JOB's handler): takes in the plays finished since the last one. */
export async function updateInsights(
  db: Database,
  context: Pick<JobContext, 'signal' | 'log'>,
  clock: () => number = Date.now,
): Promise<UpdateResult> {
  const result: UpdateResult = {
    plays: 0,
    tracks: 0,
    artists: 0,
    rowsWritten: 0,
    trendsRefreshed: false,
    ms: { load: 0, lists: 0, totals: 0, trends: 0 },
  };
  let lap = performance.now();
  const elapsed = () => {
    const now = performance.now();
    const ms = Math.round(now - lap);
    lap = now;
    return ms;
  };
  const dirty = dirtyPlays(db, UPDATE_BATCH);
  if (dirty.length === 0) {
    result.trendsRefreshed = refreshTrends(db, clock(), QUIET_TRENDS_EVERY_MS);
    return result;
  }
  const now = clock();
  const playedTracks = await rewriteTouchedLists(db, context, dirty, now, result, elapsed);
  if (!playedTracks) return result;
  result.ms.lists = elapsed();
  db.transaction(() => {
    recomputeTotals(db, [...playedTracks]);
    clearDirty(
      db,
      dirty.map((play) => play.pk),
    );
  });
  result.ms.totals = elapsed();
  result.trendsRefreshed = refreshTrends(db, now);
  result.ms.trends = elapsed();
  result.plays = dirty.length;
  context.log.debug(result, 'listening taken in by the models');
  return result;
}
