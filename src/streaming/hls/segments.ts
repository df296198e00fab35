// HLS segments, made by ffmpeg (ffmpeg.ts) when first asked for and kept in a disk cache (disk-cache.ts):
// <dataDir>/cache/hls/<key>/<index>.ts, the key a hash of the file version, the plan and the bitrate.
//
// Production: one ffmpeg per segment and bitrate at a time (a second request for a segment being made
// waits for the same run); at most `maxConcurrent` runs, a short queue behind them, 429 beyond. A run
// whose every waiting request has gone is killed. Output goes to a .part file published when complete,
// so a cached segment is always whole. The cache is bounded in bytes, least recently used out first;
// entries used in the last minute stay (a request may be sending them), and so does the newest.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/schema.ts';
import { DiskCache } from '../../shared/disk-cache.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { Ffmpeg, type FfmpegCheck, type FfmpegFailure, type FfmpegRun, hintSuffix } from '../ffmpeg.ts';
import type { MediaFile } from '../media-file.ts';
import { type SegmentPlan, segmentArguments, segmentCacheKey } from './plan.ts';

export const HLS_SEGMENT_TYPE = 'video/mp2t';

const RETRY_AFTER_SECONDS = 5;
const SEGMENT_TIMEOUT_MS = 60_000;
const EVICTION_GRACE_MS = 60_000;
const MIN_CACHE_BYTES = 32 * 1024 * 1024;

/** The one feature HLS needs beyond plain transcoding: the noise filter's drop expression (ffmpeg ≥ 5.0). */
const DROPS_FRAMES: FfmpegCheck = {
  name: 'hls',
  args: ['-hide_banner', '-h', 'bsf=noise'],
  refuse: (stdout, binary) =>
    /-drop\s+<string>/.test(stdout)
      ? undefined
      : `HLS needs ffmpeg 5.0 or newer (${binary} has no expression support in its noise bitstream filter)`,
};

export interface HlsSegmentsOptions {
  ffmpegPath: string;
  /** <dataDir>/cache/hls */
  cacheFolder: string;
  cacheBytes: number;
  /** ffmpeg runs at once. */
  maxConcurrent: number;
  /** Segments waiting for a run before requests get 429 (default 2 × maxConcurrent). */
  maxQueued?: number;
  /** Entries used this recently stay even over budget (default 60 s): a request may be sending them. */
  evictionGraceMs?: number;
  logger: Logger;
}

export interface SegmentRequest {
  media: MediaFile;
  plan: SegmentPlan;
  bitrate: number;
  index: number;
  log: Logger;
  /** Aborted when the client has gone; a run nobody waits for any more is stopped. */
  signal?: AbortSignal;
}

export interface SegmentFile {
  file: string;
  size: number;
  mtimeMs: number;
}

export interface HlsStats {
  running: number;
  queued: number;
  cacheBytes: number;
}

type JobState = 'queued' | 'running' | 'cancelled' | 'settled';

interface SegmentJob {
  /** The segment's path in the cache folder, also its cache key. */
  name: string;
  request: SegmentRequest;
  state: JobState;
  waiters: number;
  run: FfmpegRun | undefined;
  done: Promise<SegmentFile>;
  resolve(file: SegmentFile): void;
  reject(error: TonearmError): void;
}

/** Half the transcode cache's size (at least 32 MiB): see docs/hls.md for why. */
export function hlsCacheBytes(config: Config): number {
  return Math.max(MIN_CACHE_BYTES, Math.floor(config.transcoding.cacheSize / 2));
}

export function createHlsSegments(config: Config, logger: Logger): HlsSegments {
  return new HlsSegments({
    ffmpegPath: config.transcoding.ffmpeg,
    cacheFolder: path.join(config.dataDir, 'cache', 'hls'),
    cacheBytes: hlsCacheBytes(config),
    maxConcurrent: config.transcoding.maxConcurrent,
    logger,
  });
}

/**
 * A server's HLS segments, made from its configuration on first use: a server that never serves HLS
 * never reads or creates the cache folder.
 */
export class HlsSegmentsOnDemand {
  private readonly config: Config;
  private readonly logger: Logger;
  private made: HlsSegments | undefined;

  constructor(config: Config, logger: Logger) {
    this.config = config;
    this.logger = logger;
  }

  get segments(): HlsSegments {
    this.made ??= createHlsSegments(this.config, this.logger);
    return this.made;
  }

  /** Runs and cache size; undefined before the first segment request. */
  stats(): HlsStats | undefined {
    return this.made?.stats();
  }

