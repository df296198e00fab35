// Recommendations, radio, mixes, trends and statistics (src/insights, docs/insights.md), and the privacy
// choices that decide whose listening feeds them. Admins get server totals; another user's history only
// when that user allowed it.
import { z } from 'zod';
import { viewerFor } from '../../catalog/access.ts';
import { getTrack, tracksById } from '../../catalog/browse.ts';
import { loadArtists } from '../../catalog/artists.repository.ts';
import type { Track, Viewer } from '../../catalog/model.ts';
import type { Database } from '../../db/database.ts';
import {
  activeListeners,
  serverOverview,
  type Totals,
  type TimeBreakdown,
  type Tops,
  userStats,
  yearReview,
} from '../../insights/analytics.ts';
import { topTotals, trendEntries } from '../../insights/analytics.repository.ts';
import { changeListeningPrivacy, listeningPrivacy } from '../../insights/privacy.ts';
import { listeningWithdrawn, RECOMPUTE_JOB, refreshMixesLater } from '../../insights/jobs.ts';
import { storedMixes } from '../../insights/mixes.ts';
import { createStation, nextFromStation, type Station } from '../../insights/radio.ts';
import { shelvesFor, similarTrackIds } from '../../insights/recommendations.ts';
import { TREND_KINDS, TREND_PERIODS, type TrendPeriod } from '../../insights/trending.ts';
import { loadAlbums } from '../../catalog/albums.repository.ts';
import { TonearmError } from '../../shared/errors.ts';
import {
  albumSchema,
  albumJson,
  artistJson,
  artistSchema,
  trackJson,
  trackSchema,
} from './catalog.schemas.ts';
import { viewerOf } from './catalog.params.ts';
import { type AnyRoute, route } from './route.ts';
import { countQuery, idParams, isoOrNull, isoTime } from './schemas.ts';

const tzQuery = z.coerce
  .number()
  .int()
  .min(-14 * 60)
  .max(14 * 60)
  .default(0)
  .describe("The caller's offset from UTC in minutes (east positive), for hours of day, weekdays and days.");
const kindQuery = z.enum(['track', 'album', 'artist']);

const reasonSchema = z
  .object({
    kind: z.enum(['for-you', 'because-track', 'because-artist', 'on-repeat', 'forgotten', 'trending']),
    text: z.string().describe('Why the shelf is there, to show under its title.'),
    seed: z
      .object({ type: z.enum(['track', 'artist']), id: z.string(), name: z.string() })
      .optional()
      .describe('What the shelf grew from ("because you listened to …").'),
  })
  .meta({ id: 'ShelfReason' });

const shelfSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    reason: reasonSchema,
    tracks: z.array(trackSchema).optional(),
    artists: z.array(artistSchema).optional(),
  })
  .meta({ id: 'Shelf' });

const mixSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string().describe('The artists the mix is built around.'),
    createdAt: isoTime,
    tracks: z.array(trackSchema),
  })
  .meta({ id: 'Mix' });

const stationSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    seed: z.object({ type: z.enum(['track', 'album', 'artist', 'genre']), id: z.string() }),
    createdAt: isoTime,
  })
  .meta({ id: 'Station' });

const totalsSchema = z
  .object({
    listens: z.number().int(),
    plays: z.number().int(),
    skips: z.number().int(),
    listenedMs: z.number().int(),
    skipRate: z.number().nullable().describe('skips / listens.'),
    playThroughRate: z.number().nullable().describe('plays / listens.'),
  })
  .meta({ id: 'ListeningTotals' });

const breakdownShape = {
  totals: totalsSchema,
  byHourOfDay: z.array(z.number().int()).describe('24 entries: listening time (ms) per hour of the day.'),
  byWeekday: z.array(z.number().int()).describe('7 entries, Monday first: listening time (ms).'),
  byDay: z.array(
    z.object({
      date: z.string(),
      listens: z.number().int(),
      plays: z.number().int(),
      listenedMs: z.number().int(),
    }),
  ),
};

const rankedSchema = z.object({
  id: z.string(),
  name: z.string(),
  plays: z.number().int(),
  listenedMs: z.number().int(),
});
const topsSchema = z
  .object({
    tracks: z.array(rankedSchema),
    artists: z.array(rankedSchema),
    albums: z.array(rankedSchema),
    genres: z.array(rankedSchema),
  })
  .meta({ id: 'ListeningTops' });

const trendSchema = z
  .object({
    rank: z.number().int(),
    score: z.number(),
    plays: z.number().int(),
    listeners: z.number().int(),
    track: trackSchema.optional(),
    album: albumSchema.optional(),
    artist: artistSchema.optional(),
  })
  .meta({ id: 'TrendEntry' });

