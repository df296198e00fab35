// The stalled-response check's look at the kernel's send queues (src/http/connections.ts): finding the
// wanted sockets' lines in crafted /proc/net/tcp and tcp6 text (IPv4, IPv6, IPv4-mapped, the port only as
// a remote one, other states, malformed lines), reading a table in chunks of any size, and, on Linux, the
// real tables for real IPv4, IPv6 and IPv4-mapped sockets.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  parseTcpLine,
  readTcpTable,
  scanTcpTable,
  sendQueueKey,
  sendQueues,
  type WantedSockets,
} from '../../src/http/connections.ts';

/** An address as /proc/net/tcp{,6} writes it: 32-bit words in the machine's byte order. */
function procHex(bytes: number[]): string {
  const buffer = Buffer.from(bytes);
  if (os.endianness() === 'LE')
    for (let word = 0; word < buffer.length; word += 4) buffer.subarray(word, word + 4).reverse();
  return buffer.toString('hex').toUpperCase();
}

const hex4 = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
const hex8 = (value: number) => value.toString(16).toUpperCase().padStart(8, '0');

const V4_LOCAL = procHex([127, 0, 0, 1]);
const V4_CLIENT = procHex([192, 0, 2, 7]);
const V6_LOCAL = procHex([...Array(15).fill(0), 1]); // ::1
const V6_CLIENT = procHex([0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 5]); // 2001:db8::5
const MAPPED_CLIENT = procHex([...Array(10).fill(0), 0xff, 0xff, 198, 51, 100, 9]); // ::ffff:198.51.100.9

/** One line as the kernel writes it (sl, addresses, state, tx_queue:rx_queue, the rest). */
function line(sl: number, local: string, remote: string, state: string, queued: number): string {
  return `${String(sl).padStart(4)}: ${local} ${remote} ${state} ${hex8(queued)}:00000000 00:00000000 00000000  1000        0 ${40000 + sl} 1 0000000000000000 20 4 30 10 -1`;
}

const PORT = 4533;
const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

const tcp = [
  HEADER,
  line(0, `00000000:${hex4(PORT)}`, '00000000:0000', '0A', 0), // listening on the port
  line(1, `${V4_LOCAL}:${hex4(PORT)}`, `${V4_CLIENT}:${hex4(51000)}`, '01', 0x1234),
  line(2, `${V4_LOCAL}:${hex4(51007)}`, `${V4_CLIENT}:${hex4(PORT)}`, '01', 77), // the port as the remote one
  line(3, `${V4_LOCAL}:${hex4(PORT)}`, `${V4_CLIENT}:${hex4(51001)}`, '06', 5), // TIME_WAIT
  line(4, `${V4_LOCAL}:${hex4(PORT)}`, `${V4_CLIENT}:${hex4(51002)}`, '01', 0),
  `   5: ${V4_LOCAL}:${hex4(PORT)} ${V4_CLIENT}:${hex4(51003)} 01`, // cut short
  `   6: ${V4_LOCAL}:${hex4(PORT)} ZZ0002C0:${hex4(51004)} 01 00000010:00000000`, // not hex
  `   7: ${V4_LOCAL}:${hex4(PORT)} 0002C0:${hex4(51005)} 01 00000010:00000000`, // too short an address
  line(8, `${V4_LOCAL}:${hex4(PORT + 1)}`, `${V4_CLIENT}:${hex4(51006)}`, '01', 999), // another port
  '',
].join('\n');

const tcp6 = [
  HEADER,
  line(0, `${V6_LOCAL}:${hex4(PORT)}`, `${V6_CLIENT}:${hex4(52000)}`, '01', 0x10000),
  line(1, `${V6_LOCAL}:${hex4(PORT)}`, `${MAPPED_CLIENT}:${hex4(52001)}`, '01', 42),
  '',
].join('\n');

function wanted(...keys: string[]): WantedSockets {
  return { keys: new Set(keys), ports: new Set(keys.map((key) => Number(key.split(' ')[0]))) };
}

