// What logging in and being logged in cost (issue 13):
//   - argon2id with the server's parameters (19 MiB, 2 passes, 1 lane): one hash and one verification,
//     median of 20, in this process;
//   - POST /api/v1/auth/login on a server in its own process: 50 logins one after another (p50/p99), and
//     the rate with 4 at once (argon2 runs in libuv's pool of 4 threads);
//   - an authenticated request (GET /api/v1/me) at 32 connections, with a session's access token (JWT
//     check + a session row read per request) and with an API key (a SHA-256 + a row read), to show what a
//     session costs per request.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey } from '../src/accounts/api-keys.ts';
import { hashPassword, verifyPasswordHash } from '../src/accounts/password.ts';
import { createUser } from '../src/accounts/users.service.ts';
import { Database } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { load, startServer, WARM_UP_SECONDS } from './load.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
const USER = 'bench';
const PASSWORD = 'bench-password';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COLD_LOGINS = 50;
const PARALLEL_LOGINS = 80;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function login(
  url: string,
  username = USER,
): Promise<{ status: number; body: { accessToken?: string } }> {
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD, device: 'bench' }),
  });
  return { status: response.status, body: (await response.json()) as { accessToken?: string } };
}

export async function main(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  const hashTimes: number[] = [];
  const verifyTimes: number[] = [];
  let hash = '';
  for (let i = 0; i < 20; i++) {
    hashTimes.push(
      await timed(async () => {
        hash = await hashPassword(PASSWORD);
      }),
    );
    verifyTimes.push(await timed(() => verifyPasswordHash(hash, PASSWORD)));
  }
  figures.argon2idHashMs =
    Math.round(
      percentile(
        hashTimes.sort((a, b) => a - b),
        50,
      ) * 10,
    ) / 10;
  figures.argon2idVerifyMs =
    Math.round(
      percentile(
        verifyTimes.sort((a, b) => a - b),
        50,
      ) * 10,
    ) / 10;
  process.stderr.write(
    `argon2id: hash ${figures.argon2idHashMs} ms, verify ${figures.argon2idVerifyMs} ms\n`,
  );

  fs.mkdirSync(WORK, { recursive: true });
  const file = path.join(WORK, 'auth-bench.db');
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  fs.rmSync(`${file}.data`, { recursive: true, force: true });
  const db = Database.open(file);
  await migrateToLatest(db);
  await createUser(db, { username: USER, password: PASSWORD, isAdmin: true });
  // One user per timed login: a second login with the same password within a minute is answered from the
  // credential cache (credential-cache.ts), which would hide argon2's cost.
  for (let i = 0; i < COLD_LOGINS + PARALLEL_LOGINS; i++)
    await createUser(db, { username: `listener${i}`, password: PASSWORD });
  const key = createApiKey(db, USER, 'bench').key;
  await db.close();

  const { url, child } = await startServer(file, USER, PASSWORD);
  try {
    // Logins one after another (the first warms up), each of a user not logged in before.
    await login(url);
    const loginTimes: number[] = [];
    for (let i = 0; i < COLD_LOGINS; i++) {
      loginTimes.push(
        await timed(async () => {
          const answer = await login(url, `listener${i}`);
          if (answer.status !== 200) throw new Error(`login failed: ${answer.status}`);
        }),
      );
    }
    loginTimes.sort((a, b) => a - b);
    figures.loginP50Ms = Math.round(percentile(loginTimes, 50) * 10) / 10;
    figures.loginP99Ms = Math.round(percentile(loginTimes, 99) * 10) / 10;
    // Four at a time for a fixed count: the rate the server can check passwords at.
    const started = performance.now();
    let next = COLD_LOGINS;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < COLD_LOGINS + PARALLEL_LOGINS) await login(url, `listener${next++}`);
      }),
    );
    figures.loginsPerSecond = Math.round((PARALLEL_LOGINS / (performance.now() - started)) * 1000 * 10) / 10;
    process.stderr.write(
      `login: p50 ${figures.loginP50Ms} ms, p99 ${figures.loginP99Ms} ms, ${figures.loginsPerSecond} logins/s with 4 at once\n`,
    );

    const token = (await login(url)).body.accessToken!;
    for (const [name, header] of [
      ['meWithSession', `Bearer ${token}`],
      ['meWithApiKey', `Bearer ${key}`],
    ] as const) {
      await load(url, name, () => '/api/v1/me', WARM_UP_SECONDS, 32, { Authorization: header });
      const run = await load(url, name, () => '/api/v1/me', SECONDS, 32, { Authorization: header });
      figures[`${name}P50Ms`] = run.p50;
      figures[`${name}P99Ms`] = run.p99;
      figures[`${name}Rps`] = run.rps;
      figures[`${name}Errors`] = run.errors;
    }
  } finally {
    child.kill('SIGTERM');
  }
  return figures;
}
