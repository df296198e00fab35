// How a read worker answers a job (both APIs): the body as text and, when the client takes it, gzipped in
// the worker; an error as its TonearmError code and message, so the main thread reports it exactly as if
// it had been thrown there.
import { isTonearmError } from '../shared/errors.ts';
import { gzipAnswer } from './compression.ts';
import type { ReadAnswer } from './read-pool.ts';

/**
 * `keepText`: send the text along with its gzip form (Subsonic's answers may be cached for clients without
 * gzip). Otherwise a gzipped answer goes back without its text: a second copy of every large answer to move
 * and collect on the main thread cost ~5-10 % of the throughput (docs/benchmarks.md, issue 13).
 */
export function answered(
  id: number,
  answer: { contentType: string; body: string },
  { gzip, keepText, headers = [] }: { gzip: boolean; keepText: boolean; headers?: [string, string][] },
): ReadAnswer {
  const compressed = gzip ? gzipAnswer(answer.body) : undefined;
  // A copy with its own memory: a small Buffer may live in Node's shared pool, which must not move.
  const gzipped = compressed ? new Uint8Array(compressed) : undefined;
  const body = gzipped && !keepText ? '' : answer.body;
  return { id, ok: true, contentType: answer.contentType, body, gzipped, headers };
}

export function failed(id: number, error: unknown): ReadAnswer {
  if (isTonearmError(error))
    return {
      id,
      ok: false,
      code: error.code,
      message: error.message,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  const failure = error as Error;
  return { id, ok: false, message: failure.message, stack: failure.stack };
}
