// The public side of shares: GET /share/:id (or /share/:id/) is a small HTML page listing the shared tracks
// with an audio player, GET /share/:id/stream/:trackId streams one of them (the original file, with Range
// support).
// No account is needed; an unknown or expired share, or a track that is not in it, is a 404 (which tracks
// a share plays: src/streaming/playback.ts). Only files whose real path stays inside their library are
// served (src/streaming/media-file.ts).
import type Router from '@koa/router';
import { visitShare } from '../activity/shares.service.ts';
import { findTrackFacts } from '../catalog/lookup.ts';
import type { Database } from '../db/database.ts';
import type { Playback } from '../streaming/playback.ts';
import type { AppContext, AppState } from './context.ts';
import { sendMediaFile } from './send-playback.ts';

export function mountShares(router: Router<AppState>, db: Database, playback: Playback): void {
  router.get(['/share/:id', '/share/:id/'], (ctx) => sharePage(ctx, db, ctx.params.id!));
  router.get('/share/:id/stream/:trackId', (ctx) =>
    shareStream(ctx, playback, ctx.params.id!, ctx.params.trackId!),
  );
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

function sharePage(ctx: AppContext, db: Database, id: string): void {
  ctx.state.routeLabel = '/share/:id';
  const share = visitShare(db, id);
  if (!share) return; // 404 problem document
  const tracks = findTrackFacts(db, share.trackIds);
  const atShareFolder = ctx.path.endsWith('/');
  const items = share.trackIds.flatMap((trackId, index) => {
    const track = tracks.get(trackId);
    if (!track) return [];
    // Relative, so the page works under any base path and proxy: from /share/<id> a link resolves
    // against /share/, from /share/<id>/ against the share itself.
    const stream = `stream/${encodeURIComponent(track.id)}`;
    const src = atShareFolder ? stream : `${encodeURIComponent(share.id)}/${stream}`;
    return [
      `<li><span class="n">${index + 1}.</span> ${escapeHtml(track.title)} — ${escapeHtml(track.artist_name)}` +
        ` <span class="d">${formatDuration(track.duration)}</span>` +
        `<br><audio controls preload="none" src="${escapeHtml(src)}"></audio></li>`,
    ];
  });
  const title = share.description || `Shared by ${share.username}`;
  ctx.status = 200;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Content-Security-Policy', "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'");
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}li{margin:.8rem 0}.d,.n{color:#666}audio{width:100%}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>Shared by ${escapeHtml(share.username)}</p>
<ol style="list-style:none;padding:0">
${items.join('\n')}
</ol>
</body></html>
`;
}

async function shareStream(
  ctx: AppContext,
  playback: Playback,
  shareId: string,
  trackId: string,
): Promise<void> {
  ctx.state.routeLabel = '/share/:id/stream/:trackId';
  const plan = await playback.sharedTrack(shareId, trackId);
  if (!plan) return; // 404, as for anything a share does not hold
  await sendMediaFile(ctx, plan.media, { cacheControl: 'no-store' });
}
