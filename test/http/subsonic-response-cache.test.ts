// Cached answers (getArtists & co.) must never be stale: any change to the database, a star included,
// shows in the next answer, and one user's cached answer is never served to another.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  ALICE,
  BOB,
  type Json,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
before(async () => {
  server = await startSubsonicServer();
});
after(() => server?.close());

const artistsOf = (answer: Json) =>
  ((answer.artists.index as Json[]) ?? []).flatMap((group) => group.artist as Json[]);

it('serves the same getArtists answer until something changes, then the new one', async () => {
  const first = await server.json('getArtists', {}, { user: ALICE });
  const again = await server.json('getArtists', {}, { user: ALICE });
  assert.deepEqual(again, first);
  const target = artistsOf(first)[0]!;
  assert.equal(target.starred, undefined);
  const star = await server.json('star', { artistId: target.id as string }, { user: ALICE });
  assert.equal(star.status, 'ok');
  const starred = artistsOf(await server.json('getArtists', {}, { user: ALICE })).find(
    (artist) => artist.id === target.id,
  )!;
  assert.ok(starred.starred, 'the star shows at once');
  // Another user never gets Alice's cached answer.
  const bobs = artistsOf(await server.json('getArtists', {}, { user: BOB })).find(
    (artist) => artist.id === target.id,
  );
  assert.equal(bobs?.starred, undefined);
});

it('keys the cache on every parameter (format, client, library)', async () => {
  const json = await server.json('getArtists', {}, { user: ALICE });
  const xml = await server.xmlText('getArtists', {}, { user: ALICE });
  assert.ok(xml.startsWith('<?xml'));
  const narrowed = await server.json(
    'getArtists',
    { musicFolderId: server.libraries.second },
    { user: ALICE },
  );
  assert.ok(artistsOf(narrowed).length < artistsOf(json).length);
  const legacy = await server.xmlText('getArtists', {}, { user: ALICE, client: 'DSub' });
  assert.doesNotMatch(legacy, /roles|sortName/);
  const modern = await server.xmlText('getArtists', {}, { user: ALICE });
  assert.match(modern, /sortName/);
});

it('drops cached answers when another connection changes the database', async () => {
  const before = artistsOf(await server.json('getArtists', {}, { user: ALICE })).length;
  const { Database } = await import('../../src/db/database.ts');
  const other = Database.open(server.db.file);
  other.sqlite
    .prepare(
      "UPDATE artist SET name = 'Renamed Elsewhere' WHERE id = (SELECT id FROM artist WHERE album_count > 0 ORDER BY id LIMIT 1)",
    )
    .run();
  await other.close();
  const names = artistsOf(await server.json('getArtists', {}, { user: ALICE })).map((artist) => artist.name);
  assert.equal(names.length, before);
  assert.ok(names.includes('Renamed Elsewhere'));
});

it('gzips large answers for clients that accept it, and only for them', async () => {
  const { request } = await import('node:http');
  const { gunzipSync } = await import('node:zlib');
  const get = (headers: Record<string, string>) =>
    new Promise<{ encoding: string | undefined; vary: string | undefined; body: Buffer }>(
      (resolve, reject) => {
        request(server.url('getArtists', {}, { user: ALICE, format: 'json' }), { headers }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              encoding: response.headers['content-encoding'],
              vary: response.headers.vary,
              body: Buffer.concat(chunks),
            }),
          );
        })
          .on('error', reject)
          .end();
      },
    );
  const plain = await get({});
  assert.equal(plain.encoding, undefined);
  const gzipped = await get({ 'accept-encoding': 'gzip' });
  assert.equal(gzipped.encoding, 'gzip');
  assert.match(gzipped.vary ?? '', /Accept-Encoding/i);
  assert.ok(gzipped.body.length < plain.body.length);
  assert.deepEqual(
    JSON.parse(gunzipSync(gzipped.body).toString('utf8')),
    JSON.parse(plain.body.toString('utf8')),
  );
});
