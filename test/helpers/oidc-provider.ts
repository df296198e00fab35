// A real OpenID Connect provider (the npm oidc-provider package, which Keycloak-like servers are tested
// against) on a loopback port, with a login and consent step that signs in whichever test account the test
// names, and a browser stand-in: fetch with redirects followed by hand and cookies kept per host and path.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

export interface TestAccount {
  /** The `sub` claim. */
  id: string;
  claims: Record<string, unknown>;
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  authMethod: 'client_secret_basic' | 'client_secret_post';
}

// oidc-provider ships no types; these are the parts the tests use.
interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface InteractionDetails {
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, string>;
  session?: { accountId: string };
  grantId?: string;
}
interface Provider {
  callback(): http.RequestListener;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: {
    new (init: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  };
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => Provider;

const require = createRequire(import.meta.url);
const { default: ProviderConstructor } = require('oidc-provider') as { default: ProviderClass };
// The package's own in-memory storage, passed as a factory so it does not warn that it is in use.
const { createMemoryAdapter } = require('oidc-provider/lib/adapters/memory_adapter.js') as {
  createMemoryAdapter(clockTolerance: number): unknown;
};

export interface TestIdentityProvider {
  issuer: string;
  /** The account the next login step signs in. */
  signInAs: string;
  /** While true, every request gets 503 (the provider is down). */
  down: boolean;
  /** Requests it has answered, as "METHOD path" (without the query). */
  requests: string[];
  /** Registers the client and the accounts (once the relying party's redirect URIs are known). */
  configure(client: TestClient, accounts: TestAccount[]): void;
  close(): Promise<void>;
}

/** Listens at once (so the issuer is known); configure() before the first request. */
export async function startIdentityProvider(): Promise<TestIdentityProvider> {
  let provider: Provider | undefined;
  let handle: http.RequestListener | undefined;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    idp.requests.push(`${req.method} ${path}`);
    if (idp.down || !provider || !handle) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      return;
    }
    if (path.startsWith('/interaction/')) {
      interact(provider, idp.signInAs, req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp: TestIdentityProvider = {
    issuer,
    signInAs: '',
    down: false,
    requests: [],
    configure(client, accounts) {
      const byId = new Map(accounts.map((account) => [account.id, account]));
      const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        format: 'jwk',
      });
      provider = new ProviderConstructor(issuer, {
        adapter: createMemoryAdapter(15),
        clients: [
          {
            client_id: client.clientId,
            client_secret: client.clientSecret,
            redirect_uris: client.redirectUris,
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: client.authMethod,
          },
        ],
        jwks: { keys: [{ ...signingKey, kid: 'test-key', alg: 'RS256', use: 'sig' }] },
        cookies: { keys: ['test cookie key'] },
        ttl: {
          AccessToken: 600,
          AuthorizationCode: 60,
          Grant: 3600,
          IdToken: 600,
          Interaction: 600,
          Session: 3600,
        },
        pkce: { required: () => true },
        claims: {
          openid: ['sub'],
          profile: ['preferred_username', 'name'],
          email: ['email', 'email_verified'],
          groups: ['groups'],
        },
        features: { devInteractions: { enabled: false } },
        interactions: {
          url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
        },
        async findAccount(_ctx: unknown, id: string) {
          const account = byId.get(id);
          if (!account) return undefined;
          return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
        },
      });
      handle = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return idp;
}

/** The provider's login and consent pages, answered at once: sign in `account`, grant what is asked. */
async function interact(
  provider: Provider,
  account: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: account } });
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id! });
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant!.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant!.addResourceScope(resource, scopes.join(' '));
  await provider.interactionFinished(req, res, { consent: { grantId: await grant!.save() } });
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

/** What a browser does that matters here: cookies by host and path, redirects followed one by one. */
export class TestBrowser {
  readonly #cookies = new Map<string, StoredCookie[]>();

  /** One request, with the cookies that apply, keeping the ones it sets; `json` is sent as a POST body. */
  async request(
    url: string,
    init: { headers?: Record<string, string>; json?: unknown } = {},
  ): Promise<Response> {
    const target = new URL(url);
    const cookie = this.cookiesFor(url)
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
    const headers: Record<string, string> = { ...init.headers, ...(cookie ? { cookie } : {}) };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(target, {
      method: init.json === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
    this.#keep(target, response.headers.getSetCookie());
    return response;
  }

  /**
   * Follows redirects from `url` until an answer that is not one, or until `stop` says the next URL is
   * one to look at first (that URL is not requested). `hops` lists every URL requested, in order.
   */
  async navigate(
    url: string,
    stop: (next: URL) => boolean = () => false,
  ): Promise<{ url: string; response: Response; hops: string[]; stopped: boolean }> {
    const hops: string[] = [];
    let current = url;
    for (let hop = 0; hop < 20; hop++) {
      hops.push(current);
      const response = await this.request(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location)
        return { url: current, response, hops, stopped: false };
      await response.arrayBuffer();
      const next = new URL(location, current);
      if (stop(next)) return { url: next.href, response, hops, stopped: true };
      current = next.href;
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }

  /** Cookies sent to `url`: same host (any port, as browsers do), path prefix. */
  cookiesFor(url: string): StoredCookie[] {
    const target = new URL(url);
    return (this.#cookies.get(target.hostname) ?? []).filter(
      (cookie) =>
        target.pathname === cookie.path ||
        target.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`),
    );
  }

  /** name → value of the cookies sent to `url`. */
  jarFor(url: string): Record<string, string> {
    return Object.fromEntries(this.cookiesFor(url).map((cookie) => [cookie.name, cookie.value]));
  }

  #keep(target: URL, lines: string[]): void {
    const jar = this.#cookies.get(target.hostname) ?? [];
    for (const line of lines) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      let path = target.pathname.slice(0, target.pathname.lastIndexOf('/')) || '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key, attributeValue = ''] = attribute.split('=');
        if (key!.toLowerCase() === 'path') path = attributeValue;
        if (key!.toLowerCase() === 'max-age' && Number(attributeValue) <= 0) expired = true;
        if (key!.toLowerCase() === 'expires' && Date.parse(attributeValue) <= Date.now()) expired = true;
      }
      const kept = jar.filter((cookie) => !(cookie.name === name && cookie.path === path));
      if (!expired) kept.push({ name, value, path });
      jar.splice(0, jar.length, ...kept);
    }
    this.#cookies.set(target.hostname, jar);
  }
}
