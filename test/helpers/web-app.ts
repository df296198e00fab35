// The web app end to end: the built app (web/dist, built here when missing or stale) served by a real
// server over a scanned library of real encodes, and Debian's headless Chromium driven by playwright-core.
//
// The library has what users' collections have: albums in MP3, FLAC, Opus and AAC, embedded covers and a
// 1500×1500 folder.jpg, accents and non-Latin names, a compilation, a multi-disc album, a full-length
// (4-minute) track, and enough albums to fill more than a screen. People:
//   admin  administrator
//   alice  listener with the upload role
//   bob    listener without it
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createUser } from '../../src/accounts/users.service.ts';
import { ensureSearchIndex } from '../../src/catalog/search.ts';
import { loadConfig } from '../../src/config/load.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { Scanner } from '../../src/library/scanner.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { EventHub } from '../../src/system/events.ts';
import { type AudioSpec, makeAudio, makeImage } from './audio.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './http.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = path.join(ROOT, 'test', 'artifacts', 'web');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type WebPerson = 'admin' | 'alice' | 'bob';
export const PASSWORDS: Record<WebPerson, string> = {
  admin: 'admin-password-1',
  alice: 'alice-password-1',
  bob: 'bob-password-1',
};

/** Builds web/dist when it is missing or older than web/src (as `npm install` and `npm start` do). */
export function ensureWebBuild(): void {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'web/scripts/build-web.ts'), '--if-stale'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`the web build failed:\n${result.stderr}`);
}

interface AlbumSpec {
  artist: string;
  album: string;
  year: number;
  genre: string;
  format: AudioSpec['format'];
  titles: string[];
  durationSec?: number;
  /** Per track, instead of durationSec. */
  durations?: number[];
  cover?: 'embedded' | 'folder';
  compilation?: boolean;
  trackArtists?: string[];
  discs?: number;
}

const ALBUMS: AlbumSpec[] = [
  {
    artist: 'Aurora Lane',
    album: 'Northern Lights',
    year: 2019,
    genre: 'Indie',
    format: 'mp3',
    titles: ['Polar Night', 'Glacier Song', 'Midnight Sun', 'Aurora'],
    durations: [4, 6, 4, 4],
    cover: 'embedded',
  },
  {
    artist: 'Brass Harbor',
    album: 'Tidewater',
    year: 2021,
    genre: 'Jazz',
    format: 'flac',
    titles: ['Low Tide', 'Harbor Lights', 'Undertow'],
    durationSec: 5,
    cover: 'folder',
  },
  {
    artist: 'Cécile Dubois',
    album: 'Chansons d’été',
    year: 2015,
    genre: 'Chanson',
    format: 'opus',
    titles: ['Été indien', 'Café de la Gare', 'Ça ira'],
    durationSec: 5,
  },
  {
    artist: '坂本 光',
    album: '東京の夜',
    year: 2020,
    genre: 'City Pop',
    format: 'm4a',
    titles: ['夜明け', '東京タワー'],
    durationSec: 5,
  },
  {
    artist: 'Various Artists',
    album: 'Summer Compilation',
    year: 2022,
    genre: 'Pop',
    format: 'mp3',
    titles: ['Sunny', 'Beach Days', 'Heatwave'],
    trackArtists: ['Aurora Lane', 'Brass Harbor', 'Delta Waves'],
    compilation: true,
    durationSec: 4,
  },
  {
    artist: 'Delta Waves',
    album: 'Long Player',
    year: 2018,
    genre: 'Ambient',
    format: 'mp3',
    titles: ['The Long Song', 'Second Side'],
    durationSec: 240,
    discs: 2,
    cover: 'embedded',
  },
];

/** More albums, one short track each, so the album grid is longer than a screen and than a page (60). */
const FILLER_ALBUMS = 70;

export interface WebLibrary {
  root: string;
  trackCount: number;
  albumCount: number;
}

