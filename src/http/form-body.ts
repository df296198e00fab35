// Reads an application/x-www-form-urlencoded request body (Subsonic formPost: long id lists), with a size
// limit. Other bodies are left unread for the handlers that want them; readBodyText reads any body
// (the JSON of the native API and of getTranscodeDecision).
import { TonearmError } from '../shared/errors.ts';
import type { AppContext } from './context.ts';

export const FORM_BODY_LIMIT = 1024 * 1024;

export async function readFormBody(ctx: AppContext, limit = FORM_BODY_LIMIT): Promise<string | undefined> {
  if (ctx.method !== 'POST' || !ctx.is('application/x-www-form-urlencoded')) return undefined;
  return readBodyText(ctx, limit);
}

/** The whole request body as UTF-8 text; BAD_REQUEST once it is larger than `limit` bytes. */
export async function readBodyText(ctx: AppContext, limit: number): Promise<string> {
  const declared = Number(ctx.get('Content-Length'));
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(limit: number): TonearmError {
  return new TonearmError('BAD_REQUEST', `the request body is larger than ${Math.round(limit / 1024)} KiB`);
}
