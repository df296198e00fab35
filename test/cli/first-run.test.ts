// The first run as a person sees it: `tonearm serve` started on a terminal (a real pseudo-terminal, made
// by util-linux `script`) logs readable lines instead of JSON, says where to point a client and where the
// admin password is, and answers a browser at / with how to connect. The wording rules for every kind of
// address (all interfaces, loopback, a public URL, a container) are checked on welcomeLines directly.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lanAddresses, type WelcomeFacts, welcomeLines } from '../../src/cli/welcome.ts';
import { CLI, cleanEnv, REPO_ROOT } from '../helpers/cli.ts';

const LOCAL_ONLY = { host: '127.0.0.1', basePath: '', http: { publicUrl: '' } };

function messages(facts: Partial<WelcomeFacts>): string[] {
  return welcomeLines({
    config: LOCAL_ONLY,
    listeningUrl: 'http://127.0.0.1:4040',
    lanAddresses: [],
    inContainer: false,
    ...facts,
  }).map((line) => line.message);
}

describe('what start-up says', () => {
  it('on every interface: the LAN addresses with the port and base path, and localhost', () => {
    const [line] = messages({
      config: { host: '0.0.0.0', basePath: '/music', http: { publicUrl: '' } },
      listeningUrl: 'http://0.0.0.0:4040',
      lanAddresses: ['192.168.1.20', '10.0.0.5'],
    });
    assert.equal(
      line,
      "Point your Subsonic client at this machine's network address, port 4040: http://192.168.1.20:4040/music or http://10.0.0.5:4040/music (on this machine: http://localhost:4040/music)",
    );
    const [unknown] = messages({ config: { ...LOCAL_ONLY, host: '::' }, listeningUrl: 'http://[::]:4040' });
    assert.match(
      unknown!,
      /http:\/\/<this machine's address>:4040 \(on this machine: http:\/\/localhost:4040\)/,
    );
  });

  it('in a container: the host machine and the published port, not the container address', () => {
    const [line] = messages({
      config: { host: '0.0.0.0', basePath: '', http: { publicUrl: '' } },
      listeningUrl: 'http://0.0.0.0:4040',
      lanAddresses: ['172.17.0.2'],
      inContainer: true,
    });
    assert.match(line!, /the machine running this container, on the port published for container port 4040/);
    assert.ok(!line!.includes('172.17.0.2'));
  });

  it('on loopback: only this machine, and how to let others in', () => {
    const [line] = messages({ listeningUrl: 'http://127.0.0.1:5000' });
    assert.equal(
      line,
      'Point your Subsonic client at http://127.0.0.1:5000; only this machine can connect (host = "0.0.0.0" lets other devices in)',
    );
  });

  it('with http.publicUrl: that address, the base path not repeated', () => {
    const config = { host: '0.0.0.0', basePath: '/music', http: { publicUrl: 'https://example.org/music' } };
    assert.equal(
      messages({ config })[0],
      'Point your Subsonic client at https://example.org/music (http.publicUrl)',
    );
    const plain = { ...config, http: { publicUrl: 'https://example.org' } };
    assert.match(messages({ config: plain })[0]!, /at https:\/\/example\.org\/music /);
  });

  it('names the password file while it exists, never the password', () => {
    assert.equal(messages({}).length, 1, 'no password file, no line about it');
    const made = messages({
      firstAdmin: { passwordFile: '/data/initial-admin-password.txt', created: true },
    });
    assert.equal(
      made[1],
      'Sign in as admin with the password in /data/initial-admin-password.txt (made just now); change it with `tonearm user passwd admin` and the file goes away',
    );
    const kept = messages({
      firstAdmin: { passwordFile: '/data/initial-admin-password.txt', created: false },
    });
    assert.ok(!kept[1]!.includes('made just now'));
  });

  it('LAN addresses leave out loopback, link-local, IPv6 and container bridges', () => {
    const entry = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
      ({ address, family, internal, netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;
    assert.deepEqual(
      lanAddresses({
        lo: [entry('127.0.0.1', 'IPv4', true)],
        eth0: [entry('192.168.1.20', 'IPv4'), entry('fe80::1', 'IPv6')],
        wlan0: [entry('169.254.3.4', 'IPv4'), entry('10.0.0.5', 'IPv4')],
        docker0: [entry('172.17.0.1', 'IPv4')],
        'br-1234': [entry('172.18.0.1', 'IPv4')],
      }),
      ['192.168.1.20', '10.0.0.5'],
    );
  });
});

interface Started {
  child: ChildProcess;
  /** The `tonearm serve` process itself (under `script`, a child of it). */
  servePid: number;
  output(): string;
  exited: Promise<number | null>;
}

const ANSI = /\u001b\[[0-9;]*m/g;

function start(
  data: string,
  music: string,
  options: { terminal: boolean; env?: NodeJS.ProcessEnv },
): Started {
  const args = [CLI, 'serve', '--music', music, '--data', data, '--host', '127.0.0.1', '--port', '0'];
  const env = { ...cleanEnv(), ...options.env };
  delete env.NO_COLOR;
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const child = options.terminal
    ? // `exec`, so the shell `script` starts becomes the server and its pid is the one to signal.
      spawn('script', ['-qec', `exec ${[process.execPath, ...args].map(quote).join(' ')}`, '/dev/null'], {
        cwd: REPO_ROOT,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, servePid: child.pid!, output: () => text.replaceAll('\r\n', '\n'), exited };
}

async function waitFor<T>(find: () => T | undefined, what: () => string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${what().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(started: Started): Promise<void> {
  let pid = started.servePid;
  if (started.child.spawnfile === 'script') {
    const children = fs.readFileSync(`/proc/${started.child.pid}/task/${started.child.pid}/children`, 'utf8');
    pid = Number(children.trim().split(/\s+/)[0]);
  }
  // Stopped right after the start-up lines, while serve may still be starting its watcher: the stop is a
  // clean one all the same (under `script`, the exit code is script's).
  process.kill(pid, 'SIGTERM');
  const code = await started.exited;
  if (started.child.spawnfile !== 'script')
    assert.equal(code, 0, `clean exit after SIGTERM:\n${started.output()}`);
}

describe('tonearm serve, first run', () => {
  let root: string;
  let music: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-first-run-'));
    music = path.join(root, 'music');
    fs.mkdirSync(music);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('on a terminal: readable coloured lines, where to connect, where the password is, a page at /', async () => {
    const data = path.join(root, 'data-tty');
    const server = start(data, music, { terminal: true });
    try {
      const plain = () => server.output().replace(ANSI, '');
      const url = await waitFor(
        () => /INFO {2}tonearm is listening url=(http:\/\/127\.0\.0\.1:\d+)/.exec(plain())?.[1],
        plain,
      );
      const passwordFile = path.join(data, 'initial-admin-password.txt');
      await waitFor(() => (plain().includes('Sign in as admin') ? true : undefined), plain);
      const text = plain();
      assert.match(text, new RegExp(`Point your Subsonic client at ${url}; only this machine can connect`));
      assert.ok(
        text.includes(`Sign in as admin with the password in ${passwordFile} (made just now)`),
        text.slice(-2000),
      );
      assert.ok(
        !text.includes(fs.readFileSync(passwordFile, 'utf8').trim()),
        'the password stays out of the log',
      );
      assert.doesNotMatch(text, /\{"level":/, 'no JSON records on a terminal');
      assert.match(server.output(), /\u001b\[32mINFO/, 'coloured on a terminal');

      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      // The web app (built by `npm install`) answers the address the log names.
      assert.match(await page.text(), /<div id="root"><\/div>/);
    } finally {
      await stop(server);
    }
  });

  it('piped with logFormat = pretty: readable lines without colour; a later start still names the file', async () => {
    const data = path.join(root, 'data-tty');
    const server = start(data, music, { terminal: false, env: { TONEARM_LOG_FORMAT: 'pretty' } });
    try {
      await waitFor(() => (server.output().includes('Sign in as admin') ? true : undefined), server.output);
      const text = server.output();
      assert.match(
        text,
        /^\d\d:\d\d:\d\d\.\d{3} INFO {2}tonearm is listening url=http:\/\/127\.0\.0\.1:\d+ /m,
      );
      assert.doesNotMatch(text, /\{"level":/);
      assert.ok(!text.includes('\u001b'), 'no colour codes in a pipe');
      assert.ok(!text.includes('(made just now)'), 'the file is from the first start');
    } finally {
      await stop(server);
    }
  });

  it('piped by default: JSON records, as log collectors want', async () => {
    const server = start(path.join(root, 'data-json'), music, { terminal: false });
    try {
      await waitFor(() => (server.output().includes('Sign in as admin') ? true : undefined), server.output);
      const records = server
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as { msg: string; clientUrl?: string });
      const point = records.find((record) => record.msg.startsWith('Point your Subsonic client'));
      assert.match(point?.clientUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await stop(server);
    }
  });
});
