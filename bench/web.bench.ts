// The web app in headless Chromium (Debian's chromium, as the tests use):
//   - web.initial_js_gzip_kb: the JavaScript and CSS the first page load needs, gzipped (target <= 250 KB);
//   - web.albums_first_screen_*: from a click on "Albums" (the app already open) to the first screen of
//     album cards with their covers, on the 100k-track synthetic library (10,000 albums); and the same for
//     the page opened directly, script download included (target <= 1 s);
//   - web.search_*: from the last keystroke (its input event in the page) to the results of what was typed
//     on screen, in the search box, on the 100k-track library, typing at 60 ms a key (target <= 150 ms);
//   - web.gap_*: the silence between two tracks as the audio elements report it, from one's `ended` to the
//     next one's `playing`, over a queue of real files in MP3, FLAC, Opus and AAC, long tracks sought to
//     3 s before their end (target <= 50 ms).
// BENCH_SECONDS bounds the gap run (default 60 s of playback); BENCH_ONLY=albums,search,gaps picks parts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import {
  ensureWebBuild,
  launchBrowser,
  newContext,
  signIn,
  startWebAppServer,
} from '../test/helpers/web-app.ts';
import { startServer } from './load.ts';
import { seeded } from './seeded.ts';
import { syntheticCopy } from './synthetic-db.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH_DIR, '.work');
const TRACKS = 100_000;
const USER = 'bench';
const PASSWORD = 'bench-password';
const RUNS = 10;
const TYPING_DELAY_MS = 60;
const GAP_SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const file = path.join(WORK, 'web-bench.db');
const WEB_DIST = path.join(BENCH_DIR, '..', 'web', 'dist');
const ONLY = process.env.BENCH_ONLY?.split(',');
const wants = (part: string) => !ONLY || ONLY.includes(part);

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const round = (value: number) => Math.round(value * 10) / 10;

/** What index.html loads before the app can draw: its script, styles and module preloads, gzipped. */
function initialBytes(): { gzip: number; raw: number } {
  const html = fs.readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.(?:js|css))"/g)].map(
    (match) => match[1]!,
  );
  let gzip = 0;
  let raw = 0;
  for (const name of files) {
    const full = path.join(WEB_DIST, name);
    raw += fs.statSync(full).size;
    gzip += fs.statSync(`${full}.gz`).size;
  }
  return { gzip, raw };
}

/** Resolves when the album grid fills the screen and every cover on it has loaded (or failed). */
function firstScreenReady(page: Page): Promise<unknown> {
  return page.waitForFunction(
    () => {
      const cards = [...document.querySelectorAll('[data-testid="album-grid"] .card')];
      if (cards.length === 0) return false;
      const visible = cards.filter((card) => card.getBoundingClientRect().top < window.innerHeight);
      const last = cards.at(-1)!.getBoundingClientRect();
      if (visible.length < 8 && last.bottom < window.innerHeight) return false;
      return visible.every((card) => {
        const image = card.querySelector('img');
        return !image || (image.complete && image.naturalWidth > 0) || card.querySelector('.cover-fallback');
      });
    },
    undefined,
    { timeout: 30_000, polling: 'raf' },
  );
}

async function albumsFirstScreen(
  browser: Browser,
  url: string,
  figures: Record<string, number>,
): Promise<void> {
  const context = await newContext(browser);
  const page = await context.newPage();
  await signInAs(page, url);
  const navigation: number[] = [];
  const direct: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // A fresh page each time: nothing of the albums in the app's cache.
    await page.goto(`${url}/playlists`);
    await page.getByRole('heading', { level: 1, name: 'Playlists' }).waitFor();
    const started = Date.now();
    await page.getByRole('link', { name: 'Albums', exact: true }).click();
    await firstScreenReady(page);
    navigation.push(Date.now() - started);

    const loadStarted = Date.now();
    await page.goto(`${url}/albums?sort=${run % 2 === 0 ? 'name' : 'recentlyAdded'}`);
    await firstScreenReady(page);
    direct.push(Date.now() - loadStarted);
  }
  figures['web.albums_first_screen_p50_ms'] = percentile(navigation, 50);
  figures['web.albums_first_screen_max_ms'] = Math.max(...navigation);
  figures['web.albums_direct_load_p50_ms'] = percentile(direct, 50);
  figures['web.albums_direct_load_max_ms'] = Math.max(...direct);
  await context.close();
}

