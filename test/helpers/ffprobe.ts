// What ffprobe finds in a piece of audio (a transcoded answer, or a file): codec, channels, sample rate, bit
// rate, duration and container. A flac written to a pipe has no length in its header, so its duration is
// found by decoding.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface AudioProbe {
  codec: string;
  channels: number;
  sampleRate: number;
  /** bit/s: the stream's, else the container's */
  bitRate: number;
  /** seconds */
  duration: number;
  format: string;
}

export async function probeAudio(bytes: Buffer): Promise<AudioProbe> {
  const file = path.join(os.tmpdir(), `tonearm-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, bytes);
  try {
    return await probeAudioFile(file);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export async function probeAudioFile(file: string): Promise<AudioProbe> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', 'a:0'],
    ...[
      '-show_entries',
      'stream=codec_name,channels,sample_rate,bit_rate:format=duration,bit_rate,format_name',
    ],
    ...['-of', 'json', file],
  ]);
  const info = JSON.parse(stdout) as {
    streams: { codec_name: string; channels: number; sample_rate: string; bit_rate?: string }[];
    format: { duration?: string; bit_rate?: string; format_name: string };
  };
  let duration = Number(info.format.duration);
  if (!Number.isFinite(duration)) {
    const decoded = await run('ffmpeg', [
      '-v',
      'error',
      '-i',
      file,
      '-f',
      'null',
      '-',
      '-progress',
      'pipe:1',
    ]);
    duration = Number([...decoded.stdout.matchAll(/out_time_us=(\d+)/g)].at(-1)?.[1]) / 1e6;
  }
  const stream = info.streams[0]!;
  return {
    codec: stream.codec_name,
    channels: stream.channels,
    sampleRate: Number(stream.sample_rate),
    bitRate: Number(stream.bit_rate ?? info.format.bit_rate),
    duration,
    format: info.format.format_name,
  };
}
