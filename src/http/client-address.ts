// Who is on the other end of a request. The one rule, used by the login throttle, connection limits,
// logs and players alike:
//
//   - the socket's peer address, unless that peer is listed in `http.trustedProxies`;
//   - for a request from a trusted proxy: the right-most X-Forwarded-For entry that is not itself a
//     trusted proxy (each proxy appends the address it saw, so entries to the left of the first
//     untrusted one may have been written by the client and prove nothing).
//
// X-Forwarded-For from any other peer is ignored (and reported once in the log, since it usually means
// a reverse proxy that is not listed: every client behind it then counts as one address). IPv4-mapped
// IPv6 addresses (::ffff:192.0.2.1, what a dual-stack socket reports) are written as plain IPv4 and
// IPv6 addresses in their canonical form, so one client is always one string.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { normalizeAddress, parseProxyEntry } from '../shared/ip-address.ts';
import type { Logger } from '../shared/logger.ts';

/** Answers "is this peer one of our reverse proxies?" for the configured addresses and networks. */
export class TrustedProxies {
  private readonly list = new net.BlockList();
  readonly empty: boolean;

  /** Entries must be valid (the config schema checks them); a malformed one throws. */
  constructor(entries: readonly string[]) {
    for (const text of entries) {
      const entry = parseProxyEntry(text);
      if (!entry) throw new Error(`not an IP address or network: ${text}`);
      this.list.addSubnet(entry.address, entry.prefix, entry.family);
    }
    this.empty = entries.length === 0;
  }

  /** Whether this (normalised) address is a trusted proxy. */
  has(address: string | undefined): boolean {
    if (this.empty || !address) return false;
    return this.list.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
  }
}

export interface ClientOrigin {
  /** The client's address (see the header of this file). */
  address: string;
  /** The socket's peer, normalised. */
  peer: string;
  /** True when the peer is a trusted proxy. */
  viaProxy: boolean;
}

/** Resolves request addresses under one trusted-proxy setting; warns once about untrusted forwarding. */
export class ClientAddresses {
  readonly proxies: TrustedProxies;
  private readonly logger: Logger;
  private warned = false;

  constructor(trustedProxies: readonly string[], logger: Logger) {
    this.proxies = new TrustedProxies(trustedProxies);
    this.logger = logger;
  }

  resolve(request: IncomingMessage): ClientOrigin {
    const peer = normalizeAddress(request.socket.remoteAddress) ?? request.socket.remoteAddress ?? '';
    const forwarded = request.headers['x-forwarded-for'];
    if (!this.proxies.has(peer)) {
      if (forwarded !== undefined && !this.warned) {
        this.warned = true;
        this.logger.warn(
          { peer },
          'a request carries X-Forwarded-For from an address that is not in http.trustedProxies, so the header is ignored; if this is your reverse proxy, add its address, or every client behind it counts as one address (login throttling, connection limits, logs)',
        );
      }
      return { address: peer, peer, viaProxy: false };
    }
    let address = peer;
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    for (let index = hops.length - 1; index >= 0; index--) {
      if (hops[index]!.trim() === '' && hops.length === 1) break; // no header
      const hop = normalizeAddress(hops[index]);
      // A malformed entry ends the chain: it was not written by one of our proxies.
      if (!hop) break;
      address = hop;
      if (!this.proxies.has(hop)) break;
    }
    return { address, peer, viaProxy: true };
  }
}
