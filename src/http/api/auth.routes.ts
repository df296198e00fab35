// Sessions over the native API: login (password, then the second factor when the account has one),
// rotating refresh, logout, who am I, one's sessions, first-run setup, and what the login page needs to
// know about the server. The rules live in src/accounts (sessions.ts, first-admin.ts, totp.ts); this file
// sets the browser's cookies (session-cookies.ts) and applies the login throttle shared with Subsonic.
import { recordAudit } from '../../accounts/audit.ts';
import type { CredentialVerifier } from '../../accounts/credential-cache.ts';
import { claimServer, isUnclaimed } from '../../accounts/first-admin.ts';
import { dataDirOf } from '../../accounts/secret-key.ts';
import type { IssuedTokens, SessionInfo } from '../../accounts/sessions.ts';
import { hasSecondFactor, verifySecondFactor } from '../../accounts/totp.ts';
import { findUserRowById } from '../../accounts/users.repository.ts';
import { PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH, type User } from '../../accounts/users.service.ts';
import { viewerFor, visibleLibraries } from '../../catalog/access.ts';
import { TonearmError } from '../../shared/errors.ts';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { assertPasswordAttemptAllowed, type LoginThrottle } from '../login-throttle.ts';
import type { Services } from '../services.ts';
import { SERVER_VERSION } from '../version.ts';
import { csrfSubject } from './auth.ts';
import { auditRequest } from './audit-request.ts';
import type { Caller } from './caller.ts';
import { type AnyRoute, route } from './route.ts';
import { idParams, isoOrNull, page } from './schemas.ts';
import {
  ACCESS_COOKIE,
  CSRF_HEADER,
  clearSessionCookies,
  REFRESH_COOKIE,
  readCookie,
  setSessionCookies,
} from './session-cookies.ts';

export interface AuthRouteDeps {
  verifier: CredentialVerifier;
  throttle: LoginThrottle;
  /** Where the OIDC login starts, when OIDC is configured. */
  oidc?: { displayName: string; loginPath: string };
  proxyHeader: boolean;
}

const rolesSchema = z
  .object({
    admin: z.boolean(),
    settings: z.boolean(),
    stream: z.boolean(),
    jukebox: z.boolean(),
    download: z.boolean(),
    upload: z.boolean(),
    playlist: z.boolean(),
    coverArt: z.boolean(),
    comment: z.boolean(),
    podcast: z.boolean(),
    share: z.boolean(),
    videoConversion: z.boolean(),
  })
  .meta({ id: 'Roles', description: 'What the user may do (an admin has every role).' });

export const meSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string(),
    admin: z.boolean(),
    roles: rolesSchema,
    libraries: z.array(z.object({ id: z.number().int(), name: z.string() })),
    maxBitRate: z.number().int().describe('Kbit/s cap for streaming; 0 = none.'),
    scrobblingEnabled: z.boolean(),
    twoFactor: z.boolean().describe('Whether logins need a TOTP code.'),
    createdAt: z.string(),
    authenticatedBy: z.enum([
      'bearer-session',
      'cookie-session',
      'api-key',
      'basic',
      'signed-url',
      'proxy-header',
    ]),
    sessionId: z.string().nullable(),
    csrfToken: z
      .string()
      .nullable()
      .describe(
        `For credentials the browser sends by itself (the session cookie, proxy login): send it as ${CSRF_HEADER} on writes.`,
      ),
  })
  .meta({ id: 'Me', description: 'The signed-in user.' });

const tokensSchema = z
  .object({
    accessToken: z.string().describe('Send as `Authorization: Bearer <accessToken>`.'),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().describe('Seconds until the access token expires.'),
    refreshToken: z.string().describe('One use only: POST it to /auth/refresh for a new pair.'),
    refreshExpiresAt: z.string(),
    sessionId: z.string(),
    csrfToken: z.string().describe(`For cookie-authenticated writes: send it as ${CSRF_HEADER}.`),
    user: meSchema,
  })
  .meta({ id: 'Tokens' });

const sessionSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    method: z.string().describe('How it was opened: password, oidc, setup.'),
    device: z.string(),
    address: z.string(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    expiresAt: z.string(),
    current: z.boolean().describe('The session this request was made with.'),
  })
  .meta({ id: 'Session' });

const credentialsBody = z.object({
  username: z.string().min(1).max(USERNAME_MAX_LENGTH),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});

const refreshBody = z.object({ refreshToken: z.string().min(1).max(200).optional() }).optional();

export function meJson(services: Services, user: User, caller: Pick<Caller, 'via' | 'sessionId'>) {
  const subject = csrfSubject({ ...caller, user });
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    admin: user.isAdmin,
    roles: user.roles,
    libraries: visibleLibraries(services.db, viewerFor(services.catalog, user)),
    maxBitRate: user.maxBitRate,
    scrobblingEnabled: user.scrobblingEnabled,
    twoFactor: hasSecondFactor(user),
    createdAt: new Date(user.createdAt).toISOString(),
    authenticatedBy: caller.via,
    sessionId: caller.sessionId ?? null,
    csrfToken: subject === undefined ? null : services.sessions.csrfToken(subject),
  };
}

function sessionJson(session: SessionInfo, currentId: string | undefined) {
  return {
    id: session.id,
    username: session.username,
    method: session.method,
    device: session.device,
    address: session.address,
    createdAt: isoOrNull(session.createdAt)!,
    lastSeenAt: isoOrNull(session.lastSeenAt)!,
    expiresAt: isoOrNull(session.expiresAt)!,
    current: session.id === currentId,
  };
}

function originOf(ctx: AppContext, device?: string) {
  return { device: device || ctx.get('User-Agent') || 'unknown', address: ctx.ip };
}

/** Answers a new or refreshed session: the tokens in the body, and as cookies for the browser. */
function tokensAnswer(ctx: AppContext, services: Services, tokens: IssuedTokens) {
  const csrfToken = services.sessions.csrfToken(tokens.sessionId);
  setSessionCookies(ctx, services.config.basePath, tokens, csrfToken);
  return {
    accessToken: tokens.accessToken,
    tokenType: 'Bearer' as const,
    expiresIn: tokens.expiresIn,
    refreshToken: tokens.refreshToken,
    refreshExpiresAt: new Date(tokens.refreshExpiresAt).toISOString(),
    sessionId: tokens.sessionId,
    csrfToken,
    user: meJson(services, tokens.user, { via: 'bearer-session', sessionId: tokens.sessionId }),
  };
}

type LoginOutcome =
  | { kind: 'ok'; user: User; secondFactor: 'none' | 'totp' | 'recovery-code' }
  | { kind: 'wrong-password' }
  | { kind: 'needs-code' }
  | { kind: 'wrong-code'; user: User };

/**
 * Password and second factor under the login throttle. A right password does not clear the account's
 * failures until the second factor is right too: otherwise every login with the known password would
 * reset the count and the six digits could be guessed without end.
 */
async function checkLogin(
  deps: AuthRouteDeps,
  services: Services,
  address: string,
  body: { username: string; password: string; totp?: string | undefined },
): Promise<LoginOutcome> {
  const { throttle, verifier } = deps;
  return throttle.inTurn(address, body.username, async (): Promise<LoginOutcome> => {
    assertPasswordAttemptAllowed(throttle, address, body.username);
    const user = await verifier.verify(body.username, body.password);
    if (!user) {
      throttle.passwordFailed(address, body.username);
      return { kind: 'wrong-password' };
    }
    let secondFactor: 'none' | 'totp' | 'recovery-code' = 'none';
    if (hasSecondFactor(user)) {
      if (!body.totp) return { kind: 'needs-code' };
      const result = verifySecondFactor(services.db, user, body.totp, Date.now(), address);
      if (result === 'wrong') {
        throttle.passwordFailed(address, body.username);
        return { kind: 'wrong-code', user };
      }
      secondFactor = result === 'recovery-used' ? 'recovery-code' : 'totp';
    }
    throttle.passwordSucceeded(address, body.username);
    return { kind: 'ok', user, secondFactor };
  });
}

