// Gives memory back once the server has been idle for a while. V8 keeps the heap it grew while busy: the
// young generation in particular stays at its largest (32 MB on a machine with more than a few GB of RAM)
// although an idle server needs a few hundred KB of it, and a scan leaves old-generation pages behind. A
// memory-reducing collection (the one V8 runs under memory pressure) shrinks both, at the cost of one
// full collection of a small heap (tens of ms) on a server that has nothing else to do; the next burst of
// work grows the heap again as far as it needs. Measured in docs/benchmarks.md, "Memory (issue 11)".
//
// Node offers that collection only as the `gc()` of --expose-gc. The flag is set for the moment it takes
// to obtain the function from a fresh context and cleared again, so nothing else sees a `gc` global.
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from '../shared/logger.ts';

export const DEFAULT_IDLE_MS = 15_000;

type Collect = () => void;
let collect: Collect | null | undefined;

function reducingCollection(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (options: object) => void;
    collect = () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    collect = null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return collect;
}

export interface IdleMemoryOptions {
  logger: Logger;
  /** True while work runs that is not a request (a scan): the server is not idle then. */
  busy(): boolean;
  /** How long without a request (and not busy) counts as idle. */
  idleMs?: number;
  /** Drops what is kept only to answer faster (src/http/answer-cache.ts), just before the collection. */
  beforeRelease?: () => void;
}

/** Releases memory once after each stretch of activity, when the server has been idle for idleMs. */
export class IdleMemoryRelease {
  private readonly logger: Logger;
  private readonly busy: () => boolean;
  private readonly idleMs: number;
  private readonly beforeRelease: () => void;
  private lastActivity = Date.now();
  /** Something ran since the last release (start-up counts). */
  private worked = true;
  private timer: NodeJS.Timeout | undefined;
  /** Collections run so far (tests, logs). */
  releases = 0;

  constructor(options: IdleMemoryOptions) {
    this.logger = options.logger;
    this.busy = options.busy;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.beforeRelease = options.beforeRelease ?? (() => {});
  }

  /** A request came in (cheap: called for every one). */
  noteActivity(now = Date.now()): void {
    this.lastActivity = now;
    this.worked = true;
  }

  start(): void {
    this.timer = setInterval(() => this.releaseIfIdle(), Math.max(50, Math.floor(this.idleMs / 3)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Runs the collection if the server has been idle for idleMs since it last worked; true if it ran. */
  releaseIfIdle(now = Date.now()): boolean {
    if (this.busy()) {
      this.lastActivity = now;
      this.worked = true;
      return false;
    }
    if (!this.worked || now - this.lastActivity < this.idleMs) return false;
    this.worked = false;
    this.beforeRelease();
    const release = reducingCollection();
    if (!release) return false;
    const before = process.memoryUsage.rss();
    const started = performance.now();
    release();
    this.releases++;
    this.logger.debug(
      {
        rssMB: Math.round(before / 2 ** 20),
        nowMB: Math.round(process.memoryUsage.rss() / 2 ** 20),
        ms: Math.round(performance.now() - started),
      },
      'idle: memory given back',
    );
    return true;
  }
}
