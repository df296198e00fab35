// A Subsonic test server over two scanned libraries: the ffmpeg fixture library ("fixture", id 1) and a
// small second one ("second", id 2) with a file in its root. Users: admin (admin), alice (normal) and
// bob (normal, meant to see only library 2). The real Scanner is passed to createApp (startScan).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureSearchIndex } from '../../src/catalog/search.ts';
import { loadConfig } from '../../src/config/load.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { Scanner } from '../../src/library/scanner.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { makeAudio } from './audio.ts';
import { parseXml, startTestServer, type TestServer, type TestServerOptions } from './http.ts';
import { buildFixtureLibrary } from './library-fixture.ts';

export interface Credentials {
  username: string;
  password: string;
}

export const ADMIN: Credentials = { username: 'admin', password: 'admin-pass' };
export const ALICE: Credentials = { username: 'alice', password: 'alice-pass' };
export const BOB: Credentials = { username: 'bob', password: 'bob-pass' };

export type Params = Record<string, string | string[] | number | boolean>;
// Parsed answers are walked freely in tests; `any` keeps those walks short.
// biome-ignore lint/suspicious/noExplicitAny: test-only shape of parsed JSON/XML
export type Json = Record<string, any>;

export interface SubsonicServer extends TestServer {
  scanner: Scanner;
  /** Library ids by name. */
  libraries: { fixture: number; second: number };
  userId(username: string): string;
  url(
    endpoint: string,
    params?: Params,
    options?: { user?: Credentials; client?: string; format?: string },
  ): string;
  /** The inside of subsonic-response (f=json). */
  json(endpoint: string, params?: Params, options?: { user?: Credentials; client?: string }): Promise<Json>;
  /** The XML text (no f). */
  xmlText(
    endpoint: string,
    params?: Params,
    options?: { user?: Credentials; client?: string },
  ): Promise<string>;
  /** The parsed XML root (xml2js: attributes under $, children arrays). */
  xml(endpoint: string, params?: Params, options?: { user?: Credentials; client?: string }): Promise<Json>;
}

async function buildSecondLibrary(): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-lib2-'));
  await makeAudio(path.join(root, 'Root Song.mp3'), {
    format: 'mp3',
    frequency: 800,
    tags: {
      title: 'Root Song',
      artist: 'Rooty',
      album: 'Root Album',
      album_artist: 'Rooty',
      track: '1',
      date: '1980',
      genre: 'Jazz',
    },
  });
  await makeAudio(path.join(root, 'The Zeds/Zed Album/01 - Zed.mp3'), {
    format: 'mp3',
    frequency: 820,
    tags: {
      title: 'Zed Song',
      artist: 'The Zeds',
      album: 'Zed Album',
      album_artist: 'The Zeds',
      track: '1',
      date: '1975',
      genre: 'Jazz',
    },
  });
  return root;
}

export interface SubsonicServerOptions {
  readWorkers?: number;
  /** Read workers start on demand and stop after idleMs, as in `tonearm serve` (default: all running). */
  readWorkersOnDemand?: { idleMs?: number };
  /** Adds files to the second library before the scan. */
  addToSecondLibrary?: (root: string) => Promise<void>;
  /** Parts to use instead of the built ones (a transcoder with small limits...). */
  services?: TestServerOptions['services'];
  /** HTTP-layer knobs (subsonicEndpoints, loginThrottle...). */
  app?: TestServerOptions['app'];
  /** [http] settings (answerCache: 0 makes every read reach the workers). */
  http?: TestServerOptions['http'];
}

export async function startSubsonicServer(options: SubsonicServerOptions = {}): Promise<SubsonicServer> {
  const fixture = await buildFixtureLibrary();
  const second = await buildSecondLibrary();
  await options.addToSecondLibrary?.(second);
  const holder: { scanner?: Scanner } = {};
  const server = await startTestServer({
    logLevel: 'warn',
    // Read-only endpoints run in a worker, as with `tonearm serve`.
    readWorkers: options.readWorkers ?? 1,
    readWorkersOnDemand: options.readWorkersOnDemand,
    users: [
      { ...ADMIN, isAdmin: true },
      { ...ALICE, isAdmin: false },
      { ...BOB, isAdmin: false },
    ],
    app: options.app,
    http: options.http,
    services: {
      ...options.services,
      // The scanner needs the server's database, which exists only once the server does.
      scanner: {
        scan: (options) => holder.scanner!.scan(options),
        progress: () => holder.scanner!.progress(),
      },
    },
  });
  const { config } = loadConfig({
    env: {},
    flags: {
      music: [
        { name: 'fixture', path: fixture.root },
        { name: 'second', path: second },
      ],
      dataDir: server.dir,
      logLevel: 'silent',
    },
  });
  syncLibraries(server.db, config.music, Date.now());
  ensureSearchIndex(server.db);
  holder.scanner = new Scanner({ db: server.db, config, logger: silentLogger });
  await holder.scanner.scan();
  const libraryId = (name: string) =>
    server.db.prepare('SELECT id FROM library WHERE name = ?').pluck().get(name) as number;

  const url: SubsonicServer['url'] = (endpoint, params = {}, options = {}) => {
    const user = options.user ?? ADMIN;
    const search = new URLSearchParams({
      u: user.username,
      p: user.password,
      v: '1.16.1',
      c: options.client ?? 'test',
    });
    if (options.format) search.set('f', options.format);
    for (const [key, value] of Object.entries(params)) {
      for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
    }
    return `${server.baseUrl}/rest/${endpoint}?${search}`;
  };
  const xmlText: SubsonicServer['xmlText'] = async (endpoint, params, options) => {
    const response = await fetch(url(endpoint, params, options));
    if (response.status !== 200) throw new Error(`${endpoint} answered HTTP ${response.status}`);
    return response.text();
  };
  return {
    ...server,
    scanner: holder.scanner,
    libraries: { fixture: libraryId('fixture'), second: libraryId('second') },
    userId: (username) =>
      server.db.prepare('SELECT id FROM user WHERE username = ?').pluck().get(username) as string,
    url,
    async json(endpoint, params, options) {
      const response = await fetch(url(endpoint, params, { ...options, format: 'json' }));
      if (response.status !== 200) throw new Error(`${endpoint} answered HTTP ${response.status}`);
      return ((await response.json()) as Json)['subsonic-response'] as Json;
    },
    xmlText,
    async xml(endpoint, params, options) {
      return ((await parseXml(await xmlText(endpoint, params, options))) as Json)[
        'subsonic-response'
      ] as Json;
    },
    async close() {
      await server.close();
      fixture.cleanup();
      fs.rmSync(second, { recursive: true, force: true });
    },
  };
}
