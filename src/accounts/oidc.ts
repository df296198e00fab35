// Login through an OpenID Connect provider (Authelia, Authentik, Keycloak…): the authorization-code flow
// with PKCE (S256), a nonce and a state, done by openid-client. http/api/oidc.routes.ts sends the browser
// to the provider and takes it back; this file holds the flow and the rules of who the returning person is.
//
// Pending logins (state → PKCE verifier, nonce, where to go back) are kept in memory for ten minutes, and
// taken out on first use: a state works once, the verifier never leaves the server, and a restart only
// means clicking "sign in" again. Each is also bound to the browser that started it by a random value in a
// cookie (`binding`), so a callback URL made in another browser (login CSRF: someone gets you signed in as
// them) is refused. A signed cookie holding everything would survive restarts, but could be replayed until
// it expired and would hand the verifier to the browser.
//
// The provider's metadata is discovered at the first login, not at start-up (the server starts while the
// provider is down) and again at the next login after a failure.
//
// Who logs in: the identity is the provider's issuer and the `sub` claim, linked to one local user in
// user_identity. An identity seen for the first time gets a new user (createUsers), named from
// usernameClaim, with a random password nobody knows. It is never linked to an existing account of the same
// name: whoever controls a name at the provider (often the user themself, as preferred_username) would
// otherwise take over the local account with that name, admins included. A name already taken gets a
// suffix (alice-2).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import NodeCache from 'node-cache';
import type * as OpenIdClient from 'openid-client';
import { isLoopbackUrl, type OidcConfig } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { findIdentity, insertIdentity, touchIdentity } from './identities.repository.ts';
import { findUserRowById, findUserRowByName } from './users.repository.ts';
import {
  createUser,
  deleteUser,
  loadUser,
  USERNAME_MAX_LENGTH,
  type User,
  updateUser,
  validateEmail,
} from './users.service.ts';

// openid-client is loaded at the first sign-in (discovery), not at start: most servers have no OIDC.
let client: typeof OpenIdClient | undefined;

/** openid-client, once discovery (which loads it) has succeeded. */
function loadedClient(): typeof OpenIdClient {
  if (!client) throw new Error('openid-client is used before discovery loaded it');
  return client;
}

export const OIDC_PENDING_SECONDS = 600;
/** Pending logins kept at most (anyone may start one): beyond it, new ones wait for old ones to expire. */
const MAX_PENDING = 10_000;
const PROVIDER_TIMEOUT_SECONDS = 10;

interface PendingLogin {
  binding: string;
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
  returnTo: string;
  /** Set when a signed-in user links this identity to their account instead of logging in. */
  linkUserId: string | undefined;
}

/** How a login ends: where to go, and the user an identity is being linked to, if that is what it is. */
export interface OidcOutcome {
  identity: OidcIdentity;
  returnTo: string;
  linkUserId: string | undefined;
}

