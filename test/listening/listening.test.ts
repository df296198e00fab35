// Listening events into listens, plays and skips (src/listening, docs/insights.md): a scripted session on
// two players with every event type, against values computed by hand; a replayed batch changes nothing;
// the same events split into batches, or shuffled, give the same listens; an event sent late never
// disturbs a newer listen; a player that went quiet has its listen ended by the timeout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser, type User } from '../../src/accounts/users.service.ts';
import { annotationsFor } from '../../src/catalog/annotations.repository.ts';
import type { Database } from '../../src/db/database.ts';
import { listensOf } from '../../src/listening/listening.repository.ts';
import {
  endQuietListens,
  ingestEvents,
  type ListeningEventInput,
  OPEN_LISTEN_GRACE_MS,
} from '../../src/listening/listening.service.ts';
import { outcomeOf } from '../../src/listening/rules.ts';
import { albumRow, artistRow, folderRow, trackRow } from '../helpers/catalog-rows.ts';
import { makeTempDatabase } from '../helpers/http.ts';

const NOW = Date.UTC(2026, 11, 1, 20, 0, 0);
const T0 = NOW - 3_600_000;
const s = (seconds: number) => seconds * 1000;

/** One album of three tracks: A 200 s, B 600 s, C 100 s. */
function seedCatalog(db: Database): void {
  const q = db.kysely;
  db.run(q.insertInto('library').values({ id: 1, name: 'Music', path: '/music', created_at: NOW }));
  db.run(q.insertInto('artist').values(artistRow({ id: 'ar-x', name: 'The X' }, NOW)));
  db.run(
    q
      .insertInto('album')
      .values(albumRow({ id: 'al-x', name: 'X', artist_id: 'ar-x', artist_name: 'The X' }, NOW)),
  );
  db.run(q.insertInto('folder').values(folderRow({ id: 'fo-x', library_id: 1, path: 'X', name: 'X' }, NOW)));
  for (const [id, seconds] of [
    ['tr-a', 200],
    ['tr-b', 600],
    ['tr-c', 100],
  ] as const) {
    db.run(
      q.insertInto('track').values(
        trackRow(
          {
            id,
            library_id: 1,
            folder_id: 'fo-x',
            path: `X/${id}.flac`,
            title: id,
            album_id: 'al-x',
            album_name: 'X',
            artist_id: 'ar-x',
            artist_name: 'The X',
            album_artist_name: 'The X',
            duration: seconds,
          },
          NOW,
        ),
      ),
    );
  }
}

async function setUp(): Promise<{ db: Database; user: User; cleanup(): Promise<void> }> {
  const { db, cleanup } = await makeTempDatabase();
  seedCatalog(db);
  const user = await createUser(db, { username: 'listener', password: 'listener-pass' });
  return { db, user, cleanup };
}

let counter = 0;
function event(
  trackId: string,
  type: ListeningEventInput['type'],
  atSeconds: number,
  listenedSeconds: number,
  playerId = 'phone',
  positionSeconds = listenedSeconds,
): ListeningEventInput {
  return {
    id: `e${++counter}`,
    trackId,
    type,
    at: T0 + s(atSeconds),
    listenedMs: s(listenedSeconds),
    positionMs: s(positionSeconds),
    playerId,
  };
}

/**
 * The session, and what it must give (by hand, with the rules: a play from min(half, 240 s) heard, a skip
 * before 30 s or a quarter, else partial):
 *   phone:  A 120 s of 200 (seek and pause on the way)   → play
 *           B 20 s of 600, skipped                        → skip
 *           C 35 s of 100, ended by the next start         → partial (35 ≥ 30 and ≥ 25, < 50)
 *           A 30 s of 200, stopped                         → skip (30 < 50 = a quarter)
 *   laptop: B 300 s of 600, completed                      → play (≥ 240 s)
 */
