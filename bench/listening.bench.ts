// Ingest of listening events (issue 14): POST /api/v1/listening/events with batches of 500 on the
// 100k-track synthetic database, the server in its own process (bench/server-child.ts), 20 users each with
// an API key, CONCURRENCY batches in flight. Each batch is one user's listening: whole listens (a start,
// sometimes a pause and resume, then a complete, skip or stop), on a few players, in time order, each
// event with its own id. The batches are made before the clock starts (the generator shares the cores).
// Figures: events stored per second, and the batch latency. Target (issue 14): >= 5,000 events/s.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey } from '../src/accounts/api-keys.ts';
import { createUser, findUserByName } from '../src/accounts/users.service.ts';
import { Database } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { startServer } from './load.ts';
import { syntheticCopy } from './synthetic-db.ts';
import { seeded } from './seeded.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
const TRACKS = 100_000;
const USERS = 20;
const BATCH = 500;
const CONCURRENCY = 4;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const file = path.join(WORK, 'listening-bench.db');

interface Track {
  id: string;
  duration: number;
}

/** One user's listening, BATCH events in time order, starting at `from`. */
function batchOf(tracks: readonly Track[], random: () => number, from: number): object[] {
  const events: object[] = [];
  let at = from;
  const player = `player-${Math.floor(random() * 3)}`;
  while (events.length < BATCH) {
    const track = tracks[Math.floor(random() * tracks.length)]!;
    const durationMs = Math.round(track.duration * 1000);
    const heard = Math.round(durationMs * (random() < 0.3 ? random() * 0.2 : 0.5 + random() * 0.5));
    const event = (type: string, listenedMs: number) => ({
      id: randomUUID(),
      trackId: track.id,
      type,
      positionMs: listenedMs,
      listenedMs,
      at: new Date(at + listenedMs).toISOString(),
      playerId: player,
    });
    events.push(event('start', 0));
    if (random() < 0.2 && events.length < BATCH - 2) {
      events.push(event('pause', Math.round(heard / 2)), event('resume', Math.round(heard / 2)));
    }
    const end = heard >= durationMs * 0.95 ? 'complete' : random() < 0.7 ? 'skip' : 'stop';
    if (events.length < BATCH) events.push(event(end, heard));
    at += heard + 1000;
  }
  return events.slice(0, BATCH);
}

export async function main(): Promise<Record<string, number>> {
  const db = await syntheticCopy(file, TRACKS);
  await migrateToLatest(db);
  const users = Array.from({ length: USERS }, (_, index) => `listener${index}`);
  for (const username of users)
    if (!findUserByName(db, username)) await createUser(db, { username, password: 'listener-password' });
  const tracks = db.sqlite.prepare('SELECT id, duration FROM track ORDER BY pk').all() as Track[];
  await db.close();

  const { url, child } = await startServer(file, 'bench', 'bench-password');
  const figures: Record<string, number> = {};
  try {
    const keys = Database.open(file);
    const headers = users.map((username) => ({
      Authorization: `Bearer ${createApiKey(keys, username, 'bench').key}`,
      'Content-Type': 'application/json',
    }));
    await keys.close();
    const random = seeded(14);
    // Enough batches for the run at a generous rate, made before the clock starts.
    const wanted = Math.ceil((SECONDS * 20_000) / BATCH) + CONCURRENCY;
    const start = Date.now() - 30 * 86_400_000;
    const bodies = Array.from({ length: wanted }, (_, index) => ({
      user: index % USERS,
      body: JSON.stringify({ events: batchOf(tracks, random, start + index * 3_600_000) }),
    }));
    let next = 0;
    let accepted = 0;
    let duplicates = 0;
    const latencies: number[] = [];
    const deadline = performance.now() + SECONDS * 1000;
    const began = performance.now();
    const sender = async () => {
      while (performance.now() < deadline && next < bodies.length) {
        const { user, body } = bodies[next++]!;
        const sent = performance.now();
        const response = await fetch(`${url}/api/v1/listening/events`, {
          method: 'POST',
          headers: headers[user],
          body,
        });
        const receipt = (await response.json()) as { accepted: string[]; duplicates: string[] };
        if (response.status !== 202)
          throw new Error(`answered ${response.status}: ${JSON.stringify(receipt)}`);
        latencies.push(performance.now() - sent);
        accepted += receipt.accepted.length;
        duplicates += receipt.duplicates.length;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, sender));
    const seconds = (performance.now() - began) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (share: number) => Number(latencies[Math.floor(share * (latencies.length - 1))]!.toFixed(1));
    figures['listening.ingest.events_per_s'] = Math.round(accepted / seconds);
    figures['listening.ingest.batches'] = latencies.length;
    figures['listening.ingest.batch_p50_ms'] = at(0.5);
    figures['listening.ingest.batch_p99_ms'] = at(0.99);
    figures['listening.ingest.duplicates'] = duplicates;
    const check = Database.open(file, { readonly: true });
    figures['listening.ingest.events_stored'] = check.sqlite
      .prepare('SELECT count(*) FROM listening_event')
      .pluck()
      .get() as number;
    figures['listening.ingest.listens'] = check.sqlite
      .prepare('SELECT count(*) FROM listen')
      .pluck()
      .get() as number;
    await check.close();
  } finally {
    child.kill('SIGTERM');
  }
  return figures;
}

if (import.meta.main) {
  const figures = await main();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(44)} ${value}\n`);
}
