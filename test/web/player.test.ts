/// <reference lib="dom" />
// The callbacks given to page.evaluate and page.waitForFunction run in the browser.
// The web player in headless Chromium against a real server: signing in, playing (the audio element's
// time advances), the next track following on its own with a short gap, the queue (reorder by drag and
// by keyboard), MediaSession, keyboard shortcuts, what the server learns (listening events, the saved
// play queue that another device resumes), and a session that expires under the music.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser,
  newContext,
  PASSWORDS,
  screenshot,
  signIn,
  startWebAppServer,
  type WebAppServer,
  waitFor,
} from '../helpers/web-app.ts';

interface AudioState {
  slot: string;
  currentTime: number;
  paused: boolean;
  src: string;
}

function audioStates(page: Page): Promise<AudioState[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('audio')].map((audio) => ({
      slot: audio.dataset.slot ?? '',
      currentTime: audio.currentTime,
      paused: audio.paused,
      src: audio.currentSrc,
    })),
  );
}

/** The element that is playing, once one has played for at least `seconds`. */
async function waitForPlayback(page: Page, seconds = 0.5): Promise<AudioState> {
  await page.waitForFunction(
    (min) =>
      [...document.querySelectorAll('audio')].some((audio) => !audio.paused && audio.currentTime >= min),
    seconds,
    { timeout: 20_000 },
  );
  return (await audioStates(page)).find((state) => !state.paused)!;
}

async function nowPlayingTitle(page: Page): Promise<string> {
  return (await page.getByTestId('now-playing-title').textContent()) ?? '';
}

async function openAlbum(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name: 'Albums', exact: true }).click();
  await page.getByRole('link', { name, exact: true }).first().click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

