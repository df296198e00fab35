// Builds the web app (web/src → web/dist) with Vite. `npm install` runs it (the `prepare` script) and so
// does `npm start` (bin/tonearm.js), both with --if-stale: nothing happens when web/dist is newer than
// every source file. Without Vite (an install without dev dependencies) or without the sources (a Docker
// build stage before they are copied) it says so and succeeds: the server then shows its small home page.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(web, 'dist');
const stamp = path.join(dist, '.build-stamp');
const INPUTS = ['src', 'public', 'index.html', 'vite.config.ts'];

function newestInput(): number {
  let newest = 0;
  const visit = (file: string) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const name of fs.readdirSync(file)) visit(path.join(file, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const input of INPUTS) visit(path.join(web, input));
  return newest;
}

function isStale(): boolean {
  const built = fs.statSync(stamp, { throwIfNoEntry: false });
  return !built || built.mtimeMs < newestInput();
}

async function main(): Promise<number> {
  const ifStale = process.argv.includes('--if-stale');
  if (!fs.existsSync(path.join(web, 'src', 'main.tsx'))) {
    if (!ifStale) console.error('web app: no sources in web/src');
    return ifStale ? 0 : 1;
  }
  if (ifStale && !isStale()) return 0;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    console.error('web app: Vite is not installed (dev dependencies skipped), so web/dist is not built');
    return ifStale ? 0 : 1;
  }
  const started = Date.now();
  console.error('web app: building web/dist with Vite…');
  await vite.build({ configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  console.error(`web app: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

process.exitCode = await main().catch((error: unknown) => {
  console.error('web app: the build failed:', error);
  return 1;
});
