// Media keys, the lock screen and the system's media controls (MediaSession): the current track's
// title, artist, album and cover, its position, and the actions they can send back.
import { coverUrl } from '../api/client.ts';
import type { AudioEngine } from './engine.ts';
import { currentEntry, player, playerStore } from './player-store.ts';

const COVER_SIZES = [96, 256, 512];

export function connectMediaSession(engine: AudioEngine): void {
  if (!('mediaSession' in navigator)) return;
  const session = navigator.mediaSession;
  const actions: [MediaSessionAction, MediaSessionActionHandler][] = [
    ['play', () => player.setPlaying(true)],
    ['pause', () => player.setPlaying(false)],
    ['stop', () => player.setPlaying(false)],
    ['nexttrack', () => player.next()],
    ['previoustrack', () => player.previous(() => engine.restart())],
    ['seekto', (details) => details.seekTime !== undefined && engine.seek(details.seekTime)],
    ['seekbackward', (details) => engine.seek(playerStore.get().position - (details.seekOffset ?? 10))],
    ['seekforward', (details) => engine.seek(playerStore.get().position + (details.seekOffset ?? 10))],
  ];
  for (const [action, handler] of actions) {
    try {
      session.setActionHandler(action, handler);
    } catch {
      // An action this browser does not know.
    }
  }
  let lastPositionUpdate = 0;
  playerStore.subscribe((state, previous) => {
    const entry = currentEntry(state);
    if (entry !== currentEntry(previous)) {
      const track = entry?.track;
      session.metadata = track
        ? new MediaMetadata({
            title: track.title,
            artist: track.artistName,
            album: track.albumName,
            artwork: track.coverArtId
              ? COVER_SIZES.map((size) => ({
                  src: new URL(coverUrl(track.coverArtId, size)!, document.baseURI).href,
                  sizes: `${size}x${size}`,
                }))
              : [],
          })
        : null;
    }
    if (state.playing !== previous.playing || entry !== currentEntry(previous))
      session.playbackState = entry ? (state.playing ? 'playing' : 'paused') : 'none';
    const now = Date.now();
    if (
      entry &&
      state.duration > 0 &&
      (now - lastPositionUpdate > 5000 || Math.abs(state.position - previous.position) > 2)
    ) {
      lastPositionUpdate = now;
      try {
        session.setPositionState({
          duration: state.duration,
          position: Math.min(state.position, state.duration),
          playbackRate: 1,
        });
      } catch {
        // A position past a stream's estimated duration.
      }
    }
  });
}
