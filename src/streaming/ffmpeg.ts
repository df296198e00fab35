// Runs ffmpeg through fluent-ffmpeg: the one place the server starts it, for transcodes (transcoder.ts) and
// HLS segments (hls/segments.ts). Arguments go as an array, never through a shell. A run keeps ffmpeg's last stderr
// lines (they say what went wrong), can be killed at any moment, may have a time limit, and ends in one
// settled promise. Whether the configured binary starts at all (and has what a caller needs) is checked
// once and remembered — again 10 s after a failure, so installing or fixing ffmpeg needs no restart.
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

const CHECK_TIMEOUT_MS = 10_000;
const RECHECK_AFTER_FAILURE_MS = 10_000;
const STDERR_LINES = 100;

export interface FfmpegJob {
  input: string;
  /** Options before -i (a seek, a length). */
  inputOptions?: readonly string[];
  /** Options after -i (mapping, encoder, container). */
  outputOptions: readonly string[];
  /** A file to write (overwritten), or 'pipe' to read the output from the run's stdout. */
  output: string | 'pipe';
  /** Killed after this long, with reason 'timeout'. */
  timeoutMs?: number;
}

/** How a run ended when it did not succeed. */
export type FfmpegFailureReason = 'unavailable' | 'failed' | 'timeout' | 'killed';

export class FfmpegFailure extends Error {
  readonly reason: FfmpegFailureReason;
  /** ffmpeg's own last words on the matter ('' when it said nothing useful). */
  readonly hint: string;

  constructor(reason: FfmpegFailureReason, message: string, hint: string) {
    super(message);
    this.reason = reason;
    this.hint = hint;
  }
}

/** What a caller needs of the binary beyond starting: arguments to ask it, and the answer's verdict. */
export interface FfmpegCheck {
  name: string;
  args: readonly string[];
  /** The reason the binary will not do (from its stdout), or undefined when it will. */
  refuse?(stdout: string, binary: string): string | undefined;
}

/** That the binary starts at all. */
export const FFMPEG_STARTS: FfmpegCheck = { name: 'starts', args: ['-hide_banner', '-version'] };

export class FfmpegRun {
  readonly commandLine: string;
  /** The output, when the job writes to 'pipe'. */
  readonly stdout: PassThrough | undefined;
  /** Resolves when ffmpeg exits with 0; rejects with an FfmpegFailure otherwise. */
  readonly done: Promise<void>;
  private readonly command: FfmpegCommand;
  private readonly stderrLines: string[] = [];
  private settle: (failure: FfmpegFailure | undefined) => void = () => undefined;
  private launched = false;
  private started = false;
  private killedFor: 'killed' | 'timeout' | undefined;

  /** `startable` resolves once the binary is known to start (see Ffmpeg.run). */
  constructor(binary: string, job: FfmpegJob, startable: Promise<void>) {
    const inputOptions = [...(job.inputOptions ?? [])];
    const outputOptions = [...job.outputOptions];
    const output = job.output === 'pipe' ? 'pipe:1' : job.output;
    this.commandLine = [binary, ...inputOptions, '-i', job.input, ...outputOptions, output].join(' ');
    this.command = ffmpeg(job.input)
      .setFfmpegPath(binary)
      .inputOptions(inputOptions)
      .outputOptions(outputOptions);
    this.stdout = job.output === 'pipe' ? new PassThrough() : undefined;
    this.done = this.watch(job.timeoutMs);
    // Nobody may be waiting when a killed run settles.
    this.done.catch(() => undefined);
    startable.then(
      () => this.launch(job),
      (error: Error) => this.settle(new FfmpegFailure('unavailable', error.message, '')),
    );
  }

  /** The last line ffmpeg wrote to stderr. */
  get stderrTail(): string {
    return this.stderrLines.at(-1) ?? '';
  }

  /** Stops ffmpeg now (SIGKILL); `done` rejects with reason 'killed'. */
  kill(): void {
    this.stopFor('killed');
  }

  private launch(job: FfmpegJob): void {
    if (this.killedFor) {
      this.settle(this.stopped());
      return;
    }
    this.launched = true;
    // Piped through a stream of ours: it keeps the backpressure on ffmpeg even after Node resumes the
    // child's own stdout at its exit.
    if (this.stdout) this.command.pipe(this.stdout, { end: true });
    else this.command.output(job.output).run();
  }

  private stopFor(reason: 'killed' | 'timeout'): void {
    this.killedFor ??= reason;
    if (!this.launched) this.settle(this.stopped());
    // Launched but not spawned yet: the start handler kills it as soon as there is a process.
    else if (this.started) this.command.kill('SIGKILL');
  }

  private stopped(): FfmpegFailure {
    const reason = this.killedFor ?? 'killed';
    return new FfmpegFailure(reason, `ffmpeg was stopped (${reason})`, this.stderrTail);
  }

