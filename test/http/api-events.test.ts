// GET /api/v1/events: live events as Server-Sent Events over a real server with real scans. Who receives
// what (libraries a user may see, their own notifications, now playing as getNowPlaying shows it), the
// SSE details (retry, ids, Last-Event-ID resume from the ring, heartbeats, no buffering), streams that end
// when the client goes (no listener left behind), the per-user cap, and a shutdown that does not wait for
// open streams.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SCAN_PROGRESS_INTERVAL_MS } from '../../src/library/scan-events.ts';
import { makeAudio } from '../helpers/audio.ts';
import { waitFor } from '../helpers/http.ts';
import { type LiveServer, openEventStream, type SseEvent, startLiveServer } from '../helpers/live-server.ts';

let server: LiveServer;

before(async () => {
  server = await startLiveServer({ events: { heartbeatMs: 150, maxStreamsPerUser: 3, bufferSize: 20 } });
});
after(async () => {
  await server?.close();
});

const userId = (username: string) =>
  server.db.prepare('SELECT id FROM user WHERE username = ?').pluck().get(username) as string;

const about = (libraryId: number) => (event: SseEvent) =>
  (event.data as { libraryId?: number } | undefined)?.libraryId === libraryId;

describe('the stream itself', () => {
  it('answers an event stream that nothing buffers, opening with retry and a ready event', async () => {
    const client = await openEventStream(server, 'alice', { headers: { 'Accept-Encoding': 'gzip, br' } });
    try {
      assert.equal(client.status, 200);
      assert.match(String(client.headers['content-type']), /^text\/event-stream/);
      assert.equal(client.headers['x-accel-buffering'], 'no');
      assert.match(String(client.headers['cache-control']), /no-store/);
      assert.match(String(client.headers['cache-control']), /no-transform/);
      assert.equal(client.headers['content-encoding'], undefined);
      const ready = await client.waitFor((event) => event.event === 'ready');
      assert.deepEqual(ready.data, { resumed: true });
      assert.match(ready.id ?? '', /^[0-9a-f]+-\d+$/);
      assert.match(client.text(), /^retry: \d+\n\n/);
    } finally {
      client.close();
    }
  });

  it('sends heartbeat comments while nothing happens', async () => {
    const client = await openEventStream(server, 'alice');
    try {
      await waitFor(() => client.comments >= 2, 3000);
      assert.match(client.text(), /\n: keep-alive\n\n/);
    } finally {
      client.close();
    }
  });

  it('refuses callers without credentials', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/events`);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
  });

  it('answers HEAD without opening a stream', async () => {
    const response = await server.api('/api/v1/events', 'carol', { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(server.services.events.listenerCount(userId('carol')), 0);
  });

  it('refuses unknown topics', async () => {
    const response = await server.api('/api/v1/events?topics=gossip', 'alice');
    assert.equal(response.status, 400);
  });
});

describe('scan events during a real scan', () => {
  it('reports progress a few times a second, then counts, to users who may see the library only', async () => {
    const alice = await openEventStream(server, 'alice');
    const dave = await openEventStream(server, 'dave'); // sees only "other"
    try {
      await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          makeAudio(path.join(server.roots.main, `New/Batch/${String(index + 1).padStart(2, '0')}.flac`), {
            format: 'flac',
            durationSec: 2,
            frequency: 300 + index * 10,
            tags: { title: `New ${index + 1}`, artist: 'Newcomer', album: 'Batch', track: String(index + 1) },
          }),
        ),
      );
      const started = Date.now();
      await server.scanner.scan({ libraryIds: [server.libraries.main] });
      const took = Date.now() - started;

      const finished = await alice.waitFor((event) => event.event === 'scan.finished');
      assert.equal((finished.data as { libraryId: number }).libraryId, server.libraries.main);
      assert.equal((finished.data as { added: number }).added, 12);
      assert.equal((finished.data as { offline: string | null }).offline, null);
      const changed = await alice.waitFor((event) => event.event === 'library.changed');
      assert.deepEqual(changed.data, {
        libraryId: server.libraries.main,
        source: 'scan',
        added: 12,
        updated: 0,
        removed: 0,
        moved: 0,
      });

      const progress = alice.events.filter((event) => event.event === 'scan.progress');
      assert.ok(progress.length >= 2, 'progress while scanning');
      assert.ok(progress.every(about(server.libraries.main)));
      assert.ok(progress.some((event) => (event.data as { phase: string }).phase === 'walking'));
      const reading = progress.filter((event) => (event.data as { phase: string }).phase === 'reading');
      assert.equal((reading.at(-1)!.data as { filesRead: number }).filesRead, 12);
      assert.equal((reading.at(-1)!.data as { filesToRead: number }).filesToRead, 12);
      assert.equal((progress.at(-1)!.data as { phase: string }).phase, 'finishing');
      // Throttled: the first, one a tick, the last of the library and the finishing one at most.
      assert.ok(
        progress.length <= Math.ceil(took / SCAN_PROGRESS_INTERVAL_MS) + 3,
        `${progress.length} progress events in ${took} ms`,
      );
      // Ids increase.
      const sequence = alice.events
        .filter((event) => event.id)
        .map((event) => Number(event.id!.split('-')[1]));
      assert.deepEqual(
        sequence,
        [...sequence].sort((a, b) => a - b),
      );

      // dave sees nothing of "main".
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(dave.events.filter(about(server.libraries.main)).length, 0);
      assert.deepEqual(
        dave.events.map((event) => event.event),
        ['ready'],
      );
    } finally {
      alice.close();
      dave.close();
    }
  });

  it('a scan of "other" reaches dave too; topics narrow a stream', async () => {
    const dave = await openEventStream(server, 'dave');
    const onlyNotifications = await openEventStream(server, 'alice', { query: '?topics=notification' });
    try {
      await server.scanner.scan({ libraryIds: [server.libraries.other] });
      const finished = await dave.waitFor((event) => event.event === 'scan.finished');
      assert.equal((finished.data as { libraryId: number }).libraryId, server.libraries.other);
      assert.equal((finished.data as { unchanged: number }).unchanged, 1);
      // Nothing changed: no library.changed.
      assert.equal(dave.events.filter((event) => event.event === 'library.changed').length, 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(
        onlyNotifications.events.map((event) => event.event),
        ['ready'],
      );
    } finally {
      dave.close();
      onlyNotifications.close();
    }
  });
});

describe('now playing and notifications', () => {
  const trackIn = (libraryId: number) =>
    server.db
      .prepare('SELECT id FROM track WHERE library_id = ? ORDER BY path LIMIT 1')
      .pluck()
      .get(libraryId) as string;

  const nowPlaying = (who: 'alice' | 'bob', id: string, submission = 'false') =>
    fetch(
      `${server.baseUrl}/rest/scrobble?${new URLSearchParams({ u: who, p: server.passwords[who], v: '1.16.1', c: 'phone', f: 'json', id, submission })}`,
    ).then((response) => response.json());

  it('follows getNowPlaying visibility: an entry reaches those who may see its track', async () => {
    const bob = await openEventStream(server, 'bob');
    const dave = await openEventStream(server, 'dave');
    try {
      const mainTrack = trackIn(server.libraries.main);
      await nowPlaying('alice', mainTrack);
      const playing = await bob.waitFor((event) => event.event === 'nowPlaying.changed');
      const data = playing.data as {
        action: string;
        entry: { username: string; trackId: string; state: string };
      };
      assert.equal(data.action, 'playing');
      assert.equal(data.entry.username, 'alice');
      assert.equal(data.entry.trackId, mainTrack);
      assert.equal(data.entry.state, 'playing');

      const otherTrack = trackIn(server.libraries.other);
      await nowPlaying('alice', otherTrack);
      const seen = await dave.waitFor((event) => event.event === 'nowPlaying.changed');
      assert.equal((seen.data as { entry: { trackId: string } }).entry.trackId, otherTrack);
      // dave never got the entry of the track in "main".
      assert.equal(
        dave.events.filter(
          (event) =>
            event.event === 'nowPlaying.changed' &&
            (event.data as { entry: { trackId: string } }).entry.trackId === mainTrack,
        ).length,
        0,
      );
    } finally {
      bob.close();
      dave.close();
    }
  });

  it('delivers a notification to its user only', async () => {
    const alice = await openEventStream(server, 'alice');
    const bob = await openEventStream(server, 'bob');
    try {
      const aliceId = userId('alice');
      server.services.events.publish(
        'notification',
        {
          id: 'n-1',
          kind: 'release.new',
          title: 'A new album',
          message: 'Band released Album',
          subject: { type: 'album', id: 'al-x' },
          createdAt: new Date().toISOString(),
        },
        { userId: aliceId },
      );
      const note = await alice.waitFor((event) => event.event === 'notification');
      assert.equal((note.data as { kind: string }).kind, 'release.new');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(bob.events.filter((event) => event.event === 'notification').length, 0);
    } finally {
      alice.close();
      bob.close();
    }
  });
});

describe('resuming with Last-Event-ID', () => {
  const publishFor = (libraryId: number, added: number) =>
    server.services.events.publish(
      'library.changed',
      { libraryId, source: 'scan', added, updated: 0, removed: 0, moved: 0 },
      { libraryIds: [libraryId] },
    );

  it('replays what the user missed, and only what they may see', async () => {
    const first = await openEventStream(server, 'dave');
    const ready = await first.waitFor((event) => event.event === 'ready');
    first.close();
    publishFor(server.libraries.other, 1);
    publishFor(server.libraries.main, 2); // not for dave
    publishFor(server.libraries.other, 3);
    const again = await openEventStream(server, 'dave', { headers: { 'Last-Event-ID': ready.id! } });
    try {
      const resumed = await again.waitFor((event) => event.event === 'ready');
      assert.deepEqual(resumed.data, { resumed: true });
      assert.deepEqual(
        again.events.map((event) => [event.event, (event.data as { added?: number }).added]),
        [
          ['library.changed', 1],
          ['library.changed', 3],
          ['ready', undefined],
        ],
      );
      // The query parameter does the same for clients that cannot set the header.
      const byQuery = await openEventStream(server, 'dave', {
        query: `?lastEventId=${encodeURIComponent(ready.id!)}`,
      });
      await byQuery.waitFor((event) => event.event === 'ready');
      assert.equal(byQuery.events.filter((event) => event.event === 'library.changed').length, 2);
      byQuery.close();
    } finally {
      again.close();
    }
  });

  it('says it cannot resume from an id of another run or one older than the ring', async () => {
    const stranger = await openEventStream(server, 'alice', { headers: { 'Last-Event-ID': 'deadbeef-3' } });
    assert.deepEqual((await stranger.waitFor((event) => event.event === 'ready')).data, { resumed: false });
    stranger.close();

    const first = await openEventStream(server, 'alice');
    const ready = await first.waitFor((event) => event.event === 'ready');
    first.close();
    for (let index = 0; index < 25; index++) publishFor(server.libraries.main, index); // ring holds 20
    const late = await openEventStream(server, 'alice', { headers: { 'Last-Event-ID': ready.id! } });
    const answer = await late.waitFor((event) => event.event === 'ready');
    assert.deepEqual(answer.data, { resumed: false });
    assert.equal(late.events.filter((event) => event.event === 'library.changed').length, 0);
    late.close();
  });
});

describe('stream lifetimes', () => {
  it('forgets a stream when its client goes: no listener is left behind', async () => {
    await waitFor(() => server.services.events.listenerCount() === 0, 3000);
    for (let round = 0; round < 3; round++) {
      const clients = await Promise.all([
        openEventStream(server, 'alice'),
        openEventStream(server, 'bob'),
        openEventStream(server, 'carol'),
      ]);
      assert.equal(server.services.events.listenerCount(), 3);
      assert.equal(server.services.events.listenerCount(userId('bob')), 1);
      for (const client of clients) client.close();
      await waitFor(() => server.services.events.listenerCount() === 0, 3000);
    }
    // Publishing to nobody is fine.
    server.services.events.publish(
      'library.changed',
      { libraryId: server.libraries.main, source: 'scan', added: 1, updated: 0, removed: 0, moved: 0 },
      { libraryIds: [server.libraries.main] },
    );
  });

  it('caps the streams one user may hold open (429), leaving other users alone', async () => {
    const open = await Promise.all([1, 2, 3].map(() => openEventStream(server, 'alice')));
    try {
      const refused = await server.api('/api/v1/events', 'alice');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      const body = (await refused.json()) as { type: string };
      assert.equal(body.type, 'urn:tonearm:error:TOO_MANY_EVENT_STREAMS');
      const bob = await openEventStream(server, 'bob');
      assert.equal(bob.status, 200);
      bob.close();
      open.pop()!.close();
      await waitFor(() => server.services.events.listenerCount(userId('alice')) === 2, 3000);
      const another = await openEventStream(server, 'alice');
      assert.equal(another.status, 200);
      another.close();
    } finally {
      for (const client of open) client.close();
    }
  });

  it('ends every stream at shutdown, so closing the server does not wait for them', async () => {
    const own = await startLiveServer();
    const clients = await Promise.all([openEventStream(own, 'alice'), openEventStream(own, 'bob')]);
    await Promise.all(clients.map((client) => client.waitFor((event) => event.event === 'ready')));
    const log = own.logText;
    const started = Date.now();
    // stopStreams, then the HTTP server, which cuts requests still open after 2 s (shutdownTimeoutMs).
    await own.close();
    const took = Date.now() - started;
    await Promise.all(clients.map((client) => client.ended));
    assert.doesNotMatch(log(), /shutdown timeout/);
    assert.ok(took < 2000, `closing took ${took} ms`);
    assert.equal(own.services.events.listenerCount(), 0);
    // A server that is shutting down opens no new stream.
    assert.throws(
      () => own.services.events.subscribe({ userId: 'x', libraryIds: [] }, () => {}, { onClose() {} }),
      /shutting down/,
    );
  });
});
