// Worker thread entry: reads tags for the main thread, one request at a time.
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { failedRead, type ReadRequest, readTrackFile } from './tags.ts';

/** Fault injection for the scanner tests: this worker thread exits when asked to read a file of this name. */
const CRASH_ON = process.env.TONEARM_TEST_TAG_WORKER_CRASH_ON;

parentPort!.on('message', async (message: { id: number; request: ReadRequest }) => {
  if (CRASH_ON && path.basename(message.request.file) === CRASH_ON) process.exit(70);
  let outcome: Awaited<ReturnType<typeof readTrackFile>>;
  try {
    outcome = await readTrackFile(message.request);
  } catch (error) {
    // Only plain data crosses to the main thread: an errno code survives as the outcome's failure kind.
    outcome = failedRead(error);
  }
  parentPort!.postMessage({ id: message.id, outcome });
});
