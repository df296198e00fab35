// Recommendations and analytics at scale (issue 14): 1,000,000 listening events from 100 users over the
// 100k-track synthetic database, each event a whole listen (as an offline player's history arrives:
// complete, or a skip a quarter of the time), sent through the listening service in batches of 500 and
// kept cached beside the synthetic database. Each user has three taste clusters of 500 tracks (85% of
// their listening, Zipf-like inside each) and listens to the server's hits the rest of the time, in
// sessions of twelve over a year.
// Figures:
//   - the full recompute (the insights-recompute job: track and artist neighbours, totals, trends), time
//     and peak RSS, in its own process. Target: <= 60 s, <= 500 MB; then every listener's daily mixes
//     (which the job queues after itself), in another;
//   - the incremental update after 1,000 new events (insights-update). Target: <= 2 s; and the trends
//     on their own (the update refreshes them at most every ten minutes, so they are not in it);
//   - the recommendation and analytics routes at 32 connections, as shipped and without kept answers.
//     Target: p99 <= 30 ms.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey } from '../src/accounts/api-keys.ts';
import { createUser, findUserByName, type User } from '../src/accounts/users.service.ts';
import { Database } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { ingestEvents, type ListeningEventInput } from '../src/listening/listening.service.ts';
import { load, startServer, WARM_UP_SECONDS } from './load.ts';
import { seeded } from './seeded.ts';
import { syntheticCopy } from './synthetic-db.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
const TRACKS = 100_000;
const USERS = 100;
const EVENTS = Number(process.env.INSIGHTS_EVENTS ?? 1_000_000);
const CLUSTER = 500;
const SESSION = 12;
const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const HISTORY_VERSION = 4;
const DAY = 86_400_000;
const NOW = Date.now();
const file = path.join(WORK, 'insights-bench.db');

function zipf(count: number, random: () => number): number {
  // Inverse of a power-law CDF: small indexes far more often than large ones.
  return Math.min(count - 1, Math.floor(count * random() ** 3));
}

/** The cached history database (built when missing or stale), copied to `file`. */
async function historyCopy(): Promise<void> {
  const source = path.join(WORK, `insights-history-${EVENTS}.db`);
  const tag = `${HISTORY_VERSION}:${EVENTS}`;
  let fresh = false;
  if (fs.existsSync(source)) {
    const db = Database.open(source, { readonly: true });
    try {
      fresh =
        db.sqlite.prepare("SELECT value FROM setting WHERE key = 'bench.insights'").pluck().get() === tag;
    } catch {
      fresh = false;
    } finally {
      db.sqlite.close();
    }
  }
  if (!fresh) await buildHistory(source, tag);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  const db = Database.open(source);
  db.backupTo(file);
  await db.close();
}

