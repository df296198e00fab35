// Worker threads for read-only requests: Subsonic's read-only endpoints (endpoint.readOnly) and the native
// API's read routes (route.read). A getAlbum is ~0.5 ms of SQLite, mapping and JSON; a page of 50 albums
// ~1 ms; a broad search several ms. On the main thread that work would use one core and hold up everything
// else on the event loop, audio streams included. In the pool each worker has its own read-only connection
// (SQLite's WAL lets readers run beside the writer), so reads use every core while the main thread does
// HTTP, authentication and every request that writes or needs in-process state.
//
// Workers run only while there is work: each one is a V8 heap of its own with every handler module loaded
// (~25 MB compiled, ~45 MB from the TypeScript sources), which an idle server on a NAS should not carry.
// The first read-only request starts one and is answered by the main thread meanwhile; another starts
// when every running worker already has a job waiting, up to the configured count; a worker that has had
// nothing to do for `idleMs` (a minute) is stopped. docs/benchmarks.md, "Memory (issue 11)", has figures.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { User } from '../accounts/users.service.ts';
import type { CatalogReader } from '../catalog/reader.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { type ErrorCode, TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { PlayerSettings } from '../streaming/players.ts';

const MAX_AUTO_WORKERS = 4;
/** After a worker died unasked, no new one starts for this long (a worker that cannot start must not loop). */
const RESTART_DELAY_MS = 1_000;
export const DEFAULT_IDLE_MS = 60_000;

interface JobBase {
  id: number;
  /** The caller, authenticated by the main thread: the worker trusts it. */
  user: User | undefined;
  requestId: string;
  /** The client accepts gzip: compress a large body in the worker. */
  gzip: boolean;
}

/** A read-only Subsonic endpoint (src/http/subsonic/read-worker.ts runs it). */
export interface SubsonicReadJob extends JobBase {
  api: 'subsonic';
  name: string;
  /** The raw query string and form body: the worker parses them as the main thread did. */
  query: string;
  body: string | undefined;
  player: PlayerSettings | undefined;
}

/** A read route of the native API (src/http/api/read-worker.ts runs it). */
export interface ApiReadJob extends JobBase {
  api: 'native';
  /** `method path` as declared, e.g. `get /albums/:id`. */
  route: string;
  /** The raw path parameters and query: the worker validates them against the route's schemas. */
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  /** Check the answer against the route's response schema (tests). */
  validate: boolean;
}

export type ReadJob = SubsonicReadJob | ApiReadJob;

/** What a worker runs jobs with: its own read-only connection and the catalog's state for it. */
export interface ReadWorkerContext {
  db: Database;
  catalog: CatalogReader;
  config: Config;
  logger: Logger;
}

export type ReadAnswer =
  | {
      id: number;
      ok: true;
      contentType: string;
      /** The text; empty when gzipped is set and the job's text is not wanted (read-answer.ts). */
      body: string;
      gzipped: Uint8Array | undefined;
      headers: [string, string][];
    }
  | {
      id: number;
      ok: false;
      code?: ErrorCode;
      message: string;
      retryAfterSeconds?: number;
      stack?: string;
    };

export interface ReadResult {
  contentType: string;
  body: string;
  gzipped: Buffer | undefined;
  headers: [string, string][];
}

/** Omit over each member of a union (a job without its id is still one kind of job or the other). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  resolve(result: ReadResult): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** True once the worker has loaded its modules and opened the database. */
  ready: boolean;
  /** True once the pool has asked it to stop (idle, or closing): it takes no new jobs. */
  stopping: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

/** The number of read workers for a config value: 'auto' is one per core, at most four. */
export function readWorkerCount(setting: Config['readWorkers']): number {
  if (setting !== 'auto') return setting;
  return Math.min(MAX_AUTO_WORKERS, os.availableParallelism());
}

export interface ReadPoolOptions {
  /** The worker thread's module (src/app/read-worker.ts, which opens the database and runs the jobs). */
  workerUrl: URL;
  dbFile: string;
  config: Config;
  /** At most this many workers run at once. */
  maxWorkers: number;
  logger: Logger;
  /** A worker with no job for this long is stopped (tests pass a short time). */
  idleMs?: number;
}

/**
 * Events: 'ready' when a worker can take jobs, 'stopped' when one was stopped for being idle, 'exit'
 * when one ended otherwise (crashed, or the pool closed). Tests wait on them instead of on the clock.
 */
export class ReadPool extends EventEmitter {
  private readonly slots: Slot[] = [];
  private readonly workerUrl: URL;
  private readonly dbFile: string;
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly idleMs: number;
  readonly maxWorkers: number;
  private nextId = 1;
  private closed = false;
  private noStartBefore = 0;
  /** Jobs answered by a worker (successes and error envelopes alike). */
  answered = 0;

