// IP address text: canonical forms (so one client is always one string), the groups that limits count
// by, and subnets as written in the configuration (http.trustedProxies). Pure functions; the request
// side is src/http/client-address.ts.
import net from 'node:net';

/** The canonical form of an IP address (a port, brackets and a zone are dropped); undefined when not one. */
export function normalizeAddress(text: string | undefined): string | undefined {
  if (!text) return undefined;
  let value = text.trim();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return undefined;
    value = value.slice(1, end);
  } else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(value)) {
    value = value.slice(0, value.lastIndexOf(':')); // 192.0.2.1:5678 (some proxies add the port)
  }
  value = value.replace(/%[\w.-]*$/, ''); // fe80::1%eth0
  if (net.isIPv4(value)) return value;
  if (!net.isIPv6(value)) return undefined;
  // The URL parser writes IPv6 in its canonical (RFC 5952) form: lower case, longest zero run as ::.
  const canonical = new URL(`http://[${value}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const high = Number.parseInt(mapped[1]!, 16);
  const low = Number.parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * The unit that limits and throttles count by: an IPv4 address, or the /64 network of an IPv6 address
 * (one home or one server gets a whole /64, so counting single IPv6 addresses would let one client take
 * as many turns as it likes).
 */
export function addressGroup(address: string): string {
  if (!address.includes(':')) return address;
  const groups = expandIpv6(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

function expandIpv6(address: string): string[] | undefined {
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  if (right.length > 0 && right.at(-1)!.includes('.')) return undefined; // canonical forms have no dotted tail
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...Array<string>(missing).fill('0'), ...right];
}

export interface ProxyEntry {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** "10.0.0.0/8", "192.0.2.7", "fd00::/8", "::ffff:10.0.0.0/104" → a subnet; undefined when malformed. */
export function parseProxyEntry(text: string): ProxyEntry | undefined {
  const [addressText, prefixText, ...rest] = text.trim().split('/');
  if (rest.length > 0 || !addressText) return undefined;
  const literal = addressText.replace(/^\[(.*)\]$/, '$1');
  if (!net.isIP(literal)) return undefined;
  const address = normalizeAddress(literal);
  if (!address) return undefined;
  const family = address.includes(':') ? 'ipv6' : 'ipv4';
  const bits = family === 'ipv4' ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    // An IPv4-mapped subnet written in IPv6 (::ffff:10.0.0.0/104) is the IPv4 subnet /8.
    if (family === 'ipv4' && net.isIPv6(literal)) prefix -= 96;
    if (prefix < 0 || prefix > bits) return undefined;
  }
  return { address, prefix, family };
}
