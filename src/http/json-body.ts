// Reads and validates a JSON request body for the native API: a size limit, a clear 400 for bad JSON or a
// body of the wrong shape (zod names the first wrong field).
import type { z } from 'zod';
import { TonearmError } from '../shared/errors.ts';
import type { AppContext } from './context.ts';
import { readBodyText } from './form-body.ts';

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
  const text = await readBodyText(ctx, JSON_BODY_LIMIT);
  let value: unknown;
  try {
    value = JSON.parse(text);
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
