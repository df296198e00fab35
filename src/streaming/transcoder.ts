// Runs ffmpeg (ffmpeg.ts) for transcodes and hands its output to the clients that asked for it.
//
// One job per transcode key: ffmpeg's output is written to a .part file in the cache folder and every
// request for that transcode reads the file as it grows, so two players asking for the same song at once
// share one ffmpeg. Backpressure: ffmpeg is paused (its pipe fills and it blocks) while the furthest reader
// is more than READ_AHEAD bytes behind, so a stalled phone does not make the server transcode the whole
// album ahead. When the last reader leaves an unfinished job, ffmpeg is killed at once and the .part file
// removed; a finished job is published to the transcode cache (transcode-cache.ts) and served with Range
// afterwards.
//
// Limits: jobs running at once, over all users and per user; beyond them the request fails with
// TRANSCODE_LIMIT (HTTP 429, Retry-After). A request waits for ffmpeg's first bytes before answering, so a
// missing ffmpeg or an undecodable file is an error answer and a log line, never a hung or empty stream.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Config } from '../config/schema.ts';
import type { DiskCache } from '../shared/disk-cache.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { FFMPEG_STARTS, Ffmpeg, type FfmpegFailure, type FfmpegRun, hintSuffix } from './ffmpeg.ts';
import type { MediaFile } from './media-file.ts';
import { encoderArguments, type TranscodeProfile } from './profiles.ts';
import {
  type CachedTranscode,
  createTranscodeCache,
  transcodeFileName,
  transcodeKey,
} from './transcode-cache.ts';

const READ_AHEAD = 2 * 1024 * 1024;
const READ_CHUNK = 64 * 1024;
const FIRST_BYTES_TIMEOUT_MS = 30_000;
const RETRY_AFTER_SECONDS = 5;

export interface TranscoderOptions {
  ffmpegPath: string;
  cacheFolder: string;
  cacheBytes: number;
  maxConcurrent: number;
  maxPerUser: number;
  logger: Logger;
  /** How far ffmpeg may run ahead of its furthest reader before it is paused (default 2 MiB). */
  readAheadBytes?: number;
}

export interface TranscodeRequest {
  media: MediaFile;
  profile: TranscodeProfile;
  bitrate: number;
  offset: number;
  /** Down-mix to this many channels (0 = keep the source's). */
  channels?: number;
  userId: string;
  log: Logger;
}

export type TranscodeOutput = { kind: 'cached'; entry: CachedTranscode } | { kind: 'live'; stream: Readable };

export interface TranscoderStats {
  running: number;
  readers: number;
  cacheBytes: number;
}

export function createTranscoder(config: Config, logger: Logger): Transcoder {
  return new Transcoder({
    ffmpegPath: config.transcoding.ffmpeg,
    cacheFolder: path.join(config.dataDir, 'cache', 'transcode'),
    cacheBytes: config.transcoding.cacheSize,
    maxConcurrent: config.transcoding.maxConcurrent,
    maxPerUser: config.transcoding.maxPerUser,
    logger,
  });
}

export class Transcoder {
  private readonly options: TranscoderOptions;
  private readonly ffmpeg: Ffmpeg;
  private readonly diskCache: DiskCache;
  private readonly jobs = new Map<string, TranscodeJob>();
  private closed = false;

  constructor(options: TranscoderOptions) {
    this.options = options;
    this.ffmpeg = new Ffmpeg(options.ffmpegPath);
    this.diskCache = createTranscodeCache(options.cacheFolder, options.cacheBytes, options.logger);
  }

  // Opened on first use: a server that never transcodes never touches the folder.
  private get cache(): DiskCache {
    this.diskCache.open();
    return this.diskCache;
  }

  stats(): TranscoderStats {
    let readers = 0;
    for (const job of this.jobs.values()) readers += job.readerCount;
    return { running: this.jobs.size, readers, cacheBytes: this.diskCache.bytes };
  }

  /** Whether the configured ffmpeg starts (the start check transcodes wait for, remembered). */
  ffmpegAvailable(): Promise<boolean> {
    return this.ffmpeg.ensure(FFMPEG_STARTS).then(
      () => true,
      () => false,
    );
  }

  /** The cached transcode, or a stream of a running one (started now, or shared with another request). */
  async open(request: TranscodeRequest): Promise<TranscodeOutput> {
    if (this.closed) throw new TonearmError('TRANSCODER_UNAVAILABLE', 'the server is shutting down');
    const key = transcodeKey({
      trackId: request.media.track.id,
      fileSize: request.media.size,
      fileMtimeMs: request.media.mtimeMs,
      profileName: request.profile.name,
      profileArguments: request.profile.arguments,
      bitrate: request.bitrate,
      offset: request.offset,
      channels: request.channels ?? 0,
    });
    const cached = await this.cache.find(key);
    if (cached) return { kind: 'cached', entry: cached };
    // Remembered after the first check: a settled promise, no process per request.
    await this.ffmpeg.ensure(FFMPEG_STARTS, request.log);
    let job = this.jobs.get(key);
    if (job?.closing) job = undefined;
    if (!job) {
      this.checkLimits(request.userId);
      job = new TranscodeJob(
        key,
        request,
        this.ffmpeg,
        this.cache,
        this.options.readAheadBytes ?? READ_AHEAD,
      );
      this.jobs.set(key, job);
      const started = job;
      started.once('closed', () => {
        if (this.jobs.get(key) === started) this.jobs.delete(key);
      });
      started.start();
    }
    const reader = job.attach();
    try {
      await job.firstBytes();
    } catch (error) {
      reader.destroy();
      throw error;
    }
    return { kind: 'live', stream: reader };
  }

