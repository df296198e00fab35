// The live event hub: what happens in the server right now (scan progress, library changes, now playing,
// notifications), published by the domain and delivered to whoever listens (GET /api/v1/events, as
// Server-Sent Events). In memory only: an event nobody listens to is gone, but for the last few kept in a
// small ring so a client that reconnects (Last-Event-ID) gets what it missed.
//
// Every event names its audience: the libraries it is about (a user receives it when they may see one of
// them) or one user. The hub decides delivery, so no publisher and no transport has to remember the
// visibility rule. It imports nothing of the domain: publishers depend on it, never the reverse.
import { randomBytes } from 'node:crypto';
import { TonearmError } from '../shared/errors.ts';

/** A scan's progress in one library, a few times a second while it runs. */
export interface ScanProgressEvent {
  libraryId: number;
  /** walking: listing files; reading: reading tags of new and changed files; finishing: albums, search. */
  phase: 'walking' | 'reading' | 'finishing';
  full: boolean;
  /** ISO time the scan started. */
  startedAt: string;
  filesSeen: number;
  filesToRead: number;
  filesRead: number;
  folders: number;
  errors: number;
}

/** A scan is over for one library (what changed is in the catalog now). */
export interface ScanFinishedEvent {
  libraryId: number;
  full: boolean;
  added: number;
  updated: number;
  removed: number;
  moved: number;
  unchanged: number;
  errors: number;
  /** Why the library was skipped as unavailable (unmounted, empty...); null when it was scanned. */
  offline: string | null;
  durationMs: number;
}

/** Tracks of a library were added, changed or removed: views of it are stale. */
export interface LibraryChangedEvent {
  libraryId: number;
  /** What changed it: a scan (scheduled, watcher, admin, or the one that follows an upload or its removal). */
  source: 'scan';
  added: number;
  updated: number;
  removed: number;
  moved: number;
}

export interface NowPlayingEventEntry {
  userId: string;
  username: string;
  client: string;
  playerId: number;
  trackId: string;
  state: 'starting' | 'playing' | 'paused' | 'stopped';
  positionMs: number;
  playbackRate: number;
  /** ISO time this track started. */
  startedAt: string;
}

/** Someone started, paused, moved or stopped a track (the getNowPlaying list changed). */
export interface NowPlayingChangedEvent {
  /** `playing`: the entry is (still) in the list, with its new state; `stopped`: it left the list. */
  action: 'playing' | 'stopped';
  entry: NowPlayingEventEntry;
}

/**
 * A message for one user. `kind` says what it is about (`upload.scanned`, `upload.failed`; new releases of
 * followed artists will come as `release.new`); `subject` names the item a client links to.
 */
export interface NotificationEvent {
  id: string;
  kind: string;
  title: string;
  message: string;
  subject: { type: 'track' | 'album' | 'artist' | 'upload'; id: string } | null;
  /** ISO time. */
  createdAt: string;
}

export interface EventPayloads {
  'scan.progress': ScanProgressEvent;
  'scan.finished': ScanFinishedEvent;
  'library.changed': LibraryChangedEvent;
  'nowPlaying.changed': NowPlayingChangedEvent;
  notification: NotificationEvent;
}

export type EventTopic = keyof EventPayloads;

export const EVENT_TOPICS: readonly EventTopic[] = [
  'scan.progress',
  'scan.finished',
  'library.changed',
  'nowPlaying.changed',
  'notification',
];

/** Who an event is for: users who may see one of these libraries, or one user. */
export type Audience = { libraryIds: readonly number[] } | { userId: string };

export interface LiveEvent<T extends EventTopic = EventTopic> {
  /** `<boot>-<sequence>`: increasing within one server run; a new run has another boot part. */
  id: string;
  topic: T;
  data: EventPayloads[T];
  audience: Audience;
}

/** Who listens: the user and the libraries they may see (as the catalog's visibility rule says). */
export interface EventViewer {
  userId: string;
  libraryIds: readonly number[];
}

export interface EventHubOptions {
  /** Events kept for resuming (default 500). */
  bufferSize?: number;
  /** Open subscriptions one user may hold (default 5: a few tabs and a phone). */
  maxStreamsPerUser?: number;
  /** How often an idle stream sends a comment so proxies keep it open (default 20 s). */
  heartbeatMs?: number;
  /** What clients are told to wait before reconnecting (default 3 s). */
  retryMs?: number;
}

export interface SubscribeOptions {
  /** Only these topics (default all). */
  topics?: ReadonlySet<EventTopic>;
  /** The last event the client saw (Last-Event-ID): events after it are replayed. */
  lastEventId?: string;
  /** Called once when the hub ends the subscription (the server shuts down). */
  onClose: () => void;
}

export interface Subscription {
  /**
   * The events after lastEventId this viewer may see, to send before any live one; undefined when they
   * cannot be known (an id from another server run, or older than the ring): the client must refetch.
   */
  missed: LiveEvent[] | undefined;
  unsubscribe(): void;
}