  /** Stops the runs and refuses new ones (shutdown; requests in flight fail). */
  close(): void {
    this.made?.close();
  }
}

export class HlsSegments {
  private readonly options: HlsSegmentsOptions;
  private readonly ffmpeg: Ffmpeg;
  private readonly cache: DiskCache;
  private readonly jobs = new Map<string, SegmentJob>();
  private readonly queue: SegmentJob[] = [];
  private running = 0;
  private closed = false;

  constructor(options: HlsSegmentsOptions) {
    this.options = options;
    this.ffmpeg = new Ffmpeg(options.ffmpegPath);
    this.cache = new DiskCache({
      folder: options.cacheFolder,
      maxBytes: options.cacheBytes,
      keyOf: (name) => (/^[0-9a-f]{32}\/\d+\.ts$/.test(name) ? name : undefined),
      graceMs: options.evictionGraceMs ?? EVICTION_GRACE_MS,
      keepNewest: true,
      logger: options.logger,
      label: 'HLS cache',
    });
    try {
      this.cache.open();
    } catch (error) {
      throw new TonearmError(
        'DATA_FOLDER',
        `the HLS cache folder ${options.cacheFolder} cannot be read or created: ${(error as Error).message}`,
      );
    }
  }

  stats(): HlsStats {
    return { running: this.running, queued: this.queue.length, cacheBytes: this.cache.bytes };
  }

  /** The segment's file: from the cache, or made now (or by a run another request started). */
  async segment(request: SegmentRequest): Promise<SegmentFile> {
    if (this.closed) throw new TonearmError('TRANSCODER_UNAVAILABLE', 'the server is shutting down');
    const segment = request.plan.segments[request.index];
    if (!segment) throw new TonearmError('NOT_FOUND', `this track has no segment ${request.index}`);
    // Built from a hash and a number only: nothing from the request names a path.
    const name = `${segmentCacheKey(request.media, request.plan, request.bitrate)}/${segment.index}.ts`;
    // The run first, then the cache: a run publishes its file before it leaves the map, so a request
    // never misses both and starts a second run of a segment that just finished.
    let job = this.jobs.get(name);
    if (job) return this.wait(job, request.signal);
    const cached = await this.cache.find(name, name);
    if (cached) return cached;
    job = this.jobs.get(name);
    if (!job) {
      await this.ffmpeg.ensure(DROPS_FRAMES, request.log);
      job = this.jobs.get(name);
      if (!job) {
        if (request.signal?.aborted) throw new TonearmError('TRANSCODE_FAILED', 'the request was cancelled');
        this.checkRoom();
        job = this.startJob(name, request);
      }
    }
    return this.wait(job, request.signal);
  }

  /** Stops every run and refuses new ones (shutdown). */
  close(): void {
    this.closed = true;
    for (const job of [...this.jobs.values()]) this.cancel(job);
    this.ffmpeg.close();
  }

  private checkRoom(): void {
    const maxQueued = this.options.maxQueued ?? 2 * this.options.maxConcurrent;
    if (this.running >= this.options.maxConcurrent && this.queue.length >= maxQueued) {
      throw new TonearmError(
        'TRANSCODE_LIMIT',
        `${this.running} HLS segments are being made and ${this.queue.length} wait; try again in a few seconds`,
        { retryAfterSeconds: RETRY_AFTER_SECONDS },
      );
    }
  }

  private startJob(name: string, request: SegmentRequest): SegmentJob {
    let resolve!: (file: SegmentFile) => void;
    let reject!: (error: TonearmError) => void;
    const done = new Promise<SegmentFile>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    // Nobody may be waiting any more when a cancelled run fails.
    done.catch(() => undefined);
    const job: SegmentJob = {
      name,
      request,
      state: 'queued',
      waiters: 0,
      run: undefined,
      done,
      resolve,
      reject,
    };
    this.jobs.set(name, job);
    if (this.running < this.options.maxConcurrent) void this.run(job);
    else this.queue.push(job);
    return job;
  }

