// The one ffmpeg runner, with real ffmpeg: output to a pipe and to a file, failures with ffmpeg's own
// words, a missing binary, the time limit, killing, and the availability check; no process left behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { isTonearmError } from '../../src/shared/errors.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { FFMPEG_STARTS, Ffmpeg, type FfmpegFailure, hintSuffix } from '../../src/streaming/ffmpeg.ts';
import { makeAudio } from '../helpers/audio.ts';
import { childProcesses, eventually } from '../helpers/processes.ts';

let dir = '';
let song = '';

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-ffmpeg-'));
  song = path.join(dir, 'song.flac');
  await makeAudio(song, { format: 'flac', durationSec: 3 });
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(childProcesses('ffmpeg'), [], 'no ffmpeg left');
});

const toMp3 = ['-map', '0:a:0', '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'];

async function failureOf(done: Promise<void>): Promise<FfmpegFailure> {
  try {
    await done;
  } catch (error) {
    return error as FfmpegFailure;
  }
  assert.fail('the run succeeded');
}

it('runs ffmpeg with its output on a pipe, arguments as given', async () => {
  const run = new Ffmpeg('ffmpeg').run({ input: song, outputOptions: toMp3, output: 'pipe' });
  assert.match(run.commandLine, /^ffmpeg -i \S+song\.flac -map 0:a:0 .* pipe:1$/);
  const chunks: Buffer[] = [];
  for await (const chunk of run.stdout!) chunks.push(chunk as Buffer);
  await run.done;
  const mp3 = Buffer.concat(chunks);
  // 3 s at 64 kbit/s, give or take the frame padding.
  assert.ok(mp3.length > 20_000 && mp3.length < 30_000, `${mp3.length} bytes`);
});

it('writes a file, overwriting what is there', async () => {
  const out = path.join(dir, 'out.mp3');
  fs.writeFileSync(out, 'old');
  const run = new Ffmpeg('ffmpeg').run({
    input: song,
    inputOptions: ['-t', '1'],
    outputOptions: toMp3,
    output: out,
  });
  await run.done;
  assert.ok(fs.statSync(out).size > 5_000);
});

it("reports a failed run with ffmpeg's last words", async () => {
  const garbage = path.join(dir, 'garbage.flac');
  fs.writeFileSync(garbage, Buffer.alloc(4096, 0x5a));
  const run = new Ffmpeg('ffmpeg').run({ input: garbage, outputOptions: toMp3, output: 'pipe' });
  run.stdout!.resume();
  const failure = await failureOf(run.done);
  assert.equal(failure.reason, 'failed');
  assert.match(failure.message, /^ffmpeg exited with code \d+/);
  assert.match(hintSuffix(failure.hint), /^: \S/);
  assert.notEqual(run.stderrTail, '');
});

it('reports a binary that cannot be started, and the check says so once', async () => {
  const missing = new Ffmpeg(path.join(dir, 'no-such-ffmpeg'));
  const run = missing.run({ input: song, outputOptions: toMp3, output: 'pipe' });
  assert.equal((await failureOf(run.done)).reason, 'unavailable');
  await assert.rejects(
    missing.ensure(FFMPEG_STARTS, silentLogger),
    (error: unknown) =>
      isTonearmError(error) &&
      error.code === 'TRANSCODER_UNAVAILABLE' &&
      /cannot be started .*no-such-ffmpeg/.test(error.message),
  );
  await new Ffmpeg('ffmpeg').ensure(FFMPEG_STARTS, silentLogger);
  // A check a binary passes but whose answer the caller refuses.
  await assert.rejects(
    new Ffmpeg('ffmpeg').ensure(
      { name: 'picky', args: ['-hide_banner', '-version'], refuse: () => 'not this one' },
      silentLogger,
    ),
    /not this one/,
  );
});

it('stops a run at its time limit, and on kill', async () => {
  const slow = ['-re', '-f', 'lavfi'];
  const ffmpeg = new Ffmpeg('ffmpeg');
  const timed = ffmpeg.run({
    input: 'anullsrc=r=44100:cl=stereo',
    inputOptions: slow,
    outputOptions: toMp3,
    output: 'pipe',
    timeoutMs: 300,
  });
  timed.stdout!.resume();
  assert.equal((await failureOf(timed.done)).reason, 'timeout');
  const killed = ffmpeg.run({
    input: 'anullsrc=r=44100:cl=stereo',
    inputOptions: slow,
    outputOptions: toMp3,
    output: 'pipe',
  });
  killed.stdout!.resume();
  assert.equal(ffmpeg.running, 1);
  killed.kill();
  assert.equal((await failureOf(killed.done)).reason, 'killed');
  assert.equal(ffmpeg.running, 0);
  const closed = ffmpeg.run({
    input: 'anullsrc=r=44100:cl=stereo',
    inputOptions: slow,
    outputOptions: toMp3,
    output: 'pipe',
  });
  closed.stdout!.resume();
  ffmpeg.close();
  assert.equal((await failureOf(closed.done)).reason, 'killed');
  assert.deepEqual(
    await eventually(
      () => childProcesses('ffmpeg'),
      (pids) => pids.length === 0,
    ),
    [],
  );
});