async function buildHistory(source: string, tag: string): Promise<void> {
  const db = await syntheticCopy(source, TRACKS);
  await migrateToLatest(db);
  const tracks = db.sqlite.prepare('SELECT id, duration FROM track ORDER BY pk').all() as {
    id: string;
    duration: number;
  }[];
  const random = seeded(1414);
  const started = Date.now();
  const perUser = Math.ceil(EVENTS / USERS);
  let sent = 0;
  for (let u = 0; u < USERS; u++) {
    const username = `listener${u}`;
    const user: User =
      findUserByName(db, username) ?? (await createUser(db, { username, password: 'listener-password' }));
    const clusters = [0, 1, 2].map(() => Math.floor(random() * (TRACKS / CLUSTER)));
    const count = Math.min(perUser, EVENTS - sent);
    const sessions = Math.ceil(count / SESSION);
    const events: ListeningEventInput[] = [];
    for (let s = 0; s < sessions && events.length < count; s++) {
      // A year up to yesterday (a session never runs into the future).
      let at = NOW - 366 * DAY + Math.floor(((s + random()) * 365 * DAY) / sessions);
      for (let i = 0; i < SESSION && events.length < count; i++) {
        const index =
          random() < 0.85
            ? clusters[Math.floor(random() * 3)]! * CLUSTER + zipf(CLUSTER, random)
            : zipf(TRACKS, random);
        const track = tracks[index]!;
        const durationMs = Math.round(track.duration * 1000);
        const skip = random() < 0.25;
        const heard = skip ? Math.min(10_000, durationMs) : durationMs;
        at += heard;
        events.push({
          id: `${u}-${events.length}`,
          trackId: track.id,
          type: skip ? 'skip' : 'complete',
          positionMs: heard,
          listenedMs: heard,
          at,
          playerId: 'phone',
        });
        at += 1000;
      }
    }
    for (let i = 0; i < events.length; i += 500)
      ingestEvents(db, user, events.slice(i, i + 500), 'import', NOW);
    sent += events.length;
    if (u % 10 === 9)
      process.stderr.write(`history: ${sent} events, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  db.sqlite.prepare("INSERT OR REPLACE INTO setting (key, value) VALUES ('bench.insights', ?)").run(tag);
  await db.close();
}

function child(mode: 'full' | 'incremental' | 'mixes'): Record<string, number> {
  const out = execFileSync(process.execPath, [path.join(BENCH_DIR, 'insights-child.ts'), file, mode], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
}

/** 1,000 new events: whole listens by ten users, now. */
function newEvents(): void {
  const db = Database.open(file);
  const tracks = db.sqlite.prepare('SELECT id, duration FROM track ORDER BY pk').all() as {
    id: string;
    duration: number;
  }[];
  const random = seeded(99);
  for (let u = 0; u < 10; u++) {
    const user = findUserByName(db, `listener${u}`)!;
    let at = NOW - 3 * 3_600_000;
    const events: ListeningEventInput[] = [];
    for (let i = 0; i < 100; i++) {
      const track = tracks[zipf(TRACKS, random)]!;
      const heard = Math.round(track.duration * 1000);
      at += heard + 1000;
      events.push({
        id: `new-${u}-${i}`,
        trackId: track.id,
        type: 'complete',
        positionMs: heard,
        listenedMs: heard,
        at,
        playerId: 'web',
      });
    }
    ingestEvents(db, user, events, 'api', Date.now());
  }
  db.sqlite.close();
}

export async function main(): Promise<Record<string, number>> {
  fs.mkdirSync(WORK, { recursive: true });
  await historyCopy();
  const figures: Record<string, number> = {};
  {
    const db = Database.open(file, { readonly: true });
    figures['insights.events'] = db.sqlite
      .prepare('SELECT count(*) FROM listening_event')
      .pluck()
      .get() as number;
    figures['insights.plays'] = db.sqlite
      .prepare("SELECT count(*) FROM listen WHERE outcome = 'play'")
      .pluck()
      .get() as number;
    figures['insights.users'] = USERS;
    db.sqlite.close();
  }
  const full = child('full');
  process.stderr.write(`full recompute: ${JSON.stringify(full)}\n`);
  figures['insights.full_recompute.seconds'] = full.seconds!;
  figures['insights.full_recompute.peak_rss_mb'] = full.maxRssMb!;
  figures['insights.full_recompute.track_lists'] = full.trackLists!;
  figures['insights.full_recompute.artist_lists'] = full.artistLists!;
  // A second full run over unchanged lists writes only what moved (the nightly case).
  const again = child('full');
  figures['insights.full_recompute_again.seconds'] = again.seconds!;
  figures['insights.full_recompute_again.peak_rss_mb'] = again.maxRssMb!;
  const mixes = child('mixes');
  process.stderr.write(`mixes and trends: ${JSON.stringify(mixes)}\n`);
  figures['insights.mixes_all_users.seconds'] = mixes.seconds!;
  figures['insights.mixes_all_users.peak_rss_mb'] = mixes.maxRssMb!;
  figures['insights.trends.seconds'] = mixes.trendsSeconds!;
  newEvents();
  const incremental = child('incremental');
  process.stderr.write(`incremental update: ${JSON.stringify(incremental)}\n`);
  figures['insights.incremental_1000_events.seconds'] = incremental.seconds!;
  figures['insights.incremental_1000_events.peak_rss_mb'] = incremental.maxRssMb!;

  // The routes, as shipped and without kept answers.
  for (const [suffix, env] of [
    ['', {}],
    ['_uncached', { TONEARM_ANSWER_CACHE: '0' }],
  ] as const) {
    const { url, child: server } = await startServer(file, 'bench', 'bench-password', undefined, env);
    try {
      const keys = Database.open(file);
      const user = { Authorization: `Bearer ${createApiKey(keys, 'listener0', `bench${suffix}`).key}` };
      const admin = { Authorization: `Bearer ${createApiKey(keys, 'bench', `bench${suffix}`).key}` };
      const popular = keys.sqlite
        .prepare("SELECT subject_id FROM insight_total WHERE kind = 'track' ORDER BY plays DESC LIMIT 500")
        .pluck()
        .all() as string[];
      await keys.close();
      const random = seeded(7);
      const cases: [string, () => string, Record<string, string>][] = [
        ['recommendations', () => '/api/v1/me/recommendations', user],
        [
          'similar_tracks',
          () => `/api/v1/tracks/${popular[Math.floor(random() * popular.length)]}/similar`,
          user,
        ],
        [
          'trending',
          () => `/api/v1/insights/trending?period=${['day', 'week', 'month'][Math.floor(random() * 3)]}`,
          user,
        ],
        ['top_skip_rate', () => '/api/v1/insights/top?by=skipRate&kind=artist', user],
        ['my_stats', () => '/api/v1/me/stats', user],
        ['dashboard', () => '/api/v1/admin/insights/overview', admin],
      ];
      const only = process.env.BENCH_ONLY?.split(',');
      for (const [base, pathFor, headers] of cases) {
        const name = base + suffix;
        if (only && !only.includes(name)) continue;
        await load(url, name, pathFor, WARM_UP_SECONDS, CONNECTIONS, headers);
        const run = await load(url, name, pathFor, SECONDS, CONNECTIONS, headers);
        figures[`insights.${name}.p50_ms`] = run.p50;
        figures[`insights.${name}.p99_ms`] = run.p99;
        figures[`insights.${name}.req_per_s`] = run.rps;
        figures[`insights.${name}.errors`] = run.errors;
      }
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
  }
  return figures;
}
