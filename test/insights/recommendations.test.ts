// Recommendations from a synthetic history with clear taste clusters (test/insights/taste-history.ts),
// through the real jobs on a real database: a listener's recommendations come from their cluster and
// foresee their held-out plays better than popularity does (both figures printed); similar tracks and
// artists stay in their genre; an incremental update gives the lists a full recompute gives; trends,
// daily mixes around each taste cluster, radio without repeats, and privacy.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createUser } from '../../src/accounts/users.service.ts';
import { Database } from '../../src/db/database.ts';
import { setPrivacy, topTotals, trendingIds } from '../../src/insights/analytics.repository.ts';
import { RECOMPUTE_JOB, registerInsightJobs, UPDATE_JOB } from '../../src/insights/jobs.ts';
import { refreshMixes } from '../../src/insights/mixes.ts';
import { neighboursOf } from '../../src/insights/model.repository.ts';
import { heardByUser } from '../../src/insights/personal.repository.ts';
import { createStation, nextFromStation, radioBatch } from '../../src/insights/radio.ts';
import {
  recommendedTrackIds,
  similarArtistIds,
  similarTrackIds,
} from '../../src/insights/recommendations.ts';
import { TRENDS_EVERY_MS } from '../../src/insights/trending.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import { ingestEvents, type ListeningEventInput } from '../../src/listening/listening.service.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { makeTempDatabase } from '../helpers/http.ts';
import { seededRandom } from '../helpers/random.ts';
import { NOW, seedTasteHistory, type TasteServer, trackId } from './taste-history.ts';

const EVERYTHING = { libraryIds: undefined } as never;

async function runJob(db: Database, kind: string, now = NOW): Promise<void> {
  const queue = new JobQueue({ db, logger: silentLogger, clock: () => now });
  registerInsightJobs(queue, db, () => now);
  queue.enqueue(kind);
  await queue.runDue();
  const failed = db.sqlite.prepare("SELECT last_error FROM job WHERE state = 'failed'").pluck().all();
  assert.deepEqual(failed, [], 'no job failed');
}

function completeEvents(prefix: string, trackIds: readonly string[], start: number): ListeningEventInput[] {
  return trackIds.map((id, index) => ({
    id: `${prefix}-${index}`,
    trackId: id,
    type: 'complete' as const,
    positionMs: 200_000,
    listenedMs: 200_000,
    at: start + (index + 1) * 200_000,
    playerId: 'desk',
  }));
}

