// HLS routes (work in progress): master and media playlists and their segments, under /api/v1/media/hls.
import type Router from '@koa/router';
import type { ResolvedAppDeps } from '../app.ts';
import type { AppState } from '../context.ts';

export function mountHls(_router: Router<AppState>, _deps: ResolvedAppDeps): void {}
