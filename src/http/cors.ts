// Cross-origin access (CORS) for browser apps served from another origin, e.g. a Subsonic web client on its
// own domain. Off unless http.corsOrigins lists origins ("*" = any). Credentials (cookies) are never
// allowed cross-origin: such apps send tokens or API keys in headers, and the session cookie stays
// SameSite=Strict. Preflights are answered here, before authentication, as browsers send them without
// credentials.
import type { AppMiddleware } from './context.ts';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-API-Key, X-CSRF-Token, Range, Last-Event-ID';
const EXPOSED_HEADERS =
  'Retry-After, Content-Range, Content-Length, Accept-Ranges, ETag, Content-Disposition';

export function cors(allowedOrigins: readonly string[]): AppMiddleware {
  const any = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins.map((origin) => origin.toLowerCase()));
  return async (ctx, next) => {
    const origin = ctx.get('Origin');
    ctx.vary('Origin');
    if (!origin || (!any && !allowed.has(origin.toLowerCase()))) return next();
    ctx.set('Access-Control-Allow-Origin', any ? '*' : origin);
    ctx.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      ctx.set('Access-Control-Allow-Methods', ALLOWED_METHODS);
      ctx.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    return next();
  };
}
