// Makes two <audio> elements follow the player store. One plays; the other holds the next track, loaded
// ahead, and starts in the same task as the first one's `ended`, so tracks follow without an audible gap
// (bench/web.bench.ts measures it from the elements' events). Streams come from signed URLs
// (POST /media/urls): they need no cookie, so a session refresh never interrupts the music.
// The engine reports what the listener actually hears (start, pause, resume, seek, skip, complete) to a
// PlaybackReporter, which sends listening events.
import { api, type QueueTrack, unwrap } from '../api/client.ts';
import {
  currentEntry,
  followingIndex,
  type PlayerState,
  player,
  playerStore,
  type QueueEntry,
} from './player-store.ts';

export type PlaybackEventType = 'start' | 'pause' | 'resume' | 'seek' | 'skip' | 'complete' | 'stop';

export interface PlaybackReporter {
  report(type: PlaybackEventType, track: QueueTrack, positionMs: number, listenedMs: number): void;
}

interface Slot {
  audio: HTMLAudioElement;
  /** The queue entry whose stream the element holds. */
  entry: QueueEntry | undefined;
  quality: string | undefined;
  /** The element has the entry's stream (its src is set): it can start at once. */
  ready: boolean;
}

/** Load the next track this long before the current one ends (or at once for shorter tracks). */
const PRELOAD_SECONDS = 30;
const URL_TTL_SECONDS = 6 * 3600;
/** A signed URL is asked for again when it has less than this left. */
const URL_MARGIN_MS = 10 * 60 * 1000;