  constructor(options: ReadPoolOptions) {
    super();
    this.workerUrl = options.workerUrl;
    this.dbFile = options.dbFile;
    this.config = options.config;
    this.logger = options.logger;
    this.maxWorkers = Math.max(1, options.maxWorkers);
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  /** Workers that take jobs now. */
  get running(): number {
    return this.slots.filter((slot) => slot.ready && !slot.stopping).length;
  }

  /** Workers started and not ready yet. */
  get starting(): number {
    return this.slots.filter((slot) => !slot.ready && !slot.stopping).length;
  }

  /**
   * Runs the job in the least busy running worker (ties go to the first, which keeps light work on few
   * threads), and starts one more worker when none is free. Undefined when no worker is running yet
   * (starting, stopped for idleness, or restarting after a crash): the caller then runs the job itself.
   */
  run(job: DistributiveOmit<ReadJob, 'id'>): Promise<ReadResult> | undefined {
    if (this.closed) return undefined;
    let slot: Slot | undefined;
    for (const candidate of this.slots) {
      if (!candidate.ready || candidate.stopping) continue;
      if (!slot || candidate.pending.size < slot.pending.size) slot = candidate;
    }
    if (!slot || slot.pending.size > 0) this.grow();
    if (!slot) return undefined;
    const chosen = slot;
    clearTimeout(chosen.idleTimer);
    chosen.idleTimer = undefined;
    const id = this.nextId++;
    return new Promise<ReadResult>((resolve, reject) => {
      chosen.pending.set(id, { resolve, reject });
      chosen.worker.postMessage({ ...job, id } as ReadJob);
    });
  }

  /** Starts workers until `count` (at most maxWorkers) are running; rejects when one cannot start. */
  async warmUp(count = this.maxWorkers): Promise<void> {
    const wanted = Math.min(count, this.maxWorkers);
    while (!this.closed && this.running < wanted) {
      if (this.starting === 0) this.slots.push(this.spawn());
      const started = await new Promise<boolean>((resolve) => {
        const onReady = () => settle(true);
        const onExit = () => settle(false);
        const settle = (ok: boolean) => {
          this.off('ready', onReady).off('exit', onExit);
          resolve(ok);
        };
        this.on('ready', onReady).on('exit', onExit);
      });
      if (!started && !this.closed) throw new Error('a read worker could not start');
    }
  }

  /** Stops every worker that has no job now, as its idle timer would (tests). */
  stopIdleWorkers(): void {
    for (const slot of this.slots) if (slot.ready && slot.pending.size === 0) this.stop(slot, 'stopped');
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map((slot) => {
        clearTimeout(slot.idleTimer);
        slot.stopping = true;
        return slot.worker.terminate();
      }),
    );
  }

  /** One more worker, unless one is starting already, the pool is full, or a crash was just now. */
  private grow(): void {
    const live = this.slots.filter((slot) => !slot.stopping);
    if (live.length >= this.maxWorkers || live.some((slot) => !slot.ready)) return;
    if (Date.now() < this.noStartBefore) return;
    this.slots.push(this.spawn());
  }

  private stop(slot: Slot, event: 'stopped'): void {
    if (slot.stopping) return;
    slot.stopping = true;
    clearTimeout(slot.idleTimer);
    void slot.worker.terminate().then(() => this.emit(event));
  }

  private armIdleTimer(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (slot.pending.size === 0) this.stop(slot, 'stopped');
    }, this.idleMs);
    slot.idleTimer.unref();
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, { workerData: { dbFile: this.dbFile, config: this.config } });
    const slot: Slot = { worker, pending: new Map(), ready: false, stopping: false, idleTimer: undefined };
    worker.on('message', (answer: ReadAnswer | { ready: true }) => {
      if ('ready' in answer) {
        slot.ready = true;
        this.armIdleTimer(slot);
        this.emit('ready');
        return;
      }
      const pending = slot.pending.get(answer.id);
      if (!pending) return;
      slot.pending.delete(answer.id);
      this.answered++;
      if (slot.pending.size === 0) this.armIdleTimer(slot);
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
        pending.reject(
          new TonearmError(answer.code, answer.message, { retryAfterSeconds: answer.retryAfterSeconds }),
        );
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
      clearTimeout(slot.idleTimer);
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      for (const pending of slot.pending.values())
        pending.reject(new Error(`a read worker stopped (exit code ${code})`));
      slot.pending.clear();
      if (!slot.stopping && !this.closed) {
        this.logger.error({ code }, 'a read worker stopped; another starts when a request needs it');
        this.noStartBefore = Date.now() + RESTART_DELAY_MS;
      }
      if (!slot.stopping || this.closed) this.emit('exit', code);
    });
    return slot;
  }
}