export function authRoutes(deps: AuthRouteDeps): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/server',
      tag: 'Sessions',
      summary: 'What the login page needs: the version, whether setup is needed, the login methods',
      access: 'none',
      response: z
        .object({
          name: z.literal('Tonearm'),
          version: z.string(),
          setupRequired: z.boolean().describe('True until the first admin is created (POST /setup).'),
          login: z.object({
            password: z.boolean(),
            oidc: z.object({ displayName: z.string(), loginUrl: z.string() }).nullable(),
            proxyHeader: z.boolean(),
          }),
        })
        .meta({ id: 'ServerInfo' }),
      handle: ({ services }) => ({
        name: 'Tonearm' as const,
        version: SERVER_VERSION,
        setupRequired: isUnclaimed(services.db, dataDirOf(services.db)),
        login: {
          password: true,
          oidc: deps.oidc
            ? { displayName: deps.oidc.displayName, loginUrl: services.config.basePath + deps.oidc.loginPath }
            : null,
          proxyHeader: deps.proxyHeader,
        },
      }),
    }),

    route({
      method: 'post',
      path: '/setup',
      tag: 'Sessions',
      summary: 'Create the first administrator of a new server (then 409 for ever) and log in as them',
      description:
        'Allowed while no account exists, or only the generated "admin" whose password file (initial-admin-password.txt) was never used; that account is replaced.',
      access: 'none',
      body: credentialsBody.extend({ device: z.string().max(200).optional() }),
      response: tokensSchema,
      status: 201,
      errors: [409],
      async handle({ ctx, services, body }) {
        const user = await claimServer(services.db, dataDirOf(services.db), body);
        recordAudit(services.db, {
          event: 'setup',
          user: { id: user.id, username: user.username },
          address: ctx.ip,
        });
        ctx.state.log.info({ user: user.username }, 'first administrator created through setup');
        const tokens = await services.sessions.open(user, 'setup', originOf(ctx, body.device));
        return tokensAnswer(ctx, services, tokens);
      },
    }),

    route({
      method: 'post',
      path: '/auth/login',
      tag: 'Sessions',
      summary: 'Log in with a password (and a TOTP or recovery code once two-factor login is on)',
      description:
        'Answers the tokens and sets them as httpOnly SameSite=Strict cookies. 401 SECOND_FACTOR_REQUIRED asks for `totp`; failures count towards the login throttle shared with the Subsonic API (429 with Retry-After).',
      access: 'none',
      body: credentialsBody.extend({
        totp: z
          .string()
          .max(64)
          .optional()
          .describe('The 6-digit code of the authenticator app, or a recovery code.'),
        device: z.string().max(200).optional().describe('A name for the session list (default: User-Agent).'),
      }),
      response: tokensSchema,
      errors: [429],
      async handle({ ctx, services, body }) {
        const address = ctx.ip;
        let outcome: LoginOutcome;
        try {
          outcome = await checkLogin(deps, services, address, body);
        } catch (error) {
          // Refused before any check (throttled): logged, not audited — it costs the sender nothing, so
          // an audit row per attempt would let anyone fill the disk. The failures that led here are audited.
          ctx.state.log.warn({ ip: address, user: body.username, reason: 'throttled' }, 'api login failed');
          throw error;
        }
        if (outcome.kind === 'needs-code')
          throw new TonearmError(
            'SECOND_FACTOR_REQUIRED',
            'send the code from your authenticator app as totp',
          );
        if (outcome.kind !== 'ok') {
          const reason = outcome.kind === 'wrong-code' ? 'wrong second factor' : 'wrong password';
          ctx.state.log.warn({ ip: address, user: body.username, reason }, 'api login failed');
          recordAudit(services.db, {
            event: 'login.failed',
            outcome: 'failure',
            user:
              outcome.kind === 'wrong-code'
                ? { id: outcome.user.id, username: outcome.user.username }
                : { id: null, username: body.username },
            address,
            detail: { reason },
          });
          if (outcome.kind === 'wrong-code')
            throw new TonearmError('SECOND_FACTOR_WRONG', 'the two-factor code is wrong or was already used');
          throw new TonearmError('WRONG_CREDENTIALS', 'wrong username or password');
        }
        const tokens = await services.sessions.open(outcome.user, 'password', originOf(ctx, body.device));
        recordAudit(services.db, {
          event: 'login',
          user: { id: outcome.user.id, username: outcome.user.username },
          address,
          detail: { method: 'password', secondFactor: outcome.secondFactor, session: tokens.sessionId },
        });
        return tokensAnswer(ctx, services, tokens);
      },
    }),

    route({
      method: 'post',
      path: '/auth/refresh',
      tag: 'Sessions',
      summary: 'Trade a refresh token (body or cookie) for a new access and refresh token',
      description: `Each refresh token works once. Presenting one that was already used ends its whole session (401 REFRESH_TOKEN_REUSED). With the cookie, send ${CSRF_HEADER}.`,
      access: 'none',
      body: refreshBody,
      response: tokensSchema,
      async handle({ ctx, services, body }) {
        let token = body?.refreshToken;
        if (!token) {
          token = readCookie(ctx, REFRESH_COOKIE);
          if (!token) throw new TonearmError('SESSION_ENDED', 'no refresh token: log in again');
          const session = services.sessions.sessionOfRefreshToken(token);
          const csrf = ctx.get(CSRF_HEADER);
          if (session && !(csrf && services.sessions.isCsrfToken(session.id, csrf)))
            throw new TonearmError('CSRF_REFUSED', `a refresh with the cookie must send ${CSRF_HEADER}`);
        }
        try {
          return tokensAnswer(ctx, services, await services.sessions.refresh(token, originOf(ctx)));
        } catch (error) {
          clearSessionCookies(ctx, services.config.basePath);
          const reused = (error as { session?: { id: string; user_id: string } }).session;
          if (reused) {
            const row = findUserRowById(services.db, reused.user_id);
            ctx.state.log.warn({ ip: ctx.ip, session: reused.id }, 'refresh token reused: session revoked');
            recordAudit(services.db, {
              event: 'session.reuse-detected',
              outcome: 'failure',
              user: row ? { id: row.id, username: row.username } : undefined,
              address: ctx.ip,
              detail: { session: reused.id },
            });
          }
          throw error;
        }
      },
    }),

    route({
      method: 'post',
      path: '/auth/logout',
      tag: 'Sessions',
      summary:
        'End the session of this access token or refresh token (body or cookie), and clear the cookies',
      access: 'none',
      body: refreshBody,
      async handle({ ctx, services, body }) {
        const sessionId = await sessionToEnd(ctx, services, body?.refreshToken);
        // Ended by the cookie alone: only the web app, which can read the CSRF token, may do that.
        const byCookie = !ctx.get('Authorization') && !body?.refreshToken;
        if (sessionId && byCookie) {
          const csrf = ctx.get(CSRF_HEADER);
          if (!(csrf && services.sessions.isCsrfToken(sessionId, csrf)))
            throw new TonearmError('CSRF_REFUSED', `a logout with the cookie must send ${CSRF_HEADER}`);
        }
        clearSessionCookies(ctx, services.config.basePath);
        if (!sessionId) return;
        const session = services.sessions.find(sessionId);
        if (services.sessions.revoke(sessionId, 'logged out') && session)
          recordAudit(services.db, {
            event: 'logout',
            user: { id: session.userId, username: session.username },
            address: ctx.ip,
            detail: { session: sessionId },
          });
      },
    }),

    route({
      method: 'get',
      path: '/me',
      tag: 'Sessions',
      summary: 'The signed-in user: roles, libraries, two-factor state, how this request was authenticated',
      access: 'user',
      response: meSchema,
      handle: ({ services, user, caller }) => meJson(services, user, caller),
    }),

    route({
      method: 'get',
      path: '/me/sessions',
      tag: 'Sessions',
      summary: "The caller's live sessions (device, address, last seen), most recent first",
      access: 'user',
      response: page(sessionSchema),
      handle: ({ services, user, caller }) => ({
        items: services.sessions.list(user.id).map((session) => sessionJson(session, caller.sessionId)),
        nextCursor: null,
      }),
    }),

    route({
      method: 'delete',
      path: '/me/sessions/:id',
      tag: 'Sessions',
      summary: 'End one of the caller’s sessions (another user’s session id is 404)',
      access: 'user',
      params: idParams,
      errors: [404],
      handle({ ctx, services, user, params }) {
        if (!services.sessions.revoke(params.id, 'revoked by its user', user.id))
          throw new TonearmError('NOT_FOUND', `no live session ${params.id}`);
        auditRequest(ctx, services.db, user, 'session.revoked', user, { detail: { session: params.id } });
      },
    }),

    route({
      method: 'delete',
      path: '/me/sessions',
      tag: 'Sessions',
      summary: 'End all the caller’s sessions but the current one (“log out everywhere else”)',
      access: 'user',
      response: z.object({ ended: z.number().int() }),
      handle({ ctx, services, user, caller }) {
        const ended = services.sessions.revokeAllOf(user.id, 'revoked by its user', caller.sessionId);
        auditRequest(ctx, services.db, user, 'session.revoked', user, {
          detail: { allBut: caller.sessionId ?? null, ended },
        });
        return { ended };
      },
    }),

    route({
      method: 'get',
      path: '/admin/sessions',
      tag: 'Sessions',
      summary: "Every user's live sessions (admins)",
      access: 'admin',
      query: z.object({ user: z.string().max(USERNAME_MAX_LENGTH).optional() }),
      response: page(sessionSchema),
      handle: ({ services, caller, query }) => ({
        items: services.sessions
          .list()
          .filter((session) => !query.user || session.username.toLowerCase() === query.user.toLowerCase())
          .map((session) => sessionJson(session, caller.sessionId)),
        nextCursor: null,
      }),
    }),

    route({
      method: 'delete',
      path: '/admin/sessions/:id',
      tag: 'Sessions',
      summary: 'End any session (admins)',
      access: 'admin',
      params: idParams,
      errors: [404],
      handle({ ctx, services, user, params }) {
        const session = services.sessions.find(params.id);
        if (!session || !services.sessions.revoke(params.id, `revoked by ${user.username}`))
          throw new TonearmError('NOT_FOUND', `no live session ${params.id}`);
        auditRequest(
          ctx,
          services.db,
          user,
          'session.revoked',
          { id: session.userId, username: session.username },
          { detail: { session: params.id } },
        );
      },
    }),
  ];
}

/** The session a logout ends: the access token's (header or cookie), else the refresh token's. */
async function sessionToEnd(
  ctx: AppContext,
  services: Services,
  refreshToken: string | undefined,
): Promise<string | undefined> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
  const access = bearer ?? readCookie(ctx, ACCESS_COOKIE);
  if (access) {
    try {
      return (await services.sessions.authenticate(access)).sessionId;
    } catch {
      // An expired access token: fall back to the refresh token.
    }
  }
  const token = refreshToken ?? readCookie(ctx, REFRESH_COOKIE);
  return token ? services.sessions.sessionOfRefreshToken(token)?.id : undefined;
}
