// Who calls the native API, and how they proved it.
import type { User } from '../../accounts/users.service.ts';

export type CallerVia =
  /** A JWT access token sent as `Authorization: Bearer` (apps, scripts after /auth/login). */
  | 'bearer-session'
  /** A JWT access token in the httpOnly session cookie (the web app); writes need the CSRF header. */
  | 'cookie-session'
  /** `Authorization: Bearer tnrm_…` or `X-API-Key`. */
  | 'api-key'
  /** HTTP Basic with username and password (refused for users with two-factor login). */
  | 'basic'
  /** A signed media URL (src/streaming/signed-urls.ts). */
  | 'signed-url'
  /** A user name from a trusted reverse proxy's header (http.proxyAuth). */
  | 'proxy-header';

export interface Caller {
  user: User;
  via: CallerVia;
  /** The session of a session-authenticated caller. */
  sessionId?: string;
}
