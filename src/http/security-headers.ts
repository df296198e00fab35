// Headers every answer carries (OWASP secure headers): no MIME sniffing, no framing, no referrer leaking
// share ids or tokens, a window of our own, HSTS once the request came over HTTPS. Pages that need more
// (the home page, the docs page, the web app) set their own Content-Security-Policy; everything else — JSON,
// XML, audio, images — gets one that allows nothing to run.
import type { AppMiddleware } from './context.ts';
import { isHttpsRequest } from './public-url.ts';

const LOCKED_DOWN_CSP = "default-src 'none'; frame-ancestors 'none'";

export function securityHeaders(): AppMiddleware {
  return async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (isHttpsRequest(ctx)) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    try {
      await next();
    } finally {
      if (!ctx.headerSent && !ctx.response.get('Content-Security-Policy'))
        ctx.set('Content-Security-Policy', LOCKED_DOWN_CSP);
    }
  };
}