  private watch(timeoutMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer =
        timeoutMs === undefined ? undefined : setTimeout(() => this.stopFor('timeout'), timeoutMs);
      timer?.unref();
      this.settle = (failure) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (failure) {
          // A reader of the output learns of the end too (a run stopped before it began has no process).
          if (!this.launched) this.stdout?.end();
          reject(failure);
        } else resolve();
      };
      this.command.on('start', () => {
        this.started = true;
        if (this.killedFor) this.command.kill('SIGKILL');
      });
      this.command.on('stderr', (line: string) => {
        if (line.trim() === '') return;
        this.stderrLines.push(line);
        if (this.stderrLines.length > STDERR_LINES) this.stderrLines.shift();
      });
      // Success is ffmpeg's exit status, not the end of its output (which also ends when it fails).
      this.command.on('end', () => this.settle(undefined));
      this.command.on('error', (error: NodeJS.ErrnoException) => {
        if (this.killedFor) {
          this.settle(this.stopped());
          return;
        }
        const signal = /killed with signal (\w+)/.exec(error.message)?.[1];
        const code = /exited with code (-?\d+)/.exec(error.message)?.[1];
        if (!signal && code === undefined) {
          // Not started at all (the binary went away since it was checked).
          const unavailable = /ENOENT|EACCES/.test(`${error.code ?? ''} ${error.message}`);
          this.settle(new FfmpegFailure(unavailable ? 'unavailable' : 'failed', error.message, ''));
          return;
        }
        const last = errorLines(this.stderrLines);
        const message = signal
          ? `ffmpeg was killed with signal ${signal}`
          : `ffmpeg exited with code ${code}: ${last}`;
        this.settle(new FfmpegFailure('failed', message, signal ? this.stderrTail : lastLine(last)));
      });
    });
  }
}

/** The configured ffmpeg binary: starts runs and knows whether it is usable. */
export class Ffmpeg {
  readonly binary: string;
  private readonly runs = new Set<FfmpegRun>();
  private readonly checks = new Map<string, Promise<void>>();

  constructor(binary: string) {
    this.binary = binary;
  }

  /** Runs going on now. */
  get running(): number {
    return this.runs.size;
  }

  /**
   * Starts a run. It waits for the binary's start check (remembered, so once): fluent-ffmpeg throws an
   * uncaught error when it cannot spawn a binary, so a missing one must be found before it is asked to.
   */
  run(job: FfmpegJob): FfmpegRun {
    const run = new FfmpegRun(this.binary, job, this.ensure(FFMPEG_STARTS));
    this.runs.add(run);
    void run.done.finally(() => this.runs.delete(run)).catch(() => undefined);
    return run;
  }

  /**
   * Resolves when the binary passes the check (remembered; asked again 10 s after a failure); rejects with
   * TRANSCODER_UNAVAILABLE when it does not, logged once per failed check when the first caller gave a
   * log. Spawning a missing binary is also reported by each run, but failing here first gives one clear
   * answer and one log line.
   */
  ensure(check: FfmpegCheck, log?: Logger): Promise<void> {
    let pending = this.checks.get(check.name);
    if (!pending) {
      pending = new Promise<void>((resolve, reject) => {
        execFile(this.binary, [...check.args], { timeout: CHECK_TIMEOUT_MS }, (error, stdout) => {
          const refusal = error ? undefined : check.refuse?.(stdout, this.binary);
          if (!error && refusal === undefined) return resolve();
          const failure = new TonearmError('TRANSCODER_UNAVAILABLE', refusal ?? this.unavailableMessage());
          log?.error({ ffmpeg: this.binary, err: error?.message }, failure.message);
          setTimeout(() => this.checks.delete(check.name), RECHECK_AFTER_FAILURE_MS).unref();
          reject(failure);
        });
      });
      this.checks.set(check.name, pending);
    }
    return pending;
  }

  /** The message of a binary that cannot be started. */
  unavailableMessage(): string {
    return `ffmpeg cannot be started (${this.binary}): install ffmpeg or set transcoding.ffmpeg`;
  }

  /** Kills every run (shutdown). */
  close(): void {
    for (const run of this.runs) run.kill();
  }
}

/** ': <ffmpeg's last words>' for an error message, or '' when it said nothing useful. */
export function hintSuffix(hint: string): string {
  const line = lastLine(hint);
  return line ? `: ${line.replace(/^\S*: /, '').slice(0, 200)}` : '';
}

// ffmpeg's closing error lines: those after the last line of its log that starts with a space or '['
// (stream details, per-component messages).
function errorLines(lines: readonly string[]): string {
  let trailing: string[] = [];
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('[')) trailing = [];
    else trailing.push(line);
  }
  return trailing.join('\n');
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}
