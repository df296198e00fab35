import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import Koa from 'koa';
import { startServer } from '../../src/http/server.ts';
import { isTonearmError } from '../../src/shared/errors.ts';
import { silentLogger } from '../../src/shared/logger.ts';

/** An app whose /slow requests wait until release() is called. */
function slowApp() {
  const waiting: (() => void)[] = [];
  let entered = 0;
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.path === '/slow') {
      entered++;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    ctx.body = `done ${ctx.path}`;
  });
  return {
    app,
    entered: () => entered,
    release: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(check(), 'condition not reached');
}

/** GET over a keep-alive agent; the socket stays open afterwards. */
function keepAliveGet(url: string, agent: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

describe('startServer', () => {
  test('listens on the given address and reports url and port', async () => {
    const { app } = slowApp();
    const server = await startServer(app, { host: '127.0.0.1', port: 0, logger: silentLogger });
    try {
      assert.ok(server.port > 0);
      assert.equal(server.url, `http://127.0.0.1:${server.port}`);
      assert.equal(await (await fetch(`${server.url}/x`)).text(), 'done /x');
    } finally {
      await server.close();
    }
  });

  test('close() lets requests in flight finish, then refuses new connections', async () => {
    const { app, entered, release } = slowApp();
    const server = await startServer(app, { host: '127.0.0.1', port: 0, logger: silentLogger });
    const agent = new http.Agent({ keepAlive: true });
    const slow = keepAliveGet(`${server.url}/slow`, agent);
    await until(() => entered() === 1);
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(closed, false, 'close waits for the request in flight');
    await assert.rejects(fetch(`${server.url}/x`), 'no new connections while closing');
    release();
    assert.equal(await slow, 'done /slow');
    await closing;
    assert.equal(closed, true);
    agent.destroy();
  });

  test('idle keep-alive connections do not hold up close()', async () => {
    const { app } = slowApp();
    const server = await startServer(app, { host: '127.0.0.1', port: 0, logger: silentLogger });
    const agent = new http.Agent({ keepAlive: true });
    assert.equal(await keepAliveGet(`${server.url}/a`, agent), 'done /a');
    const started = Date.now();
    await server.close();
    // Node's keep-alive timeout is 5 s; an idle socket must be closed at once instead.
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
    agent.destroy();
  });

  test('requests still running at the timeout are cut off', async () => {
    const { app, entered } = slowApp();
    const server = await startServer(app, {
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      shutdownTimeoutMs: 150,
    });
    const agent = new http.Agent({ keepAlive: true });
    const hung = keepAliveGet(`${server.url}/slow`, agent);
    await until(() => entered() === 1);
    const started = Date.now();
    await server.close();
    const took = Date.now() - started;
    assert.ok(took >= 100 && took < 2000, `close took ${took} ms`);
    await assert.rejects(hung);
    agent.destroy();
  });

  test('a port in use is a clear LISTEN error', async () => {
    const { app } = slowApp();
    const first = await startServer(app, { host: '127.0.0.1', port: 0, logger: silentLogger });
    try {
      await assert.rejects(
        startServer(app, { host: '127.0.0.1', port: first.port, logger: silentLogger }),
        (error) => {
          assert.ok(isTonearmError(error));
          assert.equal(error.code, 'LISTEN');
          assert.match(error.message, /already in use/);
          return true;
        },
      );
    } finally {
      await first.close();
    }
  });
});
