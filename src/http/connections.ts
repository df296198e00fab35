// Keeps clients from holding connections (and the files behind them) open for nothing. Configured under
// [http] (src/config/schema.ts); why the defaults are what they are: docs/api.md "Addresses, links and connections".
//
// Node's own server timeouts do the request side:
//   - headersTimeout: the request line and headers must arrive within it (slow-loris clients trickling
//     headers, and connections that never send a byte, are answered 408 and closed);
//   - requestTimeout: the whole request, body included (a stalled upload);
//   - keepAliveTimeout: an idle keep-alive connection is closed.
// Node checks those every `connectionsCheckingInterval`; we set it to a quarter of the shorter timeout
// (at most 5 s) so a timeout fires close to when it is due, not up to 30 s late.
//
// The response side is ours: a response the client stops reading. Whatever sends the body (file-body.ts
// waiting for 'drain', a transcode or zip stream piped by Koa) simply waits, so without this a client that
// opens a download and never reads holds the socket and the open file for as long as it likes. Every
// response is looked at every quarter of `stallTimeout` (at most 5 s): when bytes wait to go out and the
// client has taken none of them for `stallTimeout`, the socket is destroyed. Its response closes, and
// with it the file, the zip or the transcode reader (each closes on 'close'). A response waiting for its
// own data (ffmpeg starting, an HLS segment being made) has nothing queued and is never cut.
//
// "Taken none": Node only sees a write complete when the kernel wakes it, which Linux does once a third
// of the socket's send buffer is free — and that buffer grows to 4 MiB, notably on loopback, where a
// reverse proxy on the same machine reads at its client's pace. A player reading 128 kbit/s there shows
// Node no progress for ~90 s while it plays happily (measured). So on Linux a quiet socket is looked up
// in /proc/net/tcp{,6}: its send queue (bytes the client has not acknowledged) moving is progress too,
// which shows a reading client within seconds (~20 s at 128 kbit/s on loopback, less over a network).
// Elsewhere only Node's view counts; raise stallTimeout there if slow listeners behind a proxy are cut.
//
// That table lists every TCP socket of the network namespace — with Docker's host networking, the whole
// machine's, tens of thousands on a busy one — so it is consulted sparingly: only for sockets Node has
// seen quiet for about half of stallTimeout (the only ones a sweep could cut before the next look), at
// most once per sweep, read in chunks through the thread pool (the kernel's work of writing the table
// is not the main thread's), and only the table of those sockets' family (tcp for IPv4 sockets, tcp6
// for IPv6 ones, IPv4-mapped peers included). Lines are found by the local port before anything is
// split or decoded, and reading stops once every wanted socket has been seen. With 50,000 sockets a
// lookup costs the main thread 25-50 ms of CPU in slices of ~20 µs, where it was blocked 95-140 ms
// (docs/benchmarks.md); a worker thread would take that to ~0.4 ms, for ~19 MB of memory.
// (/proc/net is a link to /proc/self/net: both are the reading process's namespace, where its sockets are.)
//
// Open connections are counted per address (IPv4 address, IPv6 /64) of the socket's peer. Beyond
// `maxConnectionsPerAddress` a new connection's request is answered 503 with Retry-After and the
// connection is closed; beyond twice the limit new connections are closed at once. Trusted proxies are
// exempt (they carry many clients; limit clients at the proxy).
// `maxConnections` bounds all connections: beyond it Node closes new ones at once.
import fs from 'node:fs';
import type http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import type { Config } from '../config/schema.ts';
import { errorCatalogue } from '../shared/errors.ts';
import { addressGroup, normalizeAddress } from '../shared/ip-address.ts';
import type { Logger } from '../shared/logger.ts';
import { TrustedProxies } from './client-address.ts';

export interface ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  stallTimeoutMs: number;
  /** 0 = no limit. */
  maxConnectionsPerAddress: number;
  /** 0 = no limit. */
  maxConnections: number;
  trustedProxies: readonly string[];
}