/** Who the provider says signed in: its issuer, the subject, and every claim it gave. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  claims: Readonly<Record<string, unknown>>;
}

export class OidcClient {
  readonly #settings: OidcConfig;
  readonly #logger: Logger;
  readonly #pending = new NodeCache({
    stdTTL: OIDC_PENDING_SECONDS,
    checkperiod: 60,
    useClones: false,
    maxKeys: MAX_PENDING,
  });
  #configuration: Promise<OpenIdClient.Configuration> | undefined;

  constructor(settings: OidcConfig, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
  }

  get settings(): OidcConfig {
    return this.#settings;
  }

  /**
   * Starts a login (or, with linkUserId, the linking of an identity to that signed-in user): the
   * provider's authorization URL to send the browser to. `binding` is the browser's value (from its
   * cookie, or a new one to set): the callback must come with the same.
   */
  async start(
    redirectUri: string,
    returnTo: string,
    binding: string | undefined,
    linkUserId?: string,
  ): Promise<{ url: string; binding: string }> {
    const configuration = await this.#discover();
    const client = loadedClient();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const browser = binding && /^[A-Za-z0-9_-]{43}$/.test(binding) ? binding : newBinding();
    const pending: PendingLogin = {
      binding: browser,
      codeVerifier,
      nonce,
      redirectUri,
      returnTo,
      linkUserId,
    };
    try {
      this.#pending.set(state, pending);
    } catch {
      const busy = 'too many sign-ins are in progress; try again in a few minutes';
      throw new TonearmError('OIDC_UNAVAILABLE', busy, { retryAfterSeconds: 60 });
    }
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: this.#settings.scopes.join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, binding: browser };
  }

  /**
   * Finishes a login from the callback's query: checks the state (known, unexpired, unused, this
   * browser's), exchanges the code (PKCE verifier) and checks the ID token (signature, issuer, audience,
   * nonce). Claims from the userinfo endpoint fill in what the ID token leaves out.
   */
  async finish(callback: URLSearchParams, binding: string | undefined): Promise<OidcOutcome> {
    const state = callback.get('state');
    const pending = state ? this.#pending.get<PendingLogin>(state) : undefined;
    // Taken out only by its own browser: a callback URL opened elsewhere must not spoil the real one.
    if (
      !state ||
      !pending ||
      !binding ||
      !sameText(pending.binding, binding) ||
      this.#pending.del(state) !== 1
    )
      throw new TonearmError(
        'OIDC_STATE_INVALID',
        'this sign-in was not started in this browser, took longer than 10 minutes or was already finished; sign in again',
      );
    const configuration = await this.#discover();
    const client = loadedClient();
    const currentUrl = new URL(pending.redirectUri);
    for (const [name, value] of callback) currentUrl.searchParams.append(name, value);
    try {
      const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (!idToken) throw new TonearmError('OIDC_LOGIN_FAILED', 'the identity provider sent no ID token');
      let claims: Record<string, unknown> = { ...idToken };
      if (configuration.serverMetadata().userinfo_endpoint) {
        const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
        claims = { ...userinfo, ...idToken };
      }
      return {
        identity: { issuer: configuration.serverMetadata().issuer, subject: idToken.sub, claims },
        returnTo: pending.returnTo,
        linkUserId: pending.linkUserId,
      };
    } catch (error) {
      throw this.#explain(error);
    }
  }

  /** The provider's metadata, discovered once; a failure is forgotten so the next login tries again. */
  #discover(): Promise<OpenIdClient.Configuration> {
    this.#configuration ??= this.#connect().catch((error: unknown) => {
      this.#configuration = undefined;
      throw this.#explain(error);
    });
    return this.#configuration;
  }

  async #connect(): Promise<OpenIdClient.Configuration> {
    client ??= await import('openid-client');
    const lib = client;
    const { issuer, clientId, clientSecret } = this.#settings;
    const server = new URL(issuer);
    // Plain http only for a provider on this machine (the config refuses it elsewhere).
    const insecure = server.protocol === 'http:' && isLoopbackUrl(server);
    const options: OpenIdClient.DiscoveryRequestOptions = {
      timeout: PROVIDER_TIMEOUT_SECONDS,
      execute: insecure ? [lib.allowInsecureRequests] : [],
    };
    const discovered = await lib.discovery(server, clientId, undefined, undefined, options);
    const metadata = discovered.serverMetadata();
    const configuration = new lib.Configuration(
      metadata,
      clientId,
      clientSecret ? { client_secret: clientSecret } : undefined,
      clientAuthentication(lib, metadata, clientSecret),
    );
    configuration.timeout = PROVIDER_TIMEOUT_SECONDS;
    if (insecure) lib.allowInsecureRequests(configuration);
    this.#logger.info({ issuer: metadata.issuer }, 'OIDC provider discovered');
    return configuration;
  }

  #explain(error: unknown): TonearmError {
    if (error instanceof TonearmError) return error;
    const reason = describe(error);
    if (isUnreachable(error)) {
      this.#logger.warn({ issuer: this.#settings.issuer, reason }, 'OIDC provider unavailable');
      return new TonearmError(
        'OIDC_UNAVAILABLE',
        `the identity provider (${this.#settings.issuer}) cannot be reached or answered wrongly: ${reason}; try again shortly`,
        { cause: error, retryAfterSeconds: 30 },
      );
    }
    this.#logger.warn({ issuer: this.#settings.issuer, reason }, 'OIDC sign-in refused');
    return new TonearmError(
      'OIDC_LOGIN_FAILED',
      `the identity provider did not confirm the sign-in: ${reason}`,
      {
        cause: error,
      },
    );
  }
}

