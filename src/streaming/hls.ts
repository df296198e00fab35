// HLS for audio: which variants a track gets, how it is cut into segments, the playlists that describe
// them, and the segments themselves, made by ffmpeg when first asked for and kept on disk.
//
// Segment format: MPEG-TS carrying AAC-LC (CODECS "mp4a.40.2"), the one HLS audio format every player
// takes: Safari and iOS natively, hls.js by remuxing TS to fMP4 for Media Source Extensions, Chromium's
// own HLS player, Android's ExoPlayer. fMP4 would need one init segment shared by independently made
// fragments, and packed ADTS audio is less widely supported (see docs/hls.md).
//
// Gapless boundaries. Each segment is a separate ffmpeg run, and an AAC encoder starts every run with a
// "priming" frame of 1024 samples of start-up output. Players (hls.js among them) lay a segment's frames
// end to end after the previous segment's, so a priming frame left in would add a 23 ms click and shift
// the timeline a frame per segment. So:
//   - segments are whole numbers of AAC frames at a fixed output rate (44.1 or 48 kHz), and every
//     segment starts where the previous one ended, to the sample;
//   - ffmpeg starts encoding PREROLL_FRAMES frames early, so the encoder has the real preceding audio
//     in its overlap window, and the priming and pre-roll frames are dropped before muxing (the `noise`
//     bitstream filter's `drop` expression, ffmpeg ≥ 5.0);
//   - `-frames:a` stops after exactly the segment's frames; `-output_ts_offset` makes the timestamps
//     those of the segment's place in the track, so consecutive segments continue each other's clock;
//   - `-mpegts_copyts 1` keeps the muxer from adding its own delay, and a larger PES payload keeps the TS
//     overhead near 13 % (128 kbit/s) instead of the 70 % of one PES packet per AAC frame.
//
// Production: one ffmpeg per segment and bitrate at a time (a second request for a segment being made
// waits for the same run); at most `maxConcurrent` runs, a short queue behind them, 429 beyond. A run
// whose every waiting request has gone is killed. Output goes to a .part file renamed when complete, so
// a cached segment is always whole. The cache is bounded in bytes, least recently used out first.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';
import type { Config } from '../config/schema.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { MediaFile, StreamTrack } from './media-file.ts';

export const HLS_CODECS = 'mp4a.40.2';
export const HLS_PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
export const HLS_SEGMENT_TYPE = 'video/mp2t';
/** kbit/s of the variants a master playlist offers when nobody asked for others. */
export const DEFAULT_HLS_BITRATES: readonly number[] = [64, 128, 256];
export const MIN_HLS_BITRATE = 32;
// ffmpeg's AAC encoder gives no more than ~240 kbit/s for stereo at 44.1 kHz, whatever is asked.
export const MAX_HLS_BITRATE = 256;

const AAC_FRAME_SAMPLES = 1024;
const TARGET_SEGMENT_SECONDS = 6;
const PREROLL_FRAMES = 2;
/** A last piece shorter than this joins the segment before it. */
const SHORTEST_LAST_SEGMENT_SECONDS = 0.05;
/** Bump when the ffmpeg arguments change what a segment holds: old cache entries are then ignored. */
const SEGMENT_FORMAT_VERSION = 1;
// TS overhead (headers, PES, PAT/PMT) on top of the AAC bitrate, rounded up: measured 7–24 %.
const TS_OVERHEAD = 1.25;
const RETRY_AFTER_SECONDS = 5;
const SEGMENT_TIMEOUT_MS = 60_000;
const EVICTION_GRACE_MS = 60_000;
const MIN_CACHE_BYTES = 32 * 1024 * 1024;

// ---- variants, plan and playlists (pure) -------------------------------------------------------------

/**
 * The bitrates (kbit/s, ascending) a track is offered at: the requested ones (or the defaults) within
 * MIN…MAX_HLS_BITRATE, none above the user's limit, and none above a lossy source's own bitrate (that
 * would only spend bytes on its artefacts). At least one is always left.
 */