function session(): ListeningEventInput[] {
  counter = 0;
  return [
    event('tr-a', 'start', 0, 0),
    event('tr-b', 'start', 100, 0, 'laptop'),
    event('tr-a', 'pause', 60, 60),
    event('tr-a', 'resume', 120, 60),
    event('tr-a', 'seek', 130, 70, 'phone', 150),
    event('tr-a', 'complete', 180, 120, 'phone', 200),
    event('tr-b', 'start', 200, 0),
    event('tr-b', 'skip', 220, 20),
    event('tr-c', 'start', 230, 0),
    event('tr-c', 'pause', 265, 35),
    event('tr-a', 'start', 270, 0),
    event('tr-a', 'stop', 300, 30),
    event('tr-b', 'complete', 400, 300, 'laptop'),
  ];
}

function summary(db: Database, user: User) {
  const listens = listensOf(db, user.id);
  const perTrack = (trackId: string) => {
    const mine = listens.filter((listen) => listen.track_id === trackId);
    const plays = mine.filter((listen) => listen.outcome === 'play').length;
    const skips = mine.filter((listen) => listen.outcome === 'skip').length;
    return {
      listens: mine.length,
      plays,
      skips,
      skipRate: skips / mine.length,
      playThrough: plays / mine.length,
    };
  };
  const marks = annotationsFor(db, user.id, ['tr-a', 'tr-b', 'tr-c', 'al-x', 'ar-x']);
  return {
    outcomes: listens.map(
      (listen) => `${listen.player} ${listen.track_id} ${listen.outcome} ${listen.end_type}`,
    ),
    a: perTrack('tr-a'),
    b: perTrack('tr-b'),
    c: perTrack('tr-c'),
    playCounts: Object.fromEntries([...marks].map(([id, mark]) => [id, mark.playCount])),
    open: listens.filter((listen) => listen.ended_at === null).length,
  };
}

const EXPECTED = {
  outcomes: [
    'phone tr-a play complete',
    'laptop tr-b play complete',
    'phone tr-b skip skip',
    'phone tr-c partial next',
    'phone tr-a skip stop',
  ],
  a: { listens: 2, plays: 1, skips: 1, skipRate: 0.5, playThrough: 0.5 },
  b: { listens: 2, plays: 1, skips: 1, skipRate: 0.5, playThrough: 0.5 },
  c: { listens: 1, plays: 0, skips: 0, skipRate: 0, playThrough: 0 },
  playCounts: { 'tr-a': 1, 'tr-b': 1, 'al-x': 2, 'ar-x': 2 },
  open: 0,
};

