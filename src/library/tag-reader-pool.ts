// A small pool of worker threads that read tags, so parsing uses every core and the main thread (HTTP
// requests, database writes) stays responsive. Tag reading waits on many small file reads, so each
// worker has a few files in flight at once. A worker that dies or hangs on a hostile file is replaced;
// its files are reported as unreadable (failure 'reader': nothing is known about any one of them, so a
// stored track of theirs is kept) and the scan goes on.
import { Worker } from 'node:worker_threads';
import { siblingModule } from '../shared/module-url.ts';
import type { ReadOutcome, ReadRequest } from './tags.ts';

const WORKER_URL = siblingModule(import.meta.url, 'tag-worker');
const FILE_TIMEOUT_MS = 60_000;
const IN_FLIGHT_PER_WORKER = 6;

interface Job {
  id: number;
  request: ReadRequest;
  resolve: (outcome: ReadOutcome) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
}

export class TagReaderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number) {
    for (let index = 0; index < Math.max(1, size); index++) this.slots.push(this.spawn());
  }

  read(request: ReadRequest): Promise<ReadOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, reason: 'scanner stopped', failure: 'reader' });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, request, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.resolve({ ok: false, reason: 'scanner stopped', failure: 'reader' });
    await Promise.all(
      this.slots.map((slot) => {
        this.failAll(slot, 'scanner stopped');
        return slot.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    // A small young generation keeps each worker's memory near what one file needs.
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    worker.unref();
    const slot: Slot = { worker, jobs: new Map() };
    worker.on('message', (message: { id: number; outcome: ReadOutcome }) => {
      const job = slot.jobs.get(message.id);
      if (!job) return;
      clearTimeout(job.timer);
      slot.jobs.delete(message.id);
      job.resolve(message.outcome);
      this.dispatch();
    });
    worker.on('error', (error) => this.replace(slot, `unreadable: tag reader crashed (${error.message})`));
    worker.on('exit', (code) => {
      if (code !== 0) this.replace(slot, `unreadable: tag reader exited (${code})`);
    });
    return slot;
  }

  private replace(slot: Slot, reason: string): void {
    if (this.closed) return;
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots[index] = this.spawn();
    this.failAll(slot, reason);
    void slot.worker.terminate();
    this.dispatch();
  }

  private failAll(slot: Slot, reason: string): void {
    for (const job of slot.jobs.values()) {
      clearTimeout(job.timer);
      job.resolve({ ok: false, reason, failure: 'reader' });
    }
    slot.jobs.clear();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      while (this.queue.length > 0 && slot.jobs.size < IN_FLIGHT_PER_WORKER) {
        const job = this.queue.shift()!;
        slot.jobs.set(job.id, job);
        job.timer = setTimeout(
          () => this.replace(slot, `unreadable: timed out after ${FILE_TIMEOUT_MS / 1000} s`),
          FILE_TIMEOUT_MS,
        );
        slot.worker.postMessage({ id: job.id, request: job.request });
      }
      // Busy workers keep the process alive until their files are read; idle ones must not.
      if (slot.jobs.size > 0) slot.worker.ref();
      else slot.worker.unref();
    }
  }
}