describe('recommendations from a history with taste clusters', () => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let server: TasteServer;

  before(async () => {
    ({ db, cleanup } = await makeTempDatabase());
    server = await seedTasteHistory(db);
    await runJob(db, RECOMPUTE_JOB);
  });
  after(() => cleanup());

  it("recommends from the listener's own cluster, and beats popularity at precision@10 on held-out plays", () => {
    let modelHits = 0;
    let popularHits = 0;
    let inCluster = 0;
    let recommended = 0;
    const popular = topTotals(db, 'track', 'plays', 400, 1).map((row) => row.subjectId);
    for (const { user, genre, heldOut } of server.users) {
      const recs = recommendedTrackIds(db, user.id, 10, NOW).map((item) => item.id);
      assert.equal(recs.length, 10, `ten recommendations for ${user.username}`);
      const heard = heardByUser(db, user.id);
      assert.ok(
        recs.every((id) => !heard.has(id)),
        'only tracks new to the listener',
      );
      recommended += recs.length;
      inCluster += recs.filter((id) => server.genreOf.get(id) === genre).length;
      modelHits += recs.filter((id) => heldOut.has(id)).length;
      const baseline = popular.filter((id) => !heard.has(id)).slice(0, 10);
      popularHits += baseline.filter((id) => heldOut.has(id)).length;
    }
    const precision = modelHits / recommended;
    const baselinePrecision = popularHits / recommended;
    console.log(
      `precision@10 on held-out plays: co-listening ${precision.toFixed(3)}, popularity ${baselinePrecision.toFixed(3)} ` +
        `(${server.users.length} listeners); ${((inCluster / recommended) * 100).toFixed(1)}% of recommendations in the listener's cluster`,
    );
    assert.ok(inCluster / recommended >= 0.9, 'recommendations come from the cluster');
    assert.ok(precision > baselinePrecision, 'better than popularity');
    assert.ok(precision >= 0.15, `useful (${precision})`);
  });

  it('finds similar tracks and artists in the same genre', () => {
    for (let genre = 0; genre < 4; genre++) {
      const seed = trackId(genre, 2, 3);
      const similar = similarTrackIds(db, seed, 20);
      assert.equal(similar.length, 20);
      const same = similar.filter((item) => server.genreOf.get(item.id) === genre).length;
      assert.ok(same >= 18, `similar to ${seed}: ${same} of 20 in its genre`);
      const artists = similarArtistIds(db, `ar-g${genre}a2`, 5);
      assert.ok(
        artists.every((id) => id.startsWith(`ar-g${genre}`)),
        `artists like ar-g${genre}a2: ${artists.join(', ')}`,
      );
    }
  });

  it('falls back on what the files say for a track nobody played', () => {
    const unplayed = [...server.genreOf.keys()].find(
      (id) => db.sqlite.prepare('SELECT 1 FROM listen WHERE track_id = ?').get(id) === undefined,
    );
    assert.ok(unplayed, 'the history leaves some tracks unplayed');
    const similar = similarTrackIds(db, unplayed, 10);
    assert.equal(similar.length, 10);
    assert.ok(similar.every((item) => server.genreOf.get(item.id) === server.genreOf.get(unplayed)));
  });

  it('gives after an incremental update the lists a full recompute gives', async () => {
    const listener = server.users[0]!.user;
    const played = [trackId(0, 7, 9), trackId(0, 6, 9), trackId(0, 7, 8), trackId(0, 5, 9)];
    ingestEvents(db, listener, completeEvents('incremental', played, NOW - 3_600_000), 'api', NOW);
    await runJob(db, UPDATE_JOB);
    assert.equal(db.sqlite.prepare('SELECT count(*) FROM insight_dirty').pluck().get(), 0, 'all taken in');
    const updated = played.map((id) => neighboursOf(db, 'track_similar', id, 25));
    const copy = `${db.file}.copy`;
    await db.sqlite.backup(copy);
    const fresh = Database.open(copy);
    try {
      await runJob(fresh, RECOMPUTE_JOB);
      const full = played.map((id) => neighboursOf(fresh, 'track_similar', id, 25));
      assert.deepEqual(updated, full);
    } finally {
      fresh.sqlite.close();
      fs.rmSync(copy, { force: true });
    }
  });

  it('ranks what many play now at the top of the trends', async () => {
    const hit = trackId(3, 7, 7);
    for (const { user } of server.users.slice(0, 6))
      ingestEvents(db, user, completeEvents(`trend-${user.id}`, [hit, hit], NOW - 7_200_000), 'api', NOW);
    // Trends move with the update once they are ten minutes old.
    await runJob(db, UPDATE_JOB, NOW + TRENDS_EVERY_MS);
    assert.equal(trendingIds(db, 'day', 'track', 1)[0], hit);
    assert.equal(trendingIds(db, 'day', 'artist', 1)[0], 'ar-g3a7');
  });

  it('makes a daily mix around each taste cluster of a listener', async () => {
    // A listener of two clusters: jazz in the morning, metal at night.
    const both = await createUser(db, { username: 'two-tastes', password: 'listener-pass' });
    const events: ListeningEventInput[] = [];
    for (let day = 0; day < 20; day++) {
      const jazz = [0, 1, 2, 3].map((a) => trackId(0, a, (day + a) % 10));
      const metal = [0, 1, 2, 3].map((a) => trackId(1, a, (day * 3 + a) % 10));
      events.push(...completeEvents(`mix-j${day}`, jazz, NOW - (40 - day) * 86_400_000));
      events.push(...completeEvents(`mix-m${day}`, metal, NOW - (40 - day) * 86_400_000 + 43_200_000));
    }
    ingestEvents(db, both, events, 'api', NOW);
    await runJob(db, RECOMPUTE_JOB);
    const mixes = refreshMixes(db, both.id, NOW);
    assert.ok(mixes.length >= 2, `${mixes.length} mixes`);
    const dominant = mixes.slice(0, 2).map((mix) => {
      const counts = [0, 0, 0, 0];
      for (const id of mix.trackIds) counts[server.genreOf.get(id)!]!++;
      const top = counts.indexOf(Math.max(...counts));
      assert.ok(counts[top]! / mix.trackIds.length >= 0.8, `${mix.title} keeps to one cluster: ${counts}`);
      assert.ok(mix.trackIds.length >= 30, `${mix.title} has ${mix.trackIds.length} tracks`);
      assert.equal(new Set(mix.trackIds).size, mix.trackIds.length, 'no track twice');
      return top;
    });
    assert.deepEqual([...dominant].sort(), [0, 1], 'one mix for jazz, one for metal');
    assert.match(mixes[0]!.description, / and /);
  });

  it('plays a radio without repeats, and in the seed’s genre first', () => {
    const listener = server.users[8]!.user;
    const seed = trackId(1, 0, 0);
    const station = createStation(db, EVERYTHING, listener.id, { type: 'track', id: seed }, NOW);
    // Drawn at random by score: seeded, so the figures below are the same on every run.
    const random = seededRandom(25);
    const given = new Set<string>();
    // The library holds 360 tracks, the seed among them: fourteen full batches, the last nine, then nothing.
    for (let batch = 0; batch < 14; batch++) {
      const { tracks } = nextFromStation(db, EVERYTHING, listener.id, station.id, 25, NOW, random);
      assert.equal(tracks.length, 25, `batch ${batch} is full`);
      if (batch === 0) {
        const metal = tracks.filter((track) => server.genreOf.get(track.id) === 1).length;
        assert.ok(metal >= 20, `${metal} of the first 25 are metal`);
        const perArtist = new Map<string, number>();
        for (const track of tracks) perArtist.set(track.artistId, (perArtist.get(track.artistId) ?? 0) + 1);
        assert.ok(Math.max(...perArtist.values()) <= 5, 'a fifth at most by one artist');
        assert.ok(
          tracks.every((track, i) => i === 0 || track.artistId !== tracks[i - 1]!.artistId),
          'never one artist twice in a row',
        );
      }
      for (const track of tracks) {
        assert.ok(!given.has(track.id), `${track.id} given twice`);
        given.add(track.id);
      }
    }
    const last = nextFromStation(db, EVERYTHING, listener.id, station.id, 25, NOW, random).tracks;
    assert.equal(last.length, 9, 'the rest of the library');
    assert.ok(last.every((track) => !given.has(track.id) && track.id !== seed));
    assert.equal(nextFromStation(db, EVERYTHING, listener.id, station.id, 25, NOW, random).tracks.length, 0);
    assert.throws(
      () => nextFromStation(db, EVERYTHING, server.users[0]!.user.id, station.id, 5, NOW),
      /no station/,
      "another user's station is not found",
    );
    const genre = radioBatch(db, EVERYTHING, { type: 'genre', id: 'Folk' }, 20);
    assert.ok(genre.every((track) => server.genreOf.get(track.id) === 3));
  });

  it("leaves a private listener's listening out of everyone's models and trends", async () => {
    const odd = await createUser(db, { username: 'odd-pairs', password: 'listener-pass' });
    // An unlikely pair, over and over: folk and electronic, only this listener.
    const pair = [trackId(3, 0, 9), trackId(2, 0, 9)];
    const events: ListeningEventInput[] = [];
    for (let i = 0; i < 30; i++)
      events.push(...completeEvents(`odd-${i}`, pair, NOW - (i + 1) * 4 * 3_600_000));
    ingestEvents(db, odd, events, 'api', NOW);
    await runJob(db, RECOMPUTE_JOB);
    const linked = () => neighboursOf(db, 'track_similar', pair[0]!, 25).some((item) => item.id === pair[1]);
    assert.ok(linked(), 'shared: the pair is co-listened');
    setPrivacy(db, odd.id, { shareListening: 0 });
    await runJob(db, RECOMPUTE_JOB);
    assert.ok(!linked(), 'private: the pair is gone from the model');
    const total = db.sqlite
      .prepare("SELECT plays FROM insight_total WHERE kind = 'track' AND subject_id = ?")
      .pluck()
      .get(pair[1]) as number | undefined;
    const othersPlays = db.sqlite
      .prepare(`SELECT coalesce(sum(plays), 0) FROM listen_stat WHERE track_id = ? AND user_id <> ?`)
      .pluck()
      .get(pair[1], odd.id) as number;
    assert.equal(total ?? 0, othersPlays, 'server totals leave the private listener out');
    assert.ok(recommendedTrackIds(db, odd.id, 10, NOW).length > 0, 'their own recommendations go on');
  });
});
