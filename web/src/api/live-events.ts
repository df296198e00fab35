// The server's live events (GET /events, Server-Sent Events) while signed in: scan progress for the
// admin page, new notifications, and library changes that make cached lists stale. EventSource
// reconnects by itself and resumes with Last-Event-ID.
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Store } from '../lib/store.ts';
import { apiPath, endSession, refreshSession } from './client.ts';

export interface ScanProgress {
  libraryId: number;
  phase: 'walking' | 'reading' | 'finishing';
  full: boolean;
  startedAt: string;
  filesSeen: number;
  filesToRead: number;
  filesRead: number;
  folders: number;
  errors: number;
}

/** The newest scan progress per library, cleared when its scan finishes. */
export const liveScans = new Store<{ progress: Record<number, ScanProgress>; finishedAt: number }>({
  progress: {},
  finishedAt: 0,
});

function handle(client: QueryClient, topic: string, data: unknown): void {
  switch (topic) {
    case 'scan.progress': {
      const progress = data as ScanProgress;
      liveScans.set((state) => ({ progress: { ...state.progress, [progress.libraryId]: progress } }));
      break;
    }
    case 'scan.finished': {
      const { libraryId } = data as { libraryId: number };
      liveScans.set((state) => {
        const { [libraryId]: _, ...rest } = state.progress;
        return { progress: rest, finishedAt: Date.now() };
      });
      void client.invalidateQueries({ queryKey: ['scan-status'] });
      break;
    }
    case 'library.changed':
      // Lists, pages and search answers may all have changed; the player's queue keeps its tracks.
      void client.invalidateQueries({ predicate: (query) => query.queryKey[0] !== 'me' });
      break;
    case 'notification':
      void client.invalidateQueries({ queryKey: ['notifications'] });
      break;
    case 'ready':
      // After a server restart or a long gap the missed events are gone: what is shown may be stale.
      if ((data as { resumed?: boolean }).resumed === false) {
        liveScans.set({ progress: {} });
        void client.invalidateQueries({ queryKey: ['scan-status'] });
      }
      break;
  }
}

const TOPICS = ['scan.progress', 'scan.finished', 'library.changed', 'notification'];
/** Events the stream sends whatever the topics. */
const ALWAYS = ['ready'];

export function useLiveEvents(enabled: boolean): void {
  const client = useQueryClient();
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const connect = () => {
      source = new EventSource(apiPath(`/events?topics=${TOPICS.join(',')}`));
      for (const topic of [...TOPICS, ...ALWAYS]) {
        source.addEventListener(topic, (event: MessageEvent<string>) => {
          try {
            handle(client, topic, JSON.parse(event.data));
          } catch {
            // A malformed event is ignored; the next one says the same and more.
          }
        });
      }
      source.addEventListener('error', () => {
        // EventSource retries network errors itself, but gives up on a 401 (an expired access token):
        // refresh the session and open a new stream.
        if (source?.readyState !== EventSource.CLOSED || stopped) return;
        timer = setTimeout(() => {
          void refreshSession().then((goesOn) => {
            if (stopped) return;
            if (goesOn) connect();
            else endSession(); // the session is over: the sign-in page, not a reconnect loop
          });
        }, 2000);
      });
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [enabled, client]);
}
