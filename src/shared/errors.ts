// One error catalogue: every error the server or CLI reports on purpose, with its HTTP status and the
// Subsonic error code it maps to. Anything else that is thrown is a bug and is reported as "internal".

export const errorCatalogue = {
  CONFIG_INVALID: { http: 500, subsonic: 0, summary: 'A configuration value is not valid' },
  CONFIG_FILE: { http: 500, subsonic: 0, summary: 'The configuration file cannot be read or parsed' },
  MUSIC_FOLDER: { http: 500, subsonic: 0, summary: 'A music folder is missing or unreadable' },
  DATA_FOLDER: { http: 500, subsonic: 0, summary: 'The data folder cannot be created or written' },
  DATABASE: { http: 500, subsonic: 0, summary: 'The database file cannot be opened or is not SQLite' },
  MIGRATION: { http: 500, subsonic: 0, summary: 'A schema migration failed' },
  SCAN_RUNNING: { http: 409, subsonic: 0, summary: 'A scan is already running' },
  NOT_FOUND: { http: 404, subsonic: 70, summary: 'The requested item does not exist' },
  FILE_MISSING: { http: 404, subsonic: 70, summary: 'The file of this item is missing from its library' },
  LIBRARY_OFFLINE: {
    http: 503,
    subsonic: 0,
    summary: 'The library of this item is offline (its folder is unmounted or unavailable)',
  },
  BAD_REQUEST: { http: 400, subsonic: 0, summary: 'A parameter has a wrong value' },
  MISSING_PARAMETER: { http: 400, subsonic: 10, summary: 'A required parameter is missing' },
  WRONG_CREDENTIALS: { http: 401, subsonic: 40, summary: 'Wrong username or password' },
  TOKEN_AUTH_UNSUPPORTED: { http: 401, subsonic: 41, summary: 'Token authentication is not supported' },
  FORBIDDEN: { http: 403, subsonic: 50, summary: 'The user is not allowed to do this' },
  USER_EXISTS: { http: 409, subsonic: 0, summary: 'A user with that name already exists' },
  INVALID_INPUT: { http: 400, subsonic: 0, summary: 'The input is not valid' },
  LAST_ADMIN: { http: 409, subsonic: 0, summary: 'The last administrator cannot be removed' },
  UNKNOWN_ENDPOINT: { http: 404, subsonic: 0, summary: 'There is no such API endpoint' },
  AUTH_MECHANISM_UNSUPPORTED: {
    http: 401,
    subsonic: 42,
    summary: 'This authentication mechanism is not supported',
  },
  AUTH_CONFLICT: {
    http: 400,
    subsonic: 43,
    summary: 'Several conflicting authentication mechanisms were given',
  },
  LOGIN_THROTTLED: {
    http: 429,
    subsonic: 40,
    summary: 'Too many failed logins from this address; wait before trying again',
  },
  LISTEN: { http: 500, subsonic: 0, summary: 'The server cannot listen on the configured address' },
  INVALID_API_KEY: { http: 401, subsonic: 44, summary: 'The API key is not valid' },
  API_KEY_THROTTLED: {
    http: 429,
    subsonic: 44,
    summary: 'Too many invalid API keys from this address; wait before trying again',
  },
  TOO_MANY_CONNECTIONS: {
    http: 503,
    subsonic: 0,
    summary: 'Too many open connections from this address; close some and try again',
  },
  TRANSCODE_LIMIT: {
    http: 429,
    subsonic: 0,
    summary: 'Too many transcodes are running; try again shortly',
  },
  TRANSCODER_UNAVAILABLE: {
    http: 503,
    subsonic: 0,
    summary: 'ffmpeg is not installed or cannot be started, so this cannot be transcoded',
  },
  TRANSCODE_FAILED: { http: 500, subsonic: 0, summary: 'ffmpeg could not transcode this file' },
  STORAGE_FULL: { http: 503, subsonic: 0, summary: "The server's disk is full; nothing was saved" },
  STORAGE_READ_ONLY: {
    http: 503,
    subsonic: 0,
    summary: "The server's data folder is read-only; nothing was saved",
  },
  STORAGE_FAILED: {
    http: 503,
    subsonic: 0,
    summary: 'The server could not read or write its database; nothing was saved',
  },
  DATABASE_BUSY: {
    http: 503,
    subsonic: 0,
    summary: 'The database is locked by another program; try again shortly',
  },
  DATABASE_DAMAGED: {
    http: 503,
    subsonic: 0,
    summary: 'The database is damaged or was replaced while the server ran',
  },
  ACCESS_TOKEN_EXPIRED: {
    http: 401,
    subsonic: 40,
    summary: 'The access token has expired; get a new one with the refresh token',
  },
  SESSION_ENDED: {
    http: 401,
    subsonic: 40,
    summary: 'The session has ended (logged out, revoked, expired or its password changed); log in again',
  },
  REFRESH_TOKEN_REUSED: {
    http: 401,
    subsonic: 40,
    summary: 'This refresh token was already used; its session has been ended for safety',
  },
  SECOND_FACTOR_REQUIRED: {
    http: 401,
    subsonic: 40,
    summary: 'This account uses two-factor login: send the code from the authenticator app',
  },
  SECOND_FACTOR_WRONG: { http: 401, subsonic: 40, summary: 'The two-factor code is wrong or was already used' },
  SETUP_DONE: { http: 409, subsonic: 0, summary: 'The server already has its first administrator' },
  CSRF_REFUSED: {
    http: 403,
    subsonic: 0,
    summary: 'A write authenticated by the session cookie must carry the X-CSRF-Token header',
  },
  TOTP_STATE: {
    http: 409,
    subsonic: 0,
    summary: 'Two-factor login is not in the state this needs (already on, or not set up)',
  },
  WRONG_CONFIRMATION: {
    http: 403,
    subsonic: 0,
    summary: 'The password or two-factor code given to confirm this is wrong',
  },
  CONFIRMATION_THROTTLED: {
    http: 429,
    subsonic: 0,
    summary: 'Too many wrong confirmations for this account; wait before trying again',
  },
  TOO_MANY_EVENT_STREAMS: {
    http: 429,
    subsonic: 0,
    summary: 'Too many event streams are open for this user; close one and try again',
  },
  SHUTTING_DOWN: { http: 503, subsonic: 0, summary: 'The server is shutting down; try again shortly' },
  UPLOADS_NOT_CONFIGURED: {
    http: 409,
    subsonic: 0,
    summary: 'Uploads are not set up: an administrator must choose the upload library',
  },
  UPLOAD_FOLDER_UNWRITABLE: { http: 503, subsonic: 0, summary: 'The upload folder cannot be written' },
  UPLOAD_TOO_LARGE: { http: 413, subsonic: 0, summary: 'The file is larger than the upload limit' },
  UNSUPPORTED_MEDIA_TYPE: {
    http: 415,
    subsonic: 0,
    summary: 'The content is not of a type this server takes here',
  },
  OIDC_UNAVAILABLE: {
    http: 503,
    subsonic: 0,
    summary: 'The identity provider cannot be reached or answered wrongly; try again shortly',
  },
  OIDC_STATE_INVALID: {
    http: 400,
    subsonic: 0,
    summary: 'This sign-in was not started in this browser, has expired or is already finished',
  },
  OIDC_LOGIN_FAILED: {
    http: 401,
    subsonic: 40,
    summary: 'The identity provider did not confirm the sign-in',
  },
  OIDC_IDENTITY_LINKED: {
    http: 409,
    subsonic: 0,
    summary: 'This identity at the provider is already linked to another account',
  },
  OIDC_ACCOUNT_UNKNOWN: {
    http: 403,
    subsonic: 0,
    summary: 'No account here is linked to this identity, and new accounts are not created',
  },
  SECRET_KEY: {
    http: 500,
    subsonic: 0,
    summary: 'The secret key file in the data folder is missing, unreadable or too widely readable',
  },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class TonearmError extends Error {
  readonly code: ErrorCode;
  /** Set on "come back later" errors (busy, throttled logins): sent as Retry-After with HTTP 429. */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = 'TonearmError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  get httpStatus(): number {
    return errorCatalogue[this.code].http;
  }
  get subsonicCode(): number {
    return errorCatalogue[this.code].subsonic;
  }
}

export function isTonearmError(error: unknown): error is TonearmError {
  return error instanceof TonearmError;
}

/** The message of anything thrown, for logs and one-line CLI errors. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