export function chooseBitrates(
  track: Pick<StreamTrack, 'bitrate' | 'lossless'>,
  requested: readonly number[] | undefined,
  userMaxBitRate: number,
): number[] {
  let ceiling = MAX_HLS_BITRATE;
  if (userMaxBitRate > 0) ceiling = Math.min(ceiling, userMaxBitRate);
  if (!track.lossless && track.bitrate > 0) ceiling = Math.min(ceiling, track.bitrate);
  ceiling = Math.max(ceiling, MIN_HLS_BITRATE);
  const wanted = (requested && requested.length > 0 ? requested : DEFAULT_HLS_BITRATES).map((bitrate) =>
    Math.min(Math.max(Math.round(bitrate), MIN_HLS_BITRATE), MAX_HLS_BITRATE),
  );
  const kept = [...new Set(wanted.filter((bitrate) => bitrate <= ceiling))].sort((a, b) => a - b);
  return kept.length > 0 ? kept : [Math.min(ceiling, ...wanted)];
}

/** Whether a variant in a URL is still one this user may get for this track (limits may have changed). */
export function isOfferedBitrate(
  track: Pick<StreamTrack, 'bitrate' | 'lossless'>,
  bitrate: number,
  userMaxBitRate: number,
): boolean {
  return chooseBitrates(track, [bitrate], userMaxBitRate)[0] === bitrate;
}

export interface HlsSegment {
  index: number;
  /** Seconds from the start of the track. */
  start: number;
  /** Seconds, as the playlist states it. */
  duration: number;
  /** Whole AAC frames before this segment. */
  firstFrame: number;
  /** AAC frames in this segment; undefined for the last one, which runs to the end of the file. */
  frames: number | undefined;
}

export interface SegmentPlan {
  sampleRate: number;
  channels: number;
  framesPerSegment: number;
  segments: HlsSegment[];
  /** EXT-X-TARGETDURATION: the longest segment in whole seconds. */
  targetDuration: number;
}

/**
 * How a track is cut: ~6 s segments of whole AAC frames. The output rate is 48 kHz for sources of the
 * 48 kHz family and 44.1 kHz otherwise, so most files are not resampled; stereo unless the source is mono.
 */
export function planSegments(
  track: Pick<StreamTrack, 'duration' | 'sampleRate' | 'channels' | 'title'>,
): SegmentPlan {
  if (!(track.duration > 0)) {
    throw new TonearmError(
      'TRANSCODE_FAILED',
      `the length of "${track.title}" is unknown, so it cannot be cut into HLS segments; a rescan may find it`,
    );
  }
  const sampleRate = track.sampleRate > 0 && track.sampleRate % 48_000 === 0 ? 48_000 : 44_100;
  const channels = track.channels === 1 ? 1 : 2;
  const framesPerSegment = Math.floor((TARGET_SEGMENT_SECONDS * sampleRate) / AAC_FRAME_SAMPLES);
  const segmentSeconds = (framesPerSegment * AAC_FRAME_SAMPLES) / sampleRate;
  const count = Math.max(1, Math.ceil((track.duration - SHORTEST_LAST_SEGMENT_SECONDS) / segmentSeconds));
  const segments: HlsSegment[] = [];
  for (let index = 0; index < count; index++) {
    const last = index === count - 1;
    const start = index * segmentSeconds;
    segments.push({
      index,
      start,
      duration: last ? track.duration - start : segmentSeconds,
      firstFrame: index * framesPerSegment,
      frames: last ? undefined : framesPerSegment,
    });
  }
  // RFC 8216: every EXTINF, rounded to the nearest integer, is at most the target duration.
  const targetDuration = Math.max(1, ...segments.map((segment) => Math.round(segment.duration)));
  return { sampleRate, channels, framesPerSegment, segments, targetDuration };
}

