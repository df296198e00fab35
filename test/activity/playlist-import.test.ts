// M3U/M3U8 import through real scans of the fixture library: relative, absolute, backslashed and
// URL-encoded entries; re-import on change; removal when the file goes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createUser } from '../../src/accounts/users.service.ts';
import { parseM3u } from '../../src/library/playlist-import.ts';
import { buildFixtureLibrary, type FixtureLibrary } from '../helpers/library-fixture.ts';
import { openScanHarness, type ScanHarness } from '../helpers/scan.ts';

let library: FixtureLibrary;
let harness: ScanHarness;

const playlists = () =>
  harness.runtime.db
    .prepare('SELECT id, name, public, owner_id, source_path FROM playlist ORDER BY name')
    .all() as {
    id: string;
    name: string;
    public: number;
    owner_id: string;
    source_path: string;
  }[];
const entries = (id: string) =>
  harness.runtime.db
    .prepare(
      'SELECT t.path FROM playlist_track e JOIN track t ON t.id = e.track_id WHERE e.playlist_id = ? ORDER BY e.position',
    )
    .pluck()
    .all(id) as string[];

before(async () => {
  library = await buildFixtureLibrary();
  harness = await openScanHarness([library.root]);
  await createUser(harness.runtime.db, { username: 'root', password: 'pw', isAdmin: true });
});
after(async () => {
  await harness.close();
  library.cleanup();
});

test('parseM3u keeps entry lines and the #PLAYLIST name', () => {
  const parsed = parseM3u('\uFEFF#EXTM3U\r\n#PLAYLIST:Best\n#EXTINF:123,A - B\nx.mp3\n\n  y.flac  \n');
  assert.deepEqual(parsed, { name: 'Best', entries: ['x.mp3', 'y.flac'] });
});

test('playlist files are imported by path, refreshed on change and removed with the file', async () => {
  const file = path.join(library.root, 'Artist A', 'favourites.m3u8');
  fs.writeFileSync(
    file,
    [
      '#EXTM3U',
      '#EXTINF:1,Artist A - One',
      '2001 - First Album/01 - One.mp3',
      '..\\Artist B\\Double\\CD 2\\01 - Side B.mp3',
      `${library.root}/Mixed/Mixtape/01 - P.flac`,
      `file://${encodeURI(`${library.root}/Compilations/Hits/02 - Y.mp3`)}`,
      '2001%20-%20First%20Album/02%20-%20Two.flac',
      'http://example.com/stream.mp3',
      'missing.mp3',
      '../../../etc/passwd',
    ].join('\n'),
  );
  await harness.scanner.scan();
  const [imported] = playlists();
  assert.ok(imported);
  assert.equal(imported.name, 'favourites');
  assert.equal(imported.public, 1);
  assert.equal(imported.source_path, 'Artist A/favourites.m3u8');
  assert.deepEqual(entries(imported.id), [
    'Artist A/2001 - First Album/01 - One.mp3',
    'Artist B/Double/CD 2/01 - Side B.mp3',
    'Mixed/Mixtape/01 - P.flac',
    'Compilations/Hits/02 - Y.mp3',
    'Artist A/2001 - First Album/02 - Two.flac',
  ]);

  await harness.scanner.scan();
  assert.equal(playlists()[0]!.id, imported.id, 'an unchanged file keeps its playlist');

  fs.writeFileSync(file, '#EXTM3U\n#PLAYLIST:Renamed\n2001 - First Album/03 - Three.ogg\n');
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(file, later, later);
  await harness.scanner.scan();
  const [changed] = playlists();
  assert.equal(changed!.id, imported.id);
  assert.equal(changed!.name, 'Renamed');
  assert.deepEqual(entries(imported.id), ['Artist A/2001 - First Album/03 - Three.ogg']);

  fs.rmSync(file);
  await harness.scanner.scan();
  assert.deepEqual(playlists(), []);
});
