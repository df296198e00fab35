// GET /api/v1/events: the live event hub (src/system/events.ts) as Server-Sent Events. Each event is
// `id: <id>`, `event: <topic>`, `data: <JSON>`; the stream opens with `retry:` (how long to wait before
// reconnecting) and, after any replayed events, a `ready` event carrying the newest id, so a reconnect
// (EventSource sends Last-Event-ID by itself) resumes exactly where it was. A comment goes out every
// heartbeat so proxies keep an idle stream open. Nothing buffers it: no compression, X-Accel-Buffering:
// no for nginx, and a client that stops reading is cut off instead of piling events up in memory.
import { z } from 'zod';
import { EVENT_TOPICS, type EventHub, type EventTopic, type LiveEvent } from '../../system/events.ts';
import type { AppContext } from '../context.ts';
import { route } from './route.ts';
import { queryList } from './schemas.ts';

/** Bytes a client may leave unread before its stream is dropped (it reconnects and resumes). */
const MAX_UNREAD_BYTES = 1024 * 1024;

const eventsQuery = z.object({
  topics: queryList(z.enum(EVENT_TOPICS))
    .optional()
    .describe(`Only these topics (comma-separated or repeated): ${EVENT_TOPICS.join(', ')}. Default all.`),
  lastEventId: z
    .string()
    .max(100)
    .optional()
    .describe('Resume after this event id, for clients that cannot send the Last-Event-ID header.'),
});

export const eventRoutes = [
  route({
    method: 'get',
    path: '/events',
    tag: 'Events',
    summary: 'Live events as Server-Sent Events',
    description:
      'Topics: scan.progress, scan.finished, library.changed (libraries the caller may see), ' +
      'nowPlaying.changed (as getNowPlaying shows it), notification (the caller’s own). ' +
      'Sends Last-Event-ID (header or ?lastEventId) to resume; the `ready` event says whether it ' +
      'could (`resumed: false` after a restart or a long gap: refetch what you show). See docs/api.md.',
    access: 'user',
    query: eventsQuery,
    produces: ['text/event-stream'],
    errors: [429, 503],
    handle({ ctx, services, user, query, reauthenticate }) {
      // HEAD (which the router answers with this route too) opens nothing: a stream without a body never ends.
      if (ctx.method === 'HEAD') {
        ctx.type = 'text/event-stream';
        ctx.body = '';
        return;
      }
      const lastEventId = ctx.get('Last-Event-ID') || query.lastEventId || undefined;
      openEventStream(ctx, services.events, {
        viewer: { userId: user.id, libraryIds: user.libraryIds },
        topics: query.topics?.length ? new Set(query.topics) : undefined,
        lastEventId,
        // Checked at every heartbeat: a logout, a revoked key or session, a deleted user or a change of
        // their libraries ends the stream (the client reconnects, and is answered as they are now).
        stillAllowed: async () => {
          const now = await reauthenticate();
          return now !== undefined && sameLibraries(now.libraryIds, user.libraryIds);
        },
      });
    },
  }),
];

function sameLibraries(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

function openEventStream(
  ctx: AppContext,
  hub: EventHub,
  options: {
    viewer: { userId: string; libraryIds: readonly number[] };
    topics: ReadonlySet<EventTopic> | undefined;
    lastEventId: string | undefined;
    stillAllowed: () => Promise<boolean>;
  },
): void {
  const res = ctx.res;
  let heartbeat: NodeJS.Timeout | undefined;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    subscription.unsubscribe();
    if (!res.writableEnded) res.end();
  };
  const write = (text: string) => {
    if (ended) return;
    res.write(text);
    if (res.writableLength > MAX_UNREAD_BYTES) {
      ctx.state.log.info({ unread: res.writableLength }, 'event stream dropped: the client stopped reading');
      end();
      res.destroy();
    }
  };
  // Throws (429 too many streams, 503 shutting down) before anything is sent: a problem answer.
  const subscription = hub.subscribe(options.viewer, (event) => write(frame(event)), {
    topics: options.topics,
    lastEventId: options.lastEventId,
    onClose: end,
  });
  ctx.respond = false;
  res.once('close', end);
  res.socket?.setNoDelay(true);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store, no-transform',
    'X-Accel-Buffering': 'no',
  });
  write(`retry: ${hub.retryMs}\n\n`);
  for (const event of subscription.missed ?? []) write(frame(event));
  const resumed = options.lastEventId === undefined || subscription.missed !== undefined;
  write(`id: ${hub.lastId()}\nevent: ready\ndata: ${JSON.stringify({ resumed })}\n\n`);
  heartbeat = setInterval(() => {
    write(': keep-alive\n\n');
    void options.stillAllowed().then((allowed) => {
      if (allowed || ended) return;
      ctx.state.log.info('event stream ended: its credentials no longer hold');
      end();
    });
  }, hub.heartbeatMs);
  heartbeat.unref();
  ctx.state.log.debug({ resumed, topics: options.topics && [...options.topics] }, 'event stream opened');
}

function frame(event: LiveEvent): string {
  return `id: ${event.id}\nevent: ${event.topic}\ndata: ${JSON.stringify(event.data)}\n\n`;
}
