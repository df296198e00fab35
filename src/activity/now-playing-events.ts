// Now playing as live events: every change of the now-playing list (src/activity/now-playing.ts) goes to
// the event hub for the library of its track, so it reaches exactly those who would see the entry in
// getNowPlaying (entries whose track lies in a library the viewer may not see are left out there too).
import { findTrackFacts } from '../catalog/lookup.ts';
import type { Database } from '../db/database.ts';
import type { EventHub } from '../system/events.ts';
import type { NowPlaying } from './now-playing.ts';

/** Publishes now-playing changes until the returned function is called. */
export function announceNowPlaying(nowPlaying: NowPlaying, hub: EventHub, db: Database): () => void {
  return nowPlaying.watch(({ action, entry }) => {
    // The report that caused the change has already succeeded; a failed lookup only loses the event.
    let libraryId: number | undefined;
    try {
      libraryId = findTrackFacts(db, [entry.trackId]).get(entry.trackId)?.library_id;
    } catch {
      return;
    }
    if (libraryId === undefined) return;
    hub.publish(
      'nowPlaying.changed',
      { action, entry: { ...entry, startedAt: new Date(entry.startedAt).toISOString() } },
      { libraryIds: [libraryId] },
    );
  });
}
