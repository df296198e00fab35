// Following artists (src/activity/follows.ts) end to end: starring an artist follows it; a scan that
// finds a new album of it, followed by the `new-releases` job, gives exactly one notification to each
// follower who may see the album (none to others), delivered over the live event stream to a connected
// client, listed by GET /api/v1/notifications and marked read; a rescan announces nothing again.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/activity-api.ts';
import { makeAudio } from '../helpers/audio.ts';
import { type LiveServer, openEventStream, type Person, startLiveServer } from '../helpers/live-server.ts';

let server: LiveServer;

before(async () => {
  server = await startLiveServer();
});
after(async () => {
  await server?.close();
});

async function json(
  who: Person,
  pathname: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json }> {
  const response = await server.api(`/api/v1${pathname}`, who, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const artistId = async (who: Person, name: string) =>
  ((await json(who, '/artists?limit=100')).body.items as { id: string; name: string }[]).find(
    (artist) => artist.name === name,
  )!.id;

async function announce(): Promise<void> {
  server.services.jobs.enqueue('new-releases');
  await server.services.jobs.runDue();
}

describe('new releases of followed artists', () => {
  it('notify each follower who can see the album once, live and in the list', async () => {
    // What `serve` does at start: the first check notes the time (what is there is not news).
    await announce();
    const band = await artistId('alice', 'Band');
    const solo = await artistId('dave', 'Solo');
    for (const who of ['alice', 'bob'] as const)
      assert.equal((await json(who, `/stars/${band}`, { method: 'PUT' })).status, 204);
    // Dave follows Solo, but only sees the other library: Solo's new album lands in the main one.
    assert.equal((await json('dave', `/stars/${solo}`, { method: 'PUT' })).status, 204);
    assert.equal(
      (await json('dave', `/stars/${band}`, { method: 'PUT' })).status,
      404,
      'Band is not his to see',
    );

    const live = await openEventStream(server, 'alice', { query: '?topics=notification' });
    try {
      await live.waitFor((event) => event.event === 'ready');
      await makeAudio(path.join(server.roots.main, 'Band/Second Album/01 - New.mp3'), {
        format: 'mp3',
        tags: { title: 'New', artist: 'Band', album: 'Second Album', album_artist: 'Band', track: '1' },
      });
      await makeAudio(path.join(server.roots.main, 'Solo/Away/01 - Far.mp3'), {
        format: 'mp3',
        tags: { title: 'Far', artist: 'Solo', album: 'Away', album_artist: 'Solo', track: '1' },
      });
      await server.scanner.scan();
      await announce();
      const event = await live.waitFor((received) => received.event === 'notification');
      const data = event.data as { kind: string; title: string; subject: { type: string; id: string } };
      assert.equal(data.kind, 'release.new');
      assert.equal(data.title, 'New from Band');
      assert.equal(data.subject.type, 'album');
      const album = (await json('alice', `/albums/${data.subject.id}`)).body;
      assert.equal(album.name, 'Second Album');
    } finally {
      live.close();
    }

    const listed = async (who: Person, query = '') =>
      (await json(who, `/notifications${query}`)).body.items as { id: string; subject: { id: string } }[];
    assert.equal((await listed('alice')).length, 1);
    assert.equal((await listed('bob')).length, 1);
    assert.equal((await listed('carol')).length, 0, 'carol follows nobody');
    assert.equal((await listed('dave')).length, 0, 'dave cannot see the main library');
    assert.equal((await listed('admin')).length, 0);

    // Announcing again, after a rescan, adds nothing: one notification per follower and album.
    await server.scanner.scan();
    await announce();
    assert.equal((await listed('alice')).length, 1);
    const count = server.db.prepare('SELECT count(*) FROM notification').pluck().get();
    assert.equal(count, 2);

    const [mine] = await listed('alice');
    const marked = await json('alice', '/notifications/read', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ids: [mine!.id] }),
    });
    assert.deepEqual(marked.body, { marked: 1 });
    assert.equal((await listed('alice', '?unread=true')).length, 0);
    assert.equal((await listed('alice')).length, 1, 'read ones stay listed');
    // Bob's stays unread: ids of others change nothing.
    const foreign = await json('bob', '/notifications/read', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ids: [mine!.id] }),
    });
    assert.deepEqual(foreign.body, { marked: 0 });
    assert.equal((await listed('bob', '?unread=true')).length, 1);
    const all = await json('bob', '/notifications/read', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ all: true }),
    });
    assert.deepEqual(all.body, { marked: 1 });
  });
});