/** client_secret_basic when the provider takes it (the default of the standard), else _post; none without a secret. */
function clientAuthentication(
  lib: typeof OpenIdClient,
  metadata: OpenIdClient.ServerMetadata,
  secret: string,
): OpenIdClient.ClientAuth {
  if (!secret) return lib.None();
  const supported = metadata.token_endpoint_auth_methods_supported;
  return !supported || supported.includes('client_secret_basic')
    ? lib.ClientSecretBasic(secret)
    : lib.ClientSecretPost(secret);
}

/** The provider is down, slow, or not speaking OIDC at that address (as opposed to refusing this login). */
function isUnreachable(error: unknown): boolean {
  if (error instanceof TypeError) return true; // fetch failed: refused, reset, DNS
  if (client && error instanceof client.ResponseBodyError) return error.status >= 500;
  if (client && error instanceof client.AuthorizationResponseError) return false;
  const code = (error as { code?: unknown }).code;
  return (
    code === 'OAUTH_TIMEOUT' ||
    code === 'OAUTH_ABORT' ||
    code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' ||
    code === 'OAUTH_RESPONSE_IS_NOT_JSON' ||
    code === 'OAUTH_HTTP_REQUEST_FORBIDDEN' ||
    code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' // a discovered issuer that is not the configured one
  );
}

function describe(error: unknown): string {
  if (
    client &&
    (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError)
  )
    return error.error_description ? `${error.error} (${error.error_description})` : error.error;
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (error instanceof TypeError && typeof cause?.code === 'string') return `${message} (${cause.code})`;
  if ((error as { code?: unknown }).code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    const body = (cause as { body?: { issuer?: unknown } } | undefined)?.body;
    if (typeof body?.issuer === 'string')
      return `it calls itself ${body.issuer}: set auth.oidc.issuer to exactly that`;
  }
  return message;
}

