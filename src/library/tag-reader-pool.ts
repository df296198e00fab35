// A small pool of worker threads that read tags, so parsing uses every core and the main thread (HTTP
// requests, database writes) stays responsive. A worker that dies or hangs on a hostile file is replaced;
// the file is reported as unreadable and the scan goes on.
import { Worker } from 'node:worker_threads';
import type { ReadOutcome, ReadRequest } from './tags.ts';

const WORKER_URL = new URL('./tag-worker.ts', import.meta.url);
const FILE_TIMEOUT_MS = 60_000;

interface Job {
  id: number;
  request: ReadRequest;
  resolve: (outcome: ReadOutcome) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
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
    if (this.closed) return Promise.resolve({ ok: false, reason: 'scanner stopped' });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, request, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve({ ok: false, reason: 'scanner stopped' });
    await Promise.all(
      this.slots.map((slot) => {
        if (slot.timer) clearTimeout(slot.timer);
        slot.job?.resolve({ ok: false, reason: 'scanner stopped' });
        slot.job = undefined;
        return slot.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const slot: Slot = { worker, job: undefined, timer: undefined };
    worker.on('message', (message: { id: number; outcome: ReadOutcome }) => {
      if (!slot.job || slot.job.id !== message.id) return;
      this.finish(slot, message.outcome);
    });
    const replace = (reason: string) => {
      if (this.closed) return;
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      if (slot.timer) clearTimeout(slot.timer);
      const job = slot.job;
      slot.job = undefined;
      this.slots[index] = this.spawn();
      job?.resolve({ ok: false, reason });
      this.dispatch();
    };
    worker.on('error', (error) => replace(`unreadable: tag reader crashed (${error.message})`));
    worker.on('exit', (code) => {
      if (code !== 0) replace(`unreadable: tag reader exited (${code})`);
    });
    return slot;
  }

  private finish(slot: Slot, outcome: ReadOutcome): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    const job = slot.job!;
    slot.job = undefined;
    job.resolve(outcome);
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.timer = setTimeout(() => {
        const index = this.slots.indexOf(slot);
        if (index < 0 || slot.job !== job) return;
        slot.job = undefined;
        this.slots[index] = this.spawn();
        void slot.worker.terminate();
        job.resolve({ ok: false, reason: `unreadable: timed out after ${FILE_TIMEOUT_MS / 1000} s` });
        this.dispatch();
      }, FILE_TIMEOUT_MS);
      slot.worker.postMessage({ id: job.id, request: job.request });
    }
    // Idle workers must not keep the process alive.
    for (const slot of this.slots) if (!slot.job) slot.worker.unref();
  }
}
