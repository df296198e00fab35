// The stalled-response check's look at the kernel's send queues (src/http/connections.ts) on a machine
// with 50,000 TCP sockets (Docker's host networking on a busy host shows the server all of them):
//   - synthetic: a /proc/net/tcp-format table of 50,000 lines (the server's port on 300 of them, as the
//     remote port on 20 more), 3 wanted sockets at 10 %, 50 % and the very end of it (the new code reads
//     to the end) and 1 at 10 % (it stops there). The code before the change (kept below as it was: read
//     the whole table, split every line) against the new one, in memory (the work on the main thread)
//     and from a file (the new code reads it in chunks off the main thread: wall time, and the main
//     thread's CPU time and event-loop busy time; on the real table also the longest the event loop
//     was held up, where the old code held it for its whole run);
//   - real: the same on this machine's /proc/net/tcp filled with 50,000 idle loopback sockets held by
//     child processes (bench/socket-holder-child.ts; TCP_BENCH_SOCKETS=0 skips it), where the kernel
//     also has to write the table out, looking up 3 sockets (and 1) of a local server whose clients do
//     not read; where they are in the table is up to the kernel's hash.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { readTcpTable, scanTcpTable, sendQueues, type WantedSockets } from '../src/http/connections.ts';
import { normalizeAddress } from '../src/shared/ip-address.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
const LINES = 50_000;
const PORT = 4533;
const REAL_SOCKETS = Number(process.env.TCP_BENCH_SOCKETS ?? 50_000);
/** Pairs of sockets per holder process: it must stay under its descriptor limit. */
const PAIRS_PER_HOLDER = 8_000;

// ---- The code before the change (src/http/connections.ts at 7ae2e32), with the files as a parameter.

function oldSendQueues(localPort: number, files: string[]): Map<string, number> | undefined {
  const queues = new Map<string, number>();
  let found = false;
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
      found = true;
    } catch {
      continue;
    }
    oldParse(text, localPort, queues);
  }
  return found ? queues : undefined;
}

function oldParse(text: string, localPort: number, queues: Map<string, number>): void {
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const remote = fields[2];
    if (!local || !remote || fields[3] !== '01') continue;
    if (Number.parseInt(local.slice(local.indexOf(':') + 1), 16) !== localPort) continue;
    const [addressHex = '', portHex = ''] = remote.split(':');
    const address = oldProcAddress(addressHex);
    if (!address) continue;
    const queued = Number.parseInt(fields[4]!.split(':')[0]!, 16);
    queues.set(`${address} ${Number.parseInt(portHex, 16)}`, queued);
  }
}

function oldProcAddress(hex: string): string | undefined {
  if (hex.length !== 8 && hex.length !== 32) return undefined;
  const bytes = Buffer.from(hex, 'hex');
  if (os.endianness() === 'LE')
    for (let word = 0; word < bytes.length; word += 4) bytes.subarray(word, word + 4).reverse();
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(bytes.readUInt16BE(index).toString(16));
  return normalizeAddress(groups.join(':'));
}

// ---- The synthetic table.

let seed = 42;
function random(): number {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
const hex = (value: number, digits: number) => value.toString(16).toUpperCase().padStart(digits, '0');

/** An IPv4 address as the kernel writes it on a little-endian machine (bench only). */
function v4(a: number, b: number, c: number, d: number): string {
  return hex(((d << 24) | (c << 16) | (b << 8) | a) >>> 0, 8);
}

/** A line as tcp4_seq_show writes it, padded to 149 characters. */
function line(sl: number, local: string, remote: string, state: string, queued: number): string {
  const text = `${String(sl).padStart(4)}: ${local} ${remote} ${state} ${hex(queued, 8)}:00000000 00:00000000 00000000  1000        0 ${100000 + sl} 1 0000000000000000 20 4 30 10 -1`;
  return text.padEnd(149);
}

interface Synthetic {
  text: string;
  /** Remote address and port of the wanted sockets, at 10 %, 50 % and the last line. */
  wanted: [string, number][];
}

function synthetic(): Synthetic {
  const ours = new Set<number>();
  while (ours.size < 300) ours.add(Math.floor(random() * LINES));
  const wantedAt = [Math.floor(LINES * 0.1), Math.floor(LINES * 0.5), LINES - 1];
  for (const at of wantedAt) ours.add(at);
  const lines = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'.padEnd(
      149,
    ),
  ];
  const wanted: [string, number][] = [];
  const server = v4(10, 0, 0, 2);
  for (let sl = 0; sl < LINES; sl++) {
    const peer = [192, 168, Math.floor(random() * 256), 1 + Math.floor(random() * 254)] as const;
    const peerPort = 1024 + Math.floor(random() * 60000);
    const state = random() < 0.85 ? '01' : random() < 0.5 ? '06' : '08';
    const queued = random() < 0.7 ? 0 : Math.floor(random() * 4_000_000);
    if (ours.has(sl)) {
      const at = wantedAt.includes(sl);
      lines.push(
        line(
          sl,
          `${server}:${hex(PORT, 4)}`,
          `${v4(...peer)}:${hex(peerPort, 4)}`,
          at ? '01' : state,
          queued,
        ),
      );
      if (at) wanted.push([peer.join('.'), peerPort]);
    } else if (sl % 2500 === 7) {
      // A proxy on this machine connected to the server: the port as the remote one.
      lines.push(line(sl, `${server}:${hex(peerPort, 4)}`, `${server}:${hex(PORT, 4)}`, '01', queued));
    } else {
      const port = 1024 + Math.floor(random() * 60000);
      lines.push(
        line(
          sl,
          `${server}:${hex(port === PORT ? port + 1 : port, 4)}`,
          `${v4(...peer)}:${hex(peerPort, 4)}`,
          state,
          queued,
        ),
      );
    }
  }
  return { text: `${lines.join('\n')}\n`, wanted };
}

