// npm run bench [-- part ...]: runs the benchmarks (all parts by default), prints the machine and the
// figures, and writes them to bench/.work/results.json for docs/benchmarks.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PARTS: Record<string, () => Promise<{ main(): Promise<Record<string, number>> }>> = {
  scan: () => import('./scan.bench.ts'),
  'hard-files': () => import('./hard-files.bench.ts'),
  search: () => import('./search.bench.ts'),
  subsonic: () => import('./subsonic.bench.ts'),
  api: () => import('./api.bench.ts'),
  stream: () => import('./stream.bench.ts'),
  writes: () => import('./writes.bench.ts'),
  'tcp-table': () => import('./tcp-table.bench.ts'),
  memory: () => import('./memory.bench.ts'),
  auth: () => import('./auth.bench.ts'),
  listening: () => import('./listening.bench.ts'),
  insights: () => import('./insights.bench.ts'),
  web: () => import('./web.bench.ts'),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((part) => !(part in PARTS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark part(s): ${unknown.join(', ')}; known: ${Object.keys(PARTS).join(', ')}\n`,
  );
  process.exit(2);
}
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  date: new Date().toISOString(),
};
process.stdout.write(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}\n`,
);
const results: Record<string, number> = {};
for (const part of wanted.length > 0 ? wanted : Object.keys(PARTS)) {
  process.stdout.write(`\n== ${part}\n`);
  const figures = await (await PARTS[part]!()).main();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(44)} ${value}\n`);
  Object.assign(results, figures);
}
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '.work', 'results.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ machine, results }, null, 2)}\n`);
process.stdout.write(`\nwritten to ${path.relative(process.cwd(), out)}\n`);
