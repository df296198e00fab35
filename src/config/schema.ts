// The configuration's shape, its defaults and what each value may be. Every key here can be set in the
// config file, by a TONEARM_* environment variable (derived from the key: scanner.watchPolling →
// TONEARM_SCANNER_WATCH_POLLING) and, for the common ones, by a CLI flag.
import os from 'node:os';
import { Cron } from 'croner';
import { z } from 'zod';
import { parseProxyEntry } from '../shared/ip-address.ts';
import { LOG_FORMATS } from '../shared/log-lines.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_ARTIST_SEPARATORS = [' feat. ', ' feat ', ' ft. ', ' featuring ', '; ', ' / '];
export const DEFAULT_COVER_ART_PRIORITY = ['embedded', 'cover.*', 'folder.*', 'front.*', 'album.*'];
export const DEFAULT_IGNORED_ARTICLES = 'The El La Los Las Le Les Os As O A';

function isDecodableEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
};
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "1GB", "500 MB", "1048576" → bytes; undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) return undefined;
  const unit = SIZE_UNITS[match[2]!.toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}

/** "90s", "30m", "6h", "1d", "1h30m" → milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const part of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g))
    total += Number(part[1]) * DURATION_UNITS[part[2]!]!;
  return total;
}

/** A scan schedule is empty (off), a duration ("6h": every six hours) or a cron expression. */
export function describeSchedule(
  text: string,
): { kind: 'off' } | { kind: 'interval'; ms: number } | { kind: 'cron'; expression: string } | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '0' || trimmed === 'off') return { kind: 'off' };
  const ms = parseDuration(trimmed);
  if (ms !== undefined) return ms >= 60_000 ? { kind: 'interval', ms } : undefined;
  try {
    new Cron(trimmed, { paused: true }).stop();
    return { kind: 'cron', expression: trimmed };
  } catch {
    return undefined;
  }
}

const sizeSchema = z.union([z.number().int().min(0), z.string()]).transform((value, context) => {
  const bytes = typeof value === 'number' ? value : parseSize(value);
  if (bytes === undefined) {
    context.addIssue({
      code: 'custom',
      message: 'expected a size such as 500MB or 2GB (0 turns the cache off)',
    });
    return z.NEVER;
  }
  return bytes;
});

/** A duration as "20s", "2m", "1h30m", or milliseconds (a number, or digits alone). */
function durationSchema(min: number, max: number, example: string) {
  const expected = `expected a duration from ${formatDuration(min)} to ${formatDuration(max)} such as ${example}`;
  return z.union([z.number(), z.string()]).transform((value, context) => {
    const ms =
      typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : parseDuration(value);
    if (ms === undefined || !Number.isInteger(ms) || ms < min || ms > max) {
      context.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return ms;
  });
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Empty, or an absolute http(s) URL without query, fragment or credentials; kept without a trailing slash. */
const publicUrlSchema = z.string().transform((value, context) => {
  const trimmed = value.trim();
  if (trimmed === '') return '';
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== '' ||
    /[?#]/.test(trimmed)
  ) {
    context.addIssue({
      code: 'custom',
      message:
        'expected empty or the address people use to reach Tonearm, an http(s) URL without query, e.g. https://music.example.org',
    });
    return z.NEVER;
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
});

/** localhost, 127.0.0.0/8 or [::1]: a provider on this machine, the one place plain http is acceptable. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Empty (OIDC off), or the provider's issuer URL: https, or http on this machine only. */
const issuerSchema = z
  .string()
  .trim()
  .refine(
    (value) => {
      if (value === '') return true;
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url));
      } catch {
        return false;
      }
    },
    {
      message:
        'expected the provider’s issuer URL, e.g. https://auth.example.org (https; plain http only for localhost)',
    },
  );

const librarySchema = z.strictObject({
  name: z.string().trim().min(1, 'a library name must not be empty'),
  path: z.string().trim().min(1, 'a library path must not be empty'),
});

