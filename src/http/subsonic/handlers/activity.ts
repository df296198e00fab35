// Annotation endpoints (star, unstar, setRating, scrobble), the OpenSubsonic playbackReport extension
// (reportPlayback) and getNowPlaying. Scrobbles and playback reports become listening events
// (src/listening), from which plays and skips are counted for every client alike.
import { randomUUID } from 'node:crypto';

import { visibleLibraryIds } from '../../../activity/access.ts';
import {
  notFound,
  resolveScrobble,
  setRating as setRatingOf,
  star as starItems,
  unstar as unstarItems,
} from '../../../activity/annotation.service.ts';
import { PLAYBACK_STATES, type PlaybackState } from '../../../activity/now-playing.ts';
import { findTrackFacts } from '../../../catalog/lookup.ts';
import { ingestEvents, type ListeningEventType } from '../../../listening/listening.service.ts';
import { TonearmError } from '../../../shared/errors.ts';
import type { SubsonicEndpoint, SubsonicRequest } from '../endpoint.ts';
import { caller, childrenById, ids, intList, legacy, msParam } from './activity-common.ts';

function starTargets(request: SubsonicRequest) {
  return {
    ids: ids(request.params, 'id'),
    albumIds: ids(request.params, 'albumId'),
    artistIds: ids(request.params, 'artistId'),
  };
}

export const star: SubsonicEndpoint = {
  name: 'star',
  handle: (request) => {
    starItems(request.db, caller(request), starTargets(request));
  },
};

export const unstar: SubsonicEndpoint = {
  name: 'unstar',
  handle: (request) => {
    unstarItems(request.db, caller(request), starTargets(request));
  },
};

export const setRating: SubsonicEndpoint = {
  name: 'setRating',
  handle: (request) => {
    const { params, db } = request;
    const id = params.required('id');
    params.required('rating');
    setRatingOf(db, caller(request), id, params.int('rating', { min: 0, max: 5 })!);
  },
};

/** submission=false: now playing only; true (the default): a play, at `time` (paired with ids) or now. */
export const scrobble: SubsonicEndpoint = {
  name: 'scrobble',
  handle: (request) => {
    const user = caller(request);
    const { params, db } = request;
    const submission = params.bool('submission') ?? true;
    const plays = resolveScrobble(db, user, ids(params, 'id'), intList(params, 'time'));
    const now = Date.now();
    if (!submission) {
      // Several ids in one "now playing" call make no sense; the last one is what plays now.
      const last = plays[plays.length - 1]!;
      request.services.nowPlaying.started({
        userId: user.id,
        username: user.username,
        client: request.client,
        trackId: last.track.id,
        durationMs: last.track.duration * 1000,
      });
      ingestEvents(
        db,
        user,
        [subsonicEvent(request.client, last.track.id, 'start', 0, 0, now)],
        'scrobble',
        now,
      );
      return;
    }
    // A submission says the song was played (clients send it past half the track): a listen heard whole.
    // A time ahead of the server's clock is taken as now rather than refused, as before.
    ingestEvents(
      db,
      user,
      plays.map((play) => {
        const durationMs = Math.round(play.track.duration * 1000);
        const at = Math.min(play.time ?? now, now) + durationMs;
        return subsonicEvent(request.client, play.track.id, 'complete', durationMs, durationMs, at);
      }),
      'scrobble',
      now,
    );
  },
};

/** An event made from a Subsonic call (which has no event ids: each call is new). */
function subsonicEvent(
  client: string,
  trackId: string,
  type: ListeningEventType,
  positionMs: number,
  listenedMs: number,
  at: number,
  ignored = false,
) {
  return {
    id: `subsonic:${randomUUID()}`,
    trackId,
    type,
    positionMs,
    listenedMs,
    at,
    playerId: client,
    ignored,
  };
}

const REPORTED: Record<PlaybackState, ListeningEventType> = {
  starting: 'start',
  playing: 'resume',
  paused: 'pause',
  stopped: 'stop',
};

export const reportPlayback: SubsonicEndpoint = {
  name: 'reportPlayback',
  handle: (request) => {
    const user = caller(request);
    const { params, db } = request;
    const mediaId = params.required('mediaId');
    const mediaType = params.required('mediaType');
    const positionText = params.required('positionMs');
    const stateText = params.required('state');
    if (mediaType !== 'song' && mediaType !== 'podcast') {
      throw new TonearmError('BAD_REQUEST', 'mediaType must be song or podcast');
    }
    if (!PLAYBACK_STATES.includes(stateText as PlaybackState)) {
      throw new TonearmError('BAD_REQUEST', `state must be one of ${PLAYBACK_STATES.join(', ')}`);
    }
    const positionMs = msParam(params, 'positionMs');
    if (positionMs === undefined)
      throw new TonearmError('BAD_REQUEST', `positionMs is not a number: ${positionText.slice(0, 20)}`);
    const rateText = params.get('playbackRate');
    const playbackRate = rateText === undefined || rateText === '' ? 1 : Number(rateText);
    if (!Number.isFinite(playbackRate) || playbackRate <= 0 || playbackRate > 16) {
      throw new TonearmError('BAD_REQUEST', 'playbackRate must be a number above 0 and at most 16');
    }
    const ignoreScrobble = params.bool('ignoreScrobble') ?? false;
    // This server has no podcasts, so a podcast id is never found.
    const track =
      mediaType === 'song' ? findTrackFacts(db, [mediaId], visibleLibraryIds(user)).get(mediaId) : undefined;
    if (!track) throw notFound(mediaType, mediaId);
    request.services.nowPlaying.report({
      userId: user.id,
      username: user.username,
      client: request.client,
      trackId: track.id,
      durationMs: track.duration * 1000,
      state: stateText as PlaybackState,
      positionMs,
      playbackRate,
      ignoreScrobble,
    });
    // The position is what the protocol tells of how much was heard.
    ingestEvents(
      db,
      user,
      [
        subsonicEvent(
          request.client,
          track.id,
          REPORTED[stateText as PlaybackState],
          positionMs,
          positionMs,
          Date.now(),
          ignoreScrobble,
        ),
      ],
      'playbackReport',
    );
  },
};

export const getNowPlaying: SubsonicEndpoint = {
  name: 'getNowPlaying',
  handle: (request) => {
    const now = Date.now();
    const entries = request.services.nowPlaying.list();
    // Children are loaded for the viewer: tracks in libraries they may not see are left out.
    const children = childrenById(
      request,
      entries.map((entry) => entry.trackId),
    );
    const openSubsonic = !legacy(request);
    return {
      nowPlaying: {
        entry: entries.flatMap((entry) => {
          const child = children.get(entry.trackId);
          if (!child) return [];
          return [
            {
              ...child,
              username: entry.username,
              minutesAgo: Math.max(0, Math.floor((now - entry.startedAt) / 60_000)),
              playerId: entry.playerId,
              playerName: entry.client,
              ...(openSubsonic
                ? { state: entry.state, positionMs: entry.positionMs, playbackRate: entry.playbackRate }
                : {}),
            },
          ];
        }),
      },
    };
  },
};

export const activityEndpoints: readonly SubsonicEndpoint[] = [
  star,
  unstar,
  setRating,
  scrobble,
  reportPlayback,
  getNowPlaying,
];
