// The one player of the app: created once at start, outside React, so it plays on whatever page shows.
import { AudioEngine } from './engine.ts';
import { ListeningEventSender } from './listening-events.ts';
import { connectMediaSession } from './media-session.ts';
import { QueueSync } from './queue-sync.ts';

export const listeningEvents = new ListeningEventSender();
export const engine = new AudioEngine(listeningEvents);
export const queueSync = new QueueSync();
connectMediaSession(engine);

export { currentEntry, player, playerStore, usePlayer } from './player-store.ts';
