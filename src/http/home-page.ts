// GET / (or the base path) on an installation without the web app's build (web/dist: `npm install` makes
// it; an install without dev dependencies has none): a small page that says what this server is and how
// to connect a Subsonic client to it, rather than a 404 problem document for whoever opens the address
// in a browser. It shows nothing about the library or the accounts (no login is needed to see it), only
// the address, which comes from http.publicUrl or a Host that names this server (public-url.ts).
import type Router from '@koa/router';
import { FIRST_ADMIN_FILE, FIRST_ADMIN_NAME } from '../accounts/first-admin.ts';
import type { Config } from '../config/schema.ts';
import type { AppContext, AppState } from './context.ts';
import { absoluteUrlOf } from './public-url.ts';
import { escapeHtml } from './share.ts';
import { SERVER_VERSION } from './version.ts';

export function mountHomePage(router: Router<AppState>, config: Config): void {
  // With a base path the router's prefix makes this /music (and /music/).
  router.get('/', (ctx) => homePage(ctx, config));
}

function homePage(ctx: AppContext, config: Config): void {
  ctx.state.routeLabel = '/';
  const address = absoluteUrlOf(ctx, config, '');
  const addressHtml = address
    ? `<code>${escapeHtml(address)}</code>`
    : `the address of this page, up to ${config.basePath ? `<code>${escapeHtml(config.basePath)}</code>` : 'the port'}`;
  ctx.status = 200;
  ctx.type = 'text/html; charset=utf-8';
  // The address shown follows the Host header; never cache it for someone else.
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tonearm</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}dt{font-weight:600;margin-top:.8rem}dd{margin-left:0}code{background:#eee;padding:0 .2rem;border-radius:3px}.v{color:#666}</style>
</head><body>
<h1>Tonearm <span class="v">${escapeHtml(SERVER_VERSION)}</span></h1>
<p>A self-hosted music server. Listen with any Subsonic or OpenSubsonic app (DSub, Symfonium,
Substreamer, Feishin, Tempo, Strawberry, Sublime Music, Amperfy, …). Tonearm's own web player is not
built on this installation (<code>npm install</code> builds it).</p>
<h2>Connect a Subsonic client</h2>
<dl>
<dt>Server address</dt><dd>${addressHtml}</dd>
<dt>User name</dt><dd>your Tonearm user name. The first one is <code>${FIRST_ADMIN_NAME}</code>; the server
administrator adds others with <code>tonearm user add NAME</code>.</dd>
<dt>Password</dt><dd>your password. On the first start the password of <code>${FIRST_ADMIN_NAME}</code> is in
<code>${FIRST_ADMIN_FILE}</code> in the data folder, until it is changed with
<code>tonearm user passwd ${FIRST_ADMIN_NAME}</code>. Apps that support API keys can use one instead:
<code>tonearm apikey create USER</code>.</dd>
</dl>
<p><a href="${escapeHtml(config.basePath)}/health">Server health</a> ·
<a href="https://opensubsonic.netlify.app/">The OpenSubsonic API</a> ·
Tonearm's documentation: <code>README.md</code> and <code>docs/</code> in its source.</p>
</body></html>
`;
}
