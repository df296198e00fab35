// Serves the web app (web/, built by Vite into web/dist) at the base path:
//   - assets/* have content hashes in their names: cached for a year, immutable;
//   - other files of the build (icons, the manifest) are revalidated (ETag) on each use;
//   - any other GET below the base path that no route answered, outside the APIs, gets index.html, so a
//     client route (/albums/12) opened directly or reloaded starts the app there. Its base element is
//     written at serve time, so one build serves any base path.
// The build's files are listed once at start: only names in that list are ever opened (no path from a
// request reaches the file system), and each is sent in the best precompressed form the client accepts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.ts';
import type { AppContext, AppMiddleware } from './context.ts';
import { sendFile } from './send-file.ts';

/** Where the server's own routes live: never answered with the app's page. */
const SERVER_PREFIXES = ['/api/', '/rest/', '/share/', '/health', '/metrics'];
const BASE_PLACEHOLDER = '<!--tonearm:base-->';
const IMMUTABLE = 'public, max-age=31536000, immutable';

// Scripts and styles from this origin only; covers and QR codes may be data: or blob: URLs made by the app.
const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface BuiltFile {
  file: string;
  size: number;
  mtimeMs: number;
  /** Precompressed siblings written by the build (name.br, name.gz). */
  encoded: { encoding: 'br' | 'gzip'; file: string; size: number }[];
}

export interface WebAppBuild {
  folder: string;
  files: Map<string, BuiltFile>;
  indexTemplate: string;
}

/**
 * web/dist beside the sources (src/http → ../../web/dist) or beside the compiled build
 * (dist/src/http → ../../../web/dist); undefined when the app has not been built.
 */
export function findWebAppBuild(folder?: string): WebAppBuild | undefined {
  const candidates = folder
    ? [folder]
    : ['../../web/dist/', '../../../web/dist/'].map((relative) =>
        fileURLToPath(new URL(relative, import.meta.url)),
      );
  const found = candidates.find((candidate) => fs.existsSync(path.join(candidate, 'index.html')));
  if (!found) return undefined;
  const files = new Map<string, BuiltFile>();
  listFiles(found, '', files);
  return { folder: found, files, indexTemplate: fs.readFileSync(path.join(found, 'index.html'), 'utf8') };
}

function listFiles(root: string, relative: string, into: Map<string, BuiltFile>): void {
  for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const name = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      listFiles(root, name, into);
      continue;
    }
    if (!entry.isFile() || entry.name.startsWith('.') || /\.(br|gz)$/.test(name)) continue;
    const file = path.join(root, name);
    const stat = fs.statSync(file);
    const encoded: BuiltFile['encoded'] = [];
    for (const [suffix, encoding] of [
      ['.br', 'br'],
      ['.gz', 'gzip'],
    ] as const) {
      const sibling = fs.statSync(file + suffix, { throwIfNoEntry: false });
      if (sibling) encoded.push({ encoding, file: file + suffix, size: sibling.size });
    }
    into.set(name, { file, size: stat.size, mtimeMs: stat.mtimeMs, encoded });
  }
}

/** The page every client route starts from, with the base element for this server's base path. */
export function renderIndex(template: string, basePath: string): string {
  const href = `${basePath}/`.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  return template.replace(BASE_PLACEHOLDER, `<base href="${href}">`);
}

/**
 * Middleware placed after the router: it sees only requests no route answered. With no build, it does
 * nothing (the home page in home-page.ts stays).
 */
export function webAppFallback(config: Config, build: WebAppBuild): AppMiddleware {
  const index = Buffer.from(renderIndex(build.indexTemplate, config.basePath));
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const below = belowBasePath(ctx.path, config.basePath);
    if (below === undefined || SERVER_PREFIXES.some((prefix) => below.startsWith(prefix))) return next();
    let name: string;
    try {
      name = decodeURIComponent(below.slice(1));
    } catch {
      return next();
    }
    const built = build.files.get(name);
    if (built && name !== 'index.html') {
      ctx.state.routeLabel = name.startsWith('assets/') ? '/assets/:file' : '/:file';
      await sendBuiltFile(ctx, name, built);
      return;
    }
    // A missing hashed file is an old page asking for a replaced build: a 404, not the app's page.
    if (name.startsWith('assets/')) return next();
    ctx.state.routeLabel = '/(web app)';
    ctx.status = 200;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Content-Security-Policy', WEB_APP_CSP);
    ctx.body = index;
  };
}

function belowBasePath(requestPath: string, basePath: string): string | undefined {
  if (!basePath) return requestPath;
  if (requestPath === basePath) return '/';
  return requestPath.startsWith(`${basePath}/`) ? requestPath.slice(basePath.length) : undefined;
}

async function sendBuiltFile(ctx: AppContext, name: string, built: BuiltFile): Promise<void> {
  const accepted = ctx.acceptsEncodings('br', 'gzip', 'identity');
  const variant = built.encoded.find((candidate) => candidate.encoding === accepted);
  ctx.set('Cache-Control', name.startsWith('assets/') ? IMMUTABLE : 'no-cache');
  ctx.vary('Accept-Encoding');
  if (variant) ctx.set('Content-Encoding', variant.encoding);
  // The ETag comes from the size sent, so each encoding has its own and a cache never mixes them up.
  await sendFile(ctx, {
    file: variant?.file ?? built.file,
    size: variant?.size ?? built.size,
    mtimeMs: built.mtimeMs,
    contentType: CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
  });
}