function newBinding(): string {
  return randomBytes(32).toString('base64url');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export type AdminChange = 'granted' | 'revoked' | 'kept-last-admin' | 'unchanged';

export interface OidcSignIn {
  user: User;
  /** The user was created by this login. */
  created: boolean;
  admin: AdminChange;
}

/**
 * The local user of an identity: the linked one, else a new one (when createUsers). Then applies the
 * admin mapping. Throws OIDC_ACCOUNT_UNKNOWN for an unlinked identity when users are not created.
 */
export async function signInWithOidc(
  db: Database,
  settings: OidcConfig,
  identity: OidcIdentity,
  now = Date.now(),
): Promise<OidcSignIn> {
  let user = linkedUser(db, identity);
  let created = false;
  if (!user) {
    if (!settings.createUsers)
      throw new TonearmError(
        'OIDC_ACCOUNT_UNKNOWN',
        'no account here is linked to this identity, and this server does not create accounts on first sign-in; ask an administrator',
      );
    ({ user, created } = await createLinkedUser(db, settings, identity, now));
  }
  touchIdentity(db, identity.issuer, identity.subject, now);
  const { user: mapped, admin } = await applyAdminMapping(db, settings, user, identity.claims, now);
  return { user: mapped, created, admin };
}

/**
 * Links an identity to a user who is signed in and has just signed in at the provider too: how an existing
 * account gets OIDC login (the explicit alternative to matching names). 'already' when it was linked to
 * them; OIDC_IDENTITY_LINKED when it belongs to another user.
 */
export function linkIdentity(
  db: Database,
  userId: string,
  identity: OidcIdentity,
  now = Date.now(),
): { user: User; result: 'linked' | 'already' } {
  const row = findUserRowById(db, userId);
  if (!row) throw new TonearmError('SESSION_ENDED', 'the account to link this identity to no longer exists');
  const user = loadUser(db, row);
  const existing = findIdentity(db, identity.issuer, identity.subject);
  if (existing?.user_id === userId) return { user, result: 'already' };
  const inserted =
    existing === undefined &&
    insertIdentity(db, {
      provider: identity.issuer,
      subject: identity.subject,
      user_id: userId,
      created_at: now,
      last_login_at: null,
    }) === 1;
  if (!inserted)
    throw new TonearmError(
      'OIDC_IDENTITY_LINKED',
      'this identity at the provider already belongs to another account here',
    );
  return { user, result: 'linked' };
}

function linkedUser(db: Database, identity: OidcIdentity): User | undefined {
  const link = findIdentity(db, identity.issuer, identity.subject);
  const row = link && findUserRowById(db, link.user_id);
  return row ? loadUser(db, row) : undefined;
}

async function createLinkedUser(
  db: Database,
  settings: OidcConfig,
  identity: OidcIdentity,
  now: number,
): Promise<{ user: User; created: boolean }> {
  const base = usernameFromClaims(identity.claims, settings.usernameClaim, identity.subject);
  for (const candidate of usernameCandidates(base)) {
    if (findUserRowByName(db, candidate)) continue;
    let user: User;
    try {
      user = await createUser(
        db,
        {
          username: candidate,
          password: randomBytes(32).toString('base64url'),
          email: emailOf(identity.claims),
        },
        now,
      );
    } catch (error) {
      if (error instanceof TonearmError && error.code === 'USER_EXISTS') continue;
      throw error;
    }
    const linked = insertIdentity(db, {
      provider: identity.issuer,
      subject: identity.subject,
      user_id: user.id,
      created_at: now,
      last_login_at: now,
    });
    if (linked === 1) return { user, created: true };
    // The same person finished a second login at the same moment, and that one linked first.
    deleteUser(db, user.username);
    const winner = linkedUser(db, identity);
    if (winner) return { user: winner, created: false };
    throw new TonearmError(
      'OIDC_LOGIN_FAILED',
      'the account for this identity could not be created; sign in again',
    );
  }
  throw new TonearmError('OIDC_LOGIN_FAILED', `no free user name could be made from "${base}"`);
}

/** A verified email claim, when it is a valid address; else none. */
function emailOf(claims: Readonly<Record<string, unknown>>): string {
  if (typeof claims.email !== 'string' || claims.email_verified === false) return '';
  try {
    return validateEmail(claims.email);
  } catch {
    return '';
  }
}

/** A claim by name, or by a dotted path into nested objects (realm_access.roles). */
export function claimValue(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Letters without accents, digits and . _ @ -; runs of anything else become one '-'. */
export function sanitizeUsername(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._@-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, USERNAME_MAX_LENGTH)
    .replace(/[-.]+$/, '');
}

/** The name a new user gets: usernameClaim cleaned up, else the subject cleaned up, else "user". */
export function usernameFromClaims(
  claims: Readonly<Record<string, unknown>>,
  usernameClaim: string,
  subject: string,
): string {
  const value = claimValue(claims, usernameClaim);
  const fromClaim = typeof value === 'string' ? sanitizeUsername(value) : '';
  return fromClaim || sanitizeUsername(subject) || 'user';
}

/** base, base-2 … base-99, then base with a random suffix, each at most USERNAME_MAX_LENGTH long. */
export function* usernameCandidates(base: string): Generator<string> {
  yield base;
  for (let n = 2; n < 100; n++) yield withSuffix(base, `-${n}`);
  for (let attempt = 0; attempt < 5; attempt++) yield withSuffix(base, `-${randomBytes(4).toString('hex')}`);
}

function withSuffix(base: string, suffix: string): string {
  return base.slice(0, USERNAME_MAX_LENGTH - suffix.length) + suffix;
}

/** Whether the claims make an admin; undefined when no adminClaim is configured (the provider has no say). */
export function adminByClaims(
  settings: OidcConfig,
  claims: Readonly<Record<string, unknown>>,
): boolean | undefined {
  if (!settings.adminClaim) return undefined;
  const value = claimValue(claims, settings.adminClaim);
  const values = Array.isArray(value) ? value : [value];
  return values.some(
    (item) =>
      (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') &&
      settings.adminValues.includes(String(item)),
  );
}

/** Makes the user an admin or not as the claims say; the last admin stays one (LAST_ADMIN). */
async function applyAdminMapping(
  db: Database,
  settings: OidcConfig,
  user: User,
  claims: Readonly<Record<string, unknown>>,
  now: number,
): Promise<{ user: User; admin: AdminChange }> {
  const wanted = adminByClaims(settings, claims);
  if (wanted === undefined || wanted === user.isAdmin) return { user, admin: 'unchanged' };
  try {
    const updated = await updateUser(db, user.username, { isAdmin: wanted }, now);
    return { user: updated, admin: wanted ? 'granted' : 'revoked' };
  } catch (error) {
    if (error instanceof TonearmError && error.code === 'LAST_ADMIN')
      return { user, admin: 'kept-last-admin' };
    throw error;
  }
}