// ---- Timing.

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!.toFixed(3));
}

function timeSync(runs: number, work: () => unknown): number[] {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  return times;
}

/**
 * Wall times, and per run the main thread's CPU time and its event loop's busy time (which also counts
 * the time the thread waited for a core while it had work: the machine is shared).
 */
async function timeAsync(
  runs: number,
  work: () => Promise<unknown>,
): Promise<{ wall: number[]; cpuMs: number; busyMs: number }> {
  const wall: number[] = [];
  const loop = performance.eventLoopUtilization();
  const cpu = process.threadCpuUsage();
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await work();
    wall.push(performance.now() - start);
  }
  const used = process.threadCpuUsage(cpu);
  const busy = performance.eventLoopUtilization(performance.eventLoopUtilization(), loop);
  return {
    wall,
    cpuMs: Number(((used.user + used.system) / 1000 / runs).toFixed(3)),
    busyMs: Number((busy.active / runs).toFixed(3)),
  };
}

/** The longest the event loop was held up during `runs` runs (a 1 ms timer; apart, as it costs CPU). */
async function longestDelay(runs: number, work: () => Promise<unknown>): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  for (let run = 0; run < runs; run++) await work();
  delay.disable();
  return Number((delay.max / 1e6).toFixed(2));
}

function wantedSockets(port: number, sockets: [string, number][]): WantedSockets {
  return {
    keys: new Set(sockets.map(([address, remotePort]) => `${port} ${address} ${remotePort}`)),
    ports: new Set([port]),
  };
}

function check(label: string, found: Map<string, number> | undefined, count: number): void {
  if (found?.size !== count) throw new Error(`${label}: found ${found?.size} of ${count} sockets`);
}

// ---- The real table.

async function holdSockets(total: number): Promise<ChildProcess[]> {
  const holders: ChildProcess[] = [];
  for (let pairs = total / 2; pairs > 0; pairs -= PAIRS_PER_HOLDER) {
    const child = spawn(
      process.execPath,
      [path.join(BENCH_DIR, 'socket-holder-child.ts'), String(Math.min(pairs, PAIRS_PER_HOLDER))],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    holders.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().startsWith('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`socket holder exited (${code})`)));
    });
  }
  return holders;
}

async function releaseSockets(holders: ChildProcess[]): Promise<void> {
  await Promise.all(
    holders.map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.stdin!.end();
        }),
    ),
  );
}

/** A server whose 3 clients never read: its sockets have bytes queued in the kernel. */
async function stalledServer(): Promise<{ sockets: net.Socket[]; close(): void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const sockets: net.Socket[] = [];
  const clients: net.Socket[] = [];
  const accepted = new Promise<void>((resolve) =>
    server.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.write(Buffer.alloc(8 << 20));
      if (sockets.push(socket) === 3) resolve();
    }),
  );
  for (let index = 0; index < 3; index++) {
    const client = net.connect(port, '127.0.0.1');
    client.pause();
    client.on('error', () => {});
    clients.push(client);
  }
  await accepted;
  return {
    sockets,
    close() {
      for (const socket of [...clients, ...sockets]) socket.destroy();
      server.close();
    },
  };
}

function lines(file: string): number {
  return fs.readFileSync(file, 'latin1').split('\n').length - 2;
}

