// POST /api/v1/listening/events through the real API (src/http/api/listening.routes.ts): a receipt of
// what was accepted, duplicated or rejected (202); a retried batch counts once; plays show in the
// catalog's play counts; events for tracks the caller cannot see are refused; bad batches are problems;
// getNowPlaying follows the events; Subsonic scrobbles become events too.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { updateUser } from '../../src/accounts/users.service.ts';
import { type ApiClient, apiClientFor, type Json } from '../helpers/activity-api.ts';
import { ALICE, BOB, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let alice: ApiClient;
let bob: ApiClient;
let tracks: Json[];

before(async () => {
  server = await startSubsonicServer({ readWorkers: 0 });
  alice = apiClientFor(server, ALICE.username);
  bob = apiClientFor(server, BOB.username);
  await updateUser(server.db, BOB.username, { libraryIds: [server.libraries.second] });
  tracks = (await alice.ok('GET', '/tracks?limit=100')).items;
  assert.ok(tracks.length >= 3);
});
after(() => server?.close());

const iso = (ms: number) => new Date(ms).toISOString();

/** A whole listen of `track`, `heardShare` of it, on `playerId`, ending `endedAgoMs` before now. */
function listen(
  track: Json,
  heardShare: number,
  type: 'complete' | 'skip' | 'stop',
  playerId = 'test-phone',
) {
  const durationMs = Math.round(track.duration * 1000);
  const heard = Math.round(durationMs * heardShare);
  const end = Date.now() - 1000;
  return [
    {
      id: randomUUID(),
      trackId: track.id,
      type: 'start',
      positionMs: 0,
      listenedMs: 0,
      at: iso(end - heard),
      playerId,
    },
    {
      id: randomUUID(),
      trackId: track.id,
      type,
      positionMs: heard,
      listenedMs: heard,
      at: iso(end),
      playerId,
    },
  ];
}

const playCountOf = async (client: ApiClient, id: string) =>
  (await client.ok('GET', `/tracks/${id}`)).playCount;

describe('POST /api/v1/listening/events', () => {
  it('accepts a batch (202), counts its plays once, and calls a retry a duplicate', async () => {
    const track = tracks[0]!;
    const before = await playCountOf(alice, track.id);
    const events = [...listen(track, 0.9, 'complete'), ...listen(tracks[1]!, 0.1, 'skip')];
    const first = await alice.post('/listening/events', { events });
    assert.equal(first.status, 202, first.text);
    assert.deepEqual(first.body.accepted.sort(), events.map((event) => event.id).sort());
    assert.deepEqual(first.body.duplicates, []);
    assert.deepEqual(first.body.rejected, []);
    assert.equal(await playCountOf(alice, track.id), before + 1);

    const retry = await alice.post('/listening/events', { events });
    assert.equal(retry.status, 202);
    assert.deepEqual(retry.body.accepted, []);
    assert.equal(retry.body.duplicates.length, events.length);
    assert.equal(await playCountOf(alice, track.id), before + 1, 'the retry counted nothing');
    // A skip is not a play.
    assert.equal(await playCountOf(alice, tracks[1]!.id), 0);
    // Stored as sent, with the format's version.
    const stored = server.db
      .prepare('SELECT count(*) FROM listening_event WHERE schema_version = 1 AND source = ?')
      .pluck()
      .get('api');
    assert.ok((stored as number) >= events.length);
  });

  it('refuses, one by one, events for tracks the caller cannot see or that do not exist', async () => {
    const hidden = tracks.find((track: Json) => track.libraryId !== server.libraries.second) ?? tracks[0];
    const events = [...listen(hidden, 0.9, 'complete', 'bob-phone')];
    events.push({ ...events[0]!, id: randomUUID(), trackId: 'tr-does-not-exist' });
    const answer = await bob.post('/listening/events', { events });
    assert.equal(answer.status, 202);
    assert.deepEqual(answer.body.accepted, []);
    assert.equal(answer.body.rejected.length, 3);
    assert.match(answer.body.rejected[0].reason, /no track/);
  });

  it('answers bad batches with problem details: empty, too many, malformed, a clock far ahead', async () => {
    const track = tracks[0]!;
    const one = listen(track, 0.5, 'stop')[0]!;
    for (const [body, pattern] of [
      [{ events: [] }, /events/],
      [{ events: Array.from({ length: 501 }, () => ({ ...one, id: randomUUID() })) }, /events/],
      [{ events: [{ ...one, type: 'rewind' }] }, /type/],
      [{ events: [{ ...one, listenedMs: -1 }] }, /listenedMs/],
      [{ events: [{ ...one, at: 'yesterday' }] }, /at/],
    ] as const) {
      const answer = await alice.post('/listening/events', body);
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.body.detail, pattern);
    }
    const ahead = await alice.post('/listening/events', {
      events: [{ ...one, id: randomUUID(), at: iso(Date.now() + 3_600_000) }],
    });
    assert.equal(ahead.status, 202);
    assert.match(ahead.body.rejected[0].reason, /future/);
  });

  it('shows what a player plays in getNowPlaying, until it stops', async () => {
    const track = tracks[2]!;
    const playerId = `kitchen-${randomUUID().slice(0, 8)}`;
    const start = {
      id: randomUUID(),
      trackId: track.id,
      type: 'start',
      positionMs: 0,
      listenedMs: 0,
      at: iso(Date.now()),
      playerId,
    };
    assert.equal((await alice.post('/listening/events', { events: [start] })).status, 202);
    const playing = await server.json('getNowPlaying', {}, { user: ALICE });
    const entries = (playing.nowPlaying.entry ?? []) as Json[];
    assert.ok(
      entries.some(
        (entry) =>
          entry.id === track.id && entry.playerName === playerId && entry.username === ALICE.username,
      ),
      JSON.stringify(entries),
    );
    const stop = {
      ...start,
      id: randomUUID(),
      type: 'stop',
      listenedMs: 100,
      positionMs: 100,
      at: iso(Date.now()),
    };
    assert.equal((await alice.post('/listening/events', { events: [stop] })).status, 202);
    const after = (await server.json('getNowPlaying', {}, { user: ALICE })).nowPlaying.entry ?? [];
    assert.ok(!(after as Json[]).some((entry) => entry.playerName === playerId));
  });

  it('turns Subsonic scrobbles into listening events and plays', async () => {
    const track = tracks[1]!;
    const before = await playCountOf(alice, track.id);
    const answer = await server.json('scrobble', { id: track.id, submission: 'true' }, { user: ALICE });
    assert.equal(answer.status, 'ok');
    assert.equal(await playCountOf(alice, track.id), before + 1);
    const sources = server.db
      .prepare(
        "SELECT l.outcome FROM listen l JOIN user u ON u.id = l.user_id WHERE u.username = ? AND l.source = 'scrobble'",
      )
      .pluck()
      .all(ALICE.username);
    assert.deepEqual(sources, ['play']);
  });

  it("exports the caller's history as NDJSON and forgets it on request, nobody else's", async () => {
    const track = tracks[0]!;
    await bob.post('/listening/events', {
      events: listen(
        tracks.find((t: Json) => t.libraryId === server.libraries.second) ?? track,
        0.9,
        'complete',
        'bob-phone',
      ),
    });
    const bobsBefore = server.db
      .prepare('SELECT count(*) FROM listening_event e JOIN user u ON u.id = e.user_id WHERE u.username = ?')
      .pluck()
      .get(BOB.username) as number;
    const exported = await alice.call('GET', '/me/listening/export');
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.match(
      exported.headers.get('content-disposition') ?? '',
      /attachment; filename="listening-alice\.ndjson"/,
    );
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Json);
    const stored = server.db
      .prepare('SELECT count(*) FROM listening_event e JOIN user u ON u.id = e.user_id WHERE u.username = ?')
      .pluck()
      .get(ALICE.username) as number;
    assert.equal(lines.length, stored, 'every event of hers, once');
    assert.ok(lines.every((line) => typeof line.id === 'string' && line.schemaVersion === 1 && line.trackId));
    assert.ok(
      lines.some((line) => line.source === 'scrobble'),
      'Subsonic calls are part of it',
    );
    // What was exported can be sent back as it is (another server, or after forgetting).
    const {
      source: _source,
      schemaVersion: _version,
      ...resend
    } = lines.find((line) => line.source === 'api')!;
    assert.ok(resend.id);

    const played = tracks[0]!.id;
    assert.ok((await playCountOf(alice, played)) > 0);
    const forgotten = await alice.call('DELETE', '/me/listening');
    assert.equal(forgotten.status, 200, forgotten.text);
    assert.equal(forgotten.body.events, stored);
    assert.ok(forgotten.body.plays > 0);
    assert.equal(await playCountOf(alice, played), 0, 'play counts go with the history');
    assert.equal((await alice.call('GET', '/me/listening/export')).text, '');
    const bobsAfter = server.db
      .prepare('SELECT count(*) FROM listening_event e JOIN user u ON u.id = e.user_id WHERE u.username = ?')
      .pluck()
      .get(BOB.username) as number;
    assert.equal(bobsAfter, bobsBefore, "Bob's history is his");
  });
});
