// Worker threads for the read-only Subsonic endpoints (endpoint.readOnly). A getAlbum is ~0.5 ms of
// SQLite, mapping and JSON; a broad search3 several ms. On the main thread that work would use one core
// and hold up everything else on the event loop, audio streams included. In the pool each worker has its
// own read-only connection (SQLite's WAL lets readers run beside the writer), so reads use every core while
// the main thread does HTTP, authentication and every endpoint that writes or needs in-process state.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { User } from '../../accounts/users.service.ts';
import type { Config } from '../../config/schema.ts';
import { type ErrorCode, TonearmError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { PlayerSettings } from './endpoint.ts';

const WORKER_URL = new URL('./read-worker.ts', import.meta.url);
const MAX_AUTO_WORKERS = 4;
const RESTART_DELAY_MS = 1_000;

export interface ReadJob {
  id: number;
  name: string;
  /** The raw query string and form body: the worker parses them as the main thread did. */
  query: string;
  body: string | undefined;
  user: User | undefined;
  player: PlayerSettings | undefined;
  requestId: string;
  /** The client accepts gzip: compress a large body in the worker. */
  gzip: boolean;
}

export type ReadAnswer =
  | {
      id: number;
      ok: true;
      contentType: string;
      body: string;
      gzipped: Uint8Array | undefined;
      headers: [string, string][];
    }
  | { id: number; ok: false; code?: ErrorCode; message: string; stack?: string };

export interface ReadResult {
  contentType: string;
  body: string;
  gzipped: Buffer | undefined;
  headers: [string, string][];
}

interface Pending {
  resolve(result: ReadResult): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  alive: boolean;
}

/** The number of read workers for a config value: 'auto' is one per core, at most four. */
export function readWorkerCount(setting: Config['readWorkers']): number {
  if (setting !== 'auto') return setting;
  return Math.min(MAX_AUTO_WORKERS, os.availableParallelism());
}

/** The pool `config.readWorkers` asks for, or undefined when it asks for none. */
export function startReadPool(dbFile: string, config: Config, logger: Logger): ReadPool | undefined {
  const size = readWorkerCount(config.readWorkers);
  return size > 0 ? new ReadPool({ dbFile, config, size, logger }) : undefined;
}

export class ReadPool {
  private readonly slots: Slot[] = [];
  private readonly dbFile: string;
  private readonly config: Config;
  private readonly logger: Logger;
  private nextId = 1;
  private closed = false;
  /** Jobs answered by a worker (successes and error envelopes alike). */
  answered = 0;

  constructor(options: { dbFile: string; config: Config; size: number; logger: Logger }) {
    this.dbFile = options.dbFile;
    this.config = options.config;
    this.logger = options.logger;
    for (let index = 0; index < options.size; index++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Runs the job in the least busy worker (ties go to the first, which keeps an idle server's work on few
   * threads). Undefined when no worker is running (all restarting): the caller then runs it itself.
   */
  run(job: Omit<ReadJob, 'id'>): Promise<ReadResult> | undefined {
    if (this.closed) return undefined;
    let slot: Slot | undefined;
    for (const candidate of this.slots) {
      if (candidate.alive && (!slot || candidate.pending.size < slot.pending.size)) slot = candidate;
    }
    if (!slot) return undefined;
    const chosen = slot;
    const id = this.nextId++;
    return new Promise<ReadResult>((resolve, reject) => {
      chosen.pending.set(id, { resolve, reject });
      chosen.worker.postMessage({ ...job, id } satisfies ReadJob);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL, { workerData: { dbFile: this.dbFile, config: this.config } });
    const slot: Slot = { worker, pending: new Map(), alive: true };
    worker.on('message', (answer: ReadAnswer) => {
      const pending = slot.pending.get(answer.id);
      if (!pending) return;
      slot.pending.delete(answer.id);
      this.answered++;
      if (answer.ok) {
        const gzipped = answer.gzipped
          ? Buffer.from(answer.gzipped.buffer, answer.gzipped.byteOffset, answer.gzipped.byteLength)
          : undefined;
        pending.resolve({
          contentType: answer.contentType,
          body: answer.body,
          gzipped,
          headers: answer.headers,
        });
      } else if (answer.code) {
        pending.reject(new TonearmError(answer.code, answer.message));
      } else {
        const error = new Error(answer.message);
        if (answer.stack) error.stack = answer.stack;
        pending.reject(error);
      }
    });
    worker.on('error', (error) => {
      this.logger.error({ err: error }, 'a read worker failed');
    });
    worker.on('exit', (code) => {
      slot.alive = false;
      for (const pending of slot.pending.values())
        pending.reject(new Error(`a read worker stopped (exit code ${code})`));
      slot.pending.clear();
      if (this.closed) return;
      this.logger.error({ code }, 'a read worker stopped; starting another');
      // A worker that cannot start (database gone) must not be restarted in a tight loop.
      setTimeout(() => {
        if (this.closed) return;
        const index = this.slots.indexOf(slot);
        if (index >= 0) this.slots[index] = this.spawn();
      }, RESTART_DELAY_MS).unref();
    });
    return slot;
  }
}
