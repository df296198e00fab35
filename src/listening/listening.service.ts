// Taking in listening events (native API batches, Subsonic scrobble and reportPlayback) and deriving
// listens from them: docs/insights.md, "Listening events". Each event is stored as sent, once (the
// client's id is unique per user, so a retried batch changes nothing); each newly stored one then moves
// the listen of its player along:
//   - start: ends the player's open listen (as `next`) and opens one for its track;
//   - pause, resume, seek: progress on the open listen of that track (one is opened when the start was
//     never received), or end the open listen of another track first;
//   - skip, complete, stop: end the open listen of that track, or stand for a whole listen by themselves.
// An event older than the open listen's last one, for another track, comes from a batch sent late (a
// phone back online): it never touches the newer listen; an ending event still makes its own listen.
// A listen ends with an outcome (rules.ts); a play adds to the play counts of the track, its album and its
// artist, and to play_event, exactly as a Subsonic scrobble always did.
import type { User } from '../accounts/users.service.ts';
import { visibleLibraryIds } from '../activity/access.ts';
import { recordPlay } from '../activity/annotation.service.ts';
import { findTrackFacts, type TrackFacts } from '../catalog/lookup.ts';
import type { Database } from '../db/database.ts';
import {
  closeListen,
  deleteHistoryOf,
  eventsOfUserAfter,
  insertEvent,
  insertListen,
  type ListenRow,
  openListen,
  openListensIdleSince,
  updateListen,
} from './listening.repository.ts';
import { type ListenOutcome, outcomeOf } from './rules.ts';
import { addListenToStats, addPlayForModels } from './stats.repository.ts';

/** The version of the event format stored with each event (the API's today). */
export const EVENT_SCHEMA_VERSION = 1;
export const MAX_EVENTS_PER_BATCH = 500;
export const EVENT_TYPES = ['start', 'pause', 'resume', 'seek', 'skip', 'complete', 'stop'] as const;
export type ListeningEventType = (typeof EVENT_TYPES)[number];
const ENDING = new Set<ListeningEventType>(['skip', 'complete', 'stop']);
/** Events stamped later than this after the server's clock are refused (a client clock far off). */
export const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
/** An open listen nothing was heard from for this long after its track should have ended is ended. */
export const OPEN_LISTEN_GRACE_MS = 30 * 60_000;

export type EventSource = 'api' | 'scrobble' | 'playbackReport' | 'import';

export interface ListeningEventInput {
  /** The client's id of the event, unique per user. */
  id: string;
  trackId: string;
  type: ListeningEventType;
  /** Where the playhead was. */
  positionMs: number;
  /** Time actually heard since this listen's start (seeks and pauses excluded), as the player counts it. */
  listenedMs: number;
  /** When it happened, epoch ms. */
  at: number;
  /** The device or player instance; listens are tracked per player. */
  playerId?: string | undefined;
  /** The client asked for this listen not to count (OpenSubsonic ignoreScrobble). */
  ignored?: boolean;
}

export interface IngestResult {
  accepted: string[];
  duplicates: string[];
  rejected: { id: string; reason: string }[];
  /** Listens ended by this batch (the play counts changed for the plays among them). */
  ended: { trackId: string; outcome: ListenOutcome }[];
}

export function ingestEvents(
  db: Database,
  user: User,
  events: readonly ListeningEventInput[],
  source: EventSource,
  now = Date.now(),
): IngestResult {
  const result: IngestResult = { accepted: [], duplicates: [], rejected: [], ended: [] };
  const tracks = findTrackFacts(
    db,
    events.map((event) => event.trackId),
    visibleLibraryIds(user),
  );
  const seen = new Set<string>();
  const valid: { event: ListeningEventInput; track: TrackFacts; order: number }[] = [];
  events.forEach((event, order) => {
    const track = tracks.get(event.trackId);
    if (seen.has(event.id)) result.duplicates.push(event.id);
    else if (!track)
      result.rejected.push({ id: event.id, reason: `no track ${event.trackId} for this user` });
    // Subsonic calls carry no clock of their own to check (their handlers stamp the events).
    else if (event.at > now + MAX_CLOCK_AHEAD_MS && (source === 'api' || source === 'import'))
      result.rejected.push({ id: event.id, reason: 'at is in the future (check the clock of the player)' });
    else valid.push({ event, track, order });
    seen.add(event.id);
  });
  // Plays look up their track: most are in this batch, already found.
  const outcomes: Outcomes = {
    ended: result.ended,
    trackOf: (id) => tracks.get(id) ?? findTrackFacts(db, [id]).get(id),
  };
  // In the order they happened; events of the same moment in the order sent.
  valid.sort((a, b) => a.event.at - b.event.at || a.order - b.order);
  db.transaction(() => {
    for (const { event, track } of valid) {
      const stored = insertEvent(db, {
        user_id: user.id,
        event_id: event.id,
        schema_version: EVENT_SCHEMA_VERSION,
        track_id: track.id,
        type: event.type,
        position_ms: event.positionMs,
        listened_ms: event.listenedMs,
        at: event.at,
        player: event.playerId ?? '',
        source,
        received_at: now,
      });
      if (!stored) {
        result.duplicates.push(event.id);
        continue;
      }
      result.accepted.push(event.id);
      apply(db, user, event, track, source, outcomes);
    }
  });
  return result;
}