async function searchLatency(
  browser: Browser,
  url: string,
  words: readonly string[],
  figures: Record<string, number>,
) {
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await signInAs(page, url);
  const box = page.getByRole('combobox', { name: 'Search' });
  await page.evaluate(() =>
    document.addEventListener(
      'input',
      (event) => {
        (window as unknown as { lastInput: number }).lastInput = event.timeStamp;
      },
      { capture: true },
    ),
  );
  const latencies: number[] = [];
  for (const word of words) {
    await box.fill('');
    await box.click();
    // Type all but the last key, then time the last one to the results for the whole word.
    await box.pressSequentially(word.slice(0, -1), { delay: TYPING_DELAY_MS });
    await page.waitForTimeout(TYPING_DELAY_MS);
    await page.evaluate(() => performance.clearResourceTimings());
    await box.pressSequentially(word.slice(-1));
    const done = await page.evaluate(
      (query) =>
        new Promise<number>((resolve) => {
          const check = () => {
            const popup = document.querySelector(
              `[data-testid="search-results"][data-query="${CSS.escape(query)}"]`,
            );
            if (popup) resolve(performance.now());
            else requestAnimationFrame(check);
          };
          check();
        }),
      word,
    );
    // From the moment the page got the key (the input event), not from when this process sent it.
    const started = await page.evaluate(() => (window as unknown as { lastInput: number }).lastInput);
    latencies.push(done - started);
    if (process.env.BENCH_DEBUG) {
      const timing = await page.evaluate((query) => {
        const entry = performance
          .getEntriesByType('resource')
          .filter((each) => each.name.includes(`q=${encodeURIComponent(query)}&`))
          .at(-1) as PerformanceResourceTiming | undefined;
        return entry && { start: entry.startTime, requestStart: entry.requestStart, end: entry.responseEnd };
      }, word);
      if (timing)
        console.log(
          `${word}: total ${(done - started).toFixed(0)}  to request ${(timing.start - started).toFixed(0)}  wait ${(timing.requestStart - timing.start).toFixed(0)}  server ${(timing.end - timing.requestStart).toFixed(0)}  render ${(done - timing.end).toFixed(0)}`,
        );
    }
  }
  figures['web.search_p50_ms'] = round(percentile(latencies, 50));
  figures['web.search_p95_ms'] = round(percentile(latencies, 95));
  figures['web.search_max_ms'] = round(Math.max(...latencies));
  figures['web.search_queries'] = latencies.length;
  await context.close();
}

async function signInAs(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('User name').fill(USER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

async function gaps(browser: Browser, figures: Record<string, number>): Promise<void> {
  const server = await startWebAppServer();
  const context = await newContext(browser);
  const page = await context.newPage();
  try {
    await signIn(page, server.baseUrl, 'alice', '/songs');
    await page.locator('[data-track-id]').first().waitFor();
    await page.evaluate(() => {
      const log: { slot: string; type: string; at: number }[] = [];
      (window as unknown as { audioLog: typeof log }).audioLog = log;
      for (const audio of document.querySelectorAll('audio'))
        // The event's own time (when the element fired it), not when this listener got to run.
        for (const type of ['playing', 'ended', 'play'])
          audio.addEventListener(type, (event) =>
            log.push({ slot: audio.dataset.slot ?? '', type, at: event.timeStamp }),
          );
    });
    // Every song from the first, in title order: formats change from one track to the next.
    await page.locator('[data-track-id]').first().getByRole('button').first().click();
    // A long track is moved with the seek bar to 3 s before its end: many transitions in little time.
    const until = Date.now() + GAP_SECONDS * 1000;
    while (Date.now() < until) {
      const playing = await page.evaluate(() => {
        const audio = [...document.querySelectorAll('audio')].find((each) => !each.paused);
        return audio && { duration: audio.duration, at: audio.currentTime };
      });
      if (playing && Number.isFinite(playing.duration) && playing.duration - playing.at > 8)
        await page.getByRole('slider', { name: 'Seek' }).fill(String(Math.floor(playing.duration) - 3));
      await page.waitForTimeout(500);
    }
    const log = await page.evaluate(
      () => (window as unknown as { audioLog: { slot: string; type: string; at: number }[] }).audioLog,
    );
    const measured: number[] = [];
    for (const [index, entry] of log.entries()) {
      if (entry.type !== 'ended') continue;
      const next = log.slice(index + 1).find((later) => later.type === 'playing');
      if (next) measured.push(next.at - entry.at);
      const play = log.slice(index + 1).find((later) => later.type === 'play');
      if (process.env.BENCH_DEBUG && next && play)
        console.log(
          `ended→play ${(play.at - entry.at).toFixed(1)}  play→playing ${(next.at - play.at).toFixed(1)}`,
        );
    }
    figures['web.gap_transitions'] = measured.length;
    figures['web.gap_p50_ms'] = round(percentile(measured, 50));
    figures['web.gap_p95_ms'] = round(percentile(measured, 95));
    figures['web.gap_max_ms'] = round(Math.max(...measured));
  } finally {
    await context.close();
    await server.close();
  }
}

export async function main(): Promise<Record<string, number>> {
  ensureWebBuild();
  const figures: Record<string, number> = {};
  const initial = initialBytes();
  figures['web.initial_js_gzip_kb'] = round(initial.gzip / 1024);
  figures['web.initial_js_raw_kb'] = round(initial.raw / 1024);

  const copy = await syntheticCopy(file, TRACKS);
  const random = seeded(15);
  const names = copy.sqlite
    .prepare('SELECT name FROM album WHERE pk % 97 = 0 UNION ALL SELECT name FROM artist WHERE pk % 53 = 0')
    .pluck()
    .all() as string[];
  figures['web.albums'] = copy.sqlite.prepare('SELECT count(*) FROM album').pluck().get() as number;
  await copy.close();
  const words = [
    ...new Set(
      names
        .flatMap((name) => name.split(/\s+/))
        .filter((word) => /^\p{L}{4,}$/u.test(word))
        .map((word) => word.toLowerCase().slice(0, 3 + Math.floor(random() * 4))),
    ),
  ].slice(0, 40);

  const { url, child } = await startServer(file, USER, PASSWORD);
  const browser = await launchBrowser();
  try {
    if (wants('albums')) await albumsFirstScreen(browser, url, figures);
    if (wants('search')) await searchLatency(browser, url, words, figures);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  try {
    if (wants('gaps')) await gaps(browser, figures);
  } finally {
    await browser.close();
  }
  figures['web.cores'] = os.availableParallelism();
  return figures;
}