/** The master playlist: one entry per bitrate, each pointing at that variant's media playlist. */
export function masterPlaylist(variants: readonly { bitrate: number; uri: string }[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const variant of variants) {
    const bandwidth = Math.ceil(variant.bitrate * 1000 * TS_OVERHEAD);
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth},CODECS="${HLS_CODECS}"`, variant.uri);
  }
  return `${lines.join('\n')}\n`;
}

/** A variant's media playlist: every segment with its exact length, the whole track (VOD). */
export function mediaPlaylist(plan: SegmentPlan, uriOf: (segment: HlsSegment) => string): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${plan.targetDuration}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  for (const segment of plan.segments) lines.push(`#EXTINF:${segment.duration.toFixed(6)},`, uriOf(segment));
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** Seconds with microsecond precision, as ffmpeg parses them. */
function seconds(frames: number, sampleRate: number): string {
  return ((frames * AAC_FRAME_SAMPLES) / sampleRate).toFixed(6);
}

/** The ffmpeg arguments of one segment (input options before -i, output options after it). */
export function segmentArguments(
  plan: SegmentPlan,
  segment: HlsSegment,
  bitrate: number,
): { input: string[]; output: string[] } {
  // The first segment has nothing before it to pre-roll over.
  const preroll = Math.min(PREROLL_FRAMES, segment.firstFrame);
  const fromFrame = segment.firstFrame - preroll;
  const input = fromFrame > 0 ? ['-ss', seconds(fromFrame, plan.sampleRate)] : [];
  // Reading a few frames past the end gives the encoder the audio its last frame overlaps with.
  if (segment.frames !== undefined) input.push('-t', seconds(preroll + segment.frames + 3, plan.sampleRate));
  const output = [
    ...['-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1'],
    ...['-ac', String(plan.channels), '-ar', String(plan.sampleRate)],
    ...['-c:a', 'aac', '-b:a', `${bitrate}k`],
    // Drops the encoder's priming frame and the pre-roll; counts what is left.
    ...['-bsf:a', `noise=drop=lt(n\\,${preroll + 1})`],
    ...(segment.frames !== undefined ? ['-frames:a', String(segment.frames)] : []),
    ...['-output_ts_offset', seconds(fromFrame, plan.sampleRate)],
    ...['-mpegts_copyts', '1', '-muxdelay', '1', '-pes_payload_size', '16384'],
    ...['-f', 'mpegts'],
  ];
  return { input, output };
}

/** Names one variant of one version of a file: a changed file or format gets new segments. */
export function segmentCacheKey(media: MediaFile, plan: SegmentPlan, bitrate: number): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        SEGMENT_FORMAT_VERSION,
        media.track.id,
        media.size,
        Math.floor(media.mtimeMs),
        plan.sampleRate,
        plan.channels,
        plan.framesPerSegment,
        bitrate,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
}

// ---- segment production and cache ---------------------------------------------------------------------

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

interface CacheEntry {
  size: number;
  lastUsed: number;
}

type JobState = 'queued' | 'running' | 'cancelled' | 'settled';

interface SegmentJob {
  file: string;
  request: SegmentRequest;
  state: JobState;
  waiters: number;
  command: FfmpegCommand | undefined;
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

export class HlsSegments {
  private readonly options: HlsSegmentsOptions;
  private readonly jobs = new Map<string, SegmentJob>();
  private readonly queue: SegmentJob[] = [];
  private running = 0;
  private closed = false;
  /** Cached segments by file, least recently used first. */
  private readonly entries = new Map<string, CacheEntry>();
  private cacheBytes = 0;
  private ffmpegCheck: Promise<void> | undefined;

  constructor(options: HlsSegmentsOptions) {
    this.options = options;
    try {
      fs.mkdirSync(options.cacheFolder, { recursive: true });
      this.loadIndex();
    } catch (error) {
      throw new TonearmError(
        'DATA_FOLDER',
        `the HLS cache folder ${options.cacheFolder} cannot be read or created: ${(error as Error).message}`,
      );
    }
  }

  stats(): HlsStats {
    return { running: this.running, queued: this.queue.length, cacheBytes: this.cacheBytes };
  }

  /** The segment's file: from the cache, or made now (or by a run another request started). */
  async segment(request: SegmentRequest): Promise<SegmentFile> {
    if (this.closed) throw new TonearmError('TRANSCODER_UNAVAILABLE', 'the server is shutting down');
    const segment = request.plan.segments[request.index];
    if (!segment) throw new TonearmError('NOT_FOUND', `this track has no segment ${request.index}`);
    const key = segmentCacheKey(request.media, request.plan, request.bitrate);
    // Built from a hash and a number only: nothing from the request names a path.
    const file = path.join(this.options.cacheFolder, key, `${segment.index}.ts`);
    // The run first, then the cache: a run renames its file into place before it leaves the map, so a
    // request never misses both and starts a second run of a segment that just finished.
    let job = this.jobs.get(file);
    if (job) return this.wait(job, request.signal);
    const cached = await this.cached(file);
    if (cached) return cached;
    job = this.jobs.get(file);
    if (!job) {
      await this.ensureFfmpeg(request.log);
      job = this.jobs.get(file);
      if (!job) {
        if (request.signal?.aborted) throw new TonearmError('TRANSCODE_FAILED', 'the request was cancelled');
        this.checkRoom();
        job = this.startJob(file, request);
      }
    }
    return this.wait(job, request.signal);
  }

