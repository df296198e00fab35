// `tonearm serve` as a real child process, as an admin runs it, with a small Subsonic client for it: the
// fault tests kill it with SIGKILL, run other programs beside it and start it again on the same data.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI, cleanEnv, REPO_ROOT } from './cli.ts';

const execFileAsync = promisify(execFile);

export interface ServeProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  logs(): string;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM, and wait for the clean exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ServeOptions {
  music: string[];
  data: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export async function startServe(options: ServeOptions): Promise<ServeProcess> {
  const args = [CLI, 'serve', '--data', options.data, '--host', '127.0.0.1', '--port', '0'];
  for (const music of options.music) args.push('--music', music);
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let url: string | undefined;
  while (!url) {
    url = /"url":"(http:\/\/127\.0\.0\.1:\d+[^"]*)"/.exec(text)?.[1];
    if (url) break;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tonearm serve did not start:\n${text.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    pid: child.pid!,
    child,
    logs: () => text,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Resolves once `text` appears in the process's output. */
export async function waitForLog(server: ServeProcess, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(server.logs())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in the log:\n${server.logs().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface SubsonicLogin {
  username: string;
  password?: string;
  apiKey?: string;
}

export interface SubsonicAnswer {
  status: 'ok' | 'failed';
  error?: { code: number; message: string };
  [key: string]: unknown;
}

/** One Subsonic call (JSON); answers the subsonic-response object, failed ones included. */
export async function subsonic(
  url: string,
  login: SubsonicLogin,
  endpoint: string,
  params: Record<string, string | number | (string | number)[]> = {},
): Promise<SubsonicAnswer> {
  const query = new URLSearchParams({ v: '1.16.1', c: 'fault-test', f: 'json' });
  if (login.apiKey) query.set('apiKey', login.apiKey);
  else {
    query.set('u', login.username);
    query.set('p', login.password ?? '');
  }
  for (const [name, value] of Object.entries(params))
    for (const item of Array.isArray(value) ? value : [value]) query.append(name, String(item));
  // A form body, as clients may send: long values (comments) do not fit in a URL.
  const response = await fetch(`${url}/rest/${endpoint}`, { method: 'POST', body: query });
  const text = await response.text();
  try {
    return (JSON.parse(text) as { 'subsonic-response': SubsonicAnswer })['subsonic-response'];
  } catch {
    throw new Error(
      `${endpoint} answered HTTP ${response.status} with ${JSON.stringify(text.slice(0, 300))}`,
    );
  }
}

/** Like subsonic(), but a failed answer throws with its message. */
export async function subsonicOk(
  url: string,
  login: SubsonicLogin,
  endpoint: string,
  params: Record<string, string | number | (string | number)[]> = {},
): Promise<SubsonicAnswer> {
  const answer = await subsonic(url, login, endpoint, params);
  if (answer.status !== 'ok') throw new Error(`${endpoint} failed: ${JSON.stringify(answer.error)}`);
  return answer;
}

/** Runs the sqlite3 shell on a database; resolves with its output, rejects when it fails. */
export async function sqlite3(file: string, sql: string): Promise<string> {
  const { stdout } = await execFileAsync('sqlite3', ['-batch', '-bail', '-cmd', '.timeout 5000', file, sql], {
    timeout: 30_000,
  });
  return stdout.trim();
}

/** Database files the process holds open that were deleted under it: the sign of lost locks. */
export function deletedDatabaseFiles(pid: number, data: string): string[] {
  const found: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target.startsWith(path.join(data, 'tonearm.db')) && target.endsWith('(deleted)')) found.push(target);
  }
  return found;
}

export function initialAdminPassword(data: string): string {
  return fs.readFileSync(path.join(data, 'initial-admin-password.txt'), 'utf8').trim();
}
