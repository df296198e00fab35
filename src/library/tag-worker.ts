// Worker thread entry: reads tags for the main thread, one request at a time.
import { parentPort } from 'node:worker_threads';
import { type ReadRequest, readTrackFile } from './tags.ts';

parentPort!.on('message', async (message: { id: number; request: ReadRequest }) => {
  let outcome: Awaited<ReturnType<typeof readTrackFile>>;
  try {
    outcome = await readTrackFile(message.request);
  } catch (error) {
    outcome = { ok: false, reason: `unreadable: ${(error as Error).message}` };
  }
  parentPort!.postMessage({ id: message.id, outcome });
});
