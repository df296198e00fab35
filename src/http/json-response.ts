// JSON answers are handed to Koa as text. Koa tests an object body with `instanceof Response`, and the
// first read of the global Response makes Node load its bundled undici (~14 MB, see commonjs.ts).
import type { Context } from 'koa';

export function sendJson(ctx: Context, value: unknown, type = 'application/json'): void {
  ctx.type = type;
  ctx.body = JSON.stringify(value);
}
