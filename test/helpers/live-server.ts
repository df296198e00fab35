// A server for the upload and live-event tests: two small scanned libraries of real audio ("main" and
// "other"), the real Scanner announcing to the server's event hub, and users with API keys:
//   admin  administrator, both libraries
//   alice  upload role, both libraries
//   bob    upload role, both libraries
//   carol  no upload role, both libraries
//   dave   upload role, only "other"
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { createUser } from '../../src/accounts/users.service.ts';
import { ensureSearchIndex } from '../../src/catalog/search.ts';
import { loadConfig } from '../../src/config/load.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { Scanner } from '../../src/library/scanner.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import type { EventHubOptions } from '../../src/system/events.ts';
import { EventHub } from '../../src/system/events.ts';
import { makeAudio } from './audio.ts';
import { startTestServer, type TestServer } from './http.ts';

export type Person = 'admin' | 'alice' | 'bob' | 'carol' | 'dave';

export interface LiveServer extends TestServer {
  scanner: Scanner;
  libraries: { main: number; other: number };
  roots: { main: string; other: string };
  keys: Record<Person, string>;
  passwords: Record<Person, string>;
  /** fetch with the person's API key. */
  api(pathname: string, who: Person, init?: RequestInit): Promise<Response>;
}

export async function startLiveServer(options: { events?: EventHubOptions } = {}): Promise<LiveServer> {
  const main = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-live-main-')));
  const other = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-live-other-')));
  await makeAudio(path.join(main, 'Band/Album/01 - First.mp3'), {
    format: 'mp3',
    tags: { title: 'First', artist: 'Band', album: 'Album', album_artist: 'Band', track: '1' },
  });
  await makeAudio(path.join(other, 'Solo/Record/01 - Only.flac'), {
    format: 'flac',
    tags: { title: 'Only', artist: 'Solo', album: 'Record', album_artist: 'Solo', track: '1' },
  });
  const holder: { scanner?: Scanner } = {};
  const server = await startTestServer({
    logLevel: 'warn',
    services: {
      events: new EventHub(options.events),
      scanner: {
        scan: (scanOptions) => holder.scanner!.scan(scanOptions),
        progress: () => holder.scanner!.progress(),
      },
    },
  });
  const { config } = loadConfig({
    env: {},
    flags: {
      music: [
        { name: 'main', path: main },
        { name: 'other', path: other },
      ],
      dataDir: server.dir,
      logLevel: 'silent',
    },
  });
  const [mainLibrary, otherLibrary] = syncLibraries(server.db, config.music, Date.now());
  ensureSearchIndex(server.db);
  holder.scanner = new Scanner({
    db: server.db,
    config,
    logger: silentLogger,
    events: server.services.events,
  });
  await holder.scanner.scan();

  const both = [mainLibrary!.id, otherLibrary!.id];
  const people: { username: Person; isAdmin?: boolean; upload: boolean; libraryIds: number[] }[] = [
    { username: 'admin', isAdmin: true, upload: true, libraryIds: both },
    { username: 'alice', upload: true, libraryIds: both },
    { username: 'bob', upload: true, libraryIds: both },
    { username: 'carol', upload: false, libraryIds: both },
    { username: 'dave', upload: true, libraryIds: [otherLibrary!.id] },
  ];
  const keys = {} as Record<Person, string>;
  const passwords = {} as Record<Person, string>;
  for (const person of people) {
    passwords[person.username] = `${person.username}-pass`;
    await createUser(server.db, {
      username: person.username,
      password: passwords[person.username],
      isAdmin: person.isAdmin ?? false,
      roles: { upload: person.upload },
      libraryIds: person.libraryIds,
    });
    keys[person.username] = createApiKey(server.db, person.username).key;
  }
  return {
    ...server,
    scanner: holder.scanner,
    libraries: { main: mainLibrary!.id, other: otherLibrary!.id },
    roots: { main, other },
    keys,
    passwords,
    api(pathname, who, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${keys[who]}`);
      return fetch(`${server.baseUrl}${pathname}`, { ...init, headers });
    },
    async close() {
      await server.close();
      fs.rmSync(main, { recursive: true, force: true });
      fs.rmSync(other, { recursive: true, force: true });
    },
  };
}

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: unknown;
}

/**
 * An open event stream read with node:http (no EventSource in Node): events as they come, comments
 * counted, and the raw text kept.
 */
export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: SseEvent[];
  comments: number;
  text(): string;
  /** Resolves with the first event (from the start of the stream) that matches. */
  waitFor(match: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  ended: Promise<void>;
  close(): void;
}

export function openEventStream(
  server: LiveServer,
  who: Person,
  options: { query?: string; headers?: Record<string, string> } = {},
): Promise<SseClient> {
  const url = new URL(`${server.baseUrl}/api/v1/events${options.query ?? ''}`);
  return new Promise((resolve, reject) => {
    const request = http.get(
      url,
      { headers: { Authorization: `Bearer ${server.keys[who]}`, ...options.headers }, agent: false },
      (response) => {
        let raw = '';
        let pending = '';
        const events: SseEvent[] = [];
        const waiters = new Set<() => void>();
        let comments = 0;
        response.setEncoding('utf8');
        const ended = new Promise<void>((done) => response.once('close', done));
        response.on('data', (chunk: string) => {
          raw += chunk;
          pending += chunk;
          let end = pending.indexOf('\n\n');
          while (end >= 0) {
            const block = pending.slice(0, end);
            pending = pending.slice(end + 2);
            end = pending.indexOf('\n\n');
            const fields = new Map<string, string>();
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments++;
              const colon = line.indexOf(':');
              if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
            }
            if (fields.has('event') || fields.has('data'))
              events.push({
                id: fields.get('id'),
                event: fields.get('event') ?? 'message',
                data: fields.has('data') ? JSON.parse(fields.get('data')!) : undefined,
              });
          }
          for (const waiter of waiters) waiter();
        });
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          events,
          get comments() {
            return comments;
          },
          text: () => raw,
          waitFor(match, timeoutMs = 10_000) {
            return new Promise((found, fail) => {
              const check = () => {
                const event = events.find(match);
                if (!event) return;
                waiters.delete(check);
                clearTimeout(timer);
                found(event);
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
              }, timeoutMs);
              waiters.add(check);
              check();
            });
          },
          ended,
          close: () => request.destroy(),
        });
      },
    );
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
  });
}
