// The native API's read routes (route.read) run in the read workers when the server has some, as
// Subsonic's read-only endpoints do (src/http/read-pool.ts, src/http/api/read-worker.ts): each request is
// answered by a worker, the body is the very text the main thread makes, errors come back as the same
// problem details, library restrictions hold, and large answers are gzipped in the worker. The test
// server checks every answer against its schema, in the worker too.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { updateUser } from '../../src/accounts/users.service.ts';
import { type AnyReadRoute, route, runRead } from '../../src/http/api/route.ts';
import {
  ADMIN,
  BOB,
  type Json,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
const keys: Record<string, string> = {};

before(async () => {
  // No kept answers: every request here is to reach a worker (answer-cache.test.ts covers keeping).
  server = await startSubsonicServer({ readWorkers: 2, http: { answerCache: 0 } });
  for (const user of [ADMIN, BOB]) keys[user.username] = createApiKey(server.db, user.username).key;
  await updateUser(server.db, BOB.username, { libraryIds: [server.libraries.second] });
});
after(() => server?.close());

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function get(path: string, user = ADMIN): Promise<Answer> {
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
    headers: { Authorization: `Bearer ${keys[user.username]}` },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** `get`, counting the answers the read workers gave meanwhile. */
async function counted(path: string, user = ADMIN): Promise<Answer & { byWorker: number }> {
  const before = server.readPool!.answered;
  const answer = await get(path, user);
  return { ...answer, byWorker: server.readPool!.answered - before };
}

/** Problem details without the request id (every request has its own). */
function problemOf(answer: Answer): Json {
  assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
  const { requestId, ...problem } = JSON.parse(answer.text) as Json;
  assert.ok(requestId);
  return { status: answer.status, ...problem };
}

/** Paths of every read route, with ids of real items. */
async function readPaths(): Promise<string[]> {
  const album = (JSON.parse((await get('/albums?limit=1')).text) as Json).items[0];
  const track = (JSON.parse((await get(`/tracks?albumId=${album.id}`)).text) as Json).items[0];
  const folder = (JSON.parse((await get('/folders')).text) as Json).items[0];
  return [
    '/libraries',
    '/genres',
    '/folders',
    `/folders/${folder.id}?limit=2`,
    '/search?q=o&limit=3',
    '/artists?sort=name',
    `/artists/${album.artistId}`,
    `/artists/${album.artistId}/albums`,
    `/artists/${album.artistId}/top-tracks`,
    `/artists/${album.artistId}/similar`,
    '/albums?limit=3&sort=year&order=desc',
    `/albums/${album.id}`,
    '/tracks?limit=500',
    `/tracks/${track.id}`,
    `/tracks/${track.id}/lyrics`,
  ];
}

describe('read routes in the read workers', () => {
  it('are each answered by a worker, with the same body as the main thread gives', async () => {
    const paths = await readPaths();
    const fromWorkers = new Map<string, string>();
    for (const path of paths) {
      const answer = await counted(path);
      assert.equal(answer.status, 200, `${path}: ${answer.text}`);
      assert.equal(answer.byWorker, 1, `${path} answered by a worker`);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
      fromWorkers.set(path, answer.text);
    }
    // Without workers (the pool closed: none starts again), the main thread answers the same text.
    await server.readPool!.close();
    for (const path of paths) {
      const answer = await counted(path);
      assert.equal(answer.byWorker, 0, `${path} answered by the main thread`);
      assert.equal(answer.text, fromWorkers.get(path), path);
    }
  });
});

describe('read routes in the read workers: problems, restrictions, gzip', () => {
  let pooled: SubsonicServer;
  let plain: SubsonicServer;
  const pooledKeys: Record<string, string> = {};
  const plainKeys: Record<string, string> = {};
  before(async () => {
    [pooled, plain] = await Promise.all([
      startSubsonicServer({ readWorkers: 1, http: { answerCache: 0 } }),
      startSubsonicServer({ readWorkers: 0, http: { answerCache: 0 } }),
    ]);
    for (const [one, its] of [
      [pooled, pooledKeys],
      [plain, plainKeys],
    ] as const) {
      for (const user of [ADMIN, BOB]) its[user.username] = createApiKey(one.db, user.username).key;
      await updateUser(one.db, BOB.username, { libraryIds: [one.libraries.second] });
    }
  });
  after(async () => {
    await pooled?.close();
    await plain?.close();
  });

  const fetchFrom = async (one: SubsonicServer, its: Record<string, string>, path: string, user = ADMIN) => {
    const response = await fetch(`${one.baseUrl}/api/v1${path}`, {
      headers: { Authorization: `Bearer ${its[user.username]}` },
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  it('answer a 404 and a 400 from a worker as the same problem details as the main thread', async () => {
    for (const path of [
      '/albums/al-doesnotexist',
      '/tracks/tr-nope/lyrics',
      '/albums?sort=nonsense',
      '/search?q=x&limit=1000',
      '/albums?cursor=not-a-cursor',
    ]) {
      const before = pooled.readPool!.answered;
      const fromWorker = await fetchFrom(pooled, pooledKeys, path);
      assert.equal(pooled.readPool!.answered - before, 1, `${path} answered by a worker`);
      const fromMain = await fetchFrom(plain, plainKeys, path);
      assert.ok([400, 404].includes(fromWorker.status), `${path}: ${fromWorker.status}`);
      assert.deepEqual(problemOf(fromWorker), problemOf(fromMain), path);
    }
    const missing = problemOf(await fetchFrom(pooled, pooledKeys, '/albums/al-doesnotexist'));
    assert.equal(missing.status, 404);
    assert.equal(missing.type, 'urn:tonearm:error:NOT_FOUND');
    const invalid = problemOf(await fetchFrom(pooled, pooledKeys, '/albums?sort=nonsense'));
    assert.equal(invalid.status, 400);
    assert.equal(invalid.type, 'urn:tonearm:error:INVALID_INPUT');
    assert.match(invalid.detail, /query parameter sort/);
  });

  it("hold a user's library restrictions in the worker", async () => {
    const before = pooled.readPool!.answered;
    const list = async (path: string) =>
      JSON.parse((await fetchFrom(pooled, pooledKeys, path, BOB)).text) as Json;
    const albums = (await list('/albums?limit=500')).items as Json[];
    assert.deepEqual(albums.map((album) => album.name).sort(), ['Root Album', 'Zed Album']);
    const tracks = (await list('/tracks?limit=500')).items as Json[];
    assert.ok(tracks.every((track) => track.libraryId === pooled.libraries.second));
    assert.deepEqual(
      ((await list('/libraries')).items as Json[]).map((library) => library.name),
      ['second'],
    );
    assert.deepEqual((await list('/search?q=one')).albums, []);
    const visible = ((await list('/albums?limit=500&sort=name')).items as Json[]).map((album) => album.id);
    const everyAlbum = JSON.parse((await fetchFrom(pooled, pooledKeys, '/albums?limit=500')).text)
      .items as Json[];
    const other = everyAlbum.find((album) => !visible.includes(album.id))!;
    const refused = await fetchFrom(pooled, pooledKeys, `/albums/${other.id}`, BOB);
    assert.equal(refused.status, 404);
    assert.equal(pooled.readPool!.answered - before, 7, 'every one answered by the worker');
  });

  it('gzip large answers in the worker for clients that take gzip, and say Vary: Accept-Encoding', async () => {
    const raw = (one: SubsonicServer, its: Record<string, string>, path: string, encoding: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get(
            `${one.baseUrl}/api/v1${path}`,
            { headers: { authorization: `Bearer ${its.admin}`, 'accept-encoding': encoding } },
            (response) => {
              const chunks: Buffer[] = [];
              response.on('data', (chunk: Buffer) => chunks.push(chunk));
              response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
            },
          )
          .on('error', reject);
      });
    for (const [one, its] of [
      [pooled, pooledKeys],
      [plain, plainKeys],
    ] as const) {
      const zipped = await raw(one, its, '/tracks?limit=500', 'gzip');
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.match(zipped.headers.vary ?? '', /Accept-Encoding/);
      const plainText = await raw(one, its, '/tracks?limit=500', 'identity');
      assert.equal(plainText.headers['content-encoding'], undefined);
      assert.equal(gunzipSync(zipped.body).toString('utf8'), plainText.body.toString('utf8'));
      const small = await raw(one, its, '/libraries?', 'gzip');
      assert.equal(small.headers['content-encoding'], undefined, 'small answers stay as they are');
    }
  });
});

describe('runRead (the code path of the workers and the main thread)', () => {
  const wrong = route({
    method: 'get',
    path: '/wrong',
    tag: 'Test',
    summary: 'answers something its schema does not allow',
    access: 'user',
    query: z.object({ n: z.coerce.number().int().max(9) }),
    response: z.object({ n: z.number() }),
    read: ({ query }) => ({ n: String(query.n) as unknown as number }),
  }) as AnyReadRoute;
  const env = {
    db: undefined as never,
    catalog: undefined as never,
    config: undefined as never,
    log: undefined as never,
  };

  it('checks the answer against its schema when asked (tests), and the input always', () => {
    const input = { user: undefined, params: {}, query: { n: '3' } };
    assert.equal(runRead(wrong, env, { ...input, validate: false }), '{"n":"3"}');
    assert.throws(
      () => runRead(wrong, env, { ...input, validate: true }),
      /answer of GET \/wrong does not match/,
    );
    assert.throws(
      () => runRead(wrong, env, { ...input, query: { n: '10' }, validate: false }),
      (error: Error & { code?: string }) =>
        error.code === 'INVALID_INPUT' && /query parameter n/.test(error.message),
    );
  });
});
