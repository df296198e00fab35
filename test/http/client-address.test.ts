// The client's address (src/shared/ip-address.ts, src/http/client-address.ts): canonical forms of
// addresses, the networks of http.trustedProxies, and end to end, the address the server logs for
// requests arriving from loopback as a trusted proxy with X-Forwarded-For chains, malformed and
// duplicated headers — and as an untrusted peer, whose header is ignored.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { TrustedProxies } from '../../src/http/client-address.ts';
import { addressGroup, normalizeAddress, parseProxyEntry } from '../../src/shared/ip-address.ts';
import { startTestServer, type TestServer, waitFor } from '../helpers/http.ts';

describe('addresses', () => {
  it('are written one way: IPv4-mapped as IPv4, IPv6 canonical, ports and zones dropped', () => {
    assert.equal(normalizeAddress('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(normalizeAddress('::FFFF:c000:201'), '192.0.2.1');
    assert.equal(normalizeAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(normalizeAddress('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(normalizeAddress('192.0.2.1:5678'), '192.0.2.1');
    assert.equal(normalizeAddress('fe80::1%eth0'), 'fe80::1');
    for (const junk of ['unknown', '', '_hidden', '01.2.3.4', '1.2.3', 'example.org', '[::1', undefined]) {
      assert.equal(normalizeAddress(junk), undefined, String(junk));
    }
  });

  it('are grouped for limits: IPv4 alone, IPv6 by /64', () => {
    assert.equal(addressGroup('192.0.2.1'), '192.0.2.1');
    assert.equal(addressGroup('2001:db8:1:2:3:4:5:6'), addressGroup('2001:db8:1:2::9'));
    assert.notEqual(addressGroup('2001:db8:1:2::1'), addressGroup('2001:db8:1:3::1'));
  });

  it('trusted proxies are addresses and networks, IPv4 and IPv6, matching mapped addresses too', () => {
    assert.deepEqual(parseProxyEntry('172.16.0.0/12'), { address: '172.16.0.0', prefix: 12, family: 'ipv4' });
    assert.deepEqual(parseProxyEntry('::ffff:10.0.0.0/104'), {
      address: '10.0.0.0',
      prefix: 8,
      family: 'ipv4',
    });
    assert.deepEqual(parseProxyEntry('fd00::/8'), { address: 'fd00::', prefix: 8, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'proxy.local', '10.0.0.0/8/8', '10.0.0.0/x', '']) {
      assert.equal(parseProxyEntry(bad), undefined, bad);
    }
    const proxies = new TrustedProxies(['127.0.0.1/32', '172.16.0.0/12', 'fd00::/8']);
    assert.ok(proxies.has('127.0.0.1'));
    assert.ok(proxies.has('172.20.3.4'));
    assert.ok(proxies.has(normalizeAddress('::ffff:172.20.3.4')));
    assert.ok(proxies.has('fd12::1'));
    assert.ok(!proxies.has('127.0.0.2'));
    assert.ok(!proxies.has('172.32.0.1'));
    assert.ok(!new TrustedProxies([]).has('127.0.0.1'));
  });
});

/** The address the server's access log gives a request with these headers (a list: one line each). */
async function loggedAddress(
  server: TestServer,
  headers: Record<string, string | string[]>,
): Promise<unknown> {
  const requestId = `addr-${Math.random().toString(36).slice(2)}`;
  await new Promise<void>((resolve, reject) => {
    const request = http.request(`${server.origin}/health`, (response) => {
      response.resume();
      response.on('end', resolve);
    });
    request.on('error', reject);
    request.setHeader('X-Request-Id', requestId);
    for (const [name, value] of Object.entries(headers)) request.setHeader(name, value);
    request.end();
  });
  const line = await waitFor(() =>
    server.logLines().find((entry) => entry.msg === 'request' && entry.reqId === requestId),
  );
  return line.ip;
}

describe('the client address of a request', () => {
  let proxied: TestServer;
  let direct: TestServer;
  before(async () => {
    proxied = await startTestServer({ http: { trustedProxies: ['127.0.0.1/32', '10.0.0.0/8'] } });
    direct = await startTestServer({});
  });
  after(async () => {
    await proxied.close();
    await direct.close();
  });

  it('behind trusted proxies is the right-most forwarded address that is not a proxy', async () => {
    const xff = (value: string) => ({ 'X-Forwarded-For': value });
    assert.equal(await loggedAddress(proxied, {}), '127.0.0.1', 'no header: the peer');
    assert.equal(await loggedAddress(proxied, xff('198.51.100.7')), '198.51.100.7');
    // The client wrote 6.6.6.6 itself; our proxies appended what they saw.
    assert.equal(await loggedAddress(proxied, xff('6.6.6.6, 198.51.100.7, 10.1.2.3')), '198.51.100.7');
    assert.equal(await loggedAddress(proxied, xff('[2001:DB8::7]:51234')), '2001:db8::7');
    assert.equal(await loggedAddress(proxied, xff('::ffff:198.51.100.8')), '198.51.100.8');
    // Garbage is not an address: the chain stops at the last proxy.
    assert.equal(await loggedAddress(proxied, xff('unknown, 10.1.2.3')), '10.1.2.3');
    // Two header lines are one list.
    assert.equal(
      await loggedAddress(proxied, { 'X-Forwarded-For': ['6.6.6.6', '198.51.100.9'] }),
      '198.51.100.9',
    );
  });

  it('from a peer that is not a trusted proxy ignores X-Forwarded-For, and says so once', async () => {
    assert.equal(await loggedAddress(direct, { 'X-Forwarded-For': '198.51.100.7' }), '127.0.0.1');
    assert.equal(await loggedAddress(direct, { 'X-Forwarded-For': '198.51.100.8' }), '127.0.0.1');
    const warnings = direct.logLines().filter((line) => String(line.msg).includes('http.trustedProxies'));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.level, 40);
  });
});
