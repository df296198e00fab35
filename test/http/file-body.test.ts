// The pooled file sender (src/http/file-body.ts) on a real HTTP server on loopback with real files: exact
// bytes for ranges that cross its 64 KiB reads, no mixing of data between transfers that run at once
// while buffers are reused, the file closed whenever the client leaves, and a file that shrinks while
// it is sent failing the transfer instead of passing for a short, complete one.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openForReading, sendFileBody } from '../../src/http/file-body.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { eventually } from '../helpers/processes.ts';

const KIB = 1024;

/** Descriptors of this process open on `file`. */
function openDescriptors(file: string): number {
  let count = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('sending files through reused buffers', () => {
  let dir: string;
  let base: string;
  let server: http.Server;
  const files = new Map<string, Buffer>();

  before(async () => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-file-body-')));
    for (let index = 0; index < 8; index++) {
      // Larger than loopback socket buffers take in (so writes queue while a reader is slow), and not
      // a multiple of the read size.
      const data = randomBytes(8 * 1024 * KIB + index * 7919);
      files.set(`song-${index}.bin`, data);
      fs.writeFileSync(path.join(dir, `song-${index}.bin`), data);
    }
    server = http.createServer(async (request, response) => {
      const url = new URL(request.url!, 'http://localhost');
      const name = url.searchParams.get('file')!;
      const file = path.join(dir, name);
      const size = fs.statSync(file).size;
      const start = Number(url.searchParams.get('start') ?? 0);
      const end = Number(url.searchParams.get('end') ?? size - 1);
      const fd = await openForReading(file);
      if (url.searchParams.has('gone')) {
        response.destroy();
        await once(response, 'close');
      }
      response.writeHead(200, { 'Content-Length': end - start + 1 });
      sendFileBody(response, fd, start, end, silentLogger);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends exactly the bytes of ranges across read boundaries', async () => {
    const data = files.get('song-1.bin')!;
    const ranges: [number, number][] = [
      [0, 0],
      [64 * KIB - 1, 64 * KIB],
      [100_000, 299_999],
      [data.length - 1, data.length - 1],
      [0, data.length - 1],
    ];
    for (const [start, end] of ranges) {
      const body = Buffer.from(
        await (await fetch(`${base}/?file=song-1.bin&start=${start}&end=${end}`)).arrayBuffer(),
      );
      assert.equal(body.length, end - start + 1, `length of ${start}-${end}`);
      assert.ok(body.equals(data.subarray(start, end + 1)), `bytes of ${start}-${end}`);
    }
  });

  it('keeps transfers apart while they run at once and read at different speeds', async () => {
    const received = await Promise.all(
      [...files.keys()].map(
        (name, index) =>
          new Promise<Buffer>((resolve, reject) => {
            http
              .get(`${base}/?file=${name}`, (response) => {
                const chunks: Buffer[] = [];
                response.on('data', (chunk: Buffer) => {
                  chunks.push(chunk);
                  // Slow readers make the server wait for 'drain' while others take buffers from the pool.
                  if (index % 2 === 0) {
                    response.pause();
                    setTimeout(() => response.resume(), 1 + (chunks.length % 3));
                  }
                });
                response.on('end', () => resolve(Buffer.concat(chunks)));
                response.on('error', reject);
              })
              .on('error', reject);
          }),
      ),
    );
    for (const [index, name] of [...files.keys()].entries()) {
      assert.equal(sha(received[index]!), sha(files.get(name)!), `${name} arrives unchanged`);
    }
  });

  it('closes the file when the client leaves part way', async () => {
    // Larger than what loopback socket buffers take in, so the server is still sending when the client goes.
    const file = path.join(dir, 'large.bin');
    fs.writeFileSync(file, randomBytes(32 * 1024 * KIB));
    const whileSending = await new Promise<number>((resolve, reject) => {
      const request = http.get(`${base}/?file=large.bin`, (response) => {
        response.once('data', () => {
          response.pause();
          setTimeout(() => {
            const count = openDescriptors(file);
            request.destroy();
            resolve(count);
          }, 50);
        });
      });
      request.on('error', (error) => {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
      });
    });
    assert.equal(whileSending, 1, 'open while the transfer waits for its reader');
    assert.equal(await eventually(() => openDescriptors(file), (count) => count === 0), 0);
  });

  it('closes the file when the client left before it was open', async () => {
    const file = path.join(dir, 'song-3.bin');
    await fetch(`${base}/?file=song-3.bin&gone=1`).catch(() => undefined);
    assert.equal(await eventually(() => openDescriptors(file), (count) => count === 0), 0);
  });

  it('fails the transfer when the file shrinks while it is sent', async () => {
    const name = 'shrinking.bin';
    const file = path.join(dir, name);
    fs.writeFileSync(file, randomBytes(32 * 1024 * KIB));
    const outcome = await new Promise<string>((resolve) => {
      http
        .get(`${base}/?file=${name}`, (response) => {
          let bytes = 0;
          response.once('data', () => {
            response.pause();
            fs.truncateSync(file, 100 * KIB);
            response.resume();
          });
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
          });
          response.on('end', () => resolve(`complete with ${bytes} bytes`));
          response.on('error', () => resolve('failed'));
          response.on('aborted', () => resolve('failed'));
        })
        .on('error', () => resolve('failed'));
    });
    assert.equal(outcome, 'failed');
    assert.equal(await eventually(() => openDescriptors(file), (count) => count === 0), 0);
  });
});