  /** Stops every run and refuses new ones (shutdown). */
  close(): void {
    this.closed = true;
    for (const job of [...this.jobs.values()]) this.cancel(job);
  }

  private async cached(file: string): Promise<SegmentFile | undefined> {
    const stat = await fs.promises.stat(file).catch(() => undefined);
    const entry = this.entries.get(file);
    if (!stat?.isFile()) {
      if (entry) this.forget(file);
      return undefined;
    }
    if (entry) {
      // Map order is the eviction order: a used entry moves to the end.
      this.entries.delete(file);
      entry.lastUsed = Date.now();
      this.entries.set(file, entry);
    } else {
      this.remember(file, stat.size, Date.now());
    }
    return { file, size: stat.size, mtimeMs: stat.mtimeMs };
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

  // fluent-ffmpeg throws an uncaught TypeError when the executable cannot be spawned once its capability
  // cache is warm, so whether ffmpeg runs at all is checked first, together with the one feature HLS needs
  // beyond plain transcoding; again 10 s after a failure, so fixing ffmpeg needs no restart.
  private ensureFfmpeg(log: Logger): Promise<void> {
    const ffmpegPath = this.options.ffmpegPath;
    this.ffmpegCheck ??= new Promise<void>((resolve, reject) => {
      execFile(ffmpegPath, ['-hide_banner', '-h', 'bsf=noise'], { timeout: 10_000 }, (error, stdout) => {
        if (!error && /-drop\s+<string>/.test(stdout)) return resolve();
        const failure = error
          ? new TonearmError(
              'TRANSCODER_UNAVAILABLE',
              `ffmpeg cannot be started (${ffmpegPath}): install ffmpeg or set transcoding.ffmpeg`,
            )
          : new TonearmError(
              'TRANSCODER_UNAVAILABLE',
              `HLS needs ffmpeg 5.0 or newer (${ffmpegPath} has no expression support in its noise bitstream filter)`,
            );
        log.error({ ffmpeg: ffmpegPath, err: error?.message }, failure.message);
        setTimeout(() => {
          this.ffmpegCheck = undefined;
        }, 10_000).unref();
        reject(failure);
      });
    });
    return this.ffmpegCheck;
  }

  private startJob(file: string, request: SegmentRequest): SegmentJob {
    let resolve!: (file: SegmentFile) => void;
    let reject!: (error: TonearmError) => void;
    const done = new Promise<SegmentFile>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    // Nobody may be waiting any more when a cancelled run fails.
    done.catch(() => undefined);
    const job: SegmentJob = {
      file,
      request,
      state: 'queued',
      waiters: 0,
      command: undefined,
      done,
      resolve,
      reject,
    };
    this.jobs.set(file, job);
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
          job.request.log.debug({ file: job.file }, 'HLS segment abandoned by every request: ffmpeg stopped');
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
    const partFile = `${job.file}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
    let stderrTail = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (timer) clearTimeout(timer);
      this.running--;
      if (this.jobs.get(job.file) === job) this.jobs.delete(job.file);
      this.startQueued();
    };
    const fail = (failure: TonearmError) => {
      if (job.state === 'settled') return;
      job.state = 'settled';
      job.command?.kill('SIGKILL');
      void fs.promises.rm(partFile, { force: true });
      finish();
      job.reject(failure);
    };
    try {
      await fs.promises.mkdir(path.dirname(job.file), { recursive: true });
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
    const command = ffmpeg(media.file)
      .setFfmpegPath(this.options.ffmpegPath)
      .inputOptions(input)
      .outputOptions(output)
      .output(partFile);
    job.command = command;
    command.on('start', (commandLine: string) => {
      // Everybody may have left while fluent-ffmpeg was still preparing: no process may outlive them.
      if (job.state !== 'running') command.kill('SIGKILL');
      else log.debug({ commandLine }, 'ffmpeg started for an HLS segment');
    });
    command.on('stderr', (line: string) => {
      stderrTail = line;
    });
    command.on('error', (error: Error) => {
      if (job.state === 'settled') return; // already failed (timeout) and killed by us
      if (job.state === 'cancelled') {
        // Our own kill: the run was abandoned.
        job.state = 'settled';
        void fs.promises.rm(partFile, { force: true });
        finish();
        return;
      }
      const missing = /ENOENT|EACCES/.test(error.message);
      const failure = missing
        ? new TonearmError(
            'TRANSCODER_UNAVAILABLE',
            `ffmpeg cannot be started (${this.options.ffmpegPath}): install ffmpeg or set transcoding.ffmpeg`,
          )
        : new TonearmError(
            'TRANSCODE_FAILED',
            `ffmpeg could not make segment ${index} of "${media.track.title}"${stderrHint(error, stderrTail)}`,
          );
      log.error({ file: media.track.path, err: error.message, stderr: stderrTail }, failure.message);
      fail(failure);
    });
    command.on('end', () => void this.adopt(job, partFile, finish, fail));
    command.run();
    timer = setTimeout(() => {
      log.error({ file: media.track.path, index }, 'ffmpeg took too long over an HLS segment: stopped');
      fail(new TonearmError('TRANSCODE_FAILED', `ffmpeg took more than 60 s over segment ${index}`));
    }, SEGMENT_TIMEOUT_MS);
    timer.unref();
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
      await fs.promises.rename(partFile, job.file);
      this.remember(job.file, stat.size, Date.now());
      const state = job.state;
      job.state = 'settled';
      finish();
      await this.evict();
      // A run that finished just as its last request left is kept all the same.
      if (state !== 'cancelled') job.resolve({ file: job.file, size: stat.size, mtimeMs: stat.mtimeMs });
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
    if (this.jobs.get(job.file) === job) this.jobs.delete(job.file);
    job.reject(new TonearmError('TRANSCODE_FAILED', 'the segment was abandoned'));
    if (wasQueued) {
      const at = this.queue.indexOf(job);
      if (at >= 0) this.queue.splice(at, 1);
      job.state = 'settled';
      return;
    }
    // Running: the 'error' handler of the killed process frees the slot and removes the .part file.
    job.command?.kill('SIGKILL');
  }

  private startQueued(): void {
    while (this.running < this.options.maxConcurrent && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.state === 'queued') void this.run(job);
    }
  }

  private remember(file: string, size: number, lastUsed: number): void {
    this.forget(file);
    this.entries.set(file, { size, lastUsed });
    this.cacheBytes += size;
  }

  private forget(file: string): void {
    const entry = this.entries.get(file);
    if (!entry) return;
    this.entries.delete(file);
    this.cacheBytes -= entry.size;
  }

  private async evict(): Promise<void> {
    const now = Date.now();
    const grace = this.options.evictionGraceMs ?? EVICTION_GRACE_MS;
    for (const [file, entry] of this.entries) {
      // The newest entry always stays: it is the one just made for a request.
      if (this.cacheBytes <= this.options.cacheBytes || this.entries.size <= 1) break;
      if (now - entry.lastUsed < grace) break; // later entries are younger still
      this.forget(file);
      await fs.promises.rm(file, { force: true });
      // The variant's folder goes with its last segment.
      await fs.promises.rmdir(path.dirname(file)).catch(() => undefined);
    }
  }

  // The folder outlives restarts: take stock of it, oldest first, and remove the .part files of runs
  // that were going on when the server stopped.
  private loadIndex(): void {
    const found: [string, CacheEntry][] = [];
    for (const folder of fs.readdirSync(this.options.cacheFolder, { withFileTypes: true })) {
      if (!folder.isDirectory() || !/^[0-9a-f]{32}$/.test(folder.name)) continue;
      const dir = path.join(this.options.cacheFolder, folder.name);
      for (const name of fs.readdirSync(dir)) {
        const file = path.join(dir, name);
        if (name.endsWith('.part')) {
          fs.rmSync(file, { force: true });
          continue;
        }
        if (!/^\d+\.ts$/.test(name)) continue;
        try {
          const stat = fs.statSync(file);
          found.push([file, { size: stat.size, lastUsed: stat.mtimeMs }]);
        } catch {
          // Vanished between readdir and stat.
        }
      }
    }
    found.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [file, entry] of found) this.remember(file, entry.size, entry.lastUsed);
    if (found.length > 0) {
      this.options.logger.debug({ segments: found.length, bytes: this.cacheBytes }, 'HLS cache loaded');
    }
    void this.evict();
  }
}

function stderrHint(error: Error, stderrTail: string): string {
  // fluent-ffmpeg puts ffmpeg's last lines after "ffmpeg exited with code N: ".
  const fromError = /exited with code \d+: ([\s\S]*)$/.exec(error.message)?.[1];
  const hint = (fromError ?? stderrTail).trim().split('\n').filter(Boolean).pop() ?? '';
  return hint ? `: ${hint.replace(/^\S*: /, '').slice(0, 200)}` : '';
}
