// The load generator and server process shared by the HTTP benchmarks. wrk (Debian package `wrk`, written
// in C) is used when installed, autocannon otherwise: autocannon itself needs most of a core to take in
// large answers, which would measure the generator rather than the server.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
export const WARM_UP_SECONDS = 2;
/** Paths generated ahead for wrk's script (it cycles through them). */
const WRK_PATHS = 4_000;

/** The server in its own process (server-child.ts); `musicDir` is scanned into the database first. */
export async function startServer(
  file: string,
  user: string,
  password: string,
  musicDir?: string,
  /** More environment for the server (TONEARM_ANSWER_CACHE=0...). */
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const args = [
    // SERVER_FLAGS: node/V8 flags for the server process only (experiments: --trace-gc, heap sizes).
    ...(process.env.SERVER_FLAGS ? process.env.SERVER_FLAGS.split(' ') : []),
    path.join(BENCH_DIR, 'server-child.ts'),
    file,
    user,
    password,
    ...(musicDir ? [musicDir] : []),
  ];
  const child = spawn(process.execPath, args, {
    // The thread pool `tonearm serve` runs with (src/cli/main.ts sets it before loading anything).
    env: { UV_THREADPOOL_SIZE: '16', ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      // SERVER_STDOUT: keep what the server prints (with SERVER_FLAGS=--trace-gc, its collections).
      if (process.env.SERVER_STDOUT) fs.appendFileSync(process.env.SERVER_STDOUT, chunk);
      const found = /^http:\/\/\S+/m.exec(out);
      if (found) resolve(found[0]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, child };
}

export interface Run {
  p50: number;
  p99: number;
  rps: number;
  errors: number;
}

export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export async function load(
  base: string,
  name: string,
  pathFor: () => string,
  seconds: number,
  connections: number,
  headers: Record<string, string> = {},
): Promise<Run> {
  const run = hasWrk()
    ? wrkLoad(base, pathFor, seconds, connections, headers)
    : await autocannonLoad(base, pathFor, seconds, connections, headers);
  if (seconds !== WARM_UP_SECONDS) {
    process.stderr.write(
      `${name}: p50 ${run.p50} ms, p99 ${run.p99} ms, ${run.rps} req/s, ${run.errors} errors\n`,
    );
  }
  return run;
}

async function autocannonLoad(
  base: string,
  pathFor: () => string,
  seconds: number,
  connections: number,
  headers: Record<string, string>,
): Promise<Run> {
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    // As Android (OkHttp/ExoPlayer) and desktop clients do.
    headers: { 'accept-encoding': 'gzip', ...headers },
    requests: [{ setupRequest: (request) => ({ ...request, path: pathFor() }) }],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: Math.round(result.requests.average),
    errors: bad,
  };
}

function wrkLoad(
  base: string,
  pathFor: () => string,
  seconds: number,
  connections: number,
  headers: Record<string, string>,
): Run {
  const paths = Array.from({ length: WRK_PATHS }, pathFor);
  const script = path.join(WORK, 'wrk-paths.lua');
  fs.writeFileSync(
    script,
    `local paths = {${paths.map((item) => JSON.stringify(item)).join(',\n')}}
local n = 0
request = function()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end
`,
  );
  const out = execFileSync(
    'wrk',
    [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      '-s',
      script,
      // Headers go on the command line: a table given to wrk.format() would replace these, not add to them.
      ...Object.entries({ 'Accept-Encoding': 'gzip', ...headers }).flatMap(([name, value]) => [
        '-H',
        `${name}: ${value}`,
      ]),
      base,
    ],
    { encoding: 'utf8' },
  );
  const ms = (label: string): number => {
    const match = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!match) throw new Error(`no ${label}% latency in wrk's output:\n${out}`);
    const factor = { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
    return Number((Number(match[1]) * factor).toFixed(2));
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const errors =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
    [...out.matchAll(/(connect|read|write|timeout) (\d+)/g)].reduce(
      (sum, match) => sum + Number(match[2]),
      0,
    );
  return { p50: ms('50'), p99: ms('99'), rps: Math.round(rps), errors };
}