const privacySchema = z
  .object({
    shareListening: z
      .boolean()
      .describe("Whether one's listening counts in other users' recommendations, trends and server totals."),
    historyVisibleToAdmins: z.boolean().describe("Whether admins may see one's statistics in detail."),
  })
  .meta({ id: 'ListeningPrivacy' });

function stationAnswer(station: Station, tracks: readonly Track[]) {
  return { station: { ...station, createdAt: isoOrNull(station.createdAt)! }, tracks: tracks.map(trackJson) };
}

function totalsJson(totals: Totals): z.input<typeof totalsSchema> {
  return totals;
}

function breakdownJson(time: TimeBreakdown) {
  return {
    totals: totalsJson(time.totals),
    byHourOfDay: time.byHourOfDay,
    byWeekday: time.byWeekday,
    byDay: time.byDay,
  };
}

/** Names for ranked ids, dropping what the viewer may not see. */
function namedTops(db: Database, viewer: Viewer, tops: Partial<Tops>): z.input<typeof topsSchema> {
  const tracks = new Map(
    tracksById(
      db,
      viewer,
      (tops.tracks ?? []).map((item) => item.id),
    ).map((t) => [t.id, t.title]),
  );
  const artists = new Map(
    loadArtists(
      db,
      (tops.artists ?? []).map((item) => item.id),
      viewer,
    ).map((a) => [a.id, a.name]),
  );
  const albums = new Map(
    loadAlbums(
      db,
      (tops.albums ?? []).map((item) => item.id),
      viewer,
    ).map((a) => [a.id, a.name]),
  );
  const named = (items: Tops['tracks'] | undefined, names: Map<string, string> | undefined) =>
    (items ?? []).flatMap((item) => {
      const name = names ? names.get(item.id) : item.id;
      return name === undefined ? [] : [{ ...item, name }];
    });
  return {
    tracks: named(tops.tracks, tracks),
    artists: named(tops.artists, artists),
    albums: named(tops.albums, albums),
    genres: named(tops.genres, undefined),
  };
}

function spanOf(query: { from?: string | undefined; to?: string | undefined; tz: number }, now: number) {
  const to = query.to ? Date.parse(query.to) : now;
  const from = query.from ? Date.parse(query.from) : to - 30 * 86_400_000;
  if (to <= from) throw new TonearmError('BAD_REQUEST', '`from` must be before `to`');
  return { from, to, offsetMinutes: query.tz };
}

const statsSchema = z
  .object({ from: isoTime, to: isoTime, ...breakdownShape, top: topsSchema })
  .meta({ id: 'ListeningStats' });

function statsJson(db: Database, viewer: Viewer, userId: string, span: ReturnType<typeof spanOf>) {
  const stats = userStats(db, userId, span);
  return {
    from: isoOrNull(stats.from)!,
    to: isoOrNull(stats.to)!,
    ...breakdownJson(stats),
    top: namedTops(db, viewer, stats.top),
  };
}

const spanQuery = z.object({
  from: isoTime.optional().describe('Start (default: 30 days before `to`).'),
  to: isoTime.optional().describe('End (default: now).'),
  tz: tzQuery,
});