describe('the web player', () => {
  let server: WebAppServer;
  let browser: Browser;
  before(async () => {
    server = await startWebAppServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('refuses a wrong password with a message, then signs in', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/albums`);
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill('not her password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong user name or password' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORDS.alice);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The page asked for before signing in is the one shown after.
    await page.getByRole('heading', { level: 1, name: 'Albums' }).waitFor();
    assert.match(page.url(), /\/albums$/);
    await page.getByRole('button', { name: /Sign out/ }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const me = await page.request.get(`${server.baseUrl}/api/v1/me`);
    assert.equal(me.status(), 401, 'signing out ends the session on the server');
    await context.close();
  });

  it('plays an album: time advances, the next track follows by itself with a short gap, the server hears it', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'alice');
    await openAlbum(page, 'Northern Lights');
    // Every audio element's events, from the start.
    await page.evaluate(() => {
      const log: { slot: string; type: string; at: number; src: string }[] = [];
      (window as unknown as { audioLog: typeof log }).audioLog = log;
      for (const audio of document.querySelectorAll('audio'))
        // The event's own time (when the element fired it), as bench/web.bench.ts measures it.
        for (const type of ['playing', 'ended'])
          audio.addEventListener(type, (event) =>
            log.push({ slot: audio.dataset.slot ?? '', type, at: event.timeStamp, src: audio.currentSrc }),
          );
    });
    await page.getByRole('button', { name: 'Play: Northern Lights' }).click();
    const first = await waitForPlayback(page, 1);
    assert.ok(first.currentTime >= 1);
    assert.match(
      first.src,
      /\/api\/v1\/media\/stream\/tr-[^?]+\?.*format=raw/,
      'a signed stream URL of the original',
    );
    assert.equal(await nowPlayingTitle(page), 'Polar Night');
    assert.equal(
      await page.evaluate(() => navigator.mediaSession.metadata?.title),
      'Polar Night',
      'the lock screen and media keys see the track',
    );
    await screenshot(page, 'player-playing-desktop-dark');

    // The 4-second first track ends; the second starts in the other element.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="now-playing-title"]')?.textContent === 'Glacier Song',
      undefined,
      { timeout: 20_000 },
    );
    await waitForPlayback(page, 0.3);
    const log = await page.evaluate(
      () =>
        (window as unknown as { audioLog: { slot: string; type: string; at: number; src: string }[] })
          .audioLog,
    );
    const ended = log.find((entry) => entry.type === 'ended');
    assert.ok(ended, 'the first track ended');
    const next = log.find((entry) => entry.type === 'playing' && entry.at >= ended.at);
    assert.ok(next, 'the next one started');
    assert.notEqual(next.slot, ended.slot, 'it was preloaded in the other element');
    // The seek bar follows the new track at once (its length came while it waited).
    assert.equal(await page.getByRole('slider', { name: 'Seek' }).getAttribute('max'), '6');
    const gap = next.at - ended.at;
    console.log(`gap between tracks: ${gap.toFixed(1)} ms`);
    assert.ok(gap < 150, `gap ${gap} ms`);

    // The first track's listen reached the server as a play (events are sent when a listen ends).
    await waitFor(async () => {
      const response = await page.request.get(`${server.baseUrl}/api/v1/tracks?sort=playCount&limit=1`);
      const { items } = (await response.json()) as { items: { title: string; playCount: number }[] };
      return items[0]?.title === 'Polar Night' && items[0].playCount === 1;
    }, 'Polar Night counted as played');
    await context.close();
  });

  it('pauses and resumes with the keyboard, seeks, and goes to the next track', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob');
    await openAlbum(page, 'Long Player');
    await page.getByRole('button', { name: 'Play: Long Player' }).click();
    await waitForPlayback(page, 0.5);
    await page.locator('main h1').click(); // focus on the page, not a button
    await page.keyboard.press('Space');
    await page.waitForFunction(() => [...document.querySelectorAll('audio')].every((audio) => audio.paused));
    assert.equal(await page.getByTestId('play-pause').getAttribute('aria-label'), 'Play');
    await page.keyboard.press('Space');
    await waitForPlayback(page, 0.5);
    // Seek to 2:00 with the seek bar.
    await page.getByRole('slider', { name: 'Seek' }).fill('120');
    const seeked = await waitForPlayback(page, 120);
    assert.ok(seeked.currentTime < 200, 'it jumped to about 2:00, not past it');
    // Arrow keys on the focused seek bar move it; the shortcut works from the page.
    await page.locator('main h1').click();
    await page.keyboard.press('Control+ArrowRight');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="now-playing-title"]')?.textContent === 'Second Side',
    );
    await waitForPlayback(page, 0.3);
    await context.close();
  });

  it('follows a pause the browser makes itself (headphones unplugged), and resumes from the button', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob');
    await openAlbum(page, 'Long Player');
    await page.getByRole('button', { name: 'Play: Long Player' }).click();
    await waitForPlayback(page, 0.5);
    await page.evaluate(() => {
      for (const audio of document.querySelectorAll('audio')) audio.pause();
    });
    await page
      .getByTestId('play-pause')
      .and(page.getByRole('button', { name: 'Play' }))
      .waitFor();
    await page.getByTestId('play-pause').click();
    await waitForPlayback(page, 0.8);
    await context.close();
  });

  it('shows the sign-in page when the session is ended elsewhere, not a page of errors', async () => {
    const laptop = await newContext(browser);
    const page = await laptop.newPage();
    await signIn(page, server.baseUrl, 'alice');
    const phone = await newContext(browser);
    const other = await phone.newPage();
    await signIn(other, server.baseUrl, 'alice');
    await other.getByRole('link', { name: 'Account' }).click();
    await other.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await other.getByText('This device').waitFor();
    // The laptop's next request learns its session is over.
    await page.getByRole('link', { name: 'Artists', exact: true }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByText('Your session ended').waitFor();
    await laptop.close();
    await phone.close();
  });

  it('reorders the queue by drag and by keyboard, removes from it, and the current track keeps playing', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'alice');
    await openAlbum(page, 'Tidewater');
    await page.getByRole('button', { name: 'Play: Tidewater' }).click();
    await waitForPlayback(page, 0.3);
    await page.getByRole('button', { name: 'Queue', exact: true }).click();
    const titles = () => page.getByTestId('queue-item').locator('.track-title').allTextContents();
    assert.deepEqual(await titles(), ['Low Tide', 'Harbor Lights', 'Undertow']);

    // Drag "Undertow" above "Harbor Lights".
    const handle = page.getByRole('button', { name: /Drag to reorder.*: Undertow/ });
    const target = page.getByRole('button', { name: /Drag to reorder.*: Harbor Lights/ });
    const from = (await handle.boundingBox())!;
    const to = (await target.boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2, from.y - 10, { steps: 5 });
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2 - 8, { steps: 10 });
    await page.mouse.up();
    await waitFor(async () => (await titles()).join() === 'Low Tide,Undertow,Harbor Lights', 'dragged');
    await screenshot(page, 'queue-desktop-dark');

    // Alt+Down on the second entry moves it down.
    await page.getByTestId('queue-item').nth(1).locator('button.meta').focus();
    await page.keyboard.press('Alt+ArrowDown');
    await waitFor(
      async () => (await titles()).join() === 'Low Tide,Harbor Lights,Undertow',
      'moved by keyboard',
    );
    await page.getByRole('button', { name: 'Remove from queue: Harbor Lights' }).click();
    assert.deepEqual(await titles(), ['Low Tide', 'Undertow']);
    assert.equal(await nowPlayingTitle(page), 'Low Tide');
    const playing = await waitForPlayback(page, 0.1);
    assert.ok(playing, 'still playing');
    await context.close();
  });

  it('saves the queue on the server, and another device resumes it where it stopped', async () => {
    const phone = await newContext(browser);
    const page = await phone.newPage();
    await signIn(page, server.baseUrl, 'admin');
    await openAlbum(page, 'Chansons d’été');
    await page.getByRole('button', { name: 'Play: Chansons d’été' }).click();
    await waitForPlayback(page, 1.5);
    await page.getByTestId('play-pause').click(); // pausing saves at once
    await waitFor(async () => {
      const response = await page.request.get(`${server.baseUrl}/api/v1/play-queue`);
      const queue = (await response.json()) as {
        tracks: { title: string }[];
        currentIndex: number;
        positionMs: number;
      };
      return queue.tracks.length === 3 && queue.currentIndex === 0 && queue.positionMs >= 1000;
    }, 'the queue saved with the position');

    const laptop = await newContext(browser);
    const other = await laptop.newPage();
    await signIn(other, server.baseUrl, 'admin');
    await other.waitForFunction(
      () => document.querySelector('[data-testid="now-playing-title"]')?.textContent === 'Été indien',
    );
    assert.equal(await other.getByTestId('play-pause').getAttribute('aria-label'), 'Play', 'resumed paused');
    await other.getByTestId('play-pause').click();
    const resumed = await waitForPlayback(other, 1.2);
    assert.ok(resumed.currentTime >= 1.2, 'from where the other device stopped');
    await phone.close();
    await laptop.close();
  });

  it('searches as you type, moves with the arrow keys and plays with Enter', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob');
    const search = page.getByRole('combobox', { name: 'Search' });
    await search.fill('glac');
    const results = page.getByTestId('search-results');
    await results.getByRole('option', { name: /Glacier Song/ }).waitFor();
    await search.press('ArrowDown');
    assert.ok(await search.getAttribute('aria-activedescendant'));
    // Artists and albums come first; move to the song and play it.
    const options = await results.getByRole('option').allTextContents();
    const songIndex = options.findIndex((text) => text.includes('Glacier Song'));
    for (let i = 0; i < songIndex; i++) await search.press('ArrowDown');
    await search.press('Enter');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="now-playing-title"]')?.textContent === 'Glacier Song',
    );
    await waitForPlayback(page, 0.3);
    // Unicode and accents match as typed.
    await search.fill('ete');
    await results.getByRole('option', { name: /Été indien/ }).waitFor();
    await search.fill('東京');
    await results.getByRole('option', { name: /東京/ }).first().waitFor();
    await search.press('Escape');
    await context.close();
  });
});

describe('a session that expires under the music', () => {
  let server: WebAppServer;
  let browser: Browser;
  before(async () => {
    server = await startWebAppServer({ auth: { accessTokenTtl: '10s' } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('refreshes the session on the next request, and the music never stops', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'alice');
    await openAlbum(page, 'Long Player');
    await page.getByRole('button', { name: 'Play: Long Player' }).click();
    await waitForPlayback(page, 0.5);
    await page.waitForTimeout(11_000); // the access token is now expired
    const before = await waitForPlayback(page, 10);
    await page.getByRole('link', { name: 'Artists', exact: true }).click();
    await page.getByRole('link', { name: 'Delta Waves' }).first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sign in' }).count(), 0, 'still signed in');
    const after = await waitForPlayback(page, before.currentTime + 0.5);
    assert.equal(after.src, before.src, 'the same stream, never interrupted');
    await context.close();
  });
});
