// Reads and validates a JSON request body for the native API: a size limit, a clear 400 for bad JSON or a
// body of the wrong shape (zod names the first wrong field).
import type { z } from 'zod';
import { TonearmError } from '../../shared/errors.ts';
import type { AppContext } from '../context.ts';

const JSON_BODY_LIMIT = 256 * 1024;

export async function readJson<Schema extends z.ZodType>(
  ctx: AppContext,
  schema: Schema,
): Promise<z.output<Schema>> {
  if (!ctx.is('application/json')) throw new TonearmError('BAD_REQUEST', 'send the body as application/json');
  return readJsonBody(ctx, schema, 'the body');
}

/** The body parsed as JSON whatever its declared type (Subsonic clients are not all careful about it). */
export async function readJsonBody<Schema extends z.ZodType>(
  ctx: AppContext,
  schema: Schema,
  what: string,
): Promise<z.output<Schema>> {
  if (Number(ctx.get('Content-Length')) > JSON_BODY_LIMIT) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > JSON_BODY_LIMIT) throw tooLarge();
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new TonearmError('BAD_REQUEST', `${what} is not valid JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : `${what}: `;
    throw new TonearmError('INVALID_INPUT', `${where}${issue.message}`);
  }
  return parsed.data;
}

function tooLarge(): TonearmError {
  return new TonearmError('BAD_REQUEST', `the request body is larger than ${JSON_BODY_LIMIT / 1024} KiB`);
}
