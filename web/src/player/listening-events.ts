// Sends what the web player plays to POST /listening/events, so plays, skips, statistics and
// recommendations follow it like any other player. Events are batched (one request every few seconds
// while playing, at once for a listen that ends), each with its own id so a batch sent twice counts once,
// and kept for a later try when the server cannot be reached; a closing tab sends what is left.
import { api } from '../api/client.ts';
import { randomId } from '../lib/ids.ts';
import type { PlaybackEventType, PlaybackReporter } from './engine.ts';

interface ListeningEvent {
  id: string;
  trackId: string;
  type: PlaybackEventType;
  positionMs: number;
  listenedMs: number;
  at: string;
  playerId: string;
}

const FLUSH_DELAY_MS = 5000;
const RETRY_DELAY_MS = 30_000;
const MAX_KEPT = 500;
const PLAYER_ID_KEY = 'tonearm.playerId';

/** One id per browser, so each device has its own listen going on (and its own now-playing entry). */
function playerId(): string {
  let id = localStorage.getItem(PLAYER_ID_KEY);
  if (!id) {
    id = `web-${randomId()}`;
    localStorage.setItem(PLAYER_ID_KEY, id);
  }
  return id;
}

export class ListeningEventSender implements PlaybackReporter {
  private pending: ListeningEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private sending = false;
  private readonly player = playerId();

  constructor() {
    window.addEventListener('pagehide', () => this.flush(true));
  }

  report(type: PlaybackEventType, track: { id: string }, positionMs: number, listenedMs: number): void {
    this.pending.push({
      id: randomId(),
      trackId: track.id,
      type,
      positionMs: Math.max(0, positionMs),
      listenedMs: Math.max(0, listenedMs),
      at: new Date().toISOString(),
      playerId: this.player,
    });
    if (this.pending.length > MAX_KEPT) this.pending.splice(0, this.pending.length - MAX_KEPT);
    const ends = type === 'skip' || type === 'complete' || type === 'stop';
    this.schedule(ends ? 0 : FLUSH_DELAY_MS);
  }

  private schedule(delay: number): void {
    if (this.timer !== undefined) {
      if (delay > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush(false);
    }, delay);
  }

  /** Drops what was not sent (signing out: it must not go out under the next user). */
  forget(): void {
    this.pending = [];
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  async flush(closing: boolean): Promise<void> {
    if (this.sending || this.pending.length === 0) return;
    const batch = this.pending.splice(0, 100);
    this.sending = true;
    try {
      const { response } = await api.POST('/api/v1/listening/events', {
        body: { events: batch },
        keepalive: closing,
      });
      // 4xx other than 401/429 would fail again: those events are dropped rather than retried forever.
      if (response.status === 401 || response.status === 429 || response.status >= 500) throw new Error();
    } catch {
      this.pending.unshift(...batch);
      if (!closing) this.schedule(RETRY_DELAY_MS);
      return;
    } finally {
      this.sending = false;
    }
    if (this.pending.length > 0) this.schedule(0);
  }
}