export const configSchema = z.strictObject({
  music: z.array(librarySchema),
  dataDir: z.string().trim().min(1),
  host: z.string().trim().min(1),
  port: z
    .number({ error: 'expected an integer from 0 to 65535' })
    .int('expected an integer from 0 to 65535')
    .min(0, 'expected an integer from 0 to 65535')
    .max(65535, 'expected an integer from 0 to 65535'),
  basePath: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)*\/?$/, 'expected empty or a URL path such as /music')
    .transform((value) => value.replace(/\/+$/, '')),
  logLevel: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }),
  /** json (one record a line), pretty (readable lines), or auto: pretty when the log goes to a terminal. */
  logFormat: z.enum(LOG_FORMATS, { error: `expected one of ${LOG_FORMATS.join(', ')}` }),
  /**
   * At most this many worker threads for read-only Subsonic endpoints, started on demand and stopped when
   * idle: 'auto' (one per core, at most 4) or a count; 0 = none.
   */
  readWorkers: z.preprocess(
    (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
    z.union([z.literal('auto'), z.number().int().min(0).max(64)], {
      error: 'expected auto or a count of worker threads from 0 to 64',
    }),
  ),
  scanner: z.strictObject({
    scanOnStart: z.boolean({ error: 'expected true or false' }),
    watch: z.boolean({ error: 'expected true or false' }),
    watchPolling: z.boolean({ error: 'expected true or false' }),
    watchPollingIntervalMs: z.number().int().min(100, 'expected at least 100 (ms)').max(3_600_000),
    watchDebounceMs: z.number().int().min(0).max(600_000, 'expected at most 600000 (ms)'),
    schedule: z.string().refine((value) => describeSchedule(value) !== undefined, {
      message:
        'expected empty (off), a duration of at least 1m such as 6h, or a cron expression such as "0 3 * * *"',
    }),
    workers: z.number().int().min(0, 'expected 0 (automatic) or a positive count').max(64),
    artistSeparators: z.array(z.string().min(1)),
    genreSeparators: z.array(z.string().min(1)),
    coverArtPriority: z
      .array(
        z
          .string()
          .regex(
            /^(embedded|[^/\\]+\.\*|[^/\\]+\.[a-z0-9]+)$/i,
            'expected "embedded" or file patterns like cover.*',
          ),
      )
      .min(1),
    artistImageNames: z.array(z.string().min(1)),
    ignoredArticles: z.string(),
    followSymlinks: z.boolean(),
    /**
     * The code page of old tags that declare Latin-1 but are neither Latin-1 nor UTF-8 (ID3v1, ID3v2
     * Latin-1 frames, RIFF INFO), e.g. "windows-1251" or "shift_jis"; empty: Latin-1 (see library/tag-text.ts).
     */
    legacyEncoding: z.string().refine((label) => label === '' || isDecodableEncoding(label), {
      message: 'expected empty or an encoding name such as "windows-1251", "shift_jis", "gbk" or "euc-kr"',
    }),
    /**
     * The removal guard: a scan that would remove more than this share of a library's tracks removes only
     * files whose folder is still there (a fraction; 1 turns the guard off). Also the share of known files
     * that may be absent when a library turns up on another device.
     */
    maxRemovalShare: z
      .number({ error: 'expected a fraction from 0 to 1, e.g. 0.25 (1 turns the removal guard off)' })
      .min(0, 'expected a fraction from 0 to 1, e.g. 0.25 (1 turns the removal guard off)')
      .max(1, 'expected a fraction from 0 to 1, e.g. 0.25 (1 turns the removal guard off)'),
    /** How often `serve` looks whether an offline library (an unmounted share) is back. */
    offlineCheckIntervalMs: z
      .number({ error: 'expected a number of milliseconds from 100 to 3600000' })
      .int('expected a number of milliseconds from 100 to 3600000')
      .min(100, 'expected at least 100 (ms)')
      .max(3_600_000, 'expected at most 3600000 (ms), one hour'),
  }),
  transcoding: z.strictObject({
    cacheSize: sizeSchema,
    /** The ffmpeg executable (a name on PATH or a full path). */
    ffmpeg: z.string().trim().min(1, 'expected the ffmpeg executable, e.g. ffmpeg or /usr/bin/ffmpeg'),
    /** Transcodes running at once, over all users; beyond it a request gets 429 with Retry-After. */
    maxConcurrent: z.number().int().min(1, 'expected at least 1').max(256),
    /** Transcodes one user may run at once (clients prefetch the next songs). */
    maxPerUser: z.number().int().min(1, 'expected at least 1').max(256),
    /** The format a lossless file becomes when a bitrate limit forces a transcode and no format was asked. */
    defaultFormat: z.string().trim().min(1),
  }),
  artwork: z.strictObject({
    /** Resized cover images kept on disk (data/cache/artwork). */
    cacheSize: sizeSchema,
  }),
  storage: z.strictObject({
    /** Below this much free space in the data folder, /health says degraded (before writes start failing). */
    minFreeSpace: sizeSchema,
  }),
  http: z
    .strictObject({
      /**
       * Reverse proxies (IP addresses or networks, IPv4 and IPv6) whose X-Forwarded-For is believed;
       * from any other peer the header is ignored.
       */
      trustedProxies: z.array(
        z.string().refine((value) => parseProxyEntry(value) !== undefined, {
          message: 'expected an IP address or a network such as 172.16.0.0/12 or fd00::/8',
        }),
      ),
      /** The address people use to reach Tonearm (share links); empty = only the server's own names. */
      publicUrl: publicUrlSchema,
      /** The request line and headers must arrive within this (slow-loris clients are dropped). */
      headersTimeout: durationSchema(100, 600_000, '20s'),
      /** The whole request, headers and body, must arrive within this. */
      requestTimeout: durationSchema(100, 3_600_000, '60s'),
      /** An idle keep-alive connection is closed after this. */
      keepAliveTimeout: durationSchema(100, 600_000, '30s'),
      /** A response the client accepts no byte of for this long is cut off and its files closed. */
      stallTimeout: durationSchema(100, 3_600_000, '60s'),
      /** Open connections from one address (IPv6: one /64); trusted proxies are exempt. 0 = no limit. */
      maxConnectionsPerAddress: z.number().int().min(0).max(100_000),
      /** Open connections in all; beyond it new connections are closed at once. 0 = no limit. */
      maxConnections: z.number().int().min(0).max(1_000_000),
      /**
       * Web origins allowed to call the APIs from a browser (CORS), e.g. https://app.example.org; "*" for
       * any. Empty (the default): no cross-origin access.
       */
      corsOrigins: z.array(
        z.string().refine((value) => value === '*' || /^https?:\/\/[^/\s]+$/.test(value), {
          message: 'expected "*" or an origin such as https://app.example.org (scheme and host, no path)',
        }),
      ),
      /**
       * Memory for whole answers of read-only requests, kept until the database changes (src/http/
       * answer-cache.ts); "0" keeps none.
       */
      answerCache: sizeSchema,
    })
    .refine((http) => http.headersTimeout <= http.requestTimeout, {
      message: 'headersTimeout must not be longer than requestTimeout',
      path: ['headersTimeout'],
    }),
  auth: z.strictObject({
    /** How long an access token (JWT) is valid; clients refresh it with their refresh token. */
    accessTokenTtl: durationSchema(10_000, 86_400_000, '15m'),
    /** A session not refreshed for this long ends (its refresh token expires). */
    sessionIdleTimeout: durationSchema(60_000, 3650 * 86_400_000, '30d'),
    /** No session lasts longer than this after its login, however often it is refreshed. */
    sessionMaxAge: durationSchema(60_000, 3650 * 86_400_000, '365d'),
    /** Audit log entries older than this are deleted (checked hourly). */
    auditRetention: durationSchema(86_400_000, 36500 * 86_400_000, '400d'),
    /**
     * Reverse-proxy login (Authelia, Authentik forward auth…): the header that names the user, e.g.
     * Remote-User. Empty (the default): off. Believed only from `proxyHeaderNetworks`.
     */
    proxyHeader: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9-]*$/, 'expected a header name such as Remote-User'),
    /** Peers (the proxy's own address, not the forwarded one) whose `proxyHeader` is believed. */
    proxyHeaderNetworks: z.array(
      z.string().refine((value) => parseProxyEntry(value) !== undefined, {
        message: 'expected an IP address or a network such as 172.16.0.0/12 or fd00::/8',
      }),
    ),
    /** Create a user the proxy names who does not exist yet (off: such requests get 401). */
    proxyHeaderCreateUsers: z.boolean(),
    oidc: z
      .strictObject({
        /** The provider's issuer URL (discovery at <issuer>/.well-known/openid-configuration); empty: off. */
        issuer: issuerSchema,
        clientId: z.string().trim(),
        clientSecret: z.string(),
        /** The button's text on the login page. */
        displayName: z.string().trim().min(1),
        scopes: z.array(z.string().min(1)).min(1),
        /** The claim a new user's name is made from (cleaned up; `sub` when absent or nothing is left). */
        usernameClaim: z.string().min(1),
        /**
         * A claim (a string or a list, e.g. groups; a dotted path such as realm_access.roles reaches inside)
         * that decides admin rights at every login. Empty: the provider has no say, and new users are not admins.
         */
        adminClaim: z.string().trim(),
        /** Values of `adminClaim` that make a user an admin (e.g. tonearm-admins). */
        adminValues: z.array(z.string()),
        /** Create users at their first login (off: only identities linked with GET /auth/oidc/link). */
        createUsers: z.boolean(),
      })
      .refine((oidc) => oidc.issuer === '' || oidc.clientId !== '', {
        message: 'set the client id registered at the provider (OIDC is on because issuer is set)',
        path: ['clientId'],
      })
      .refine((oidc) => oidc.scopes.includes('openid'), {
        message: 'the scopes must include openid',
        path: ['scopes'],
      }),
  }),
});

