// The player's state: the queue (in play order), where it is, and the listener's settings. Pure state and
// the rules for moving through the queue live here; engine.ts makes the audio elements follow it.
import type { QueueTrack } from '../api/client.ts';
import { randomId } from '../lib/ids.ts';
import { Store, useStore } from '../lib/store.ts';

export interface QueueEntry {
  /** Unique in the queue, so one track can be queued twice and still be dragged on its own. */
  key: string;
  track: QueueTrack;
}

export type RepeatMode = 'off' | 'all' | 'one';
export type ReplayGainMode = 'off' | 'track' | 'album';

export interface PlayerState {
  queue: QueueEntry[];
  /** The current entry; -1 when the queue is empty. */
  index: number;
  /** The order before shuffling, to return to when shuffle goes off. */
  unshuffled: QueueEntry[] | undefined;
  repeat: RepeatMode;
  /** The listener wants sound (the elements may still be loading). */
  playing: boolean;
  buffering: boolean;
  /** Seconds into the current track. */
  position: number;
  duration: number;
  /** Where the current track should start when loaded (a restored queue), in seconds. */
  startAt: number;
  volume: number;
  muted: boolean;
  /** 'original' or the name of a transcoding profile. */
  quality: string;
  replayGain: ReplayGainMode;
  error: string | undefined;
}

const SETTINGS_KEY = 'tonearm.player';
type Settings = Pick<PlayerState, 'volume' | 'muted' | 'quality' | 'replayGain' | 'repeat'>;