  /** Kills every running ffmpeg (shutdown). */
  close(): void {
    this.closed = true;
    for (const job of this.jobs.values()) job.abort();
    this.ffmpeg.close();
  }

  private checkLimits(userId: string): void {
    const running = [...this.jobs.values()].filter((job) => !job.finished);
    const mine = running.filter((job) => job.userId === userId).length;
    if (running.length >= this.options.maxConcurrent || mine >= this.options.maxPerUser) {
      const which =
        mine >= this.options.maxPerUser
          ? `you already have ${mine} transcodes running (at most ${this.options.maxPerUser})`
          : `${running.length} transcodes are running (at most ${this.options.maxConcurrent})`;
      throw new TonearmError('TRANSCODE_LIMIT', `${which}; try again in a few seconds`, {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
  }
}

class TranscodeJob extends EventEmitter {
  readonly key: string;
  readonly userId: string;
  private readonly request: TranscodeRequest;
  private readonly ffmpeg: Ffmpeg;
  private readonly cache: DiskCache;
  private readonly fileName: string;
  private readonly partFile: string;
  private readonly readers = new Set<TailReader>();
  private run: FfmpegRun | undefined;
  private output: Readable | undefined;
  private handle: fs.promises.FileHandle | undefined;
  private opening: Promise<fs.promises.FileHandle> | undefined;
  /** Bytes written to the .part file, readable by readers. */
  written = 0;
  finished = false;
  private failure: TonearmError | undefined;
  private writing = false;
  private aborted = false;
  /** ffmpeg's output ended / ffmpeg exited 0: both, and the last write done, make the job complete. */
  private ended = false;
  private succeeded = false;
  private fileClosed = false;

  private readonly readAhead: number;

  constructor(key: string, request: TranscodeRequest, ffmpeg: Ffmpeg, cache: DiskCache, readAhead: number) {
    super();
    this.readAhead = readAhead;
    this.setMaxListeners(0);
    this.key = key;
    this.userId = request.userId;
    this.request = request;
    this.ffmpeg = ffmpeg;
    this.cache = cache;
    this.fileName = transcodeFileName(key, request.profile.suffix);
    this.partFile = cache.partFile(this.fileName);
  }

  /** Finished and letting go of its file: too late to join. */
  get closing(): boolean {
    return this.fileClosed;
  }

  get readerCount(): number {
    return this.readers.size;
  }

  start(): void {
    const { media, profile, bitrate, offset, log } = this.request;
    this.opening = fs.promises.open(this.partFile, 'w+');
    const run = this.ffmpeg.run({
      input: media.file,
      inputOptions: offset > 0 ? ['-ss', String(offset)] : [],
      outputOptions: [
        ...['-map', '0:a:0', '-vn', '-map_metadata', '0'],
        ...(this.request.channels ? ['-ac', String(this.request.channels)] : []),
        ...encoderArguments(profile, bitrate),
      ],
      output: 'pipe',
    });
    this.run = run;
    log.debug({ commandLine: run.commandLine }, 'ffmpeg started');
    // Success is ffmpeg's exit status, not the end of its output (which also ends when it fails).
    run.done.then(
      () => {
        this.succeeded = true;
        void this.completeWhenDone();
      },
      (failure: FfmpegFailure) => this.onFfmpegError(failure),
    );
    const output = run.stdout!;
    this.output = output;
    output.on('data', (chunk: Buffer) => void this.write(chunk));
    output.on('end', () => {
      this.ended = true;
      void this.completeWhenDone();
    });
  }

  attach(): TailReader {
    const reader = new TailReader(this);
    this.readers.add(reader);
    return reader;
  }

  /** A reader finished or left: a finished job lets go of its file, an unfinished one without readers dies. */
  detach(reader: TailReader): void {
    this.readers.delete(reader);
    if (this.finished) {
      if (this.readers.size === 0) void this.closeFile(this.failure !== undefined);
    } else if (this.readers.size === 0) {
      this.request.log.debug({ key: this.key }, 'transcode abandoned by its last listener: ffmpeg stopped');
      this.abort();
    } else {
      this.resumeIfWanted();
    }
  }

  /** Resolves once there are bytes to read (or the job ended empty); rejects when ffmpeg failed first. */
  firstBytes(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.written > 0 || this.finished) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new TonearmError('TRANSCODE_FAILED', 'ffmpeg produced nothing in 30 seconds'));
      }, FIRST_BYTES_TIMEOUT_MS);
      const onProgress = () => {
        if (this.failure) {
          cleanup();
          reject(this.failure);
        } else if (this.written > 0 || this.finished) {
          cleanup();
          resolve();
        }
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.off('progress', onProgress);
      };
      this.on('progress', onProgress);
    });
  }

  async readAt(buffer: Buffer, position: number): Promise<number> {
    const handle = await this.fileHandle();
    const length = Math.min(buffer.length, this.written - position);
    if (length <= 0) return 0;
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return bytesRead;
  }

  get error(): TonearmError | undefined {
    return this.failure;
  }

  /** Stops ffmpeg now and removes the partial output. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.finished = true;
    this.run?.kill();
    this.output?.destroy();
    if (!this.failure && this.readers.size > 0) {
      this.failure = new TonearmError('TRANSCODE_FAILED', 'the transcode was stopped');
    }
    this.emit('progress');
    void this.closeFile(true);
  }

  resumeIfWanted(): void {
    if (!this.output || this.writing || this.finished) return;
    if (this.isFarAhead()) return;
    this.output.resume();
  }

  private isFarAhead(): boolean {
    let furthest = 0;
    for (const reader of this.readers) furthest = Math.max(furthest, reader.position);
    return this.written - furthest > this.readAhead;
  }

  private async fileHandle(): Promise<fs.promises.FileHandle> {
    if (!this.handle) this.handle = await this.opening!;
    return this.handle;
  }

  private async write(chunk: Buffer): Promise<void> {
    const output = this.output!;
    output.pause();
    this.writing = true;
    try {
      const handle = await this.fileHandle();
      await handle.write(chunk, 0, chunk.length, this.written);
      this.written += chunk.length;
    } catch (error) {
      this.fail(
        new TonearmError(
          'TRANSCODE_FAILED',
          `the transcode could not be written to the cache folder: ${(error as Error).message}`,
        ),
      );
      return;
    } finally {
      this.writing = false;
    }
    this.emit('progress');
    if (this.ended) void this.completeWhenDone();
    else this.resumeIfWanted();
  }

  private async completeWhenDone(): Promise<void> {
    if (this.finished || !this.ended || !this.succeeded || this.writing) return;
    this.finished = true;
    const { media, log } = this.request;
    if (this.written === 0) {
      this.fail(
        new TonearmError(
          'TRANSCODE_FAILED',
          `ffmpeg produced no audio for "${media.track.title}"${hintSuffix(this.run?.stderrTail ?? '')}`,
        ),
      );
      return;
    }
    log.debug({ key: this.key, bytes: this.written }, 'transcode finished');
    this.emit('progress');
    // Readers keep reading through the open handle; the file itself moves into the cache.
    await this.cache.publish(this.key, this.fileName, this.partFile).catch((error: unknown) => {
      log.warn({ err: error }, 'a finished transcode could not be kept in the cache');
    });
    if (this.readers.size === 0) await this.closeFile(false);
  }

  private onFfmpegError(error: FfmpegFailure): void {
    if (this.aborted) return; // our own kill
    const { media, log } = this.request;
    const failure =
      error.reason === 'unavailable'
        ? new TonearmError('TRANSCODER_UNAVAILABLE', this.ffmpeg.unavailableMessage())
        : new TonearmError(
            'TRANSCODE_FAILED',
            `ffmpeg could not transcode "${media.track.title}"${hintSuffix(error.hint)}`,
          );
    log.error({ file: media.track.path, err: error.message, stderr: this.run?.stderrTail }, failure.message);
    this.fail(failure);
  }

  private fail(failure: TonearmError): void {
    this.failure ??= failure;
    this.finished = true;
    if (!this.aborted) {
      this.aborted = true;
      this.run?.kill();
    }
    this.emit('progress');
    void this.closeFile(true);
  }

  private async closeFile(removePart: boolean): Promise<void> {
    if (this.readers.size > 0 && !removePart) return;
    if (this.fileClosed) return;
    this.fileClosed = true;
    const handle = this.handle ?? (await this.opening?.catch(() => undefined));
    await handle?.close().catch(() => undefined);
    if (removePart) await fs.promises.rm(this.partFile, { force: true });
    this.emit('closed');
  }
}

/** Reads a job's output file as it grows, from the start, until the job is finished. */
class TailReader extends Readable {
  private readonly job: TranscodeJob;
  position = 0;
  private waiting = false;

  constructor(job: TranscodeJob) {
    super({ highWaterMark: READ_CHUNK });
    this.job = job;
  }

  override _read(): void {
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.waiting || this.destroyed) return;
    const job = this.job;
    if (job.error) {
      this.destroy(job.error);
      return;
    }
    if (this.position < job.written) {
      const buffer = Buffer.allocUnsafe(READ_CHUNK);
      let count: number;
      try {
        count = await job.readAt(buffer, this.position);
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      if (this.destroyed) return;
      this.position += count;
      job.resumeIfWanted();
      this.push(buffer.subarray(0, count));
      return;
    }
    if (job.finished) {
      this.push(null);
      return;
    }
    this.waiting = true;
    job.once('progress', () => {
      this.waiting = false;
      void this.pump();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.job.detach(this);
    callback(error);
  }
}
