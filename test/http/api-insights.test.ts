// Recommendations, radio, trends, statistics, the dashboard and privacy through the real API (src/http/api/
// insights.routes.ts) on a scanned library, read routes through a read worker: listening sent as events
// is taken in by the update job, then shows in the shelves, similar tracks, stations, trends and stats;
// admins see totals, and a user's details only once they allow it; forgetting one's history empties it;
// an export from elsewhere is imported for the caller, against the tracks they may see.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { updateUser } from '../../src/accounts/users.service.ts';
import { UPDATE_JOB } from '../../src/insights/jobs.ts';
import { type ApiClient, apiClientFor, assertProblem, type Json } from '../helpers/activity-api.ts';
import { ADMIN, ALICE, BOB, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let alice: ApiClient;
let bob: ApiClient;
let admin: ApiClient;
let tracks: Json[];
const iso = (ms: number) => new Date(ms).toISOString();

/** Whole listens of `ids` one after another, ending `endAgoMs` before now. */
function session(ids: readonly string[], endAgoMs: number): Json[] {
  const byId = new Map(tracks.map((track) => [track.id, track]));
  let at = Date.now() - endAgoMs - ids.reduce((sum, id) => sum + byId.get(id).duration * 1000, 0);
  return ids.map((id) => {
    const heard = Math.round(byId.get(id).duration * 1000);
    at += heard;
    return {
      id: randomUUID(),
      trackId: id,
      type: 'complete',
      positionMs: heard,
      listenedMs: heard,
      at: iso(at),
      playerId: 'web',
    };
  });
}

async function takeIn(): Promise<void> {
  server.services.jobs.enqueue(UPDATE_JOB);
  await server.services.jobs.runDue();
}

before(async () => {
  server = await startSubsonicServer();
  alice = apiClientFor(server, ALICE.username);
  bob = apiClientFor(server, BOB.username);
  admin = apiClientFor(server, ADMIN.username);
  // Bob sees the second library only.
  await updateUser(server.db, BOB.username, { libraryIds: [server.libraries.second] });
  tracks = (await alice.ok('GET', '/tracks?limit=100')).items;
  assert.ok(tracks.length >= 4, `${tracks.length} tracks`);
  const [a, b, c] = tracks.map((track) => track.id);
  // Alice and the admin both play a, b and c together, in several sessions; Alice plays a three times.
  for (let i = 0; i < 3; i++) {
    await alice.ok('POST', '/listening/events', { events: session([a, b, c], (i + 1) * 3_600_000) }, 202);
    await admin.ok('POST', '/listening/events', { events: session([b, a, c], (i + 1) * 5_400_000) }, 202);
  }
  await takeIn();
});
after(() => server?.close());

describe('recommendations through the API', () => {
  it('lists shelves that say why they are there', async () => {
    const { shelves } = await alice.ok('GET', '/me/recommendations');
    const onRepeat = shelves.find((shelf: Json) => shelf.id === 'on-repeat');
    assert.ok(onRepeat, `shelves: ${shelves.map((shelf: Json) => shelf.id)}`);
    assert.equal(onRepeat.reason.kind, 'on-repeat');
    assert.match(onRepeat.reason.text, /30 days/);
    assert.deepEqual(
      new Set(onRepeat.tracks.map((track: Json) => track.id)),
      new Set(tracks.slice(0, 3).map((track) => track.id)),
    );
    const trending = shelves.find((shelf: Json) => shelf.id === 'trending-week');
    assert.ok(trending?.tracks.length >= 3);
  });

  it('gives co-listened tracks first as similar tracks, and through getSimilarSongs2', async () => {
    const [a, b, c] = tracks.map((track) => track.id);
    const similar = (await alice.ok('GET', `/tracks/${a}/similar?limit=5`)).items.map(
      (track: Json) => track.id,
    );
    assert.deepEqual(new Set(similar.slice(0, 2)), new Set([b, c]));
    assert.ok(!similar.includes(a));
    // Drawn at random by score: asking for every other track makes the check certain.
    const songs = (await server.json('getSimilarSongs2', { id: a, count: tracks.length - 1 })).similarSongs2
      .song as Json[];
    assert.ok(!songs.some((song) => song.id === a), 'never the seed');
    assert.ok(songs.some((song) => song.id === b) && songs.some((song) => song.id === c));
    assertProblem(await alice.get('/tracks/tr-nothing/similar'), 404);
  });

  it('plays a station that never repeats, for its owner only', async () => {
    const created = await alice.ok(
      'POST',
      '/stations',
      { seed: { type: 'track', id: tracks[0].id }, count: 2 },
      201,
    );
    assert.match(created.station.title, /radio$/);
    const given = created.tracks.map((track: Json) => track.id);
    const more = await alice.ok('POST', `/stations/${created.station.id}/next`, { count: 3 });
    for (const track of more.tracks) assert.ok(!given.includes(track.id), 'no repeat');
    assertProblem(await bob.post(`/stations/${created.station.id}/next`, { count: 3 }), 404);
    assertProblem(await alice.post('/stations', { seed: { type: 'album', id: 'al-none' } }), 404);
    assertProblem(await alice.post('/stations', { seed: { type: 'mood', id: 'x' } }), 400);
  });

  it('ranks trending and most played across sharing users', async () => {
    const trending = (await alice.ok('GET', '/insights/trending?period=day&kind=track')).items;
    assert.ok(trending.length >= 3);
    assert.equal(trending[0].rank, 1);
    assert.equal(trending[0].listeners, 2);
    const top = (await alice.ok('GET', '/insights/top?kind=track&by=plays&limit=3')).items;
    assert.equal(top[0].totals.plays, 6, 'three plays each by two listeners');
    assert.equal(top[0].totals.playThroughRate, 1);
    assert.ok((await alice.ok('GET', '/insights/top?kind=artist')).items.length >= 1);
    assertProblem(await alice.get('/insights/trending?period=year'), 400);
  });

  it("gives the caller's own statistics and year in music", async () => {
    const stats = await alice.ok('GET', '/me/stats?tz=60');
    assert.equal(stats.totals.plays, 9);
    assert.equal(stats.totals.skipRate, 0);
    assert.equal(
      stats.byHourOfDay.reduce((sum: number, ms: number) => sum + ms, 0),
      stats.totals.listenedMs,
    );
    assert.equal(stats.top.tracks.length, 3);
    assert.equal(stats.top.tracks[0].plays, 3);
    const year = await alice.ok('GET', `/me/stats/year/${new Date().getUTCFullYear()}`);
    assert.equal(year.totals.plays, 9);
    assert.equal(year.distinct.tracks, 3);
    assert.ok(year.firstPlay.track.id);
    assertProblem(await alice.get('/me/stats?from=yesterday'), 400);
    assertProblem(await alice.get('/me/stats/year/abc'), 400);
  });
});

describe('admin dashboard and privacy', () => {
  it('shows admins totals, and a user’s details only with their consent', async () => {
    const overview = await admin.ok('GET', '/admin/insights/overview');
    const aliceRow = overview.perUser.find((row: Json) => row.username === ALICE.username);
    assert.equal(aliceRow.totals.plays, 9);
    assert.equal(overview.activeUsers.day, 2);
    assertProblem(await alice.get('/admin/insights/overview'), 403);
    const aliceId = server.userId(ALICE.username);
    assertProblem(await admin.get(`/admin/users/${aliceId}/stats`), 403, /private/);
    assert.deepEqual(await alice.ok('PATCH', '/me/privacy', { historyVisibleToAdmins: true }), {
      shareListening: true,
      historyVisibleToAdmins: true,
    });
    assert.equal((await admin.ok('GET', `/admin/users/${aliceId}/stats`)).totals.plays, 9);
    const active = (await admin.ok('GET', '/admin/insights/active-listeners?stepSeconds=600')).items;
    assert.equal(active.length, 144);
    assert.ok(
      active.some((point: Json) => point.listeners === 2),
      'both listened at once at some point',
    );
    assertProblem(await alice.patch('/me/privacy', { nothing: true }), 400);
  });

  it('takes a private listener out of trends and totals, and forgets a history', async () => {
    await admin.ok('PATCH', '/me/privacy', { shareListening: false });
    const recompute = server.db
      .prepare("SELECT count(*) FROM job WHERE kind = 'insights-recompute' AND state = 'queued'")
      .pluck()
      .get();
    assert.equal(recompute, 1, 'the models are rebuilt without them');
    await server.services.jobs.runDue();
    const top = (await alice.ok('GET', '/insights/top?kind=track&by=plays&limit=1')).items;
    assert.equal(top[0].totals.plays, 3, "only alice's plays count now");
    const trending = (await alice.ok('GET', '/insights/trending?period=day')).items;
    assert.equal(trending[0].listeners, 1);

    await alice.ok('DELETE', '/me/listening');
    const stats = await alice.ok('GET', '/me/stats');
    assert.equal(stats.totals.listens, 0);
    const { shelves } = await alice.ok('GET', '/me/recommendations');
    assert.ok(!shelves.some((shelf: Json) => shelf.id === 'on-repeat'), 'nothing on repeat any more');
  });
});

describe('history import through the API', () => {
  it('imports an export body for the caller, matching only tracks they may see', async () => {
    const track = tracks[1];
    const file = JSON.stringify([
      {
        listened_at: Math.floor(Date.now() / 1000) - 86_400,
        track_metadata: { artist_name: track.artistName, track_name: track.title },
      },
    ]);
    const imported = await alice.call('POST', '/me/listening/import', file, {
      contentType: 'application/json',
    });
    assert.equal(imported.status, 200, imported.text);
    assert.deepEqual(
      [imported.body.format, imported.body.matched, imported.body.byName],
      ['listenbrainz', 1, 1],
    );
    assert.equal((await alice.ok('GET', '/me/stats')).totals.plays, 1);
    const hidden = await bob.call('POST', '/me/listening/import', file, { contentType: 'application/json' });
    assert.equal(hidden.status, 200);
    assert.deepEqual([hidden.body.matched, hidden.body.unmatched], [0, 1], "bob cannot see alice's library");
    assertProblem(
      await alice.call('POST', '/me/listening/import', '{"playlists": []}', {
        contentType: 'application/json',
      }),
      400,
      /not a listening history/,
    );
  });
});