function loadSettings(): Settings {
  const defaults: Settings = {
    volume: 1,
    muted: false,
    quality: 'original',
    replayGain: 'track',
    repeat: 'off',
  };
  try {
    return { ...defaults, ...(JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') as Partial<Settings>) };
  } catch {
    return defaults;
  }
}

export const playerStore = new Store<PlayerState>({
  queue: [],
  index: -1,
  unshuffled: undefined,
  playing: false,
  buffering: false,
  position: 0,
  duration: 0,
  startAt: 0,
  error: undefined,
  ...loadSettings(),
});

playerStore.subscribe((state, previous) => {
  if (
    state.volume !== previous.volume ||
    state.muted !== previous.muted ||
    state.quality !== previous.quality ||
    state.replayGain !== previous.replayGain ||
    state.repeat !== previous.repeat
  ) {
    const { volume, muted, quality, replayGain, repeat } = state;
    localStorage.setItem(SETTINGS_KEY, JSON.stringify({ volume, muted, quality, replayGain, repeat }));
  }
});

export const usePlayer = <Selected>(select: (state: PlayerState) => Selected) =>
  useStore(playerStore, select);

export const currentEntry = (state: PlayerState): QueueEntry | undefined => state.queue[state.index];

const entriesOf = (tracks: readonly QueueTrack[]): QueueEntry[] =>
  tracks.map((track) => ({ key: randomId(), track }));

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** The entry that follows the current one when it ends (repeat and the end of the queue considered). */
export function followingIndex(state: PlayerState): number | undefined {
  if (state.index < 0) return undefined;
  if (state.repeat === 'one') return state.index;
  if (state.index + 1 < state.queue.length) return state.index + 1;
  return state.repeat === 'all' && state.queue.length > 0 ? 0 : undefined;
}

export const player = {
  /** Replaces the queue and plays from `start`. With shuffle on, the chosen track comes first. */
  play(tracks: readonly QueueTrack[], start = 0, options: { shuffle?: boolean } = {}): void {
    if (tracks.length === 0) return;
    const entries = entriesOf(tracks);
    const shuffle = options.shuffle ?? playerStore.get().unshuffled !== undefined;
    const playing = { playing: true, position: 0, startAt: 0, error: undefined };
    // One change, so the engine sees the new track and the wish to play it together.
    if (shuffle) {
      const first = entries[start]!;
      const rest = shuffled(entries.filter((entry) => entry !== first));
      playerStore.set({ queue: [first, ...rest], unshuffled: entries, index: 0, ...playing });
    } else {
      playerStore.set({
        queue: entries,
        unshuffled: undefined,
        index: Math.min(start, entries.length - 1),
        ...playing,
      });
    }
  },

  /** Queues tracks right after the current one. */
  playNext(tracks: readonly QueueTrack[]): void {
    const state = playerStore.get();
    if (state.index < 0) {
      player.play(tracks);
      return;
    }
    const queue = [...state.queue];
    const entries = entriesOf(tracks);
    queue.splice(state.index + 1, 0, ...entries);
    playerStore.set({ queue, unshuffled: state.unshuffled && [...state.unshuffled, ...entries] });
  },

  /** Queues tracks at the end. */
  add(tracks: readonly QueueTrack[]): void {
    const state = playerStore.get();
    if (state.index < 0) {
      playerStore.set({ queue: entriesOf(tracks), index: 0, playing: false, position: 0, startAt: 0 });
      return;
    }
    const entries = entriesOf(tracks);
    playerStore.set({
      queue: [...state.queue, ...entries],
      unshuffled: state.unshuffled && [...state.unshuffled, ...entries],
    });
  },

  /** A queue saved on the server (another device's), loaded paused at its position. */
  restore(tracks: readonly QueueTrack[], index: number, positionSeconds: number): void {
    if (tracks.length === 0) return;
    const entries = entriesOf(tracks);
    const at = Math.min(Math.max(index, 0), entries.length - 1);
    playerStore.set({
      queue: entries,
      unshuffled: undefined,
      index: at,
      playing: false,
      position: positionSeconds,
      startAt: positionSeconds,
    });
  },

  jumpTo(index: number): void {
    const state = playerStore.get();
    if (index < 0 || index >= state.queue.length) return;
    playerStore.set({ index, playing: true, position: 0, startAt: 0, error: undefined });
  },

  next(): void {
    const state = playerStore.get();
    if (state.index < 0) return;
    if (state.index + 1 < state.queue.length) player.jumpTo(state.index + 1);
    else if (state.repeat === 'all') player.jumpTo(0);
  },

  /** Back to the start of the track, or to the previous one within its first 3 seconds. */
  previous(restart: () => void): void {
    const state = playerStore.get();
    if (state.position > 3 || state.index <= 0) {
      if (state.index === 0 && state.repeat === 'all' && state.position <= 3) {
        player.jumpTo(state.queue.length - 1);
        return;
      }
      restart();
      return;
    }
    player.jumpTo(state.index - 1);
  },

  remove(index: number): void {
    const state = playerStore.get();
    const removed = state.queue[index];
    if (!removed) return;
    const queue = state.queue.filter((_, i) => i !== index);
    const unshuffled = state.unshuffled?.filter((entry) => entry !== removed);
    if (queue.length === 0) {
      player.clear();
      return;
    }
    if (index < state.index) playerStore.set({ queue, unshuffled, index: state.index - 1 });
    else if (index === state.index)
      playerStore.set({
        queue,
        unshuffled,
        index: Math.min(index, queue.length - 1),
        position: 0,
        startAt: 0,
      });
    else playerStore.set({ queue, unshuffled });
  },

  /** Moves one entry; the current track keeps playing wherever it lands. */
  move(from: number, to: number): void {
    const state = playerStore.get();
    if (from === to || !state.queue[from] || to < 0 || to >= state.queue.length) return;
    const current = state.queue[state.index];
    const queue = [...state.queue];
    const [moved] = queue.splice(from, 1);
    queue.splice(to, 0, moved!);
    playerStore.set({ queue, index: current ? queue.indexOf(current) : state.index });
  },

  clear(): void {
    playerStore.set({
      queue: [],
      unshuffled: undefined,
      index: -1,
      playing: false,
      position: 0,
      duration: 0,
    });
  },

  /** Shuffle on: the rest of the queue after the current track is shuffled; off: the original order. */
  toggleShuffle(): void {
    const state = playerStore.get();
    const current = state.queue[state.index];
    if (state.unshuffled) {
      const queue = state.unshuffled.filter((entry) => state.queue.includes(entry));
      playerStore.set({ queue, unshuffled: undefined, index: current ? queue.indexOf(current) : -1 });
      return;
    }
    const before = state.queue.slice(0, state.index + 1);
    const after = shuffled(state.queue.slice(state.index + 1));
    playerStore.set({ queue: [...before, ...after], unshuffled: state.queue });
  },

  cycleRepeat(): void {
    const order: RepeatMode[] = ['off', 'all', 'one'];
    const { repeat } = playerStore.get();
    playerStore.set({ repeat: order[(order.indexOf(repeat) + 1) % order.length]! });
  },

  setPlaying(playing: boolean): void {
    if (playerStore.get().index >= 0) playerStore.set({ playing });
  },

  togglePlay(): void {
    player.setPlaying(!playerStore.get().playing);
  },

  setVolume(volume: number): void {
    playerStore.set({ volume: Math.min(1, Math.max(0, volume)), muted: false });
  },

  toggleMute(): void {
    playerStore.set((state) => ({ muted: !state.muted }));
  },

  setQuality(quality: string): void {
    playerStore.set({ quality });
  },

  setReplayGain(replayGain: ReplayGainMode): void {
    playerStore.set({ replayGain });
  },
};