export class AudioEngine {
  private readonly slots: [Slot, Slot];
  private active: 0 | 1 = 0;
  private readonly urls = new Map<string, { url: string; expiresAt: number }>();
  /** What was heard of the current track since its start: seeks add nothing, pauses stop the count. */
  private listenedMs = 0;
  private lastTime = 0;
  private started = false;
  private pausedByUser = false;
  private endedAt = 0;
  private retried = false;
  private loadToken = 0;
  /** A stream URL is being fetched for the current element: it starts (or not) once it has it. */
  private loading = false;
  /** The element the engine itself paused (to load another stream): its pause event is not the listener's. */
  private pausedByEngine: HTMLAudioElement | undefined;
  /** Passing over a track that cannot be played, 1.5 s after it failed. */
  private skipTimer: ReturnType<typeof setTimeout> | undefined;
  /** A seek is reported once the seek bar stops moving, not for every step of a drag. */
  private seekTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly reporter: PlaybackReporter,
    container: HTMLElement = document.body,
  ) {
    this.slots = [0, 1].map((n) => {
      const audio = document.createElement('audio');
      audio.preload = 'auto';
      audio.dataset.slot = String(n);
      audio.hidden = true;
      container.append(audio);
      for (const type of [
        'playing',
        'pause',
        'waiting',
        'timeupdate',
        'durationchange',
        'seeked',
        'ended',
        'error',
      ]) {
        audio.addEventListener(type, (event) => this.onElementEvent(n, event));
      }
      return { audio, entry: undefined, quality: undefined, ready: false } satisfies Slot;
    }) as [Slot, Slot];
    playerStore.subscribe((state, previous) => this.follow(state, previous));
  }

  /** The element playing now (the media session and tests read it). */
  get element(): HTMLAudioElement {
    return this.slots[this.active].audio;
  }

  seek(seconds: number): void {
    const audio = this.element;
    if (!Number.isFinite(seconds)) return;
    audio.currentTime = Math.max(0, Math.min(seconds, this.durationOf(audio) || seconds));
    playerStore.set({ position: audio.currentTime });
  }

  restart(): void {
    this.seek(0);
  }

  /** Signed URLs are the user's: forgotten when they sign out. */
  forgetUrls(): void {
    this.urls.clear();
  }

  private get current(): Slot {
    return this.slots[this.active];
  }

  private get standby(): Slot {
    return this.slots[this.active === 0 ? 1 : 0];
  }

  private follow(state: PlayerState, previous: PlayerState): void {
    const entry = currentEntry(state);
    const slot = this.current;
    if (!entry) {
      if (slot.entry) this.finish('stop');
      for (const each of this.slots) this.unload(each);
      return;
    }
    if (entry !== slot.entry || state.quality !== slot.quality) {
      const sameTrack = entry === slot.entry;
      const resumeAt = sameTrack ? slot.audio.currentTime : state.startAt;
      if (!sameTrack && slot.entry) this.finish(this.endedAt ? 'complete' : 'skip');
      const standby = this.standby;
      if (!sameTrack && standby.ready && standby.entry === entry && standby.quality === state.quality) {
        this.swap();
        this.newTrack();
        if (state.playing) this.play();
        // Its length came while it waited (the standby's events are not followed): the seek bar needs it.
        const audio = this.current.audio;
        playerStore.set({
          duration: this.durationOf(audio) || entry.track.duration,
          position: audio.currentTime,
        });
      } else {
        if (!sameTrack) this.newTrack();
        void this.load(slot, entry, state.quality, resumeAt);
      }
    } else if (state.playing !== previous.playing && !this.loading) {
      if (state.playing) this.play();
      else {
        this.pausedByUser = true;
        slot.audio.pause();
      }
    }
    if (
      state.volume !== previous.volume ||
      state.muted !== previous.muted ||
      state.replayGain !== previous.replayGain ||
      entry !== currentEntry(previous)
    ) {
      this.applyVolume(state);
    }
    this.preloadIfDue(state);
  }

  private newTrack(): void {
    this.started = false;
    this.listenedMs = 0;
    this.lastTime = 0;
    this.endedAt = 0;
    this.retried = false;
    this.pausedByUser = false;
    clearTimeout(this.skipTimer);
    clearTimeout(this.seekTimer);
  }

  private swap(): void {
    // A stream still being asked for the element that stops is of no use any more.
    this.loadToken++;
    this.loading = false;
    this.current.audio.pause();
    this.active = this.active === 0 ? 1 : 0;
  }

  private play(): void {
    this.current.audio.play().catch((error: unknown) => {
      // A browser that wants a click before sound (autoplay rules), or a stream that failed.
      if ((error as DOMException).name === 'NotAllowedError') playerStore.set({ playing: false });
    });
  }

  private async streamUrl(trackId: string, quality: string): Promise<string> {
    const cacheKey = `${trackId}|${quality}`;
    const known = this.urls.get(cacheKey);
    if (known && known.expiresAt - Date.now() > URL_MARGIN_MS) return known.url;
    const urls = unwrap(
      await api.POST('/api/v1/media/urls', {
        body: { trackId, format: quality === 'original' ? 'raw' : quality, ttlSeconds: URL_TTL_SECONDS },
      }),
    );
    this.urls.set(cacheKey, { url: urls.stream, expiresAt: Date.parse(urls.expiresAt) });
    return urls.stream;
  }

  /** Loads the entry into the element; it plays if the listener wants sound once the stream is there. */
  private async load(slot: Slot, entry: QueueEntry, quality: string, startAt: number): Promise<void> {
    const token = ++this.loadToken;
    slot.entry = entry;
    slot.quality = quality;
    slot.ready = false;
    if (!slot.audio.paused) {
      this.pausedByEngine = slot.audio;
      slot.audio.pause();
    }
    this.loading = true;
    playerStore.set({ buffering: true, duration: entry.track.duration, position: startAt, error: undefined });
    try {
      const url = await this.streamUrl(entry.track.id, quality);
      if (token !== this.loadToken || slot.entry !== entry) return; // the listener moved on meanwhile
      this.loading = false;
      slot.audio.src = url;
      slot.ready = true;
      if (startAt > 0) slot.audio.currentTime = startAt;
      this.lastTime = startAt;
      if (playerStore.get().playing) this.play();
      else playerStore.set({ buffering: false });
    } catch (error) {
      if (token === this.loadToken) {
        this.loading = false;
        this.failed(error);
      }
    }
  }

  private preloadIfDue(state: PlayerState): void {
    const next = followingIndex(state);
    const entry = next === undefined ? undefined : state.queue[next];
    const standby = this.standby;
    if (!entry || entry === this.current.entry) return;
    if (standby.entry === entry && standby.quality === state.quality) return;
    const audio = this.current.audio;
    const duration = this.durationOf(audio) || (this.current.entry?.track.duration ?? 0);
    if (duration - audio.currentTime > PRELOAD_SECONDS) return;
    standby.entry = entry;
    standby.quality = state.quality;
    standby.ready = false;
    this.streamUrl(entry.track.id, state.quality).then(
      (url) => {
        // Still the standby, still waiting for this entry: anything else and the answer is of no use.
        if (standby === this.current || standby.entry !== entry) return;
        standby.audio.src = url;
        standby.audio.load();
        standby.ready = true;
      },
      () => {
        if (standby !== this.current && standby.entry === entry) standby.entry = undefined; // tried again later
      },
    );
  }

  private unload(slot: Slot): void {
    slot.entry = undefined;
    slot.quality = undefined;
    slot.ready = false;
    slot.audio.pause();
    slot.audio.removeAttribute('src');
    slot.audio.load();
  }

  private durationOf(audio: HTMLAudioElement): number {
    // A transcoded stream has no length until it ends: the track's own duration stands in for it.
    return Number.isFinite(audio.duration) ? audio.duration : 0;
  }

  private applyVolume(state: PlayerState): void {
    const track = currentEntry(state)?.track;
    const gain = replayGainFactor(track, state.replayGain);
    const volume = state.muted ? 0 : Math.min(1, state.volume * gain);
    for (const slot of this.slots) slot.audio.volume = volume;
  }

  private positionMs(): number {
    return Math.round(this.current.audio.currentTime * 1000);
  }

  private report(type: PlaybackEventType): void {
    const track = this.current.entry?.track;
    if (track) this.reporter.report(type, track, this.positionMs(), Math.round(this.listenedMs));
  }

  /** The current track's listen ends: skipped, completed or stopped. */
  private finish(type: 'skip' | 'complete' | 'stop'): void {
    if (this.started) this.report(type);
    this.started = false;
  }

  private onElementEvent(n: number, event: Event): void {
    const slot = this.slots[n]!;
    if (n !== this.active) {
      // The standby element only matters when it fails: it is loaded again when its turn comes.
      if (event.type === 'error') {
        slot.entry = undefined;
        slot.ready = false;
      }
      return;
    }
    const audio = slot.audio;
    switch (event.type) {
      case 'playing':
        playerStore.set({ buffering: false, playing: true });
        if (!this.started) {
          this.started = true;
          this.report('start');
        } else if (this.pausedByUser) this.report('resume');
        this.pausedByUser = false;
        break;
      case 'pause':
        if (this.pausedByEngine === audio) {
          this.pausedByEngine = undefined;
          break;
        }
        if (audio.ended) break;
        if (!this.pausedByUser) {
          // Paused by the browser or the system (headphones unplugged, another app took the sound).
          this.pausedByUser = true;
          if (playerStore.get().playing) playerStore.set({ playing: false });
        }
        if (this.started) this.report('pause');
        break;
      case 'waiting':
        playerStore.set({ buffering: true });
        break;
      case 'timeupdate': {
        const delta = audio.currentTime - this.lastTime;
        // Small forward steps are listening; a jump is a seek and adds nothing.
        if (!audio.paused && delta > 0 && delta < 2) this.listenedMs += delta * 1000;
        this.lastTime = audio.currentTime;
        playerStore.set({ position: audio.currentTime });
        this.preloadIfDue(playerStore.get());
        break;
      }
      case 'durationchange':
        if (this.durationOf(audio)) playerStore.set({ duration: audio.duration });
        break;
      case 'seeked':
        this.lastTime = audio.currentTime;
        clearTimeout(this.seekTimer);
        if (this.started) this.seekTimer = setTimeout(() => this.report('seek'), 400);
        break;
      case 'ended':
        this.onEnded();
        break;
      case 'error':
        this.onError();
        break;
    }
  }

  private onEnded(): void {
    this.endedAt = performance.now();
    this.report('complete');
    this.started = false;
    const state = playerStore.get();
    const next = followingIndex(state);
    if (next === undefined) {
      playerStore.set({ playing: false, position: 0 });
      this.current.audio.currentTime = 0;
      this.newTrack();
      return;
    }
    if (next === state.index) {
      // Repeat one: the same element from the start.
      this.newTrack();
      this.current.audio.currentTime = 0;
      this.play();
      return;
    }
    // follow() runs within this call, before any render: the preloaded element starts at once.
    playerStore.set({ index: next, position: 0, startAt: 0, playing: true });
  }

  private onError(): void {
    const slot = this.current;
    const entry = slot.entry;
    if (!entry) return;
    if (!this.retried) {
      // An expired or revoked link: once more with a new one, from where it stopped.
      this.retried = true;
      this.urls.delete(`${entry.track.id}|${slot.quality}`);
      void this.load(slot, entry, slot.quality ?? 'original', slot.audio.currentTime || 0);
      return;
    }
    this.failed(slot.audio.error);
  }

  private failed(error: unknown): void {
    const message = error instanceof Error ? error.message : 'This track cannot be played.';
    playerStore.set({ buffering: false, error: message });
    // Like every player: a track that cannot be played is passed over, unless the listener moved on.
    const entry = this.current.entry;
    clearTimeout(this.skipTimer);
    if (playerStore.get().playing)
      this.skipTimer = setTimeout(() => {
        if (this.current.entry === entry && playerStore.get().playing) player.next();
      }, 1500);
  }
}

/** The volume factor ReplayGain asks for (track or album gain, limited by the peak so nothing clips). */
export function replayGainFactor(track: QueueTrack | undefined, mode: PlayerState['replayGain']): number {
  const tags = track?.replayGain;
  if (mode === 'off' || !tags) return 1;
  const gain = mode === 'album' ? (tags.albumGain ?? tags.trackGain) : (tags.trackGain ?? tags.albumGain);
  if (gain === null || gain === undefined) return 1;
  const peak = mode === 'album' ? (tags.albumPeak ?? tags.trackPeak) : (tags.trackPeak ?? tags.albumPeak);
  const factor = 10 ** (gain / 20);
  return peak ? Math.min(factor, 1 / peak) : factor;
}
