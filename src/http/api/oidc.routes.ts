// Login through the OIDC provider (auth.oidc in the config): the browser goes to /auth/oidc/login, on to
// the provider, back to /auth/oidc/callback, and from there, signed in with the session cookies, to where it
// started. The flow and who signs in are decided in accounts/oidc.ts; this file handles the browser: the
// redirects, the cookie binding a login to its browser, the session cookies, and the audit log.
//
// The binding cookie is SameSite=Lax: the provider's redirect back to the callback is a cross-site
// navigation, on which a Strict cookie is not sent. It holds only a random value, scoped to these routes.
import { z } from 'zod';
import { recordAudit } from '../../accounts/audit.ts';
import { OIDC_PENDING_SECONDS, type OidcClient, signInWithOidc } from '../../accounts/oidc.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { AppContext } from '../context.ts';
import { absoluteUrlOf } from '../public-url.ts';
import type { Services } from '../services.ts';
import { API_PREFIX, type AnyRoute, route } from './route.ts';
import { isHttps, readCookie, setSessionCookies } from './session-cookies.ts';

/** Where the login page's OIDC button points (below the base path). */
export const OIDC_LOGIN_PATH = `${API_PREFIX}/auth/oidc/login`;
const CALLBACK_PATH = `${API_PREFIX}/auth/oidc/callback`;
const BINDING_COOKIE = 'tonearm_oidc';

export function oidcRoutes(oidc: OidcClient | undefined): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/auth/oidc/login',
      tag: 'Sessions',
      summary: 'Start a login at the OIDC provider: redirects (302) the browser there',
      description:
        'Open it in the browser (a link or location change, not fetch). After the provider, the callback sets the session cookies and redirects to `returnTo`. 404 when OIDC is not configured; 503 while the provider cannot be reached.',
      access: 'none',
      query: z.object({
        returnTo: z
          .string()
          .max(2000)
          .optional()
          .describe('A path on this server (under the base path) to go back to; default the base path.'),
      }),
      status: 302,
      errors: [404, 503],
      async handle({ ctx, services, query }) {
        const client = configured(oidc);
        const returnTo = returnPath(query.returnTo, services.config.basePath);
        const { url, binding } = await client.start(
          redirectUri(ctx, services),
          returnTo,
          readCookie(ctx, BINDING_COOKIE),
        );
        setBindingCookie(ctx, services.config.basePath, binding, OIDC_PENDING_SECONDS);
        ctx.redirect(url);
      },
    }),

    route({
      method: 'get',
      path: '/auth/oidc/callback',
      tag: 'Sessions',
      summary: 'Where the OIDC provider sends the browser back: signs in and redirects (302) to returnTo',
      description:
        'Checks the state (once, within 10 minutes, in the browser that started the login), exchanges the code with the PKCE verifier, checks the ID token, finds or creates the user, applies the admin mapping, then sets the session cookies. The first sign-in of an identity creates a user (auth.oidc.createUsers); it never takes over an existing account of the same name.',
      access: 'none',
      query: z.object({
        code: z.string().optional(),
        state: z.string().optional(),
        error: z.string().optional(),
        error_description: z.string().optional(),
        iss: z.string().optional(),
      }),
      status: 302,
      errors: [403, 404, 503],
      async handle({ ctx, services }) {
        const client = configured(oidc);
        const address = ctx.ip;
        let identity: Awaited<ReturnType<OidcClient['finish']>>['identity'];
        let returnTo: string;
        try {
          ({ identity, returnTo } = await client.finish(
            new URLSearchParams(ctx.querystring),
            readCookie(ctx, BINDING_COOKIE),
          ));
        } catch (error) {
          loginFailed(services, address, error);
          throw error;
        }
        let signIn: Awaited<ReturnType<typeof signInWithOidc>>;
        try {
          signIn = await signInWithOidc(services.db, client.settings, identity);
        } catch (error) {
          loginFailed(services, address, error, identity.subject);
          throw error;
        }
        const { user, created, admin } = signIn;
        const subject = { id: user.id, username: user.username };
        if (created) {
          recordAudit(services.db, {
            event: 'oidc.user-created',
            user: subject,
            address,
            detail: { issuer: identity.issuer, subject: identity.subject },
          });
          ctx.state.log.info({ user: user.username }, 'user created at their first OIDC sign-in');
        }
        if (admin === 'granted' || admin === 'revoked')
          recordAudit(services.db, {
            event: 'roles.changed',
            user: subject,
            address,
            detail: { admin: admin === 'granted', via: 'oidc claim' },
          });
        if (admin === 'kept-last-admin')
          ctx.state.log.warn(
            { user: user.username },
            'the OIDC claims no longer make this user an admin, but they are the last admin and stay one',
          );
        const tokens = await services.sessions.open(user, 'oidc', {
          device: ctx.get('User-Agent') || 'unknown',
          address,
        });
        recordAudit(services.db, {
          event: 'oidc.login',
          user: subject,
          address,
          detail: { issuer: identity.issuer, session: tokens.sessionId, admin },
        });
        setSessionCookies(
          ctx,
          services.config.basePath,
          tokens,
          services.sessions.csrfToken(tokens.sessionId),
        );
        ctx.redirect(returnTo);
      },
    }),
  ];
}