export async function buildWebLibrary(root: string): Promise<WebLibrary> {
  const jobs: Promise<void>[] = [];
  let trackCount = 0;
  for (const spec of ALBUMS) {
    const folder = path.join(
      root,
      spec.compilation ? 'Compilations' : spec.artist,
      `${spec.year} - ${spec.album}`,
    );
    spec.titles.forEach((title, index) => {
      const disc = spec.discs ? index + 1 : 1;
      const tags: Record<string, string> = {
        title,
        artist: spec.trackArtists?.[index] ?? spec.artist,
        album: spec.album,
        album_artist: spec.artist,
        track: spec.discs ? '1' : `${index + 1}/${spec.titles.length}`,
        date: String(spec.year),
        genre: spec.genre,
      };
      if (spec.discs) tags.disc = `${disc}/${spec.discs}`;
      if (spec.compilation) tags.compilation = '1';
      const file = path.join(
        folder,
        `${spec.discs ? `${disc}-` : ''}${String(index + 1).padStart(2, '0')} - ${title}.${spec.format}`,
      );
      trackCount++;
      jobs.push(
        makeAudio(file, {
          format: spec.format,
          durationSec: spec.durations?.[index] ?? spec.durationSec ?? 4,
          frequency: 220 + trackCount * 37,
          tags,
          cover: spec.cover === 'embedded' ? 'embedded-jpeg' : undefined,
        }),
      );
    });
    if (spec.cover === 'folder')
      jobs.push(makeImage(path.join(folder, 'folder.jpg'), { width: 1500, height: 1500 }));
  }
  // Named to sort after the albums above, so those stay on the first page of every listing by name.
  for (let n = 1; n <= FILLER_ALBUMS; n++) {
    const artist = `Session Players ${String(Math.ceil(n / 10)).padStart(2, '0')}`;
    const album = `Volume ${String(n).padStart(2, '0')}`;
    trackCount++;
    jobs.push(
      makeAudio(path.join(root, artist, album, `01 - Take ${n}.mp3`), {
        format: 'mp3',
        durationSec: 2,
        frequency: 300 + n * 11,
        tags: {
          title: `Take ${n}`,
          artist,
          album,
          album_artist: artist,
          track: '1',
          date: String(1950 + n),
          genre: 'Rock',
        },
      }),
    );
  }
  await Promise.all(jobs);
  return { root, trackCount, albumCount: ALBUMS.length + FILLER_ALBUMS };
}

export interface WebAppServer extends TestServer {
  library: WebLibrary;
  uploadsRoot: string;
  scanner: Scanner;
}

/** A scanned library, three people, uploads going to a second library; the app's build is checked first. */
export async function startWebAppServer(
  options: {
    basePath?: string;
    auth?: TestServerOptions['auth'];
    /** false: no account at all (a server on its first start). */
    users?: false;
  } = {},
): Promise<WebAppServer> {
  ensureWebBuild();
  const musicRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-web-music-')));
  const uploadsRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-web-uploads-')));
  const library = await buildWebLibrary(musicRoot);
  const holder: { scanner?: Scanner } = {};
  const server = await startTestServer({
    logLevel: 'warn',
    ...(options.basePath ? { basePath: options.basePath } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    services: {
      events: new EventHub(),
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
        { name: 'Music', path: musicRoot },
        { name: 'Uploads', path: uploadsRoot },
      ],
      dataDir: server.dir,
      logLevel: 'silent',
    },
  });
  const libraries = syncLibraries(server.db, config.music, Date.now());
  ensureSearchIndex(server.db);
  holder.scanner = new Scanner({
    db: server.db,
    config,
    logger: silentLogger,
    events: server.services.events,
  });
  await holder.scanner.scan();
  const libraryIds = libraries.map((library) => library.id);
  for (const username of options.users === false ? [] : (['admin', 'alice', 'bob'] as const)) {
    await createUser(server.db, {
      username,
      password: PASSWORDS[username],
      isAdmin: username === 'admin',
      roles: { upload: username !== 'bob' },
      libraryIds,
    });
  }
  return {
    ...server,
    library,
    uploadsRoot,
    scanner: holder.scanner,
    async close() {
      await server.close();
      fs.rmSync(musicRoot, { recursive: true, force: true });
      fs.rmSync(uploadsRoot, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // No sandbox as root in CI containers; sound may play without a click, as after a real one.
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--disable-dev-shm-usage'],
  });
}

export const DESKTOP = { width: 1366, height: 860 };
export const PHONE = { width: 390, height: 844 };

export async function newContext(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; colorScheme?: 'dark' | 'light' } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    colorScheme: options.colorScheme ?? 'dark',
    deviceScaleFactor: 1,
    isMobile: options.viewport === PHONE,
    hasTouch: options.viewport === PHONE,
  });
}

/** Signs in through the sign-in page, as a person does. */
export async function signIn(page: Page, baseUrl: string, who: WebPerson, startPath = '/'): Promise<void> {
  await page.goto(`${baseUrl}${startPath}`);
  await page.getByLabel('User name').fill(who);
  await page.getByLabel('Password').fill(PASSWORDS[who]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Polls `check` until it holds; fails the test with `what` when it never does. */
export async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting: ${what}`);
}

/** A JSON answer of the API with the page's session (its cookies). */
export async function apiJson<T>(page: Page, url: string): Promise<T> {
  const response = await page.request.get(url);
  if (response.status() !== 200) throw new Error(`${url} answered ${response.status()}`);
  return (await response.json()) as T;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

const AXE_SOURCE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is. The script is evaluated through the
 * DevTools protocol, which the page's Content-Security-Policy (scripts from the server only) allows.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      resultTypes: ['violations'],
    });
    return result.violations;
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help}\n  ${violation.nodes
          .map((node) => node.target.join(' '))
          .slice(0, 5)
          .join('\n  ')}`,
    )
    .join('\n');
}
