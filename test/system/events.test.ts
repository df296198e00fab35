// The event hub on its own (src/system/events.ts): who receives what, the ring behind Last-Event-ID, the
// per-user cap, and close. The SSE transport over a real server: test/http/api-events.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EventViewer, EventHub, type LiveEvent } from '../../src/system/events.ts';

const changed = (libraryId: number) => ({
  libraryId,
  source: 'scan' as const,
  added: 1,
  updated: 0,
  removed: 0,
  moved: 0,
});
const note = { id: 'n', kind: 'upload.scanned', title: 't', message: 'm', subject: null, createdAt: '' };
const viewer = (userId: string, libraryIds: number[]): EventViewer => ({ userId, libraryIds });

describe('EventHub', () => {
  it('delivers library events to users who see one of the libraries, notifications to their user', () => {
    const hub = new EventHub();
    const got: Record<string, string[]> = { a: [], b: [] };
    hub.subscribe(
      viewer('a', [1]),
      (event) => got.a!.push(`${event.topic}:${JSON.stringify(event.audience)}`),
      {
        onClose() {},
      },
    );
    hub.subscribe(
      viewer('b', [2]),
      (event) => got.b!.push(`${event.topic}:${JSON.stringify(event.audience)}`),
      {
        onClose() {},
      },
    );
    hub.publish('library.changed', changed(1), { libraryIds: [1] });
    hub.publish('library.changed', changed(2), { libraryIds: [1, 2] });
    hub.publish('notification', note, { userId: 'b' });
    assert.deepEqual(got.a, ['library.changed:{"libraryIds":[1]}', 'library.changed:{"libraryIds":[1,2]}']);
    assert.deepEqual(got.b, ['library.changed:{"libraryIds":[1,2]}', 'notification:{"userId":"b"}']);
  });

  it('filters by topic', () => {
    const hub = new EventHub();
    const got: string[] = [];
    hub.subscribe(viewer('a', [1]), (event) => got.push(event.topic), {
      topics: new Set(['notification']),
      onClose() {},
    });
    hub.publish('library.changed', changed(1), { libraryIds: [1] });
    hub.publish('notification', note, { userId: 'a' });
    assert.deepEqual(got, ['notification']);
  });

  it('replays from the ring after a known id, and says when it cannot', () => {
    const hub = new EventHub({ bufferSize: 3 });
    const start = hub.lastId();
    const first = hub.publish('library.changed', changed(1), { libraryIds: [1] });
    hub.publish('library.changed', changed(2), { libraryIds: [2] });
    hub.publish('library.changed', changed(1), { libraryIds: [1] });
    const resume = (lastEventId: string) =>
      hub.subscribe(viewer('a', [1]), () => {}, { lastEventId, onClose() {} });
    const fromStart = resume(start);
    assert.deepEqual(
      fromStart.missed?.map((event: LiveEvent) => event.id),
      [first.id, hub.lastId()],
    );
    fromStart.unsubscribe();
    assert.deepEqual(resume(hub.lastId()).missed, []);
    hub.publish('library.changed', changed(1), { libraryIds: [1] }); // the ring drops `first`
    assert.equal(resume(start).missed, undefined);
    assert.equal(resume('0000-1').missed, undefined);
    assert.equal(resume('garbage').missed, undefined);
    assert.equal(resume(`${hub.lastId().split('-')[0]}-999`).missed, undefined);
  });

  it('caps streams per user, counts them back down, and ends them all on close', () => {
    const hub = new EventHub({ maxStreamsPerUser: 2 });
    const closed: string[] = [];
    const one = hub.subscribe(viewer('a', []), () => {}, { onClose: () => closed.push('one') });
    hub.subscribe(viewer('a', []), () => {}, { onClose: () => closed.push('two') });
    assert.throws(() => hub.subscribe(viewer('a', []), () => {}, { onClose() {} }), /at most 2/);
    hub.subscribe(viewer('b', []), () => {}, { onClose: () => closed.push('b') });
    one.unsubscribe();
    one.unsubscribe();
    assert.equal(hub.listenerCount('a'), 1);
    hub.close();
    assert.deepEqual(closed.sort(), ['b', 'two']);
    assert.equal(hub.listenerCount(), 0);
    assert.throws(() => hub.subscribe(viewer('a', []), () => {}, { onClose() {} }), /shutting down/);
  });

  it('drops a listener that throws and goes on delivering to the others', () => {
    const hub = new EventHub();
    const got: number[] = [];
    hub.subscribe(
      viewer('a', [1]),
      () => {
        throw new Error('socket gone');
      },
      { onClose() {} },
    );
    hub.subscribe(viewer('b', [1]), () => got.push(1), { onClose() {} });
    hub.publish('library.changed', changed(1), { libraryIds: [1] });
    assert.equal(hub.listenerCount('a'), 0);
    assert.deepEqual(got, [1]);
  });
});