export const insightRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/me/recommendations',
    tag: 'Recommendations',
    summary: 'Shelves for the home page',
    description:
      'Recommended for you, "because you listened to …" (a few recent favourites, each with what is ' +
      'co-listened with it), "because you like …" (similar artists), on repeat, forgotten favourites and ' +
      'trending this week; each says why it is there. Shelves with too little in them are left out, so a ' +
      'new user sees trending and little else until they listen.',
    access: 'user',
    response: z.object({ shelves: z.array(shelfSchema) }),
    read(input) {
      const viewer = viewerOf(input);
      const shelves = shelvesFor(input.db, viewer, input.user.id);
      return {
        shelves: shelves.map((shelf) => ({
          id: shelf.id,
          title: shelf.title,
          reason: shelf.reason,
          ...(shelf.tracks ? { tracks: shelf.tracks.map(trackJson) } : {}),
          ...(shelf.artists ? { artists: shelf.artists.map(artistJson) } : {}),
        })),
      };
    },
  }),
  route({
    method: 'get',
    path: '/me/mixes',
    tag: 'Recommendations',
    summary: "The caller's daily mixes",
    description:
      "A few mixes, each around one cluster of the caller's taste: known favourites and new tracks " +
      'co-listened with them. Refreshed daily; a refresh is queued when they are older than a day.',
    access: 'user',
    response: z.object({ mixes: z.array(mixSchema) }),
    handle({ services, user }) {
      const { mixes, stale } = storedMixes(services.db, user.id);
      if (stale) refreshMixesLater(services.jobs, user.id);
      const viewer = viewerFor(services.catalog, user);
      return {
        mixes: mixes.map((mix) => ({
          id: `mix-${mix.position}`,
          title: mix.title,
          description: mix.description,
          createdAt: isoOrNull(mix.createdAt)!,
          tracks: tracksById(services.db, viewer, mix.trackIds).map(trackJson),
        })),
      };
    },
  }),
  route({
    method: 'get',
    path: '/tracks/:id/similar',
    tag: 'Recommendations',
    summary: 'Tracks like a track',
    description:
      'Co-listened with it by the users of this server first, then alike by genre, artist, year, tempo ' +
      'and loudness when few have listened.',
    access: 'user',
    params: idParams,
    query: z.object({ limit: countQuery(20) }),
    errors: [404],
    response: z.object({ items: z.array(trackSchema) }),
    read(input) {
      const { db, params, query } = input;
      const viewer = viewerOf(input);
      getTrack(db, viewer, params.id);
      const ids = similarTrackIds(db, params.id, query.limit).map((item) => item.id);
      return { items: tracksById(db, viewer, ids).slice(0, query.limit).map(trackJson) };
    },
  }),
  route({
    method: 'post',
    path: '/stations',
    tag: 'Recommendations',
    summary: 'Start a radio',
    description:
      'An endless queue from a track, album, artist or genre: its first tracks come with the station; ' +
      'POST /stations/{id}/next gives more, never one it gave before. Stations unused for a week go.',
    access: 'user',
    status: 201,
    body: z.strictObject({
      seed: z.strictObject({
        type: z.enum(['track', 'album', 'artist', 'genre']),
        id: z.string().min(1).max(200),
      }),
      count: z.number().int().min(1).max(100).default(25),
    }),
    errors: [404],
    response: z.object({ station: stationSchema, tracks: z.array(trackSchema) }),
    handle({ services, user, body }) {
      const viewer = viewerFor(services.catalog, user);
      const station = createStation(services.db, viewer, user.id, body.seed);
      const { tracks } = nextFromStation(services.db, viewer, user.id, station.id, body.count);
      return stationAnswer(station, tracks);
    },
  }),
  route({
    method: 'post',
    path: '/stations/:id/next',
    tag: 'Recommendations',
    summary: 'More of a radio',
    access: 'user',
    params: idParams,
    body: z.strictObject({ count: z.number().int().min(1).max(100).default(25) }),
    errors: [404],
    response: z.object({ station: stationSchema, tracks: z.array(trackSchema) }),
    handle({ services, user, params, body }) {
      const viewer = viewerFor(services.catalog, user);
      const { station, tracks } = nextFromStation(services.db, viewer, user.id, params.id, body.count);
      return stationAnswer(station, tracks);
    },
  }),
  route({
    method: 'get',
    path: '/insights/trending',
    tag: 'Insights',
    summary: 'Trending tracks, albums or artists',
    description:
      'Over a day, a week or a month: recent plays count more (half-lives of 8 hours, 2 days and 7 days) ' +
      "and each listener's share is damped, so what many play rises above what one person loops. Only " +
      'the listening of users who share it counts. Refreshed as plays are taken in (every few minutes).',
    access: 'user',
    query: z.object({
      period: z.enum(Object.keys(TREND_PERIODS) as [TrendPeriod, ...TrendPeriod[]]).default('week'),
      kind: z.enum(TREND_KINDS as ['track', 'album', 'artist']).default('track'),
      limit: countQuery(20),
    }),
    response: z.object({ items: z.array(trendSchema) }),
    read(input) {
      const { db, query } = input;
      const viewer = viewerOf(input);
      const entries = trendEntries(db, query.period, query.kind, query.limit * 2);
      const ids = entries.map((entry) => entry.subjectId);
      const subjects = subjectsOf(db, viewer, query.kind, ids);
      return {
        items: entries
          .filter((entry) => subjects.has(entry.subjectId))
          .slice(0, query.limit)
          .map((entry) => ({
            rank: entry.rank,
            score: entry.score,
            plays: entry.plays,
            listeners: entry.listeners,
            [query.kind]: subjects.get(entry.subjectId),
          })),
      };
    },
  }),
  route({
    method: 'get',
    path: '/insights/top',
    tag: 'Insights',
    summary: 'Most played, most skipped, skip and play-through rates',
    description:
      'Over all time, across the users who share their listening. `by=skipRate` and `by=playThrough` ' +
      'rank items with at least `minListens` listens (skips / listens, plays / listens).',
    access: 'user',
    query: z.object({
      kind: kindQuery.default('track'),
      by: z.enum(['plays', 'skips', 'skipRate', 'playThrough']).default('plays'),
      minListens: z.coerce.number().int().min(1).max(10_000).default(5),
      limit: countQuery(20),
    }),
    response: z.object({
      items: z.array(
        z.object({
          totals: totalsSchema,
          listeners: z.number().int(),
          track: trackSchema.optional(),
          album: albumSchema.optional(),
          artist: artistSchema.optional(),
        }),
      ),
    }),
    read(input) {
      const { db, query } = input;
      const viewer = viewerOf(input);
      const rows = topTotals(db, query.kind, query.by, query.limit * 2, query.minListens);
      const subjects = subjectsOf(
        db,
        viewer,
        query.kind,
        rows.map((row) => row.subjectId),
      );
      return {
        items: rows
          .filter((row) => subjects.has(row.subjectId))
          .slice(0, query.limit)
          .map((row) => ({
            totals: totalsJson({
              ...row,
              skipRate: row.listens ? Math.round((row.skips / row.listens) * 10_000) / 10_000 : null,
              playThroughRate: row.listens ? Math.round((row.plays / row.listens) * 10_000) / 10_000 : null,
            }),
            listeners: row.listeners,
            [query.kind]: subjects.get(row.subjectId),
          })),
      };
    },
  }),
  route({
    method: 'get',
    path: '/me/stats',
    tag: 'Insights',
    summary: "The caller's listening statistics",
    description:
      'Over a span (default the last 30 days, at most two years): totals with skip and play-through ' +
      'rates, listening time by hour of day, weekday and day, and the top tracks, artists, albums and genres.',
    access: 'user',
    query: spanQuery,
    response: statsSchema,
    read(input) {
      return statsJson(input.db, viewerOf(input), input.user.id, spanOf(input.query, Date.now()));
    },
  }),
  route({
    method: 'get',
    path: '/me/stats/year/:year',
    tag: 'Insights',
    summary: 'Your year in music',
    description:
      "One calendar year (in the caller's time zone): minutes listened, plays, distinct tracks, artists " +
      'and albums, artists discovered, the top five of each, the top month, busiest day, favourite hour, ' +
      "longest streak of days with a play and the year's first play.",
    access: 'user',
    params: z.object({ year: z.coerce.number().int().min(1970).max(9999) }),
    query: z.object({ tz: tzQuery }),
    response: z
      .object({
        year: z.number().int(),
        totals: totalsSchema,
        minutesListened: z.number().int(),
        distinct: z.object({ tracks: z.number().int(), artists: z.number().int(), albums: z.number().int() }),
        newArtists: z.number().int(),
        top: topsSchema,
        topMonth: z.object({ month: z.number().int(), listenedMs: z.number().int() }).nullable(),
        busiestDay: z.object({ date: z.string(), listenedMs: z.number().int() }).nullable(),
        favouriteHour: z.number().int().nullable(),
        longestStreakDays: z.number().int(),
        firstPlay: z.object({ track: trackSchema.nullable(), at: isoTime }).nullable(),
      })
      .meta({ id: 'YearInMusic' }),
    read(input) {
      const { db, user, params, query } = input;
      const viewer = viewerOf(input);
      const review = yearReview(db, user.id, params.year, query.tz);
      const first = review.firstPlay;
      return {
        ...review,
        totals: totalsJson(review.totals),
        top: namedTops(db, viewer, review.top),
        firstPlay: first
          ? {
              track: tracksById(db, viewer, [first.trackId]).map(trackJson)[0] ?? null,
              at: isoOrNull(first.at)!,
            }
          : null,
      };
    },
  }),
  route({
    method: 'get',
    path: '/me/privacy',
    tag: 'Insights',
    summary: "The caller's listening privacy",
    access: 'user',
    response: privacySchema,
    handle({ services, user }) {
      return listeningPrivacy(services.db, user.id);
    },
  }),
  route({
    method: 'patch',
    path: '/me/privacy',
    tag: 'Insights',
    summary: 'Change the listening privacy',
    description:
      "With `shareListening: false` the caller's listening stops counting in other users' " +
      'recommendations, trends and server totals (the models are rebuilt without it); their own ' +
      'recommendations and statistics go on. `historyVisibleToAdmins: true` lets admins see their statistics.',
    access: 'user',
    body: privacySchema.partial().strict(),
    response: privacySchema,
    handle({ services, user, body }) {
      const { privacy, sharingChanged } = changeListeningPrivacy(services.db, user.id, body);
      if (sharingChanged) listeningWithdrawn(services.jobs);
      return privacy;
    },
  }),
  route({
    method: 'get',
    path: '/admin/insights/overview',
    tag: 'Insights',
    summary: 'The listening dashboard',
    description:
      'Users and active users (a day, a week, a month), listening over the last day and month by hour ' +
      "and day, and every user's totals. Totals only: a user's statistics in detail need their consent " +
      '(GET /admin/users/{id}/stats).',
    access: 'admin',
    query: z.object({ tz: tzQuery }),
    response: z
      .object({
        users: z.number().int(),
        activeUsers: z.object({ day: z.number().int(), week: z.number().int(), month: z.number().int() }),
        lastDay: z.object(breakdownShape),
        lastMonth: z.object(breakdownShape),
        perUser: z.array(
          z.object({
            userId: z.string(),
            username: z.string(),
            totals: totalsSchema,
            lastListenAt: isoTime.nullable(),
            sharesListening: z.boolean(),
            historyVisible: z.boolean(),
          }),
        ),
      })
      .meta({ id: 'ListeningOverview' }),
    read({ db, query }) {
      const overview = serverOverview(db, Date.now(), query.tz);
      return {
        ...overview,
        lastDay: breakdownJson(overview.lastDay),
        lastMonth: breakdownJson(overview.lastMonth),
        perUser: overview.perUser.map((row) => ({ ...row, lastListenAt: isoOrNull(row.lastListenAt) })),
      };
    },
  }),
  route({
    method: 'get',
    path: '/admin/insights/active-listeners',
    tag: 'Insights',
    summary: 'Active listeners per minute',
    description:
      'How many users were listening in each step (default a minute) of a span (default the last day).',
    access: 'admin',
    query: z.object({
      from: isoTime.optional(),
      to: isoTime.optional(),
      stepSeconds: z.coerce.number().int().min(60).max(86_400).default(60),
    }),
    response: z.object({ items: z.array(z.object({ at: isoTime, listeners: z.number().int() })) }),
    handle({ services, query }) {
      const to = query.to ? Date.parse(query.to) : Date.now();
      const from = query.from ? Date.parse(query.from) : to - 86_400_000;
      return {
        items: activeListeners(services.db, from, to, query.stepSeconds * 1000).map((point) => ({
          at: isoOrNull(point.at)!,
          listeners: point.listeners,
        })),
      };
    },
  }),
  route({
    method: 'get',
    path: '/admin/users/:id/stats',
    tag: 'Insights',
    summary: "A user's listening statistics, with their consent",
    description:
      'As GET /me/stats for that user, only when they allowed it (`historyVisibleToAdmins`); otherwise 403.',
    access: 'admin',
    params: idParams,
    query: spanQuery,
    errors: [403, 404],
    response: statsSchema,
    handle({ services, params, query, user }) {
      if (!listeningPrivacy(services.db, params.id).historyVisibleToAdmins)
        throw new TonearmError(
          'FORBIDDEN',
          'this user keeps their listening history private; admins see their totals only',
        );
      return statsJson(services.db, viewerFor(services.catalog, user), params.id, spanOf(query, Date.now()));
    },
  }),
  route({
    method: 'post',
    path: '/admin/insights/recompute',
    tag: 'Insights',
    summary: 'Rebuild the recommendation models now',
    description: 'Queues the full recompute (normally nightly); its progress shows in GET /admin/jobs.',
    access: 'admin',
    status: 202,
    response: z.object({ jobId: z.number().int(), queued: z.boolean() }),
    handle({ services }) {
      const job = services.jobs.enqueue(RECOMPUTE_JOB);
      return { jobId: job.id, queued: job.created };
    },
  }),
];

type Subject = z.input<typeof trackSchema> | z.input<typeof albumSchema> | z.input<typeof artistSchema>;

/** The tracks, albums or artists of `ids` the viewer may see, as JSON, by id. */
function subjectsOf(
  db: Database,
  viewer: Viewer,
  kind: 'track' | 'album' | 'artist',
  ids: readonly string[],
): Map<string, Subject> {
  switch (kind) {
    case 'track':
      return new Map(tracksById(db, viewer, ids).map((track) => [track.id, trackJson(track)]));
    case 'album':
      return new Map(loadAlbums(db, ids, viewer).map((album) => [album.id, albumJson(album)]));
    case 'artist':
      return new Map(loadArtists(db, ids, viewer).map((artist) => [artist.id, artistJson(artist)]));
  }
}
