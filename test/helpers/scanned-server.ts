// A test server whose database holds the scanned fixture library: the starting point of Subsonic API
// end-to-end tests. Users: "admin" (admin) and "alice" (not), passwords as below.
import { loadConfig } from '../../src/config/load.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { Scanner } from '../../src/library/scanner.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './http.ts';
import { buildFixtureLibrary, type FixtureLibrary } from './library-fixture.ts';

export const ADMIN = { username: 'admin', password: 'admin-secret' };
export const ALICE = { username: 'alice', password: 'alice-secret' };

export interface ScannedServer extends TestServer {
  library: FixtureLibrary;
  /** `u`, `p`, `v`, `c` and `f` for a user, as a query string. */
  auth(user?: { username: string; password: string }, client?: string, format?: string): string;
  /** GET /rest/<endpoint> with auth and extra params; resolves to the parsed JSON envelope. */
  json(endpoint: string, params?: string, user?: { username: string; password: string }): Promise<Record<string, unknown>>;
}

export async function startScannedServer(options: TestServerOptions = {}): Promise<ScannedServer> {
  const library = await buildFixtureLibrary();
  const server = await startTestServer({ logLevel: 'warn', users: [{ ...ADMIN, isAdmin: true }, { ...ALICE, isAdmin: false }], ...options });
  const { config } = loadConfig({ env: {}, flags: { music: [{ name: 'fixture', path: library.root }], dataDir: server.dir, logLevel: 'silent' } });
  syncLibraries(server.db, config.music, Date.now());
  await new Scanner({ db: server.db, config, logger: silentLogger }).scan();
  const auth = (user = ADMIN, client = 'test', format = 'json') =>
    `u=${encodeURIComponent(user.username)}&p=${encodeURIComponent(user.password)}&v=1.16.1&c=${encodeURIComponent(client)}&f=${format}`;
  return {
    ...server,
    library,
    auth,
    async json(endpoint, params = '', user = ADMIN) {
      const response = await fetch(`${server.baseUrl}/rest/${endpoint}?${auth(user)}${params ? `&${params}` : ''}`);
      return ((await response.json()) as { 'subsonic-response': Record<string, unknown> })['subsonic-response'];
    },
    async close() {
      await server.close();
      library.cleanup();
    },
  };
}
