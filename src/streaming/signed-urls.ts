// Signed, expiring media URLs: an <audio> element, an <img>, an HLS player or a public share page fetches
// the URL as it is, so it can carry no password or API key. Instead the server signs the path, the query
// and an expiry with an HMAC whose key is derived from the data folder's secret key (never the key itself,
// which seals passwords). The signature names the user whose rights and limits apply; those are checked
// again when the URL is used, so a URL outlives neither the user's access nor its expiry.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TonearmError } from '../shared/errors.ts';

const SIGNATURE_PARAM = 'sig';
const EXPIRY_PARAM = 'exp';
const USER_PARAM = 'uid';

export interface UrlSigner {
  /** `path?query&uid=…&exp=…&sig=…` for the path and parameters, valid for ttlSeconds. */
  sign(path: string, params: Record<string, string | number>, userId: string, ttlSeconds: number): string;
  /** The user a signed request was made for; FORBIDDEN when the signature is wrong or expired. */
  verify(path: string, query: URLSearchParams, now?: number): { userId: string; expiresAt: number };
  /** An opaque, URL-safe token carrying `payload` for ttlSeconds (transcodeParams). */
  seal(payload: object, ttlSeconds: number): string;
  /** The payload of a token seal() made; FORBIDDEN when altered or expired. */
  open(token: string, now?: number): Record<string, unknown>;
}

export function deriveSigningKey(secretKey: Buffer): Buffer {
  return createHmac('sha256', secretKey).update('tonearm media url signing v1').digest();
}

// The signed text: the path and every parameter except the signature, sorted, so parameter order or
// encoding differences between clients do not matter and nothing can be added or changed.
function canonical(path: string, query: URLSearchParams): string {
  const pairs = [...query.entries()].filter(([key]) => key !== SIGNATURE_PARAM);
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return `${path}\n${pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&')}`;
}

export function createUrlSigner(key: Buffer): UrlSigner {
  const mac = (text: string) => createHmac('sha256', key).update(text).digest().subarray(0, 20);
  return {
    sign(path, params, userId, ttlSeconds) {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(params)) query.set(name, String(value));
      query.set(USER_PARAM, userId);
      query.set(EXPIRY_PARAM, String(Math.floor(Date.now() / 1000) + Math.max(1, Math.floor(ttlSeconds))));
      query.set(SIGNATURE_PARAM, mac(canonical(path, query)).toString('base64url'));
      return `${path}?${query}`;
    },
    verify(path, query, now = Date.now()) {
      const signature = Buffer.from(query.get(SIGNATURE_PARAM) ?? '', 'base64url');
      const expected = mac(canonical(path, query));
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
        throw new TonearmError('FORBIDDEN', 'this link is not valid');
      }
      const expiresAt = Number(query.get(EXPIRY_PARAM)) * 1000;
      if (!Number.isFinite(expiresAt) || expiresAt < now)
        throw new TonearmError('FORBIDDEN', 'this link has expired');
      return { userId: query.get(USER_PARAM) ?? '', expiresAt };
    },
    seal(payload, ttlSeconds) {
      const body = Buffer.from(
        JSON.stringify({
          ...payload,
          exp: Math.floor(Date.now() / 1000) + Math.max(1, Math.floor(ttlSeconds)),
        }),
      ).toString('base64url');
      return `${body}.${mac(`token\n${body}`).toString('base64url')}`;
    },
    open(token, now = Date.now()) {
      const [body = '', signature = ''] = token.split('.');
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(`token\n${body}`);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new TonearmError('FORBIDDEN', 'transcodeParams is not valid');
      }
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof payload.exp !== 'number' || payload.exp * 1000 < now) {
        throw new TonearmError('FORBIDDEN', 'transcodeParams has expired; ask for a new decision');
      }
      return payload;
    },
  };
}
