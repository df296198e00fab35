// Worker threads are started from a module URL, which the TypeScript compiler does not rewrite: this gives
// a module next to the caller with the caller's own extension, so the same code starts `x.ts` when run from
// the sources and `x.js` when run from the compiled build (dist/, see `npm run build`).
import path from 'node:path';

/** The URL of `./<name>.ts` or `./<name>.js` beside the module at `from` (pass import.meta.url). */
export function siblingModule(from: string, name: string): URL {
  const extension = path.extname(new URL(from).pathname) || '.js';
  return new URL(`./${name}${extension}`, from);
}
