// Absolute URLs the server hands out to be copied and opened elsewhere (share links). Never from a Host
// header nobody vouched for: a link built from a forged Host would send whoever opens it somewhere else.
// In order:
//   1. `http.publicUrl` when set: publicUrl + basePath + path (basePath is not repeated when publicUrl
//      already ends with it).
//   2. A request from a trusted proxy (http.trustedProxies): its X-Forwarded-Proto (http or https, else
//      http) and X-Forwarded-Host, or the Host it passed on — the proxy routed that name to us.
//   3. A direct request whose Host names this server: the address the client connected to, localhost, or
//      the machine's host name (with or without .local), on the port it connected to.
//   4. Otherwise a relative URL (basePath + path), with a warning, once, to set http.publicUrl.
// Everything else the server links to (HLS playlists, the share page's streams, signed media URLs) is
// relative, so it works under any base path and behind any proxy.
import os from 'node:os';
import type { Config } from '../config/schema.ts';
import { normalizeAddress } from '../shared/ip-address.ts';
import type { Logger } from '../shared/logger.ts';
import type { AppContext } from './context.ts';

/** host or host:port, where host is a DNS name, an IPv4 address or a bracketed IPv6 address. */
const HOST_SYNTAX = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(\d{1,5}))?$/;

const warnedRelative = new WeakSet<Logger>();

/** The absolute URL of `path` (which starts with '/', without the base path), by the rules above. */
export function publicUrlOf(ctx: AppContext, config: Config, path: string, logger: Logger): string {
  const absolute = absoluteUrlOf(ctx, config, path);
  if (absolute) return absolute;
  const basePath = config.basePath;
  if (!warnedRelative.has(logger)) {
    warnedRelative.add(logger);
    logger.warn(
      { host: ctx.get('Host').slice(0, 100) },
      'share links are relative because the request did not name this server; set http.publicUrl (e.g. https://music.example.org) to give clients full links',
    );
  }
  return `${basePath}${path}`;
}

/** Rules 1 to 3 above: the absolute URL of `path`, or undefined when nobody vouches for a host name. */
export function absoluteUrlOf(ctx: AppContext, config: Config, path: string): string | undefined {
  const configured = configuredBaseUrl(config);
  if (configured) return `${configured}${path}`;
  const origin = ctx.state.client.viaProxy ? forwardedOrigin(ctx) : ownOrigin(ctx);
  return origin ? `${origin}${config.basePath}${path}` : undefined;
}

/** Rule 1: http.publicUrl with the base path (not repeated), or undefined when it is not set. */
export function configuredBaseUrl(
  config: Pick<Config, 'basePath'> & { http: Pick<Config['http'], 'publicUrl'> },
): string | undefined {
  const { basePath } = config;
  const { publicUrl } = config.http;
  if (!publicUrl) return undefined;
  return basePath && new URL(publicUrl).pathname.endsWith(basePath) ? publicUrl : `${publicUrl}${basePath}`;
}

/**
 * Whether the client reached us over HTTPS: directly (a TLS socket), or through a trusted proxy that says
 * so (X-Forwarded-Proto). Decides Secure cookies and HSTS.
 */
export function isHttpsRequest(ctx: AppContext): boolean {
  if ((ctx.req.socket as { encrypted?: boolean }).encrypted) return true;
  return ctx.state.client.viaProxy && ctx.get('X-Forwarded-Proto').split(',')[0]?.trim() === 'https';
}

function singleValue(header: string | undefined): string | undefined {
  const value = header?.trim();
  return value && !value.includes(',') ? value : undefined;
}

function forwardedOrigin(ctx: AppContext): string | undefined {
  const host = singleValue(ctx.get('X-Forwarded-Host')) ?? singleValue(ctx.get('Host'));
  if (!host || !HOST_SYNTAX.test(host)) return undefined;
  const proto = singleValue(ctx.get('X-Forwarded-Proto'))?.toLowerCase();
  return `${proto === 'https' ? 'https' : 'http'}://${host.toLowerCase()}`;
}

function ownOrigin(ctx: AppContext): string | undefined {
  const host = ctx.get('Host').trim().toLowerCase();
  const match = HOST_SYNTAX.exec(host);
  if (!match) return undefined;
  const socket = ctx.req.socket;
  const port = match[1] === undefined ? 80 : Number(match[1]);
  if (port !== socket.localPort) return undefined;
  const name = match[1] === undefined ? host : host.slice(0, host.lastIndexOf(':'));
  if (!namesThisServer(name, socket.localAddress)) return undefined;
  return `http://${host}`;
}

function namesThisServer(name: string, localAddress: string | undefined): boolean {
  const address = normalizeAddress(name);
  if (address) return address === normalizeAddress(localAddress);
  const machine = os.hostname().toLowerCase();
  return name === 'localhost' || name === machine || name === `${machine}.local`;
}
