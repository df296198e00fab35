// Keeps the play queue on the server (PUT /play-queue), so another device, or this one after a reload,
// can resume where the listener stopped: saved a moment after the queue or the track changes, every
// 30 seconds while playing, on pause and when the tab closes. At start, the saved queue is loaded
// (paused) when this tab has none of its own.
import { api, type QueueTrack, unwrap } from '../api/client.ts';
import { currentEntry, type PlayerState, player, playerStore } from './player-store.ts';

const SAVE_DELAY_MS = 1500;
const POSITION_SAVE_MS = 30_000;
/** A whole library queued is saved as this many entries around the current one. */
const MAX_SAVED = 5000;
const MAX_SAVED_CLOSING = 2000;

export class QueueSync {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSaved = 0;
  private enabled = false;
  /** Something changed here since the last save: only then does this tab write the server's queue. */
  private dirty = false;
  /** Bumped by every start and stop, so an answer that arrives after a sign-out is dropped. */
  private generation = 0;

  constructor() {
    playerStore.subscribe((state, previous) => this.onChange(state, previous));
    window.addEventListener('pagehide', () => {
      if (this.dirty) void this.save(true);
    });
  }

  /**
   * After sign-in: resume the saved queue if there is nothing local, then keep saving. Saving starts only
   * once the saved queue was read (or could not be), so an empty tab never writes over it.
   */
  async start(): Promise<void> {
    const generation = ++this.generation;
    if (playerStore.get().queue.length === 0) {
      try {
        const saved = unwrap(await api.GET('/api/v1/play-queue'));
        if (generation !== this.generation) return; // signed out meanwhile
        if (saved.tracks.length > 0 && playerStore.get().queue.length === 0)
          player.restore(saved.tracks as QueueTrack[], saved.currentIndex ?? 0, saved.positionMs / 1000);
      } catch {
        // No saved queue, or the server is away: start empty.
      }
    }
    if (generation !== this.generation) return;
    this.enabled = true;
    this.dirty = false;
  }

  stop(): void {
    this.generation++;
    this.enabled = false;
    this.dirty = false;
    clearTimeout(this.timer);
  }

  private onChange(state: PlayerState, previous: PlayerState): void {
    if (!this.enabled) return;
    const changed =
      state.queue !== previous.queue ||
      state.index !== previous.index ||
      (state.playing !== previous.playing && !state.playing);
    if (changed) {
      this.dirty = true;
      this.schedule(SAVE_DELAY_MS);
    } else if (state.playing && Date.now() - this.lastSaved > POSITION_SAVE_MS) {
      this.dirty = true;
      this.schedule(0);
    }
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.save(false), delay);
  }

  private async save(closing: boolean): Promise<void> {
    if (!this.enabled) return;
    this.lastSaved = Date.now();
    this.dirty = false;
    const state = playerStore.get();
    // A request sent as the tab closes (keepalive) may carry at most 64 KB: fewer entries then.
    const limit = closing ? MAX_SAVED_CLOSING : MAX_SAVED;
    const first = Math.max(0, Math.min(state.index - limit / 2, state.queue.length - limit));
    const entries = state.queue.slice(first, first + limit);
    const current = currentEntry(state);
    await api
      .PUT('/api/v1/play-queue', {
        body: {
          trackIds: entries.map((entry) => entry.track.id),
          ...(current
            ? { currentIndex: state.index - first, positionMs: Math.round(state.position * 1000) }
            : {}),
          device: 'Tonearm web',
        },
        keepalive: closing,
      })
      .catch(() => undefined);
  }
}
