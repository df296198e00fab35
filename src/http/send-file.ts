// Sends a file the way players expect from a media server: Range requests (206, one range; 416 with
// the size when unsatisfiable), HEAD without opening the file, a strong ETag from size and mtime with
// Last-Modified, conditional requests (If-None-Match / If-Modified-Since → 304) and If-Range (a changed
// file is sent whole instead of a piece of the new one). The bytes go out through file-body.ts. Used for
// originals, cached transcodes, HLS segments, covers and shares.
import { TonearmError } from '../shared/errors.ts';
import type { AppContext } from './context.ts';
import { openForReading, sendFileBody } from './file-body.ts';

export interface FileToSend {
  file: string;
  size: number;
  mtimeMs: number;
  contentType: string;
  /** Sent as an attachment under this name (downloads). */
  downloadName?: string;
}

/** Parses a single `bytes=` range against a size; 'invalid' for an unsatisfiable one, undefined to send all. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined; // several ranges or another unit: answering with the whole file is allowed
  const [, from, to] = match;
  if (from === '' && to === '') return 'invalid';
  let start: number;
  let end: number;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

export function etagOf(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** A Content-Disposition value that keeps non-ASCII names (RFC 6266) with an ASCII fallback. */
export function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export async function sendFile(ctx: AppContext, target: FileToSend): Promise<void> {
  const etag = etagOf(target.size, target.mtimeMs);
  const lastModified = new Date(Math.floor(target.mtimeMs / 1000) * 1000);
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('ETag', etag);
  ctx.set('Last-Modified', lastModified.toUTCString());
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (target.downloadName) ctx.set('Content-Disposition', attachment(target.downloadName));
  ctx.type = target.contentType;

  if (notModified(ctx, etag, lastModified)) {
    ctx.status = 304;
    ctx.body = null;
    return;
  }
  const ifRange = ctx.get('If-Range');
  const rangeApplies = !ifRange || ifRange === etag || ifRange === lastModified.toUTCString();
  const range = rangeApplies ? parseRange(ctx.get('Range') || undefined, target.size) : undefined;
  if (range === 'invalid') {
    ctx.status = 416;
    ctx.set('Content-Range', `bytes */${target.size}`);
    ctx.body = '';
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? target.size - 1;
  ctx.status = range ? 206 : 200;
  if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${target.size}`);
  if (ctx.method === 'HEAD') {
    // Koa ends a HEAD response without a body; no file is opened for it.
    ctx.length = target.size === 0 ? 0 : end - start + 1;
    return;
  }
  if (target.size === 0) {
    ctx.body = '';
    return;
  }
  const fd = await openForReading(target.file).catch((error: NodeJS.ErrnoException) => {
    throw new TonearmError('FILE_MISSING', `the file could not be opened (${error.code ?? error.message})`);
  });
  ctx.length = end - start + 1;
  // The body is written here rather than handed to Koa as a stream (see file-body.ts for why).
  ctx.respond = false;
  sendFileBody(ctx.res, fd, start, end, ctx.state.log);
}

function notModified(ctx: AppContext, etag: string, lastModified: Date): boolean {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
  const ifNoneMatch = ctx.get('If-None-Match');
  if (ifNoneMatch) {
    return (
      ifNoneMatch === '*' || ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
    );
  }
  const since = Date.parse(ctx.get('If-Modified-Since'));
  return Number.isFinite(since) && lastModified.getTime() <= since;
}