function configured(oidc: OidcClient | undefined): OidcClient {
  if (!oidc)
    throw new TonearmError('NOT_FOUND', 'OIDC login is not configured on this server (auth.oidc.issuer)');
  return oidc;
}

/**
 * `returnTo` when it is a path on this server under the base path, else 400: a login link must not send
 * the browser elsewhere afterwards (`//evil.example`, `/\evil.example` and absolute URLs are refused).
 */
export function returnPath(returnTo: string | undefined, basePath: string): string {
  const home = `${basePath}/`;
  if (returnTo === undefined || returnTo === '') return home;
  const refused = new TonearmError(
    'INVALID_INPUT',
    `returnTo must be a path on this server, such as ${home}albums`,
  );
  // Browsers read a backslash as a slash, and strip tabs and newlines, before resolving a Location.
  if (!returnTo.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(returnTo)) throw refused;
  const base = 'http://tonearm.invalid';
  let url: URL;
  try {
    url = new URL(returnTo, base);
  } catch {
    throw refused;
  }
  const path = url.pathname + url.search;
  // "/a/..//evil.example" resolves to "//evil.example", which a browser reads as another host.
  if (url.origin !== base || path.startsWith('//')) throw refused;
  if (basePath && path !== basePath && !path.startsWith(home) && !path.startsWith(`${basePath}?`))
    throw refused;
  return path;
}

/** The callback's absolute URL, as the provider must have it registered. */
function redirectUri(ctx: AppContext, services: Services): string {
  const uri = absoluteUrlOf(ctx, services.config, CALLBACK_PATH);
  if (!uri)
    throw new TonearmError(
      'CONFIG_INVALID',
      'OIDC needs the address people reach this server at, for the redirect URI: set http.publicUrl (e.g. https://music.example.org)',
    );
  return uri;
}

function setBindingCookie(ctx: AppContext, basePath: string, value: string, maxAgeSeconds: number): void {
  const parts = [
    `${BINDING_COOKIE}=${value}`,
    `Path=${basePath}${API_PREFIX}/auth/oidc`,
    `Max-Age=${maxAgeSeconds}`,
    'SameSite=Lax',
    'HttpOnly',
  ];
  if (isHttps(ctx)) parts.push('Secure');
  ctx.append('Set-Cookie', parts.join('; '));
}

function loginFailed(services: Services, address: string, error: unknown, subject?: string): void {
  const reason = error instanceof TonearmError ? error.code : 'error';
  recordAudit(services.db, {
    event: 'login.failed',
    outcome: 'failure',
    user: { id: null, username: '' },
    address,
    detail: { method: 'oidc', reason, ...(subject ? { subject } : {}) },
  });
}
