// Runs ffmpeg: the one place the server starts it, for transcodes (transcoder.ts) and HLS segments
// (hls/segments.ts). Arguments go as an array, never through a shell. A run keeps ffmpeg's last stderr
// lines (they say what went wrong), can be killed at any moment, may have a time limit, and ends in one
// settled promise. Whether the configured binary starts at all (and has what a caller needs) is checked
// once and remembered — again 10 s after a failure, so installing or fixing ffmpeg needs no restart.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
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
  readonly stdout: Readable | undefined;
  /** Resolves when ffmpeg exits with 0; rejects with an FfmpegFailure otherwise. */
  readonly done: Promise<void>;
  private readonly child: ChildProcess;
  private readonly stderrLines: string[] = [];
  private partialLine = '';
  private killedFor: 'killed' | 'timeout' | undefined;

  constructor(binary: string, job: FfmpegJob) {
    const args = [
      ...(job.inputOptions ?? []),
      ...['-i', job.input],
      ...(job.output === 'pipe' ? [] : ['-y']),
      ...job.outputOptions,
      job.output === 'pipe' ? 'pipe:1' : job.output,
    ];
    this.commandLine = `${binary} ${args.join(' ')}`;
    this.child = spawn(binary, args, {
      stdio: ['ignore', job.output === 'pipe' ? 'pipe' : 'ignore', 'pipe'],
    });
    // Through a stream of our own: Node resumes a child's stdout when the child exits (to drain it), which
    // would defeat a reader that paused it; pipe() keeps the backpressure on ffmpeg all the same.
    this.stdout = job.output === 'pipe' ? this.child.stdout?.pipe(new PassThrough()) : undefined;
    this.done = this.watch(job.timeoutMs);
    // Nobody may be waiting when a killed run settles.
    this.done.catch(() => undefined);
  }

  /** The last line ffmpeg wrote to stderr. */
  get stderrTail(): string {
    return this.partialLine || (this.stderrLines.at(-1) ?? '');
  }

  /** Stops ffmpeg now (SIGKILL); `done` rejects with reason 'killed'. */
  kill(): void {
    this.stopFor('killed');
  }

  private stopFor(reason: 'killed' | 'timeout'): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.killedFor ??= reason;
    this.child.kill('SIGKILL');
  }

  private watch(timeoutMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let stderrClosed = false;
      let settled = false;
      const timer =
        timeoutMs === undefined ? undefined : setTimeout(() => this.stopFor('timeout'), timeoutMs);
      timer?.unref();
      const settle = (failure: FfmpegFailure | undefined) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (failure) reject(failure);
        else resolve();
      };
      const finish = () => {
        if (!exit || !stderrClosed) return;
        if (this.killedFor) {
          settle(
            new FfmpegFailure(this.killedFor, `ffmpeg was stopped (${this.killedFor})`, this.stderrTail),
          );
        } else if (exit.code === 0) {
          settle(undefined);
        } else {
          const last = errorLines(this.allStderrLines());
          const message = exit.signal
            ? `ffmpeg was killed with signal ${exit.signal}`
            : `ffmpeg exited with code ${exit.code}: ${last}`;
          settle(new FfmpegFailure('failed', message, exit.signal ? this.stderrTail : lastLine(last)));
        }
      };
      const stderr = this.child.stderr!;
      stderr.setEncoding('utf8');
      stderr.on('data', (text: string) => this.takeStderr(text));
      stderr.on('close', () => {
        stderrClosed = true;
        finish();
      });
      this.child.on('exit', (code, signal) => {
        exit = { code, signal };
        finish();
      });
      this.child.on('error', (error: NodeJS.ErrnoException) => {
        // Spawning failed (no such binary, not executable): there is no process to wait for.
        const unavailable = error.code === 'ENOENT' || error.code === 'EACCES';
        settle(new FfmpegFailure(unavailable ? 'unavailable' : 'failed', error.message, ''));
      });
    });
  }

  private takeStderr(text: string): void {
    const lines = (this.partialLine + text).split(/\r\n|\r|\n/);
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) {
      this.stderrLines.push(line);
      if (this.stderrLines.length > STDERR_LINES) this.stderrLines.shift();
    }
  }

  private allStderrLines(): string[] {
    return this.partialLine ? [...this.stderrLines, this.partialLine] : this.stderrLines;
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

  run(job: FfmpegJob): FfmpegRun {
    const run = new FfmpegRun(this.binary, job);
    this.runs.add(run);
    void run.done.finally(() => this.runs.delete(run)).catch(() => undefined);
    return run;
  }

  /**
   * Resolves when the binary passes the check (remembered); rejects with TRANSCODER_UNAVAILABLE, logged,
   * when it does not. Spawning a missing binary is also reported by each run, but failing here first
   * gives one clear answer and one log line.
   */
  ensure(check: FfmpegCheck, log: Logger): Promise<void> {
    let pending = this.checks.get(check.name);
    if (!pending) {
      pending = new Promise<void>((resolve, reject) => {
        execFile(this.binary, [...check.args], { timeout: CHECK_TIMEOUT_MS }, (error, stdout) => {
          const refusal = error ? undefined : check.refuse?.(stdout, this.binary);
          if (!error && refusal === undefined) return resolve();
          const failure = new TonearmError('TRANSCODER_UNAVAILABLE', refusal ?? this.unavailableMessage());
          log.error({ ffmpeg: this.binary, err: error?.message }, failure.message);
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