export function connectionLimitsFrom(config: Config): ConnectionLimits {
  const { http } = config;
  return {
    headersTimeoutMs: http.headersTimeout,
    requestTimeoutMs: http.requestTimeout,
    keepAliveTimeoutMs: http.keepAliveTimeout,
    stallTimeoutMs: http.stallTimeout,
    maxConnectionsPerAddress: http.maxConnectionsPerAddress,
    maxConnections: http.maxConnections,
    trustedProxies: http.trustedProxies,
  };
}

/** Seconds a client refused for too many connections is asked to wait. */
export const TOO_MANY_CONNECTIONS_RETRY_SECONDS = 10;
/** One warning per address (or for the whole server) per this long. */
const WARN_EVERY_MS = 60_000;

/** The options node:http takes for the request-side timeouts. */
export function serverTimeoutOptions(limits: ConnectionLimits): http.ServerOptions {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: clamp(Math.floor(shortest / 4), 25, 5000),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

interface Watched {
  /** Bytes the socket had handed to the kernel when last seen moving. */
  done: number;
  /** When Node last saw the socket move (or the response started). */
  movedAt: number;
  /** The kernel's send queue of the socket (Linux) while Node sees no progress. */
  queued?: number | undefined;
  /** Last progress of either kind: Node's, or the send queue changing. */
  since: number;
}

/** A response Node has seen quiet for long enough to ask the kernel about its socket. */
interface Suspect {
  response: http.ServerResponse;
  watched: Watched;
  socket: Socket;
  /** Its key in sendQueues' answer. */
  key: string | undefined;
}

export class ConnectionGuard {
  private readonly limits: ConnectionLimits;
  private readonly logger: Logger;
  private readonly proxies: TrustedProxies;
  private readonly perAddress = new Map<string, number>();
  private readonly overLimit = new WeakSet<Socket>();
  private readonly responses = new Map<http.ServerResponse, Watched>();
  private readonly warnedAt = new Map<string, number>();
  private readonly sweep: NodeJS.Timeout;
  /** Node-quiet for this long, a socket is looked up in /proc: about half of stallTimeout, on a sweep. */
  private readonly lookAfterMs: number;
  /** A sweep is waiting for /proc: the next ones are skipped until it is done. */
  private sweeping = false;
  private closed = false;

  constructor(server: http.Server, limits: ConnectionLimits, logger: Logger) {
    this.limits = limits;
    this.logger = logger;
    this.proxies = new TrustedProxies(limits.trustedProxies);
    if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
    server.on('connection', (socket: Socket) => this.opened(socket));
    server.on('drop', (data?: { remoteAddress?: string }) => {
      if (this.shouldWarn('*')) {
        this.logger.warn(
          { ip: normalizeAddress(data?.remoteAddress), limit: limits.maxConnections },
          'too many open connections in all (http.maxConnections); closing new ones at once',
        );
      }
    });
    const every = clamp(Math.floor(limits.stallTimeoutMs / 4), 25, 5000);
    // Half a sweep early, so that timer jitter cannot put it off by a whole sweep.
    this.lookAfterMs = Math.max(0, limits.stallTimeoutMs / 2 - every / 2);
    this.sweep = setInterval(() => this.findStalled(), every);
    this.sweep.unref();
  }

  /**
   * Called first for every request: false when the connection is over its address's limit, in which case
   * the request has been answered 503 and the connection will close.
   */
  admit(request: http.IncomingMessage, response: http.ServerResponse): boolean {
    if (this.overLimit.has(request.socket)) {
      const body = JSON.stringify({
        type: 'urn:tonearm:error:TOO_MANY_CONNECTIONS',
        title: errorCatalogue.TOO_MANY_CONNECTIONS.summary,
        status: 503,
        detail: `too many open connections from your address (at most ${this.limits.maxConnectionsPerAddress}); close some and try again`,
      });
      response.shouldKeepAlive = false;
      response.writeHead(503, {
        'Content-Type': 'application/problem+json',
        'Content-Length': Buffer.byteLength(body),
        'Retry-After': String(TOO_MANY_CONNECTIONS_RETRY_SECONDS),
        Connection: 'close',
      });
      response.end(body);
      return false;
    }
    const now = Date.now();
    this.responses.set(response, { done: sentBytes(request.socket), movedAt: now, since: now });
    response.once('close', () => this.responses.delete(response));
    return true;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweep);
  }

  private opened(socket: Socket): void {
    const peer = normalizeAddress(socket.remoteAddress);
    if (!peer || this.proxies.has(peer) || this.limits.maxConnectionsPerAddress <= 0) return;
    const group = addressGroup(peer);
    const open = (this.perAddress.get(group) ?? 0) + 1;
    this.perAddress.set(group, open);
    socket.once('close', () => {
      const left = (this.perAddress.get(group) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(group);
      else this.perAddress.set(group, left);
    });
    if (open <= this.limits.maxConnectionsPerAddress) return;
    // Twice over the limit, a connection is not worth an answer: it would hold a slot until its headers
    // came or timed out, and one address could fill maxConnections that way.
    if (open > 2 * this.limits.maxConnectionsPerAddress) socket.destroy();
    else this.overLimit.add(socket);
    if (this.shouldWarn(group)) {
      this.logger.warn(
        { ip: peer, open, limit: this.limits.maxConnectionsPerAddress },
        'too many open connections from one address (http.maxConnectionsPerAddress); answering the extra ones 503',
      );
    }
  }

  private findStalled(): void {
    if (this.sweeping) return;
    const now = Date.now();
    const suspects: Suspect[] = [];
    for (const [response, watched] of this.responses) {
      const socket = response.socket;
      if (!socket || socket.destroyed) continue;
      const done = sentBytes(socket);
      if (response.writableLength === 0 || done !== watched.done) {
        watched.done = done;
        watched.queued = undefined;
        watched.since = now;
        watched.movedAt = now;
      } else if (now - watched.movedAt >= this.lookAfterMs) {
        suspects.push({ response, watched, socket, key: sendQueueKey(socket) });
      }
    }
    // None quiet that long: none can be cut on this sweep, and /proc is not read.
    if (suspects.length === 0) return;
    const lookup = sendQueues(suspects.map((suspect) => suspect.socket));
    if (!lookup) {
      this.judge(suspects, undefined, now);
      return;
    }
    this.sweeping = true;
    lookup
      .catch((error: unknown) => {
        // Judged by Node's view alone this time, as where /proc cannot be read.
        this.logger.warn({ err: (error as Error).message }, 'reading the kernel send queues failed');
        return undefined;
      })
      .then((queues) => {
        if (!this.closed) this.judge(suspects, queues, Date.now());
      })
      .catch((error: unknown) =>
        this.logger.warn({ err: (error as Error).message }, 'checking for stalled responses failed'),
      )
      .finally(() => {
        this.sweeping = false;
      });
  }

  /** Cuts the suspects that have made no progress for stallTimeout, in Node's view nor the kernel's. */
  private judge(suspects: Suspect[], queues: Map<string, number> | undefined, now: number): void {
    for (const { response, watched, socket, key } of suspects) {
      // Gone, or moving again, while /proc was read: the next sweep sees to it.
      if (socket.destroyed || this.responses.get(response) !== watched) continue;
      if (response.writableLength === 0 || sentBytes(socket) !== watched.done) continue;
      const queued = key === undefined ? undefined : queues?.get(key);
      if (queued !== undefined && queued !== watched.queued) {
        if (watched.queued !== undefined) watched.since = now;
        watched.queued = queued;
      }
      if (now - watched.since < this.limits.stallTimeoutMs) continue;
      this.responses.delete(response);
      this.logger.info(
        {
          ip: normalizeAddress(socket.remoteAddress),
          url: response.req.url?.split('?')[0],
          waitingBytes: response.writableLength,
          stalledMs: now - watched.since,
        },
        'the client stopped reading its response (http.stallTimeout); closing the connection',
      );
      socket.destroy();
    }
  }

  private shouldWarn(key: string): boolean {
    const now = Date.now();
    const last = this.warnedAt.get(key);
    if (last !== undefined && now - last < WARN_EVERY_MS) return false;
    this.warnedAt.set(key, now);
    if (this.warnedAt.size > 1000) {
      for (const [old, at] of this.warnedAt) if (now - at >= WARN_EVERY_MS) this.warnedAt.delete(old);
    }
    return true;
  }
}

/** Whether /proc/net/tcp can be read here (Linux); checked on first use. */
let procReadable: boolean | undefined;

const TCP_TABLES = { IPv4: '/proc/net/tcp', IPv6: '/proc/net/tcp6' } as const;

/** How a socket is named in sendQueues' answer: "<local port> <remote address> <remote port>". */
export function sendQueueKey(socket: Socket): string | undefined {
  const address = normalizeAddress(socket.remoteAddress);
  if (socket.localPort === undefined || !address || socket.remotePort === undefined) return undefined;
  return `${socket.localPort} ${address} ${socket.remotePort}`;
}

/** Sockets wanted from one /proc/net/tcp{,6} table. */
export interface WantedSockets {
  /** sendQueueKey of each. */
  keys: Set<string>;
  /** Their local ports. */
  ports: Set<number>;
}

/**
 * Linux: the send queue (bytes written but not yet acknowledged) of each of `sockets` that is listed as
 * established, by sendQueueKey. Undefined, at once or once read, where /proc/net/tcp is not available.
 * Each socket is looked up in its family's table only (an IPv6 socket, IPv4-mapped peers included, in
 * tcp6); a table is read once, and only until every socket wanted from it has been seen.
 */
export function sendQueues(sockets: readonly Socket[]): Promise<Map<string, number> | undefined> | undefined {
  if (procReadable === false) return undefined;
  const tables = new Map<string, WantedSockets>();
  for (const socket of sockets) {
    const key = sendQueueKey(socket);
    if (key === undefined) continue;
    const family = socket.localFamily;
    const files =
      family === 'IPv4' || family === 'IPv6' ? [TCP_TABLES[family]] : [TCP_TABLES.IPv4, TCP_TABLES.IPv6];
    for (const file of files) {
      let wanted = tables.get(file);
      if (!wanted) {
        wanted = { keys: new Set(), ports: new Set() };
        tables.set(file, wanted);
      }
      wanted.keys.add(key);
      wanted.ports.add(socket.localPort!);
    }
  }
  if (tables.size === 0) return undefined;
  return (async () => {
    const queues = new Map<string, number>();
    let found = false;
    for (const [file, wanted] of tables) {
      let table: Map<string, number>;
      try {
        table = await readTcpTable(file, wanted);
        found = true;
      } catch {
        continue;
      }
      for (const [key, queued] of table) queues.set(key, queued);
    }
    procReadable ??= found;
    return found ? queues : undefined;
  })();
}

/**
 * Reads a /proc/net/tcp{,6} table in chunks until every wanted socket has been seen: their send queues
 * by key. Rejects when the file cannot be opened. Each read runs in libuv's thread pool, so the kernel's
 * time to write the table out is not the main thread's; the kernel hands out about a page (27 lines)
 * per read whatever the buffer, so 50,000 sockets take ~1,850 reads, each ~20 µs of main-thread work
 * (the thread-pool round trip).
 */
export async function readTcpTable(
  file: string,
  wanted: WantedSockets,
  chunkBytes = 64 * 1024,
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const handle = await fs.promises.open(file, 'r');
  try {
    let buffer = Buffer.allocUnsafe(chunkBytes);
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) {
        // A line longer than the buffer (never in /proc): make room for the rest of it.
        const larger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(larger, 0, 0, filled);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      filled += bytesRead;
      const end = bytesRead === 0 ? filled : buffer.lastIndexOf(0x0a, filled - 1) + 1; // whole lines
      if (scanTcpTable(buffer.subarray(0, end), wanted, found) || bytesRead === 0) return found;
      buffer.copy(buffer, 0, end, filled);
      filled -= end;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Finds the wanted sockets' lines in whole lines of a /proc/net/tcp{,6} table and adds their send
 * queues to `found`; true once all of them are there. Only lines holding ":<local port in hex> " are
 * decoded and split.
 */
export function scanTcpTable(table: Buffer, wanted: WantedSockets, found: Map<string, number>): boolean {
  for (const port of wanted.ports) {
    const needle = portNeedle(port);
    let from = 0;
    for (;;) {
      const hit = table.indexOf(needle, from);
      if (hit < 0) break;
      const start = table.lastIndexOf(0x0a, hit) + 1;
      let end = table.indexOf(0x0a, hit);
      if (end < 0) end = table.length;
      from = end + 1; // the local address comes first: a later hit on the line is not the local port
      const entry = parseTcpLine(table.toString('latin1', start, end));
      if (entry?.localPort !== port) continue; // the port was the remote one
      const key = `${port} ${entry.remoteAddress} ${entry.remotePort}`;
      if (!wanted.keys.has(key)) continue;
      found.set(key, entry.queued);
      if (found.size === wanted.keys.size) return true;
    }
  }
  return false;
}

const needles = new Map<number, Buffer>();

/** ":<port> " as the table writes a local port: %04X, followed by a space. */
function portNeedle(port: number): Buffer {
  let needle = needles.get(port);
  if (!needle) {
    needle = Buffer.from(`:${port.toString(16).toUpperCase().padStart(4, '0')} `, 'latin1');
    if (needles.size < 100) needles.set(port, needle);
  }
  return needle;
}

interface TcpEntry {
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** tx_queue: bytes sent but not acknowledged. */
  queued: number;
}

/** One line of /proc/net/tcp{,6} when it is an established connection; undefined otherwise. */
export function parseTcpLine(line: string): TcpEntry | undefined {
  // sl local_address rem_address st tx_queue:rx_queue …; addresses are hex ADDRESS:PORT
  const fields = line.trim().split(/\s+/);
  const local = fields[1];
  const remote = fields[2];
  if (!local || !remote || fields[3] !== '01' || !fields[4]) return undefined; // 01: ESTABLISHED
  const localPort = Number.parseInt(local.slice(local.indexOf(':') + 1), 16);
  const [addressHex = '', portHex = ''] = remote.split(':');
  const remoteAddress = procAddress(addressHex);
  const remotePort = Number.parseInt(portHex, 16);
  const queued = Number.parseInt(fields[4].split(':')[0]!, 16);
  if (!remoteAddress || Number.isNaN(localPort) || Number.isNaN(remotePort) || Number.isNaN(queued)) {
    return undefined;
  }
  return { localPort, remoteAddress, remotePort, queued };
}

/** /proc/net/tcp writes addresses as 32-bit words in the machine's byte order. */
function procAddress(hex: string): string | undefined {
  if (hex.length !== 8 && hex.length !== 32) return undefined;
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length * 2 !== hex.length) return undefined; // not all hex digits
  if (LITTLE_ENDIAN)
    for (let word = 0; word < bytes.length; word += 4) bytes.subarray(word, word + 4).reverse();
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(bytes.readUInt16BE(index).toString(16));
  return normalizeAddress(groups.join(':'));
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Bytes whose writes the socket has completed (handed to the kernel). */
function sentBytes(socket: Socket): number {
  return (socket.bytesWritten ?? 0) - socket.writableLength;
}
