// Who is playing what, in memory (it is worth nothing after a restart). One session per user and client:
// fed by `scrobble submission=false` (a track started) and by OpenSubsonic `reportPlayback` (a timeline:
// starting, playing, paused, stopped, with a position and a rate from which the current position is
// extrapolated). A session disappears on `stopped`, or 30 minutes after it should have ended (paused ones
// 30 minutes after their last report), so a client that vanished does not stay "playing" forever.
//
// When does reportPlayback count a play? Only on an explicit `stopped`, and only when the listener got
// through at least half of the track or 4 minutes of it (Last.fm's scrobbling rule), once per session,
// unless the client said ignoreScrobble. Scrobbles (`submission=true`) count on their own.

export type PlaybackState = 'starting' | 'playing' | 'paused' | 'stopped';
export const PLAYBACK_STATES: readonly PlaybackState[] = ['starting', 'playing', 'paused', 'stopped'];

/** Sessions linger this long after their expected end. */
export const NOW_PLAYING_GRACE_MS = 30 * 60_000;
/** A play counts from half the track or four minutes, whichever comes first. */
export const PLAY_THRESHOLD_MS = 4 * 60_000;

export interface NowPlayingEntry {
  userId: string;
  username: string;
  client: string;
  playerId: number;
  trackId: string;
  /** When this track started (the first report for it). */
  startedAt: number;
  state: PlaybackState;
  /** Extrapolated to the time of the query. */
  positionMs: number;
  playbackRate: number;
}

interface Session {
  userId: string;
  username: string;
  client: string;
  playerId: number;
  trackId: string;
  durationMs: number;
  startedAt: number;
  state: PlaybackState;
  positionMs: number;
  rate: number;
  reportedAt: number;
  counted: boolean;
}

export interface PlaybackReport {
  userId: string;
  username: string;
  client: string;
  trackId: string;
  durationMs: number;
  state: PlaybackState;
  positionMs: number;
  playbackRate: number;
  ignoreScrobble: boolean;
}

/** A session started or changed (`playing`, whatever its state), or ended by `stopped`. */
export interface NowPlayingChange {
  action: 'playing' | 'stopped';
  entry: NowPlayingEntry;
}

export class NowPlaying {
  private readonly sessions = new Map<string, Session>();
  private readonly playerIds = new Map<string, number>();
  private readonly clock: () => number;
  private readonly watchers = new Set<(change: NowPlayingChange) => void>();

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  /** Calls `watcher` on every change (live events); returns what stops it. */
  watch(watcher: (change: NowPlayingChange) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** `scrobble submission=false`: the track starts now, at position 0, at normal speed. */
  started(entry: {
    userId: string;
    username: string;
    client: string;
    trackId: string;
    durationMs: number;
  }): void {
    const now = this.clock();
    const session: Session = {
      ...entry,
      playerId: this.playerId(entry.userId, entry.client),
      startedAt: now,
      state: 'playing',
      positionMs: 0,
      rate: 1,
      reportedAt: now,
      counted: false,
    };
    this.sessions.set(this.key(entry.userId, entry.client), session);
    this.announce('playing', session, now);
  }

  /** reportPlayback. Returns whether this report completes a play that should be counted, and its start. */
  report(input: PlaybackReport): { countPlay: boolean; startedAt: number } {
    const now = this.clock();
    const key = this.key(input.userId, input.client);
    const previous = this.sessions.get(key);
    // `starting`, or another track than before, opens a new session.
    const same = previous && previous.trackId === input.trackId && input.state !== 'starting';
    const session: Session = same
      ? previous
      : {
          userId: input.userId,
          username: input.username,
          client: input.client,
          playerId: this.playerId(input.userId, input.client),
          trackId: input.trackId,
          durationMs: input.durationMs,
          startedAt: now,
          state: input.state,
          positionMs: input.positionMs,
          rate: input.playbackRate,
          reportedAt: now,
          counted: false,
        };
    session.state = input.state;
    session.positionMs = input.positionMs;
    session.rate = input.playbackRate;
    session.reportedAt = now;
    let countPlay = false;
    if (input.state === 'stopped') {
      const threshold = Math.min(session.durationMs / 2, PLAY_THRESHOLD_MS);
      countPlay = !input.ignoreScrobble && !session.counted && input.positionMs >= threshold;
      session.counted ||= countPlay;
      this.sessions.delete(key);
    } else {
      this.sessions.set(key, session);
    }
    this.announce(input.state === 'stopped' ? 'stopped' : 'playing', session, now);
    return { countPlay, startedAt: session.startedAt };
  }

  /** Live sessions, oldest first; expired ones are dropped on the way. */
  list(): NowPlayingEntry[] {
    const now = this.clock();
    const entries: NowPlayingEntry[] = [];
    for (const [key, session] of this.sessions) {
      if (now > this.expectedEnd(session) + NOW_PLAYING_GRACE_MS) {
        this.sessions.delete(key);
        continue;
      }
      entries.push(this.entryOf(session, now));
    }
    return entries.sort((a, b) => a.startedAt - b.startedAt);
  }

  private entryOf(session: Session, now: number): NowPlayingEntry {
    return {
      userId: session.userId,
      username: session.username,
      client: session.client,
      playerId: session.playerId,
      trackId: session.trackId,
      startedAt: session.startedAt,
      state: session.state,
      positionMs: this.positionAt(session, now),
      playbackRate: session.rate,
    };
  }

  private announce(action: NowPlayingChange['action'], session: Session, now: number): void {
    if (this.watchers.size === 0) return;
    const change = { action, entry: this.entryOf(session, now) };
    for (const watcher of this.watchers) watcher(change);
  }

  private positionAt(session: Session, now: number): number {
    if (session.state !== 'playing' && session.state !== 'starting') return session.positionMs;
    const moved = session.positionMs + (now - session.reportedAt) * session.rate;
    return Math.round(session.durationMs > 0 ? Math.min(moved, session.durationMs) : moved);
  }

  /** When the track should end if nothing else is reported (paused: the last report). */
  private expectedEnd(session: Session): number {
    if (session.state === 'paused' || session.rate <= 0) return session.reportedAt;
    return session.reportedAt + Math.max(0, session.durationMs - session.positionMs) / session.rate;
  }

  private key(userId: string, client: string): string {
    return `${userId}\u0000${client}`;
  }

  /** A small stable int per user+client (Subsonic's playerId is an int). */
  private playerId(userId: string, client: string): number {
    const key = this.key(userId, client);
    let id = this.playerIds.get(key);
    if (id === undefined) {
      id = this.playerIds.size + 1;
      this.playerIds.set(key, id);
    }
    return id;
  }
}