/** Where ended listens are told, and how a play finds its track. */
interface Outcomes {
  ended: IngestResult['ended'];
  trackOf(trackId: string): TrackFacts | undefined;
}

function apply(
  db: Database,
  user: User,
  event: ListeningEventInput,
  track: TrackFacts,
  source: EventSource,
  outcomes: Outcomes,
): void {
  const player = event.playerId ?? '';
  const open = openListen(db, user.id, player);
  const sameTrack = open?.track_id === track.id;
  // OpenSubsonic playback reports always begin with `starting`: a stop with nothing going on repeats one
  // already counted (a client saying `stopped` twice), not a listen of its own.
  if (source === 'playbackReport' && ENDING.has(event.type) && !sameTrack) return;
  if (open && !sameTrack && event.at < open.last_event_at) {
    // From a batch sent late: the open listen is newer. An ending event is still a listen of its own.
    if (ENDING.has(event.type)) standalone(db, user, event, track, source, outcomes);
    return;
  }
  if (open && (!sameTrack || event.type === 'start')) {
    end(db, user, open, { at: event.at, type: 'next', listenedMs: open.listened_ms }, outcomes);
  }
  const continuing = sameTrack && event.type !== 'start' ? open : undefined;
  if (ENDING.has(event.type)) {
    if (!continuing) {
      standalone(db, user, event, track, source, outcomes);
      return;
    }
    end(
      db,
      user,
      continuing,
      {
        at: event.at,
        type: event.type as 'skip' | 'complete' | 'stop',
        listenedMs: Math.max(continuing.listened_ms, event.listenedMs),
        positionMs: event.positionMs,
        ignored: event.ignored,
      },
      outcomes,
    );
    return;
  }
  if (continuing) {
    updateListen(db, continuing.pk, {
      listenedMs: Math.max(continuing.listened_ms, event.listenedMs),
      positionMs: event.positionMs,
      lastEventAt: Math.max(continuing.last_event_at, event.at),
    });
    return;
  }
  insertListen(db, {
    user_id: user.id,
    track_id: track.id,
    player,
    started_at: event.at - event.listenedMs,
    last_event_at: event.at,
    ended_at: null,
    listened_ms: event.listenedMs,
    position_ms: event.positionMs,
    duration_ms: Math.round(track.duration * 1000),
    end_type: null,
    outcome: null,
    source,
  });
}

/** An ending event with no listen of its track going on: the whole listen, from what it says. */
function standalone(
  db: Database,
  user: User,
  event: ListeningEventInput,
  track: TrackFacts,
  source: EventSource,
  outcomes: Outcomes,
): void {
  const durationMs = Math.round(track.duration * 1000);
  const outcome = outcomeOf(event.listenedMs, durationMs, event.ignored);
  const pk = insertListen(db, {
    user_id: user.id,
    track_id: track.id,
    player: event.playerId ?? '',
    started_at: event.at - event.listenedMs,
    last_event_at: event.at,
    ended_at: event.at,
    listened_ms: event.listenedMs,
    position_ms: event.positionMs,
    duration_ms: durationMs,
    end_type: event.type as 'skip' | 'complete' | 'stop',
    outcome,
    source,
  });
  counted(
    db,
    user,
    {
      pk,
      trackId: track.id,
      player: event.playerId ?? '',
      startedAt: event.at - event.listenedMs,
      listenedMs: event.listenedMs,
    },
    outcome,
    source,
    outcomes,
  );
}