  private wait(job: SegmentJob, signal: AbortSignal | undefined): Promise<SegmentFile> {
    job.waiters++;
    return new Promise<SegmentFile>((resolve, reject) => {
      let left = false;
      const leave = () => {
        if (left) return false;
        left = true;
        signal?.removeEventListener('abort', onAbort);
        job.waiters--;
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        if (job.waiters === 0) {
          job.request.log.debug({ file: job.name }, 'HLS segment abandoned by every request: ffmpeg stopped');
          this.cancel(job);
        }
        reject(new TonearmError('TRANSCODE_FAILED', 'the request was cancelled'));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      job.done.then(
        (file) => {
          if (leave()) resolve(file);
        },
        (error: TonearmError) => {
          if (leave()) reject(error);
        },
      );
    });
  }

  private async run(job: SegmentJob): Promise<void> {
    job.state = 'running';
    this.running++;
    const { media, plan, bitrate, index, log } = job.request;
    const segment = plan.segments[index]!;
    const partFile = this.cache.partFile(job.name);
    const finish = () => {
      this.running--;
      if (this.jobs.get(job.name) === job) this.jobs.delete(job.name);
      this.startQueued();
    };
    const fail = (failure: TonearmError) => {
      if (job.state === 'settled') return;
      job.state = 'settled';
      job.run?.kill();
      void fs.promises.rm(partFile, { force: true });
      finish();
      job.reject(failure);
    };
    try {
      await fs.promises.mkdir(path.dirname(partFile), { recursive: true });
    } catch (error) {
      fail(
        new TonearmError(
          'TRANSCODE_FAILED',
          `the HLS cache folder cannot be written: ${(error as Error).message}`,
        ),
      );
      return;
    }
    // Everybody may have left during the await.
    if ((job.state as JobState) === 'cancelled') {
      job.state = 'settled';
      finish();
      return;
    }
    const { input, output } = segmentArguments(plan, segment, bitrate);
    const run = this.ffmpeg.run({
      input: media.file,
      inputOptions: input,
      outputOptions: output,
      output: partFile,
      timeoutMs: SEGMENT_TIMEOUT_MS,
    });
    job.run = run;
    log.debug({ commandLine: run.commandLine }, 'ffmpeg started for an HLS segment');
    run.done.then(
      () => void this.adopt(job, partFile, finish, fail),
      (error: FfmpegFailure) => {
        if (job.state === 'settled') return; // already failed and killed by us
        if (job.state === 'cancelled') {
          // Our own kill: the run was abandoned.
          job.state = 'settled';
          void fs.promises.rm(partFile, { force: true });
          finish();
          return;
        }
        if (error.reason === 'timeout') {
          log.error({ file: media.track.path, index }, 'ffmpeg took too long over an HLS segment: stopped');
          fail(new TonearmError('TRANSCODE_FAILED', `ffmpeg took more than 60 s over segment ${index}`));
          return;
        }
        const failure =
          error.reason === 'unavailable'
            ? new TonearmError('TRANSCODER_UNAVAILABLE', this.ffmpeg.unavailableMessage())
            : new TonearmError(
                'TRANSCODE_FAILED',
                `ffmpeg could not make segment ${index} of "${media.track.title}"${hintSuffix(error.hint)}`,
              );
        log.error({ file: media.track.path, err: error.message, stderr: run.stderrTail }, failure.message);
        fail(failure);
      },
    );
  }

  /** A finished run: its .part file becomes the cached segment. */
  private async adopt(
    job: SegmentJob,
    partFile: string,
    finish: () => void,
    fail: (failure: TonearmError) => void,
  ): Promise<void> {
    if (job.state === 'settled') return;
    try {
      const stat = await fs.promises.stat(partFile);
      if (stat.size === 0) throw new Error('ffmpeg wrote nothing');
      const published = await this.cache.publish(job.name, job.name, partFile);
      if (!published) throw new Error('the cache refused it');
      const state = job.state;
      job.state = 'settled';
      finish();
      // A run that finished just as its last request left is kept all the same.
      if (state !== 'cancelled') job.resolve(published);
    } catch (error) {
      fail(
        new TonearmError(
          'TRANSCODE_FAILED',
          `segment ${job.request.index} of "${job.request.media.track.title}" could not be kept: ${(error as Error).message}`,
        ),
      );
    }
  }

  private cancel(job: SegmentJob): void {
    if (job.state === 'settled' || job.state === 'cancelled') return;
    const wasQueued = job.state === 'queued';
    job.state = 'cancelled';
    if (this.jobs.get(job.name) === job) this.jobs.delete(job.name);
    job.reject(new TonearmError('TRANSCODE_FAILED', 'the segment was abandoned'));
    if (wasQueued) {
      const at = this.queue.indexOf(job);
      if (at >= 0) this.queue.splice(at, 1);
      job.state = 'settled';
      return;
    }
    // Running: the failure of the killed run frees the slot and removes the .part file.
    job.run?.kill();
  }

  private startQueued(): void {
    while (this.running < this.options.maxConcurrent && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.state === 'queued') void this.run(job);
    }
  }
}
