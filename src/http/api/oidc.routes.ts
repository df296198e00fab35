// Login through the OIDC provider (auth.oidc in the config): the browser goes to /auth/oidc/login, on to
// the provider, back to /auth/oidc/callback, and from there, signed in with the session cookies, to where it
// started. The flow and who signs in are decided in accounts/oidc.ts; this file handles the browser: the
// redirects, the cookie binding a login to its browser, the session cookies, and the audit log.
//
// The binding cookie is SameSite=Lax: the provider's redirect back to the callback is a cross-site
// navigation, on which a Strict cookie is not sent. It holds only a random value, scoped to these routes.
import { z } from 'zod';
import { recordAudit } from '../../accounts/audit.ts';
import {
  linkIdentity,
  OIDC_PENDING_SECONDS,
  type OidcClient,
  type OidcIdentity,
  type OidcOutcome,
  signInWithOidc,
} from '../../accounts/oidc.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { AppContext } from '../context.ts';
import { absoluteUrlOf } from '../public-url.ts';
import type { Services } from '../services.ts';
import { API_PREFIX, type AnyRoute, route } from './route.ts';
import { cookieLine, readCookie, setSessionCookies } from './session-cookies.ts';

/** Where the login page's OIDC button points (below the base path). */
export const OIDC_LOGIN_PATH = `${API_PREFIX}/auth/oidc/login`;
const CALLBACK_PATH = `${API_PREFIX}/auth/oidc/callback`;
const BINDING_COOKIE = 'tonearm_oidc';
const RECENT_SIGN_IN_MS = 10 * 60_000;

const returnToSchema = z
  .string()
  .max(2000)
  .optional()
  .describe('A path on this server (under the base path) to go back to afterwards; default the base path.');

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
      query: z.object({ returnTo: returnToSchema }),
      status: 302,
      errors: [404, 503],
      async handle({ ctx, services, query }) {
        await startAtProvider(ctx, services, configured(oidc), query.returnTo);
      },
    }),

    route({
      method: 'get',
      path: '/auth/oidc/link',
      tag: 'Sessions',
      summary: 'Link an identity at the OIDC provider to the signed-in account: redirects (302) there',
      description:
        'For an existing account (accounts are never matched by name). Open it in the browser within 10 minutes of signing in (cookie session; 403 otherwise); after the provider, the callback links the identity and redirects to `returnTo`. From then on, signing in at the provider logs in to this account. 409 OIDC_IDENTITY_LINKED when that identity belongs to another account.',
      access: 'user',
      query: z.object({ returnTo: returnToSchema }),
      status: 302,
      errors: [403, 404, 409, 503],
      async handle({ ctx, services, caller, user, query }) {
        const client = configured(oidc);
        // A link outlives sessions and password changes: only someone who has just signed in, in this
        // browser, may add one (not an API key, not a stolen session cookie of last week).
        const session =
          caller.via === 'cookie-session' && caller.sessionId
            ? services.sessions.find(caller.sessionId)
            : undefined;
        if (!session || Date.now() - session.createdAt > RECENT_SIGN_IN_MS)
          throw new TonearmError(
            'FORBIDDEN',
            'linking an identity needs a sign-in of the last 10 minutes in this browser: sign in again, then link',
          );
        await startAtProvider(ctx, services, client, query.returnTo, user.id);
      },
    }),

    route({
      method: 'get',
      path: '/auth/oidc/callback',
      tag: 'Sessions',
      summary:
        'Where the OIDC provider sends the browser back: signs in (or links) and redirects (302) to returnTo',
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
      errors: [403, 404, 409, 503],
      async handle({ ctx, services }) {
        const client = configured(oidc);
        let outcome: OidcOutcome;
        try {
          outcome = await client.finish(
            new URLSearchParams(ctx.querystring),
            readCookie(ctx, BINDING_COOKIE),
          );
        } catch (error) {
          loginFailed(services, ctx.ip, error);
          throw error;
        }
        if (outcome.linkUserId) finishLink(ctx, services, outcome.linkUserId, outcome.identity);
        else await finishLogin(ctx, services, client, outcome.identity);
        ctx.redirect(outcome.returnTo);
      },
    }),
  ];
}

async function startAtProvider(
  ctx: AppContext,
  services: Services,
  client: OidcClient,
  returnTo: string | undefined,
  linkUserId?: string,
): Promise<void> {
  const { url, binding } = await client.start(
    redirectUri(ctx, services),
    returnPath(returnTo, services.config.basePath),
    readCookie(ctx, BINDING_COOKIE),
    linkUserId,
  );
  setBindingCookie(ctx, services.config.basePath, binding, OIDC_PENDING_SECONDS);
  ctx.redirect(url);
}

/** The user of the identity (found, or created), with the admin mapping applied, gets a session. */
async function finishLogin(
  ctx: AppContext,
  services: Services,
  client: OidcClient,
  identity: OidcIdentity,
): Promise<void> {
  const address = ctx.ip;
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
  setSessionCookies(ctx, services.config.basePath, tokens, services.sessions.csrfToken(tokens.sessionId));
}

/** Links the identity to the account that asked (their session goes on as it was). */
function finishLink(ctx: AppContext, services: Services, userId: string, identity: OidcIdentity): void {
  const { user, result } = linkIdentity(services.db, userId, identity);
  if (result === 'already') return;
  recordAudit(services.db, {
    event: 'oidc.linked',
    user: { id: user.id, username: user.username },
    address: ctx.ip,
    detail: { issuer: identity.issuer, subject: identity.subject },
  });
  ctx.state.log.info({ user: user.username }, 'OIDC identity linked to an existing account');
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
  ctx.append(
    'Set-Cookie',
    cookieLine(ctx, BINDING_COOKIE, value, {
      path: `${basePath}${API_PREFIX}/auth/oidc`,
      httpOnly: true,
      maxAgeSeconds,
      sameSite: 'Lax',
    }),
  );
}

function loginFailed(services: Services, address: string, error: unknown, subject?: string): void {
  const reason = error instanceof TonearmError ? error.code : 'error';
  // A callback with a stale or forged state is anyone's to send and says nothing about an account: the log
  // line is enough, and the audit log cannot be filled by replaying it.
  if (reason === 'OIDC_STATE_INVALID') return;
  recordAudit(services.db, {
    event: 'login.failed',
    outcome: 'failure',
    user: { id: null, username: '' },
    address,
    detail: { method: 'oidc', reason, ...(subject ? { subject } : {}) },
  });
}
