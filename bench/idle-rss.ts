// Idle memory of `tonearm serve` from one or more checkouts, side by side: before/after comparisons of a
// change (docs/benchmarks.md, issue 13 closing). Each checkout must have its build (npm run build). Starts
// `bin/tonearm.js serve` of each on the small generated library (bench/.work/lib-4x3x5, made by `npm run
// bench -- memory` or scan), waits for the start-up scan, the idle memory release and a settled RSS (as
// bench/memory.bench.ts does), and prints VmRSS; the checkouts take turns, ROUNDS times (default 3).
// Usage: node bench/idle-rss.ts /path/to/checkout-a /path/to/checkout-b
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const LIBRARY = path.join(BENCH_DIR, '.work', 'lib-4x3x5');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** The idle release runs after 15 s without a request (src/app/idle-memory.ts); then a little more. */
const IDLE_WAIT_MS = 22_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function rssMB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]) / 1024;
}

async function idleRss(checkout: string): Promise<number> {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-idle-'));
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TONEARM_')));
  const args = [path.join(checkout, 'bin', 'tonearm.js'), 'serve', '--music', LIBRARY, '--data', data];
  args.push('--host', '127.0.0.1', '--port', String(port), '--log-level', 'info');
  const child = spawn(process.execPath, args, { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (chunk) => (logs += chunk));
  child.stderr!.on('data', (chunk) => (logs += chunk));
  try {
    while (!logs.includes('"msg":"scan finished"')) {
      if (child.exitCode !== null) throw new Error(`serve exited:\n${logs.slice(-2000)}`);
      await sleep(200);
    }
    await sleep(IDLE_WAIT_MS);
    const samples: number[] = [];
    for (let second = 0; second < 30; second++) {
      await sleep(1_000);
      samples.push(rssMB(child.pid!));
      const last = samples.slice(-6);
      if (last.length === 6 && Math.max(...last) - Math.min(...last) < 1) break;
    }
    return rssMB(child.pid!);
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(data, { recursive: true, force: true });
  }
}

const checkouts = process.argv.slice(2).map((checkout) => path.resolve(checkout));
if (checkouts.length === 0 || !fs.existsSync(LIBRARY)) {
  process.stderr.write(`usage: node bench/idle-rss.ts CHECKOUT [CHECKOUT...] (needs ${LIBRARY})\n`);
  process.exit(2);
}
for (let round = 1; round <= ROUNDS; round++) {
  for (const checkout of checkouts) {
    process.stdout.write(
      `round ${round}  ${checkout}  idle RSS ${(await idleRss(checkout)).toFixed(1)} MB\n`,
    );
  }
}