function end(
  db: Database,
  user: Pick<User, 'id'>,
  listen: ListenRow,
  how: {
    at: number;
    type: NonNullable<ListenRow['end_type']>;
    listenedMs: number;
    positionMs?: number;
    ignored?: boolean | undefined;
  },
  outcomes: Outcomes,
): void {
  const outcome = outcomeOf(how.listenedMs, listen.duration_ms, how.ignored);
  closeListen(db, listen.pk, {
    ended_at: Math.max(how.at, listen.last_event_at),
    last_event_at: Math.max(how.at, listen.last_event_at),
    listened_ms: how.listenedMs,
    position_ms: how.positionMs ?? listen.position_ms,
    end_type: how.type,
    outcome,
  });
  counted(
    db,
    user,
    {
      pk: listen.pk,
      trackId: listen.track_id,
      player: listen.player,
      startedAt: listen.started_at,
      listenedMs: how.listenedMs,
    },
    outcome,
    listen.source as EventSource,
    outcomes,
  );
}

function counted(
  db: Database,
  user: Pick<User, 'id'>,
  listen: { pk: number; trackId: string; player: string; startedAt: number; listenedMs: number },
  outcome: ListenOutcome,
  source: EventSource,
  outcomes: Outcomes,
): void {
  outcomes.ended.push({ trackId: listen.trackId, outcome });
  if (outcome === 'ignored') return;
  addListenToStats(db, {
    userId: user.id,
    trackId: listen.trackId,
    startedAt: listen.startedAt,
    listenedMs: listen.listenedMs,
    outcome,
  });
  if (outcome !== 'play') return;
  // The track as the catalog has it now (its album and artist get the play too); gone: nothing to count.
  const track = outcomes.trackOf(listen.trackId);
  addPlayForModels(db, {
    listenPk: listen.pk,
    userId: user.id,
    trackId: listen.trackId,
    albumId: track?.album_id ?? null,
    artistId: track?.artist_id ?? null,
    startedAt: listen.startedAt,
  });
  if (track)
    recordPlay(db, user, track, listen.startedAt, listen.player, source === 'api' ? 'listening' : source);
}

/**
 * Ends listens whose player went quiet: nothing heard for OPEN_LISTEN_GRACE_MS after the track should
 * have ended (a phone switched off, an app killed). Their outcome is what was heard until then.
 * Returns how many were ended.
 */
export function endQuietListens(db: Database, now = Date.now()): number {
  let ended = 0;
  const quiet: Outcomes = { ended: [], trackOf: (id) => findTrackFacts(db, [id]).get(id) };
  db.transaction(() => {
    for (const listen of openListensIdleSince(db, now - OPEN_LISTEN_GRACE_MS)) {
      const remaining = Math.max(0, listen.duration_ms - listen.position_ms);
      if (listen.last_event_at + remaining + OPEN_LISTEN_GRACE_MS > now) continue;
      const how = { at: listen.last_event_at, type: 'timeout' as const, listenedMs: listen.listened_ms };
      end(db, { id: listen.user_id }, listen, how, quiet);
      ended++;
    }
  });
  return ended;
}

const EXPORT_PAGE = 1_000;

/**
 * A user's listening events as sent, oldest stored first, one JSON object per line (the export a user
 * can take elsewhere, or send back to another server through the API: the same fields).
 */
export function* exportHistory(db: Database, userId: string): Generator<string> {
  let after = 0;
  for (;;) {
    const rows = eventsOfUserAfter(db, userId, after, EXPORT_PAGE);
    if (rows.length === 0) return;
    yield rows
      .map(
        (row) =>
          `${JSON.stringify({
            id: row.event_id,
            trackId: row.track_id,
            type: row.type,
            positionMs: row.position_ms,
            listenedMs: row.listened_ms,
            at: new Date(row.at).toISOString(),
            playerId: row.player || undefined,
            source: row.source,
            schemaVersion: row.schema_version,
          })}\n`,
      )
      .join('');
    after = rows.at(-1)!.pk;
  }
}

/** Forgets a user's listening history: events, listens, plays and play counts (stars and ratings stay). */
export function forgetHistory(
  db: Database,
  userId: string,
): { events: number; listens: number; plays: number } {
  return deleteHistoryOf(db, userId);
}