interface Listener {
  viewer: EventViewer;
  libraries: ReadonlySet<number>;
  topics: ReadonlySet<EventTopic> | undefined;
  deliver: (event: LiveEvent) => void;
  onClose: () => void;
}

export class EventHub {
  readonly heartbeatMs: number;
  readonly retryMs: number;
  private readonly bufferSize: number;
  private readonly maxStreamsPerUser: number;
  private readonly boot = randomBytes(4).toString('hex');
  private sequence = 0;
  /** The newest events, oldest first. */
  private readonly ring: LiveEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly perUser = new Map<string, number>();
  private closed = false;

  constructor(options: EventHubOptions = {}) {
    this.bufferSize = options.bufferSize ?? 500;
    this.maxStreamsPerUser = options.maxStreamsPerUser ?? 5;
    this.heartbeatMs = options.heartbeatMs ?? 20_000;
    this.retryMs = options.retryMs ?? 3_000;
  }

  publish<T extends EventTopic>(topic: T, data: EventPayloads[T], audience: Audience): LiveEvent<T> {
    const event: LiveEvent<T> = { id: `${this.boot}-${++this.sequence}`, topic, data, audience };
    this.ring.push(event);
    if (this.ring.length > this.bufferSize) this.ring.shift();
    for (const listener of [...this.listeners])
      if (wants(listener, event)) {
        try {
          listener.deliver(event);
        } catch {
          // A listener that cannot take an event (its connection broke) is dropped, not the publisher.
          this.drop(listener);
        }
      }
    return event;
  }

  /** Starts delivering events to `deliver`; TOO_MANY_EVENT_STREAMS when the user holds the maximum. */
  subscribe(
    viewer: EventViewer,
    deliver: (event: LiveEvent) => void,
    options: SubscribeOptions,
  ): Subscription {
    if (this.closed) throw new TonearmError('SHUTTING_DOWN', 'the server is shutting down');
    const open = this.perUser.get(viewer.userId) ?? 0;
    if (open >= this.maxStreamsPerUser)
      throw new TonearmError(
        'TOO_MANY_EVENT_STREAMS',
        `at most ${this.maxStreamsPerUser} event streams may be open per user; close one first`,
        { retryAfterSeconds: Math.ceil(this.retryMs / 1000) },
      );
    const listener: Listener = {
      viewer,
      libraries: new Set(viewer.libraryIds),
      topics: options.topics,
      deliver,
      onClose: options.onClose,
    };
    const missed = options.lastEventId === undefined ? [] : this.missedAfter(options.lastEventId, listener);
    this.listeners.add(listener);
    this.perUser.set(viewer.userId, open + 1);
    return { missed, unsubscribe: () => this.drop(listener) };
  }

  /** The id of the newest event (`<boot>-0` before the first): where a client that saw it resumes. */
  lastId(): string {
    return `${this.boot}-${this.sequence}`;
  }

  /** Open subscriptions (all users, or one). */
  listenerCount(userId?: string): number {
    return userId === undefined ? this.listeners.size : (this.perUser.get(userId) ?? 0);
  }

  /** Ends every subscription and refuses new ones (shutdown): streams end, so the server can close. */
  close(): void {
    this.closed = true;
    for (const listener of [...this.listeners]) {
      this.drop(listener);
      listener.onClose();
    }
  }

  private drop(listener: Listener): void {
    if (!this.listeners.delete(listener)) return;
    const left = (this.perUser.get(listener.viewer.userId) ?? 1) - 1;
    if (left > 0) this.perUser.set(listener.viewer.userId, left);
    else this.perUser.delete(listener.viewer.userId);
  }

  private missedAfter(lastEventId: string, listener: Listener): LiveEvent[] | undefined {
    const match = /^([0-9a-f]+)-(\d+)$/.exec(lastEventId);
    if (!match || match[1] !== this.boot) return undefined;
    const last = Number(match[2]);
    if (last > this.sequence) return undefined;
    const oldest = this.ring[0] ? sequenceOf(this.ring[0]) : this.sequence + 1;
    // Events between the client's last one and the oldest kept were dropped from the ring.
    if (last < oldest - 1) return undefined;
    return this.ring.filter((event) => sequenceOf(event) > last && wants(listener, event));
  }
}

function sequenceOf(event: LiveEvent): number {
  return Number(event.id.slice(event.id.indexOf('-') + 1));
}

function wants(listener: Listener, event: LiveEvent): boolean {
  if (listener.topics && !listener.topics.has(event.topic)) return false;
  return mayReceive(listener.viewer, event.audience, listener.libraries);
}

/** Whether an event for `audience` may reach `viewer`. */
export function mayReceive(
  viewer: EventViewer,
  audience: Audience,
  libraries: ReadonlySet<number> = new Set(viewer.libraryIds),
): boolean {
  if ('userId' in audience) return audience.userId === viewer.userId;
  return audience.libraryIds.some((id) => libraries.has(id));
}