describe('listening events', () => {
  it('the rules: plays from half or 4 minutes heard, skips before 30 s or a quarter', () => {
    assert.equal(outcomeOf(s(100), s(200)), 'play');
    assert.equal(outcomeOf(s(99), s(200)), 'partial');
    assert.equal(outcomeOf(s(240), s(3600)), 'play', 'four minutes of a long track');
    assert.equal(outcomeOf(s(29), s(60)), 'skip', 'under 30 s');
    assert.equal(outcomeOf(s(149), s(600)), 'skip', 'under a quarter');
    assert.equal(outcomeOf(s(150), s(600)), 'partial');
    assert.equal(outcomeOf(s(500), s(600), true), 'ignored');
    assert.equal(outcomeOf(s(45), 0), 'partial', 'unknown length: only the absolute thresholds');
  });

  it('a scripted session gives the plays, skips, skip rate and play-through rate computed by hand', async () => {
    const { db, user, cleanup } = await setUp();
    try {
      const events = session();
      const result = ingestEvents(db, user, events, 'api', NOW);
      assert.equal(result.accepted.length, events.length);
      assert.deepEqual(result.duplicates, []);
      assert.deepEqual(result.rejected, []);
      assert.deepEqual(summary(db, user), EXPECTED);
    } finally {
      await cleanup();
    }
  });

  it('a replayed batch changes nothing, and a batch may repeat an id within itself', async () => {
    const { db, user, cleanup } = await setUp();
    try {
      const events = session();
      ingestEvents(db, user, events, 'api', NOW);
      const again = ingestEvents(db, user, events, 'api', NOW);
      assert.deepEqual(again.accepted, []);
      assert.deepEqual(again.duplicates.sort(), events.map((e) => e.id).sort());
      assert.deepEqual(summary(db, user), EXPECTED);
      const twice = ingestEvents(
        db,
        user,
        [event('tr-c', 'start', 500, 0), { ...event('tr-c', 'stop', 510, 10), id: 'e1' }],
        'api',
        NOW,
      );
      assert.deepEqual(twice.duplicates, ['e1'], 'an id of an earlier batch');
      const counted = db.sqlite.prepare('SELECT count(*) FROM listening_event').pluck().get();
      assert.equal(counted, events.length + 1);
    } finally {
      await cleanup();
    }
  });

  it('gives the same listens whether the events come in one batch, in several, or shuffled', async () => {
    for (const arrange of [
      (events: ListeningEventInput[]) => [events.slice(0, 4), events.slice(4, 9), events.slice(9)],
      (events: ListeningEventInput[]) => [[...events].reverse()],
      (events: ListeningEventInput[]) => [[...events].sort((a, b) => a.id.localeCompare(b.id) * -1)],
    ]) {
      const { db, user, cleanup } = await setUp();
      try {
        // Batches in time order (a player sends what it has); inside a batch any order.
        for (const batch of arrange(session())) ingestEvents(db, user, batch, 'api', NOW);
        assert.deepEqual(summary(db, user), EXPECTED);
      } finally {
        await cleanup();
      }
    }
  });

  it('never lets a batch sent late disturb a newer listen; its ending events still count', async () => {
    const { db, user, cleanup } = await setUp();
    try {
      counter = 100;
      ingestEvents(db, user, [event('tr-a', 'start', 1000, 0)], 'api', NOW);
      // Yesterday's offline listening arrives now.
      const late = ingestEvents(
        db,
        user,
        [event('tr-b', 'start', 10, 0), event('tr-b', 'complete', 400, 300)],
        'api',
        NOW,
      );
      assert.equal(late.accepted.length, 2);
      const listens = listensOf(db, user.id);
      assert.deepEqual(
        listens.map((listen) => [listen.track_id, listen.outcome, listen.ended_at === null]),
        [
          ['tr-b', 'play', false],
          ['tr-a', null, true],
        ],
      );
      assert.equal(annotationsFor(db, user.id, ['tr-b']).get('tr-b')?.playCount, 1);
    } finally {
      await cleanup();
    }
  });

  it('refuses events of unknown tracks and from a clock far ahead, one by one', async () => {
    const { db, user, cleanup } = await setUp();
    try {
      counter = 200;
      const unknown = event('tr-nope', 'start', 0, 0);
      const ahead = { ...event('tr-a', 'start', 0, 0), at: NOW + 10 * 60_000 };
      const fine = event('tr-a', 'start', 5, 0);
      const result = ingestEvents(db, user, [unknown, ahead, fine], 'api', NOW);
      assert.deepEqual(result.accepted, [fine.id]);
      assert.deepEqual(
        result.rejected.map((entry) => entry.id),
        [unknown.id, ahead.id],
      );
      assert.match(result.rejected[0]!.reason, /no track tr-nope/);
      assert.match(result.rejected[1]!.reason, /future/);
    } finally {
      await cleanup();
    }
  });

  it('ends the listen of a player that went quiet, by what was heard', async () => {
    const { db, user, cleanup } = await setUp();
    try {
      counter = 300;
      ingestEvents(db, user, [event('tr-a', 'start', 0, 0), event('tr-a', 'pause', 150, 150)], 'api', NOW);
      const lastEvent = T0 + s(150);
      // The track would have ended 50 s after the last event; the grace runs from there.
      assert.equal(endQuietListens(db, lastEvent + s(50) + OPEN_LISTEN_GRACE_MS - 1), 0);
      assert.equal(endQuietListens(db, lastEvent + s(50) + OPEN_LISTEN_GRACE_MS + 1), 1);
      const [listen] = listensOf(db, user.id);
      assert.equal(listen!.end_type, 'timeout');
      assert.equal(listen!.outcome, 'play', '150 s of 200 were heard');
      assert.equal(listen!.ended_at, lastEvent);
      assert.equal(annotationsFor(db, user.id, ['tr-a']).get('tr-a')?.playCount, 1);
    } finally {
      await cleanup();
    }
  });
});