export async function main(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  fs.mkdirSync(WORK, { recursive: true });
  const { text, wanted } = synthetic();
  const file = path.join(WORK, 'tcp-50k');
  fs.writeFileSync(file, text, 'latin1');
  const buffer = Buffer.from(text, 'latin1');
  const three = wantedSockets(PORT, wanted);
  const first = wantedSockets(PORT, wanted.slice(0, 1));
  console.log(`synthetic table: ${LINES} lines, ${(buffer.length / 1e6).toFixed(1)} MB`);

  const old = oldSendQueues(PORT, [file]);
  if (!wanted.every(([address, port]) => old?.has(`${address} ${port}`))) throw new Error('old: not found');
  check('new', await readTcpTable(file, three), 3);
  check('new, first', await readTcpTable(file, first), 1);
  // Warm-up, then measured runs.
  timeSync(5, () => oldParse(text, PORT, new Map()));
  timeSync(50, () => scanTcpTable(buffer, three, new Map()));
  const oldParseMs = timeSync(30, () => oldParse(text, PORT, new Map()));
  const oldReadMs = timeSync(30, () => oldSendQueues(PORT, [file]));
  const newScanMs = timeSync(200, () => scanTcpTable(buffer, three, new Map()));
  const newScanFirstMs = timeSync(200, () => scanTcpTable(buffer, first, new Map()));
  const newRead = await timeAsync(100, () => readTcpTable(file, three));
  const newReadFirst = await timeAsync(100, () => readTcpTable(file, first));
  figures['tcp.synthetic50k.old_parse.p50_ms'] = percentile(oldParseMs, 50);
  figures['tcp.synthetic50k.old_read_parse.p50_ms'] = percentile(oldReadMs, 50);
  figures['tcp.synthetic50k.new_scan_3.p50_ms'] = percentile(newScanMs, 50);
  figures['tcp.synthetic50k.new_scan_1_at_10pc.p50_ms'] = percentile(newScanFirstMs, 50);
  figures['tcp.synthetic50k.new_read_3.wall_p50_ms'] = percentile(newRead.wall, 50);
  figures['tcp.synthetic50k.new_read_3.main_thread_cpu_ms'] = newRead.cpuMs;
  figures['tcp.synthetic50k.new_read_3.event_loop_busy_ms'] = newRead.busyMs;
  figures['tcp.synthetic50k.new_read_1_at_10pc.wall_p50_ms'] = percentile(newReadFirst.wall, 50);
  figures['tcp.synthetic50k.new_read_1_at_10pc.main_thread_cpu_ms'] = newReadFirst.cpuMs;
  figures['tcp.synthetic50k.new_read_1_at_10pc.event_loop_busy_ms'] = newReadFirst.busyMs;

  if (REAL_SOCKETS > 0 && fs.existsSync('/proc/net/tcp')) {
    const before = lines('/proc/net/tcp');
    const holders = await holdSockets(REAL_SOCKETS);
    const stalled = await stalledServer();
    try {
      const port = stalled.sockets[0]!.localPort!;
      const rows = lines('/proc/net/tcp');
      console.log(`real /proc/net/tcp: ${rows} lines (${before} before the holders)`);
      figures['tcp.real.lines'] = rows;
      check('old, real', oldSendQueues(port, ['/proc/net/tcp', '/proc/net/tcp6']), 3);
      check('new, real', await sendQueues(stalled.sockets), 3);
      const oldCpu = process.threadCpuUsage();
      const oldReal = timeSync(10, () => oldSendQueues(port, ['/proc/net/tcp', '/proc/net/tcp6']));
      const oldUsed = process.threadCpuUsage(oldCpu);
      const readOnly = timeSync(10, () => {
        fs.readFileSync('/proc/net/tcp');
        fs.readFileSync('/proc/net/tcp6');
      });
      const newReal = await timeAsync(20, () => sendQueues(stalled.sockets)!);
      const newReal1 = await timeAsync(20, () => sendQueues(stalled.sockets.slice(0, 1))!);
      figures['tcp.real.old.p50_ms'] = percentile(oldReal, 50);
      figures['tcp.real.old.max_ms'] = percentile(oldReal, 100);
      figures['tcp.real.old.main_thread_cpu_ms'] = Number(
        ((oldUsed.user + oldUsed.system) / 1000 / 10).toFixed(3),
      );
      figures['tcp.real.kernel_read_both_tables.p50_ms'] = percentile(readOnly, 50);
      figures['tcp.real.new.wall_p50_ms'] = percentile(newReal.wall, 50);
      figures['tcp.real.new.wall_max_ms'] = percentile(newReal.wall, 100);
      figures['tcp.real.new.main_thread_cpu_ms'] = newReal.cpuMs;
      figures['tcp.real.new.event_loop_busy_ms'] = newReal.busyMs;
      figures['tcp.real.new.event_loop_delay_max_ms'] = await longestDelay(
        20,
        () => sendQueues(stalled.sockets)!,
      );
      // The same while the thread waits for nothing: what the shared machine itself adds.
      const idleMs = percentile(newReal.wall, 50);
      figures['tcp.real.idle.event_loop_delay_max_ms'] = await longestDelay(
        20,
        () => new Promise((resolve) => setTimeout(resolve, idleMs)),
      );
      figures['tcp.real.new_1.wall_p50_ms'] = percentile(newReal1.wall, 50);
      figures['tcp.real.new_1.main_thread_cpu_ms'] = newReal1.cpuMs;
    } finally {
      stalled.close();
      await releaseSockets(holders);
    }
  }
  return figures;
}
