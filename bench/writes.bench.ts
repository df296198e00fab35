// Acknowledged writes through the Subsonic API: what each costs now that a commit waits for the disk
// (synchronous=FULL, issue 10), on a 20,000-track synthetic database with the server in its own process
// (read workers as `tonearm serve` starts them).
//   - one client starring and unstarring songs, one request after the other: latency p50/p99
//   - 8 clients creating playlists of 10 songs at once: latency p50/p99 and playlists/s
// Every answer is checked to be ok; a write the server did not acknowledge would be an error here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './load.ts';
import { syntheticCopy } from './synthetic-db.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
const TRACKS = 20_000;
const SEQUENTIAL = 400;
const CLIENTS = 8;
const PER_CLIENT = 60;
const USER = 'bench';
const PASSWORD = 'bench-password';

function percentile(sorted: number[], share: number): number {
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!.toFixed(2));
}

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST' });
  const body = (await response.json()) as { 'subsonic-response': { status: string; error?: unknown } };
  if (body['subsonic-response'].status !== 'ok')
    throw new Error(`write refused: ${JSON.stringify(body['subsonic-response'].error)}`);
  return performance.now() - started;
}

export async function main(): Promise<Record<string, number>> {
  const file = path.join(WORK, 'writes-bench.db');
  const copy = await syntheticCopy(file, TRACKS);
  const songIds = copy.sqlite
    .prepare('SELECT id FROM track ORDER BY pk LIMIT 2000')
    .pluck()
    .all() as string[];
  await copy.close();

  const { url, child } = await startServer(file, USER, PASSWORD);
  const auth = `u=${USER}&p=${PASSWORD}&v=1.16.1&c=bench&f=json`;
  const figures: Record<string, number> = {};
  try {
    await fetch(`${url}/rest/ping?${auth}`); // argon2 once; later requests hit the credential cache
    const sequential: number[] = [];
    for (let index = 0; index < SEQUENTIAL; index++) {
      const id = songIds[index % songIds.length]!;
      sequential.push(await timed(`${url}/rest/${index % 2 === 0 ? 'star' : 'unstar'}?${auth}&id=${id}`));
    }
    sequential.sort((a, b) => a - b);
    figures['writes.star_sequential.p50_ms'] = percentile(sequential, 0.5);
    figures['writes.star_sequential.p99_ms'] = percentile(sequential, 0.99);

    const concurrent: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let index = 0; index < PER_CLIENT; index++) {
          const songs = Array.from(
            { length: 10 },
            (_, song) => `&songId=${songIds[(client * 97 + index * 10 + song) % songIds.length]}`,
          ).join('');
          concurrent.push(
            await timed(`${url}/rest/createPlaylist?${auth}&name=bench-${client}-${index}${songs}`),
          );
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    concurrent.sort((a, b) => a - b);
    figures['writes.create_playlist_8_clients.p50_ms'] = percentile(concurrent, 0.5);
    figures['writes.create_playlist_8_clients.p99_ms'] = percentile(concurrent, 0.99);
    figures['writes.create_playlist_8_clients.per_s'] = Math.round((CLIENTS * PER_CLIENT) / seconds);
  } finally {
    child.kill('SIGTERM');
  }
  return figures;
}

if (import.meta.main) {
  const figures = await main();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(44)} ${value}\n`);
}
