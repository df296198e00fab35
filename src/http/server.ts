// Listens with node:http and shuts down gracefully: close() stops accepting connections, closes idle
// keep-alive sockets, lets requests in flight finish (their sockets close once answered), and after
// `shutdownTimeoutMs` destroys whatever is still open. Timeouts, stalled responses and connection limits:
// connections.ts.
import type http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Koa from 'koa';
import { configSchema, defaultConfig } from '../config/schema.ts';
import { TonearmError } from '../shared/errors.ts';
import { normalizeAddress } from '../shared/ip-address.ts';
import type { Logger } from '../shared/logger.ts';
import { nodeHttp } from './commonjs.ts';
import {
  ConnectionGuard,
  type ConnectionLimits,
  connectionLimitsFrom,
  serverTimeoutOptions,
} from './connections.ts';

export interface StartServerOptions {
  host: string;
  port: number;
  logger: Logger;
  /** How long close() waits for requests in flight before cutting them off (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Timeouts and connection limits (config.http); the configuration's defaults when absent. */
  limits?: ConnectionLimits;
  /** Called for every request admitted (serve notes activity for its idle memory release). */
  onRequest?: () => void;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: any Koa app, whatever its state and context types
export async function startServer(app: Koa<any, any>, options: StartServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const handle = app.callback();
  let closing = false;
  let inFlight = 0;
  const limits = options.limits ?? connectionLimitsFrom(configSchema.parse(defaultConfig()));

  const server = nodeHttp.createServer(serverTimeoutOptions(limits), (req, res) => {
    if (!guard.admit(req, res)) return;
    options.onRequest?.();
    inFlight++;
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight--;
      // The socket only counts as idle after this tick; close it then if we are shutting down.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    void handle(req, res);
  });
  const guard = new ConnectionGuard(server, limits, logger);
  server.once('close', () => guard.close());

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const reason =
        error.code === 'EADDRINUSE'
          ? 'the port is already in use'
          : error.code === 'EACCES'
            ? 'permission denied (ports below 1024 need privileges)'
            : error.code === 'EADDRNOTAVAIL'
              ? 'no such address on this machine'
              : error.message;
      reject(
        new TonearmError('LISTEN', `cannot listen on ${options.host}:${options.port}: ${reason}`, {
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Includes requests whose headers or body did not arrive in time (http.headersTimeout/requestTimeout).
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    logger.debug(
      { code: error.code, ip: normalizeAddress((socket as Socket).remoteAddress) },
      timedOut ? 'the request did not arrive in time' : 'bad HTTP request from client',
    );
    // As Node does itself: a status line only when no answer has started on this connection.
    const answering = (socket as Socket & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (socket.writable && !answering?.headersSent) {
      socket.end(
        timedOut
          ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n'
          : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
      );
    } else socket.destroy();
  });

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  let closed: Promise<void> | undefined;

  return {
    url,
    port: address.port,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        const timer = setTimeout(() => {
          logger.warn({ inFlight }, 'shutdown timeout: closing the connections still open');
          server.closeAllConnections();
        }, shutdownTimeoutMs);
        timer.unref();
        server.close((error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
        if (inFlight > 0) logger.info({ inFlight }, 'waiting for requests in flight');
      });
      return closed;
    },
  };
}
