/// <reference lib="dom" />
// The callbacks given to page.evaluate and page.waitForFunction run in the browser.
// Every main page, in dark and light, at desktop and phone widths: each is checked by axe-core (no serious
// or critical accessibility violation) and saved as a screenshot under test/artifacts/web/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  DESKTOP,
  describeViolations,
  launchBrowser,
  newContext,
  PHONE,
  screenshot,
  seriousViolations,
  signIn,
  startWebAppServer,
  type WebAppServer,
} from '../helpers/web-app.ts';

interface MainPage {
  name: string;
  path: string;
  /** What shows once the page has its content. */
  ready: (page: Page) => Promise<unknown>;
}

const PAGES: MainPage[] = [
  {
    name: 'home',
    path: '/',
    ready: (page) => page.getByRole('heading', { name: 'Recently added' }).waitFor(),
  },
  {
    name: 'albums',
    path: '/albums',
    ready: (page) => page.getByTestId('album-grid').locator('.card').first().waitFor(),
  },
  {
    name: 'album',
    path: '/albums',
    ready: async (page) => {
      await page.getByTestId('album-grid').locator('.card').first().waitFor();
      await page.getByRole('link', { name: 'Northern Lights', exact: true }).click();
      await page.getByRole('table', { name: 'Northern Lights' }).waitFor();
    },
  },
  {
    name: 'artist',
    path: '/artists',
    ready: async (page) => {
      await page.getByRole('main').getByRole('link', { name: 'Aurora Lane', exact: true }).click();
      await page.getByRole('heading', { name: 'Discography' }).waitFor();
    },
  },
  { name: 'songs', path: '/songs', ready: (page) => page.locator('[data-track-id]').first().waitFor() },
  {
    name: 'search',
    path: '/search?q=har',
    ready: (page) => page.getByRole('heading', { name: 'Songs' }).waitFor(),
  },
  {
    name: 'playlists',
    path: '/playlists',
    ready: (page) => page.getByRole('button', { name: 'New playlist' }).waitFor(),
  },
  { name: 'stats', path: '/stats', ready: (page) => page.getByText('Minutes listened').waitFor() },
  {
    name: 'account',
    path: '/account',
    ready: (page) => page.getByRole('heading', { name: 'API keys' }).waitFor(),
  },
  {
    name: 'admin',
    path: '/admin/users',
    ready: (page) => page.getByRole('cell', { name: /alice/ }).waitFor(),
  },
  {
    name: 'admin-transcoding',
    path: '/admin/transcoding',
    ready: (page) => page.getByRole('button', { name: 'New profile' }).waitFor(),
  },
  {
    name: 'queue',
    path: '/albums',
    ready: async (page) => {
      await page.getByRole('link', { name: 'Tidewater', exact: true }).click();
      await page.getByRole('button', { name: 'Play: Tidewater' }).click();
      await page.getByRole('button', { name: 'Queue', exact: true }).click();
      await page.getByTestId('queue-item').first().waitFor();
      // Paused, so the screenshot and the checks see a still page.
      await page.getByTestId('play-pause').click();
    },
  },
];

describe('the main pages', () => {
  let server: WebAppServer;
  let browser: Browser;
  before(async () => {
    server = await startWebAppServer();
    browser = await launchBrowser();
    // Some listening, so home and stats have something to show.
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'admin', '/albums');
    await page.getByRole('link', { name: 'Northern Lights', exact: true }).click();
    await page.getByRole('button', { name: 'Play: Northern Lights' }).click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="now-playing-title"]')?.textContent === 'Glacier Song',
      undefined,
      { timeout: 20_000 },
    );
    await page.getByTestId('play-pause').click();
    await context.close();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const scheme of ['dark', 'light'] as const) {
    for (const [width, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      it(`${width}, ${scheme}: accessible and captured`, async () => {
        const context: BrowserContext = await newContext(browser, { viewport, colorScheme: scheme });
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        const failures: string[] = [];
        try {
          await page.goto(`${server.baseUrl}/`);
          await page.getByRole('button', { name: 'Sign in' }).waitFor();
          await screenshot(page, `login-${width}-${scheme}`);
          const loginViolations = await seriousViolations(page);
          if (loginViolations.length > 0) failures.push(`login:\n${describeViolations(loginViolations)}`);
          await signIn(page, server.baseUrl, 'admin');
          for (const main of PAGES) {
            await page.goto(`${server.baseUrl}${main.path}`);
            await main.ready(page);
            await page.waitForLoadState('networkidle');
            await screenshot(page, `${main.name}-${width}-${scheme}`);
            const violations = await seriousViolations(page);
            if (violations.length > 0) failures.push(`${main.name}:\n${describeViolations(violations)}`);
          }
        } finally {
          await context.close();
        }
        assert.deepEqual(errors, [], 'no script errors');
        assert.equal(failures.length, 0, failures.join('\n\n'));
      });
    }
  }
});
