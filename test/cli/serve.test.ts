// `tonearm serve` end to end: a real process scans, serves Subsonic ping, health and metrics on
// loopback, creates the first admin, and stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { CLI, cleanEnv, REPO_ROOT, runCli } from '../helpers/cli.ts';
import { buildFixtureLibrary, FIXTURE_FILES } from '../helpers/library-fixture.ts';

it('serves, scans at start, and shuts down on SIGTERM', async () => {
  const library = await buildFixtureLibrary();
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-serve-'));
  const child = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--music',
      library.root,
      '--data',
      data,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--base-path',
      '/music',
    ],
    {
      cwd: REPO_ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let logs = '';
  child.stdout.on('data', (chunk) => (logs += chunk));
  child.stderr.on('data', (chunk) => (logs += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await waitFor(
      () => /"url":"(http:\/\/127\.0\.0\.1:\d+\/music)"/.exec(logs)?.[1],
      20_000,
      () => logs,
    );
    const password = fs.readFileSync(path.join(data, 'initial-admin-password.txt'), 'utf8').trim();
    assert.equal(fs.statSync(path.join(data, 'initial-admin-password.txt')).mode & 0o777, 0o600);
    assert.ok(!logs.includes(password), 'the initial password never reaches the log');

    const ping = await fetch(
      `${url}/rest/ping.view?u=admin&p=${encodeURIComponent(password)}&v=1.16.1&c=test&f=json`,
    );
    const body = (await ping.json()) as { 'subsonic-response': { status: string; type: string } };
    assert.equal(body['subsonic-response'].status, 'ok');
    const wrong = (await (await fetch(`${url}/rest/ping?u=admin&p=wrong&v=1.16.1&c=test&f=json`)).json()) as {
      'subsonic-response': { error: { code: number } };
    };
    assert.equal(wrong['subsonic-response'].error.code, 40);

    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    // The start-up scan runs in the background; metrics show the library once it is done.
    await waitFor(
      () => (logs.includes('"msg":"scan finished"') ? true : undefined),
      20_000,
      () => logs,
    );
    const metrics = await waitFor(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return new RegExp(`tonearm_library_items\\{kind="tracks"\\} ${FIXTURE_FILES.length}\\b`).test(text)
          ? text
          : undefined;
      },
      20_000,
      () => logs,
    );
    assert.match(metrics, /tonearm_http_requests_total\{[^}]*route="\/rest\/ping"[^}]*status="200"\} 2/);
    // Every access-log line carries a request id; none carries the password.
    const accessLines = logs.split('\n').filter((line) => line.includes('"status":'));
    assert.ok(accessLines.length >= 3);
    for (const line of accessLines) assert.match(line, /"reqId":"[^"]+"/);

    // An online backup while the server runs: a consistent copy with the scanned library in it.
    const backup = path.join(data, 'backup.db');
    const result = await runCli(['db', 'backup', backup, '--data', data]);
    assert.equal(result.code, 0, result.stderr);
    const stats = await runCli(['stats', '--data', data]);
    assert.match(stats.stdout, new RegExp(`tracks\\s+${FIXTURE_FILES.length}\\b`));
    fs.mkdirSync(path.join(data, 'restored'));
    fs.copyFileSync(backup, path.join(data, 'restored', 'tonearm.db'));
    const restored = await runCli(['stats', '--data', path.join(data, 'restored')]);
    assert.match(restored.stdout, new RegExp(`tracks\\s+${FIXTURE_FILES.length}\\b`));

    child.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
    ]);
    assert.equal(code, 0, `exit after SIGTERM (logs: ${logs.slice(-500)})`);
    assert.match(logs, /shutting down/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    library.cleanup();
    fs.rmSync(data, { recursive: true, force: true });
  }
});

async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  context: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${context().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
