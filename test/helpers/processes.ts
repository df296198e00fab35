// Child processes of this test process, read from /proc: the streaming tests count ffmpeg processes.
import fs from 'node:fs';

/** Pids of this process's children whose command name is `name`. */
export function childProcesses(name: string, parent = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid ...; comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    if (comm === name && Number(fields[1]) === parent && fields[0] !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/** Waits until check() holds (up to `timeoutMs`), then returns its last value. */
export async function eventually<T>(
  check: () => T,
  accept: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = check();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = check();
  }
  return value;
}