describe('finding sockets in /proc/net/tcp text', () => {
  it('parses established lines of both tables and nothing else', () => {
    const [, listening, v4, , timeWait, , short, notHex, tooShort] = tcp.split('\n');
    assert.deepEqual(parseTcpLine(v4!), {
      localPort: PORT,
      remoteAddress: '192.0.2.7',
      remotePort: 51000,
      queued: 0x1234,
    });
    assert.equal(parseTcpLine(listening!), undefined);
    assert.equal(parseTcpLine(timeWait!), undefined);
    assert.equal(parseTcpLine(short!), undefined);
    assert.equal(parseTcpLine(notHex!), undefined);
    assert.equal(parseTcpLine(tooShort!), undefined);
    assert.equal(parseTcpLine(HEADER), undefined);
    assert.equal(parseTcpLine(''), undefined);
    const [, v6, mapped] = tcp6.split('\n');
    assert.deepEqual(parseTcpLine(v6!), {
      localPort: PORT,
      remoteAddress: '2001:db8::5',
      remotePort: 52000,
      queued: 0x10000,
    });
    assert.equal(parseTcpLine(mapped!)?.remoteAddress, '198.51.100.9', 'IPv4-mapped peers count as IPv4');
  });

  it('finds the wanted sockets by local port, never by a remote port, another state or a bad line', () => {
    const found = new Map<string, number>();
    const all = scanTcpTable(
      Buffer.from(tcp),
      wanted(
        `${PORT} 192.0.2.7 51000`,
        `${PORT} 192.0.2.7 51002`,
        `${PORT} 192.0.2.7 51001`, // TIME_WAIT
        `${PORT} 192.0.2.7 51003`, // cut short
        `${PORT} 192.0.2.7 51004`, // not hex
        `${PORT} 192.0.2.7 ${PORT}`, // a line with the port as its remote one
        `${PORT} 192.0.2.7 51006`, // on another local port
      ),
      found,
    );
    assert.equal(all, false, 'not all were there');
    assert.deepEqual(
      found,
      new Map([
        [`${PORT} 192.0.2.7 51000`, 0x1234],
        [`${PORT} 192.0.2.7 51002`, 0],
      ]),
    );

    const found6 = new Map<string, number>();
    assert.equal(
      scanTcpTable(
        Buffer.from(tcp6),
        wanted(`${PORT} 2001:db8::5 52000`, `${PORT} 198.51.100.9 52001`),
        found6,
      ),
      true,
    );
    assert.deepEqual(
      found6,
      new Map([
        [`${PORT} 2001:db8::5 52000`, 0x10000],
        [`${PORT} 198.51.100.9 52001`, 42],
      ]),
    );
  });

  it('finds nothing when the wanted port is absent', () => {
    const found = new Map<string, number>();
    assert.equal(scanTcpTable(Buffer.from(tcp), wanted('8080 192.0.2.7 51000'), found), false);
    assert.equal(scanTcpTable(Buffer.from(''), wanted(`${PORT} 192.0.2.7 51000`), found), false);
    assert.equal(found.size, 0);
  });

  it('stops at the line that completes the wanted set', () => {
    const found = new Map<string, number>();
    // The same socket again further on, with another queue: never reached.
    const again = line(9, `${V4_LOCAL}:${hex4(PORT)}`, `${V4_CLIENT}:${hex4(51000)}`, '01', 9);
    assert.equal(
      scanTcpTable(Buffer.from(`${tcp}${again}\n`), wanted(`${PORT} 192.0.2.7 51000`), found),
      true,
    );
    assert.deepEqual(found, new Map([[`${PORT} 192.0.2.7 51000`, 0x1234]]));
  });
});

describe('reading a table in chunks', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-tcp-table-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the same answer whatever the chunk size (lines split across reads, lines longer than a chunk)', async () => {
    const file = path.join(dir, 'tcp');
    // Many lines of other ports, with the wanted ones spread through them, the last one without a newline.
    const lines = [HEADER];
    for (let index = 0; index < 2000; index++) {
      const port = index % 500 === 250 ? PORT : 20000 + index;
      lines.push(
        line(index, `${V4_LOCAL}:${hex4(port)}`, `${V4_CLIENT}:${hex4(40000 + index)}`, '01', index),
      );
    }
    fs.writeFileSync(file, lines.join('\n'));
    const keys = [250, 750, 1250, 1750].map((index) => `${PORT} 192.0.2.7 ${40000 + index}`);
    const expected = new Map(keys.map((key, at) => [key, 250 + 500 * at]));
    assert.deepEqual(await readTcpTable(file, wanted(...keys)), expected, 'default chunks');
    for (const chunk of [16, 149, 150, 151, 4096, 1 << 20]) {
      assert.deepEqual(await readTcpTable(file, wanted(...keys), chunk), expected, `chunks of ${chunk}`);
    }
    fs.appendFileSync(file, '\n');
    assert.deepEqual(await readTcpTable(file, wanted(...keys), 150), expected, 'ending with a newline');
    assert.deepEqual(
      await readTcpTable(file, wanted(`${PORT} 192.0.2.7 1`), 150),
      new Map(),
      'a socket not there',
    );
  });

  it('rejects when the table cannot be opened', async () => {
    await assert.rejects(readTcpTable(path.join(dir, 'missing'), wanted(`${PORT} 192.0.2.7 1`)), {
      code: 'ENOENT',
    });
  });
});

describe('the real tables (Linux)', { skip: !fs.existsSync('/proc/net/tcp') && 'no /proc/net/tcp' }, () => {
  /**
   * A server on `host` and a client connected to it from `from`; the server writes more than the client
   * takes in, so its send queue is not empty. Resolves with the server's socket.
   */
  async function pair(host: string, from: string): Promise<{ socket: net.Socket; close(): void }> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect({ host: from, port: (server.address() as net.AddressInfo).port });
    client.on('error', () => {});
    client.pause();
    const socket = await accepted;
    socket.on('error', () => {});
    // More than loopback's buffers take in: bytes wait in the kernel's send queue.
    const chunk = Buffer.alloc(1 << 20);
    for (let index = 0; index < 32 && socket.write(chunk); index++);
    return {
      socket,
      close() {
        client.destroy();
        socket.destroy();
        server.close();
      },
    };
  }

  const ipv6 = Object.values(os.networkInterfaces())
    .flat()
    .some((address) => address?.address === '::1');

  it('finds IPv4, IPv6 and IPv4-mapped sockets, each in its own table', async (t) => {
    const pairs = [await pair('127.0.0.1', '127.0.0.1')];
    if (ipv6) pairs.push(await pair('::1', '::1'), await pair('::', '127.0.0.1'));
    else t.diagnostic('no ::1 here: IPv4 only');
    try {
      // Let the kernel move what it can into the client's receive buffer.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const sockets = pairs.map((entry) => entry.socket);
      const queues = await sendQueues(sockets);
      assert.ok(queues, 'the tables were read');
      for (const socket of sockets) {
        const key = sendQueueKey(socket)!;
        assert.ok(
          queues.get(key)! > 0,
          `${key} (${socket.localFamily}, ${socket.remoteAddress}) has bytes queued`,
        );
      }
      if (ipv6)
        assert.equal(sendQueueKey(pairs[2]!.socket)!.split(' ')[1], '127.0.0.1', 'the mapped peer as IPv4');
    } finally {
      for (const entry of pairs) entry.close();
    }
  });
});
