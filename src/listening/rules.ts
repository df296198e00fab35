// When a listen counts as a play, when as a skip (docs/insights.md, "Plays and skips"). A listen is one
// track heard on one player from its start to its end; what counts is the time actually heard
// (listenedMs: seeks do not add to it, pauses do not run it), not where the playhead was, so jumping to
// the last minute of a song is not a play and seeking past an intro is not a skip.
//   - a play: half the track heard, or four minutes of it (Last.fm's rule, which Subsonic clients follow);
//   - a skip: left before 30 seconds were heard, or before a quarter of the track;
//   - otherwise partial: heard for a while, not enough to count.
// A listen the client asked not to count (OpenSubsonic ignoreScrobble) is `ignored`, neither.

export const PLAY_MIN_MS = 4 * 60_000;
export const PLAY_SHARE = 0.5;
export const SKIP_BEFORE_MS = 30_000;
export const SKIP_SHARE = 0.25;

export type ListenOutcome = 'play' | 'skip' | 'partial' | 'ignored';

/** The outcome of a finished listen. `durationMs` 0 (unknown) leaves only the absolute thresholds. */
export function outcomeOf(listenedMs: number, durationMs: number, ignored = false): ListenOutcome {
  if (ignored) return 'ignored';
  const playAt = durationMs > 0 ? Math.min(durationMs * PLAY_SHARE, PLAY_MIN_MS) : PLAY_MIN_MS;
  if (listenedMs >= playAt) return 'play';
  if (listenedMs < SKIP_BEFORE_MS || (durationMs > 0 && listenedMs < durationMs * SKIP_SHARE)) return 'skip';
  return 'partial';
}
