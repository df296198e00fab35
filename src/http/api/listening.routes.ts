// Listening events from players (issue 14): a batch of what happened (start, pause, resume, seek, skip,
// complete, stop), stored once each and turned into listens, plays and skips by the rules of
// src/listening (docs/insights.md). The newest event of each player also says what it is playing now,
// for getNowPlaying and the live events, as Subsonic's reportPlayback does.
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { PlaybackState } from '../../activity/now-playing.ts';
import { findTrackFacts } from '../../catalog/lookup.ts';
import {
  EVENT_TYPES,
  exportHistory,
  forgetHistory,
  ingestEvents,
  type ListeningEventInput,
  MAX_EVENTS_PER_BATCH,
} from '../../listening/listening.service.ts';
import type { User } from '../../accounts/users.service.ts';
import { importHistory } from '../../listening/history-import.ts';
import { readBodyText } from '../form-body.ts';
import { historyImported, listeningWithdrawn } from '../../insights/jobs.ts';
import { forgetPersonalInsights } from '../../insights/mixes.ts';
import type { Services } from '../services.ts';
import { type AnyRoute, route } from './route.ts';
import { isoTime } from './schemas.ts';

/** An export of years of scrobbles is tens of MB. */
const HISTORY_IMPORT_LIMIT = 64 * 1024 * 1024;

const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const eventSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(100)
    .describe("The player's own id of the event (a UUID, say): an event sent again is recognised."),
  trackId: z.string().min(1).max(200),
  type: z.enum(EVENT_TYPES),
  positionMs: ms.describe('Where the playhead was.'),
  listenedMs: ms.describe(
    'Time actually heard of this track since its start event: seeks add nothing, pauses stop the count.',
  ),
  at: isoTime.describe('When it happened (the player clock; at most 5 minutes ahead of the server).'),
  playerId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The device or player instance: each has its own listen going on.'),
});

const STATES: Record<ListeningEventInput['type'], PlaybackState> = {
  start: 'starting',
  resume: 'playing',
  seek: 'playing',
  pause: 'paused',
  skip: 'stopped',
  complete: 'stopped',
  stop: 'stopped',
};

/** What each player's newest accepted event says it plays now (getNowPlaying, live events). */
function reportNowPlaying(services: Services, user: User, events: readonly ListeningEventInput[]): void {
  const newest = new Map<string, ListeningEventInput>();
  for (const event of events) {
    const player = event.playerId ?? 'API';
    const known = newest.get(player);
    if (!known || event.at >= known.at) newest.set(player, event);
  }
  const tracks = findTrackFacts(
    services.db,
    [...newest.values()].map((event) => event.trackId),
  );
  for (const [player, event] of newest) {
    const track = tracks.get(event.trackId);
    if (!track) continue;
    services.nowPlaying.report({
      userId: user.id,
      username: user.username,
      client: player,
      trackId: track.id,
      durationMs: track.duration * 1000,
      state: STATES[event.type],
      positionMs: event.positionMs,
      playbackRate: 1,
      // Plays are counted from the events (src/listening), not by the now-playing session.
      ignoreScrobble: true,
    });
  }
}

export const listeningRoutes: readonly AnyRoute[] = [
  route({
    method: 'post',
    path: '/listening/events',
    tag: 'Listening',
    summary: 'Send what was played',
    description:
      `At most ${MAX_EVENTS_PER_BATCH} events, in any order (they are sorted by \`at\`). Each is stored once: an ` +
      'id already sent is a duplicate and changes nothing, so a batch can be retried safely. Events for ' +
      'tracks the caller cannot see, or stamped in the future, are rejected one by one. A listen is a ' +
      'play once half the track or 4 minutes were heard, a skip when left before 30 s or a quarter ' +
      '(docs/insights.md). Answers 202 with what was accepted, what was a duplicate and what was rejected.',
    access: 'user',
    status: 202,
    body: z.strictObject({ events: z.array(eventSchema).min(1).max(MAX_EVENTS_PER_BATCH) }),
    response: z
      .object({
        accepted: z.array(z.string()),
        duplicates: z.array(z.string()),
        rejected: z.array(z.object({ id: z.string(), reason: z.string() })),
      })
      .meta({ id: 'ListeningEventsReceipt' }),
    handle({ services, user, body }) {
      const events: ListeningEventInput[] = body.events.map((event) => ({
        ...event,
        at: Date.parse(event.at),
      }));
      const result = ingestEvents(services.db, user, events, 'api');
      const accepted = new Set(result.accepted);
      reportNowPlaying(
        services,
        user,
        events.filter((event) => accepted.has(event.id)),
      );
      return { accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected };
    },
  }),
  route({
    method: 'get',
    path: '/me/listening/export',
    tag: 'Listening',
    summary: "The caller's listening history, to take elsewhere",
    description:
      'Every listening event the caller sent (or their Subsonic clients did), oldest first, one JSON ' +
      'object per line (NDJSON) with the fields of POST /listening/events plus `source` and ' +
      '`schemaVersion`. Streamed: a long history is never held in memory whole.',
    access: 'user',
    produces: ['application/x-ndjson'],
    handle({ ctx, services, user }) {
      ctx.attachment(`listening-${user.username}.ndjson`);
      ctx.type = 'application/x-ndjson; charset=utf-8';
      ctx.body = Readable.from(exportHistory(services.db, user.id));
    },
  }),
  route({
    method: 'delete',
    path: '/me/listening',
    tag: 'Listening',
    summary: "Forget the caller's listening history",
    description:
      'Deletes every listening event, listen and play of the caller and sets their play counts and ' +
      'last-played times back to none; stars, ratings, playlists and the rest stay. Cannot be undone: ' +
      'export first to keep a copy.',
    access: 'user',
    response: z
      .object({ events: z.number().int(), listens: z.number().int(), plays: z.number().int() })
      .meta({ id: 'ForgottenHistory' }),
    handle({ services, user }) {
      const forgotten = forgetHistory(services.db, user.id);
      // The models learnt from it too: they are rebuilt without it.
      forgetPersonalInsights(services.db, user.id);
      listeningWithdrawn(services.jobs);
      return forgotten;
    },
  }),
  route({
    method: 'post',
    path: '/me/listening/import',
    tag: 'Listening',
    summary: 'Import a listening history from ListenBrainz or Last.fm',
    description:
      'The body is the export file itself (up to 64 MiB): a ListenBrainz export (a JSON array of listens, ' +
      'or JSON lines) or a Last.fm one (recent tracks as JSON, or a CSV of scrobbles). Each listen is ' +
      'matched to a track the caller may see, by MusicBrainz recording id, then by artist and title ' +
      '(normalised), and becomes a play; importing the same file again adds nothing. The answer reports ' +
      'what matched, how, and the most frequent songs that did not.',
    access: 'user',
    consumes: 'application/json',
    response: z
      .object({
        format: z.enum(['listenbrainz', 'lastfm-json', 'lastfm-csv']),
        total: z.number().int(),
        matched: z.number().int(),
        byMbid: z.number().int(),
        byName: z.number().int(),
        alreadyImported: z.number().int(),
        invalid: z.number().int(),
        unmatched: z.number().int(),
        unmatchedTop: z.array(z.object({ artist: z.string(), title: z.string(), count: z.number().int() })),
      })
      .meta({ id: 'HistoryImport' }),
    handle: async ({ ctx, services, user }) => {
      const text = await readBodyText(ctx, HISTORY_IMPORT_LIMIT);
      const report = await importHistory(services.db, user, text);
      historyImported(services.jobs, report.matched - report.alreadyImported);
      return report;
    },
  }),
];
