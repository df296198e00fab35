/// <reference lib="dom" />
// The callbacks given to page.evaluate and page.waitForFunction run in the browser.
// Browsing, playlists, stars, the admin's scan with live progress and uploads, in headless Chromium
// against a real server; and the first-run page of a server with no account yet.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { makeAudio } from '../helpers/audio.ts';
import {
  launchBrowser,
  newContext,
  screenshot,
  signIn,
  startWebAppServer,
  type WebAppServer,
  waitFor,
  apiJson,
} from '../helpers/web-app.ts';

describe('the library in the web app', () => {
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

  it('shows the album grid, sorts and filters it, and loads more as it scrolls', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob', '/albums');
    const cards = page.getByTestId('album-grid').locator('.card');
    await cards.first().waitFor();
    // 76 albums: the first page has 60; scrolling to the end of the grid loads the rest.
    await waitFor(async () => (await cards.count()) === 60, 'the first page');
    await page.locator('main').evaluate((main) => main.scrollTo({ top: main.scrollHeight }));
    await waitFor(async () => (await cards.count()) === server.library.albumCount, 'every album');
    await page.getByLabel('Sort').selectOption('year');
    await waitFor(
      async () => (await cards.first().locator('.title').textContent()) === 'Volume 01',
      'oldest first',
    );
    await page.getByLabel('Genre').selectOption('Jazz');
    await waitFor(async () => (await cards.count()) === 1, 'one jazz album');
    assert.equal(await cards.first().locator('.title').textContent(), 'Tidewater');
    assert.match(page.url(), /sort=year.*genre=Jazz|genre=Jazz.*sort=year/, 'the choice is in the address');
    await context.close();
  });

  it('opens an album (discs, credits) and an artist (albums, follow)', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob', '/albums');
    await page.getByRole('link', { name: 'Long Player', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Disc 1' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'Disc 2' }).waitFor();
    await page.getByRole('table', { name: 'Disc 2' }).getByText('Second Side').waitFor();
    await page.getByRole('link', { name: 'Delta Waves' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Delta Waves' }).waitFor();
    await page.getByRole('heading', { name: 'Discography' }).waitFor();
    const discography = page.locator('.shelf', { has: page.getByRole('heading', { name: 'Discography' }) });
    await discography.getByRole('link', { name: 'Long Player', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Follow: Delta Waves' }).click();
    await page.getByRole('button', { name: 'Following: Delta Waves' }).waitFor();
    const starred = await apiJson<{ items: { name: string }[] }>(
      page,
      `${server.baseUrl}/api/v1/starred/artists`,
    );
    assert.deepEqual(
      starred.items.map((artist) => artist.name),
      ['Delta Waves'],
    );
    await context.close();
  });

  it('lists every song in a virtualised table that renders only what is on screen', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob', '/songs');
    const table = page.getByRole('table', { name: 'Songs' });
    await table.locator('[data-track-id]').first().waitFor();
    const rendered = await table.locator('[data-track-id]').count();
    assert.ok(
      rendered < server.library.trackCount,
      `${rendered} rows in the page for ${server.library.trackCount} songs`,
    );
    const all = await apiJson<{ items: { id: string; title: string }[] }>(
      page,
      `${server.baseUrl}/api/v1/tracks?sort=title&limit=500`,
    );
    assert.equal(all.items.length, server.library.trackCount);
    await page.locator('main').evaluate((main) => main.scrollTo({ top: main.scrollHeight }));
    const last = all.items.at(-1)!;
    await table.locator(`[data-track-id="${last.id}"]`).waitFor();
    await context.close();
  });

  it('creates a playlist from an album, renames it, removes and moves entries, exports and deletes it', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'alice', '/albums');
    await page.getByRole('link', { name: 'Northern Lights', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Northern Lights' }).waitFor();
    await page.locator('.actions').getByRole('button', { name: 'More' }).click();
    await page.getByRole('menuitem', { name: 'Add to playlist' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to playlist' });
    await dialog.getByLabel('Name').fill('Road trip');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('status').getByText('Added to Road trip').waitFor();

    await page.getByRole('link', { name: 'Playlists', exact: true }).click();
    await page.getByRole('link', { name: 'Road trip' }).click();
    await page.getByRole('heading', { level: 1, name: 'Road trip' }).waitFor();
    const rows = page.getByRole('table', { name: 'Road trip' }).locator('[data-track-id] .track-title');
    await waitFor(async () => (await rows.count()) === 4, 'four songs');
    await screenshot(page, 'playlist-desktop-dark');

    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit' });
    await edit.getByLabel('Name').fill('Road trip 2026');
    await edit.getByLabel('Description').fill('For the long drive');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: 'Road trip 2026' }).waitFor();
    await page.getByText('For the long drive').waitFor();

    await page.getByRole('button', { name: 'Actions for Glacier Song' }).click();
    await page.getByRole('menuitem', { name: 'Remove from playlist' }).click();
    await waitFor(
      async () => (await rows.allTextContents()).join() === 'Polar Night,Midnight Sun,Aurora',
      'removed',
    );
    await page.getByRole('button', { name: 'Actions for Polar Night' }).click();
    await page.getByRole('menuitem', { name: 'Move down' }).click();
    await waitFor(
      async () => (await rows.allTextContents()).join() === 'Midnight Sun,Polar Night,Aurora',
      'moved',
    );

    const m3uUrl = await page.getByRole('link', { name: 'Export M3U' }).getAttribute('href');
    const m3u = await (await page.request.get(new URL(m3uUrl!, server.baseUrl).href)).text();
    assert.match(m3u, /^#EXTM3U/);
    assert.ok(m3u.indexOf('Midnight Sun') < m3u.indexOf('Polar Night'), 'in the new order');

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { level: 1, name: 'Playlists' }).waitFor();
    const left = await apiJson<{ items: { name: string }[] }>(page, `${server.baseUrl}/api/v1/playlists`);
    assert.ok(!left.items.some((playlist) => playlist.name.startsWith('Road trip')), 'deleted on the server');
    await context.close();
  });

  it('imports an M3U playlist', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'alice', '/playlists');
    const album = path.join(server.library.root, 'Brass Harbor', '2021 - Tidewater');
    const lines = [
      '#EXTM3U',
      path.join(album, '02 - Harbor Lights.flac'),
      path.join(album, '01 - Low Tide.flac'),
      '/nowhere/missing.mp3',
    ];
    await page.getByLabel('Import M3U').setInputFiles({
      name: 'Harbor mix.m3u8',
      mimeType: 'audio/x-mpegurl',
      buffer: Buffer.from(`${lines.join('\n')}\n`),
    });
    await page.getByRole('heading', { level: 1, name: 'Harbor mix' }).waitFor();
    await page.getByRole('status').getByText('1 line matched nothing').waitFor();
    const rows = page.getByRole('table', { name: 'Harbor mix' }).locator('[data-track-id] .track-title');
    await waitFor(
      async () => (await rows.allTextContents()).join() === 'Harbor Lights,Low Tide',
      'in file order',
    );
    await context.close();
  });

  it('stars and rates songs and albums where they are listed, and the starred page shows them', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob', '/albums');
    await page.getByRole('link', { name: 'Tidewater', exact: true }).click();
    await page.getByRole('button', { name: 'Star: Undertow' }).click();
    await page.getByRole('button', { name: 'Remove star: Undertow' }).waitFor();
    const starred = await apiJson<{ items: { title: string }[] }>(
      page,
      `${server.baseUrl}/api/v1/starred/tracks`,
    );
    assert.deepEqual(
      starred.items.map((track) => track.title),
      ['Undertow'],
    );
    // Ratings: the album's in its header, a song's in its menu.
    await page
      .getByRole('group', { name: 'Rating: Tidewater' })
      .getByRole('button', { name: 'Rate 4 of 5' })
      .click();
    await page.getByRole('button', { name: 'Actions for Low Tide' }).click();
    await page.getByRole('menuitem', { name: 'Rate 5 of 5' }).click();
    await waitFor(async () => {
      const rated = await apiJson<{ items: { title: string; rating: number | null }[] }>(
        page,
        `${server.baseUrl}/api/v1/tracks?sort=rating&limit=5`,
      );
      const albums = await apiJson<{ items: { name: string; rating: number | null }[] }>(
        page,
        `${server.baseUrl}/api/v1/albums?sort=rating&limit=5`,
      );
      return (
        rated.items[0]?.title === 'Low Tide' &&
        rated.items[0].rating === 5 &&
        albums.items[0]?.name === 'Tidewater' &&
        albums.items[0].rating === 4
      );
    }, 'the ratings on the server');
    await page.getByRole('link', { name: 'Starred', exact: true }).click();
    await page.getByRole('table', { name: 'Starred' }).getByText('Undertow').waitFor();
    await context.close();
  });

  it('lets an admin scan and shows its progress live, then the report', async () => {
    // New files make the scan long enough to report progress a few times.
    const extra = path.join(server.library.root, 'New Arrivals');
    await Promise.all(
      Array.from({ length: 120 }, (_, n) =>
        makeAudio(
          path.join(extra, `Album ${Math.floor(n / 10)}`, `${String(n).padStart(3, '0')} - New ${n}.mp3`),
          {
            format: 'mp3',
            durationSec: 1,
            frequency: 500 + n,
            tags: {
              title: `New ${n}`,
              artist: 'New Arrivals',
              album: `Album ${Math.floor(n / 10)}`,
              track: String(n % 10),
            },
          },
        ),
      ),
    );
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'admin', '/admin');
    await page.getByRole('heading', { name: 'Scans' }).first().waitFor();
    // Record every progress element the page shows.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { scanSeen: string[] }).scanSeen = seen;
      new MutationObserver(() => {
        for (const element of document.querySelectorAll('[data-testid="scan-progress"]'))
          seen.push(`${element.getAttribute('data-phase')}:${element.getAttribute('data-done')}`);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.getByRole('button', { name: 'Full rescan' }).click();
    await page.getByRole('button', { name: 'Full rescan' }).isDisabled();
    await waitFor(
      async () => ((await page.getByTestId('last-scan').textContent()) ?? '').includes('+120'),
      'the report of the scan with the new files',
      60_000,
    );
    const seen = await page.evaluate(() => (window as unknown as { scanSeen: string[] }).scanSeen);
    assert.ok(seen.length > 0, 'progress came live from the server while the scan ran');
    assert.ok(
      seen.some((entry) => /^(walking|reading|finishing):\d+$/.test(entry)),
      `phases and counts: ${seen.slice(0, 5).join(' ')}`,
    );
    assert.equal(
      await page.getByTestId('scan-progress').count(),
      0,
      'the progress goes when the scan is over',
    );
    await screenshot(page, 'admin-scans-desktop-dark');
    await context.close();
  });

  it('lets an admin copy a built-in transcoding profile, change it, and delete it', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'admin', '/admin/transcoding');
    await page
      .getByRole('button', { name: /^Copy: / })
      .first()
      .click();
    const dialog = page.getByRole('dialog', { name: 'New profile' });
    await dialog.getByLabel('Name').fill('car-stereo');
    await dialog.getByLabel('Default bitrate (kbps)').fill('96');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row', { name: /car-stereo/ }).waitFor();
    const listed = await apiJson<{ items: { name: string; defaultBitrate: number; builtIn: boolean }[] }>(
      page,
      `${server.baseUrl}/api/v1/transcoding/profiles`,
    );
    const made = listed.items.find((profile) => profile.name === 'car-stereo');
    assert.deepEqual([made?.defaultBitrate, made?.builtIn], [96, false]);
    // The player offers it as a quality.
    await page.getByRole('button', { name: 'Quality, ReplayGain' }).click();
    await page.getByRole('menuitem', { name: 'car-stereo' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Delete: car-stereo' }).click();
    await waitFor(
      async () => (await page.getByRole('cell', { name: /car-stereo/ }).count()) === 0,
      'deleted',
    );
    await context.close();
  });

  it('uploads dropped files with progress, for users with the upload role only', async () => {
    const admin = await newContext(browser);
    const adminPage = await admin.newPage();
    await signIn(adminPage, server.baseUrl, 'admin');
    const libraries = await apiJson<{ items: { id: number; name: string }[] }>(
      adminPage,
      `${server.baseUrl}/api/v1/libraries`,
    );
    const uploads = libraries.items.find((library) => library.name === 'Uploads')!;
    const csrf = (await admin.cookies()).find((cookie) => cookie.name === 'tonearm_csrf')!.value;
    const set = await adminPage.request.put(`${server.baseUrl}/api/v1/admin/uploads`, {
      data: { libraryId: uploads.id },
      headers: { 'X-CSRF-Token': csrf },
    });
    assert.equal(set.status(), 200);
    await admin.close();

    const fileA = path.join(server.dir, 'upload-a.mp3');
    const fileB = path.join(server.dir, 'upload-b.flac');
    await makeAudio(fileA, {
      format: 'mp3',
      durationSec: 3,
      tags: { title: 'Dropped A', artist: 'Uploader', album: 'Drops' },
    });
    await makeAudio(fileB, {
      format: 'flac',
      durationSec: 3,
      tags: { title: 'Dropped B', artist: 'Uploader', album: 'Drops' },
    });

    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'alice');
    await page.getByRole('link', { name: 'Upload' }).click();
    const files = [
      { name: 'upload-a.mp3', type: 'audio/mpeg', data: fs.readFileSync(fileA).toString('base64') },
      { name: 'upload-b.flac', type: 'audio/flac', data: fs.readFileSync(fileB).toString('base64') },
    ];
    const dataTransfer = await page.evaluateHandle((list) => {
      const transfer = new DataTransfer();
      for (const file of list) {
        const bytes = Uint8Array.from(atob(file.data), (char) => char.charCodeAt(0));
        transfer.items.add(new File([bytes], file.name, { type: file.type }));
      }
      return transfer;
    }, files);
    await page.dispatchEvent('[data-testid="drop-zone"]', 'dragover', { dataTransfer });
    await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer });
    const items = page.getByTestId('upload-item');
    await waitFor(async () => (await items.count()) === 2, 'two uploads listed');
    await waitFor(
      async () => (await page.locator('[data-testid="upload-item"][data-state="done"]').count()) === 2,
      'both uploaded',
      30_000,
    );
    assert.equal(await items.first().getByRole('progressbar').getAttribute('aria-valuenow'), '100');
    await page.getByRole('cell', { name: 'upload-a.mp3' }).waitFor();
    await screenshot(page, 'upload-desktop-dark');
    await context.close();

    const bobContext = await newContext(browser);
    const bob = await bobContext.newPage();
    await signIn(bob, server.baseUrl, 'bob');
    assert.equal(
      await bob.getByRole('link', { name: 'Upload' }).count(),
      0,
      'no upload link without the role',
    );
    await bob.goto(`${server.baseUrl}/upload`);
    await bob.getByText('Your account may not upload').waitFor();
    await bobContext.close();
  });
});

describe('a new server', () => {
  let server: WebAppServer;
  let browser: Browser;
  before(async () => {
    server = await startWebAppServer({ users: false });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('asks for the first administrator, then signs them in', async () => {
    const context = await newContext(browser, { colorScheme: 'light' });
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/`);
    await page.getByRole('heading', { name: 'Welcome to Tonearm' }).waitFor();
    await screenshot(page, 'setup-desktop-light');
    await page.getByLabel('User name').fill('owner');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Confirm password').fill('a different one');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').getByText('The passwords differ.').waitFor();
    await page.getByLabel('Confirm password').fill('a long enough password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByRole('link', { name: 'Administration' }).waitFor();
    const me = await apiJson<{ username: string; admin: boolean }>(page, `${server.baseUrl}/api/v1/me`);
    assert.deepEqual([me.username, me.admin], ['owner', true]);
    await context.close();
  });
});