export type Config = z.output<typeof configSchema>;
export type AuthConfig = Config['auth'];
export type OidcConfig = Config['auth']['oidc'];
export type ConfigInput = z.input<typeof configSchema>;
export type LibraryConfig = Config['music'][number];

export function defaultConfig(): ConfigInput {
  return {
    music: [],
    dataDir: './data',
    host: '0.0.0.0',
    port: 4040,
    basePath: '',
    logLevel: 'info',
    logFormat: 'auto',
    readWorkers: 'auto',
    scanner: {
      scanOnStart: true,
      watch: true,
      watchPolling: false,
      watchPollingIntervalMs: 5000,
      watchDebounceMs: 1500,
      schedule: '24h',
      workers: 0,
      artistSeparators: DEFAULT_ARTIST_SEPARATORS,
      genreSeparators: [';', '/', ','],
      coverArtPriority: DEFAULT_COVER_ART_PRIORITY,
      artistImageNames: ['artist.*'],
      ignoredArticles: DEFAULT_IGNORED_ARTICLES,
      followSymlinks: true,
      legacyEncoding: '',
      maxRemovalShare: 0.25,
      offlineCheckIntervalMs: 60_000,
    },
    transcoding: {
      cacheSize: '1GB',
      ffmpeg: 'ffmpeg',
      maxConcurrent: 8,
      maxPerUser: 4,
      defaultFormat: 'mp3',
    },
    artwork: { cacheSize: '200MB' },
    storage: { minFreeSpace: '100MB' },
    http: {
      trustedProxies: [],
      publicUrl: '',
      headersTimeout: '20s',
      requestTimeout: '60s',
      keepAliveTimeout: '30s',
      stallTimeout: '60s',
      maxConnectionsPerAddress: 64,
      maxConnections: 512,
      corsOrigins: [],
      answerCache: '32MB',
    },
    auth: {
      accessTokenTtl: '15m',
      sessionIdleTimeout: '30d',
      sessionMaxAge: '365d',
      auditRetention: '400d',
      proxyHeader: '',
      proxyHeaderNetworks: [],
      proxyHeaderCreateUsers: false,
      oidc: {
        issuer: '',
        clientId: '',
        clientSecret: '',
        displayName: 'Single sign-on',
        scopes: ['openid', 'profile', 'email'],
        usernameClaim: 'preferred_username',
        adminClaim: '',
        adminValues: [],
        createUsers: true,
      },
    },
  };
}

/** Keys whose values `config print` hides. */
export const SECRET_KEYS: ReadonlySet<string> = new Set<string>(['auth.oidc.clientSecret']);

/** Worker threads for tag reading when scanner.workers is 0: one per core, at most 4. */
export function automaticWorkerCount(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}
