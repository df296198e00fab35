// How long one tag-reader worker spends on each file that real collections have and short fixtures do
// not (test/helpers/hard-files.ts: garbage tails, a 50 MB ID3 tag, a corrupt picture block, a lying WAV,
// Xing-less VBR MP3, raw AAC, …). The bound: none takes more than a second of one worker.
// Reports the median of 5 reads (page cache warm) and the slowest file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ffprobeBeside } from '../src/library/probe-duration.ts';
import { readTrackFile } from '../src/library/tags.ts';
import { buildHardFiles } from '../test/helpers/hard-files.ts';

const WORK = path.join(path.dirname(fileURLToPath(import.meta.url)), '.work');

export async function main(): Promise<Record<string, number>> {
  const music = path.join(WORK, 'hard-files', 'music');
  if (!fs.existsSync(path.join(music, '.complete'))) {
    fs.rmSync(path.dirname(music), { recursive: true, force: true });
    await buildHardFiles(music);
    fs.writeFileSync(path.join(music, '.complete'), '');
  }
  const figures: Record<string, number> = {};
  const options = { ffprobe: ffprobeBeside('ffmpeg') };
  let slowest = 0;
  for (const name of fs.readdirSync(music).filter((entry) => !entry.startsWith('.'))) {
    const file = path.join(music, name);
    const size = fs.statSync(file).size;
    const times: number[] = [];
    for (let run = 0; run < 6; run++) {
      const started = performance.now();
      await readTrackFile({ file, size, options });
      if (run > 0) times.push(performance.now() - started); // the first run warms the JIT
    }
    times.sort((a, b) => a - b);
    const median = times[2]!;
    figures[`hard_files.${name}.ms`] = Number(median.toFixed(1));
    slowest = Math.max(slowest, median);
  }
  figures['hard_files.slowest.ms'] = Number(slowest.toFixed(1));
  return figures;
}
