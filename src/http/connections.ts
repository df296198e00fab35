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
  /** The kernel's send queue of the socket (Linux) while Node sees no progress. */
  queued?: number | undefined;
  since: number;
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
    this.sweep = setInterval(
      () => this.findStalled(),
      clamp(Math.floor(limits.stallTimeoutMs / 4), 25, 5000),
    );
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
    this.responses.set(response, { done: sentBytes(request.socket), since: Date.now() });
    response.once('close', () => this.responses.delete(response));
    return true;
  }

  close(): void {
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
    const now = Date.now();
    const quiet: [http.ServerResponse, Watched, Socket][] = [];
    for (const [response, watched] of this.responses) {
      const socket = response.socket;
      if (!socket || socket.destroyed) continue;
      const done = sentBytes(socket);
      if (response.writableLength === 0 || done !== watched.done) {
        watched.done = done;
        watched.queued = undefined;
        watched.since = now;
      } else quiet.push([response, watched, socket]);
    }
    if (quiet.length === 0) return;
    const queues = sendQueues(quiet[0]![2].localPort);
    for (const [response, watched, socket] of quiet) {
      const queued = queues?.get(`${normalizeAddress(socket.remoteAddress)} ${socket.remotePort}`);
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

/**
 * Linux: the send queue (bytes written but not yet acknowledged) of every TCP socket on `localPort`,
 * keyed by "<remote address> <remote port>"; undefined where /proc/net/tcp is not available.
 */
export function sendQueues(localPort: number | undefined): Map<string, number> | undefined {
  if (procReadable === false || localPort === undefined) return undefined;
  const queues = new Map<string, number>();
  let found = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
      found = true;
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      // sl local_address rem_address st tx_queue:rx_queue …; addresses are hex ADDRESS:PORT
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const remote = fields[2];
      if (!local || !remote || fields[3] !== '01') continue; // 01: ESTABLISHED
      if (Number.parseInt(local.slice(local.indexOf(':') + 1), 16) !== localPort) continue;
      const [addressHex = '', portHex = ''] = remote.split(':');
      const address = procAddress(addressHex);
      if (!address) continue;
      const queued = Number.parseInt(fields[4]!.split(':')[0]!, 16);
      queues.set(`${address} ${Number.parseInt(portHex, 16)}`, queued);
    }
  }
  procReadable ??= found;
  return found ? queues : undefined;
}

/** /proc/net/tcp writes addresses as 32-bit words in the machine's byte order. */
function procAddress(hex: string): string | undefined {
  if (hex.length !== 8 && hex.length !== 32) return undefined;
  const bytes = Buffer.from(hex, 'hex');
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
