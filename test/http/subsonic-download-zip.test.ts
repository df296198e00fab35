// download of an album, artist, playlist or folder id answers a ZIP archive streamed while it is built:
// the entries are the item's tracks, byte for byte, under sanitised names, with an exact Content-Length;
// the caller's libraries, playlists and download role are respected; a vanished file is skipped (and
// flagged), and a client that goes away stops the archive without leaving a file open.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import zlib from 'node:zlib';
import { safeEntryName } from '../../src/streaming/zip-download.ts';
import { makeAudio } from '../helpers/audio.ts';
import {
  ADMIN,
  ALICE,
  BOB,
  type Credentials,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let fixtureRoot: string;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-zip-test-'));
const hasUnzip = (() => {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const ODD_ALBUM = 'Odd/Names: Vol. 2..';
const BIG_SECONDS = 90;

before(async () => {
  server = await startSubsonicServer();
  fixtureRoot = server.db
    .prepare('SELECT path FROM library WHERE id = ?')
    .pluck()
    .get(server.libraries.fixture) as string;
  const odd = (file: string, title: string, track?: number) =>
    makeAudio(path.join(fixtureRoot, 'Zip Test/Odd', file), {
      format: 'mp3',
      frequency: 300 + (track ?? 0) * 10,
      tags: {
        title,
        artist: 'Oddity',
        album: ODD_ALBUM,
        album_artist: 'Oddity',
        ...(track !== undefined ? { track: String(track) } : {}),
      },
    });
  await Promise.all([
    odd('01.mp3', 'Back\\slash/Slash', 1),
    odd('02.mp3', '..', 2),
    odd('03.mp3', 'Tab\there\u0007 bell', 3),
    odd('04.mp3', '東京 – Ünïcødé ♫', 4),
    odd('05.mp3', 'evil\u202egnp.exe', 5),
    odd('a.mp3', 'Same'),
    odd('b.mp3', 'Same'),
    odd('c.mp3', 'SAME'),
    // Big enough that the server is still in the middle of a file when a client gives up after one chunk.
    ...[1, 2].map((track) =>
      makeAudio(path.join(fixtureRoot, `Zip Test/Big/0${track} - Long.wav`), {
        format: 'wav',
        durationSec: BIG_SECONDS,
        frequency: 200 + track,
        tags: {
          title: `Long ${track}`,
          artist: 'Bigband',
          album: 'Big',
          album_artist: 'Bigband',
          track: String(track),
        },
      }),
    ),
  ]);
  await server.scanner.scan();
});
after(async () => {
  await server?.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

interface ZipEntryRead {
  name: string;
  method: number;
  utf8: boolean;
  /** Modification time from the universal timestamp extra field, in epoch seconds. */
  mtime: number | undefined;
  data: Buffer;
}

/** A small reader of what yazl writes: central directory → local headers → stored data, CRCs checked. */
function readZip(zip: Buffer): ZipEntryRead[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'end of central directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  assert.equal(at + zip.readUInt32LE(eocd + 12), eocd, 'central directory ends where the end record starts');
  const entries: ZipEntryRead[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central directory record');
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 20);
    assert.equal(zip.readUInt32LE(at + 24), size, 'stored: compressed size = size');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    let mtime: number | undefined;
    for (let x = at + 46 + nameLength; x < at + 46 + nameLength + extraLength; ) {
      const id = zip.readUInt16LE(x);
      const length = zip.readUInt16LE(x + 2);
      if (id === 0x5455) mtime = zip.readUInt32LE(x + 5);
      x += 4 + length;
    }
    assert.equal(zip.readUInt32LE(local), 0x04034b50, `local header of ${name}`);
    const localName = zip.readUInt16LE(local + 26);
    const localExtra = zip.readUInt16LE(local + 28);
    assert.equal(zip.toString('utf8', local + 30, local + 30 + localName), name);
    const start = local + 30 + localName + localExtra;
    const data = zip.subarray(start, start + size);
    assert.equal(zlib.crc32(data), crc, `CRC of ${name}`);
    entries.push({ name, method, utf8: (flags & 0x800) !== 0, mtime, data });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** An independent check that the archive is valid, when Info-ZIP's unzip is installed. */
function unzipTest(zip: Buffer): void {
  if (!hasUnzip) return;
  const file = path.join(workDir, `check-${process.hrtime.bigint()}.zip`);
  fs.writeFileSync(file, zip);
  execFileSync('unzip', ['-tqq', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  fs.rmSync(file);
}

const get = (params: Record<string, string>, init: RequestInit = {}, user: Credentials = ALICE) =>
  fetch(server.url('download', params, { user }), init);

async function downloadZip(
  id: string,
  user: Credentials = ALICE,
): Promise<{ response: Response; zip: Buffer; entries: ZipEntryRead[] }> {
  const response = await get({ id }, {}, user);
  assert.equal(response.status, 200);
  const zip = Buffer.from(await response.arrayBuffer());
  assert.equal(response.headers.get('content-type'), 'application/zip', zip.subarray(0, 300).toString());
  assert.equal(response.headers.get('accept-ranges'), 'none');
  assert.equal(Number(response.headers.get('content-length')), zip.length, 'Content-Length = body length');
  unzipTest(zip);
  return { response, zip, entries: readZip(zip) };
}

async function expectError(response: Response, code: number): Promise<void> {
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.match(text, new RegExp(`<error code="${code}"`), text);
}

const idOf = (sql: string, ...params: unknown[]) =>
  server.db
    .prepare(sql)
    .pluck()
    .get(...params) as string;
const albumId = (name: string) => idOf('SELECT id FROM album WHERE name = ?', name);
const trackFile = (id: string) =>
  path.join(fixtureRoot, idOf('SELECT path FROM track WHERE id = ?', id) as string);
const trackByPath = (relPath: string) => idOf('SELECT id FROM track WHERE path = ?', relPath);

/** Entries as name → bytes, checked against the files they came from. */
function assertEntries(entries: ZipEntryRead[], expected: [name: string, relPath: string][]): void {
  assert.deepEqual(
    entries.map((entry) => entry.name),
    expected.map(([name]) => name),
  );
  for (const [index, [name, relPath]] of expected.entries()) {
    const entry = entries[index]!;
    const file = path.join(fixtureRoot, relPath);
    assert.ok(entry.data.equals(fs.readFileSync(file)), `bytes of ${name}`);
    assert.equal(entry.method, 0, `${name} is stored, not deflated`);
    assert.ok(entry.utf8, `${name} has a UTF-8 name`);
    assert.equal(entry.mtime, Math.floor(fs.statSync(file).mtimeMs / 1000), `mtime of ${name}`);
  }
}

it('downloads an album as a zip of its original files, numbered, with an exact length', async () => {
  const { response, entries } = await downloadZip(albumId('First Album'));
  const disposition = response.headers.get('content-disposition') ?? '';
  assert.match(
    disposition,
    /^attachment; filename="First Album\.zip"; filename\*=UTF-8''First%20Album\.zip$/,
  );
  const dir = 'Artist A/2001 - First Album';
  assertEntries(entries, [
    ['01 - One.mp3', `${dir}/01 - One.mp3`],
    ['02 - Two.flac', `${dir}/02 - Two.flac`],
    ['03 - Three.ogg', `${dir}/03 - Three.ogg`],
    ['04 - Four.opus', `${dir}/04 - Four.opus`],
  ]);
});

it('still downloads a song id as its original file, not as an archive', async () => {
  const id = trackByPath('Artist A/2001 - First Album/02 - Two.flac');
  const response = await get({ id });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('accept-ranges'), 'bytes');
  assert.notEqual(response.headers.get('content-type'), 'application/zip');
  assert.ok(Buffer.from(await response.arrayBuffer()).equals(fs.readFileSync(trackFile(id))));
});

it('puts the discs of a multi-disc album in Disc N folders', async () => {
  const { entries } = await downloadZip(albumId('Double'));
  assertEntries(entries, [
    ['Disc 1/01 - Side A.mp3', 'Artist B/Double/CD 1/01 - Side A.mp3'],
    ['Disc 2/01 - Side B.mp3', 'Artist B/Double/CD 2/01 - Side B.mp3'],
  ]);
});

it('answers HEAD with the headers and the length, without a body', async () => {
  const id = albumId('First Album');
  const head = await get({ id }, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'application/zip');
  assert.equal(head.headers.get('accept-ranges'), 'none');
  assert.match(head.headers.get('content-disposition') ?? '', /First%20Album\.zip/);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  const { zip } = await downloadZip(id);
  assert.equal(Number(head.headers.get('content-length')), zip.length);
  // A Range is not honoured for an archive made anew on each request: the whole archive comes back.
  const ranged = await get({ id }, { headers: { Range: 'bytes=0-9' } });
  assert.equal(ranged.status, 200);
  assert.equal((await ranged.arrayBuffer()).byteLength, zip.length);
});

it('downloads an artist as one folder per album', async () => {
  const artistA = idOf('SELECT id FROM artist WHERE name = ?', 'Artist A');
  const { response, entries } = await downloadZip(artistA);
  assert.match(response.headers.get('content-disposition') ?? '', /filename="Artist A\.zip"/);
  const dir = 'Artist A/2001 - First Album';
  assertEntries(entries, [
    ['First Album/01 - One.mp3', `${dir}/01 - One.mp3`],
    ['First Album/02 - Two.flac', `${dir}/02 - Two.flac`],
    ['First Album/03 - Three.ogg', `${dir}/03 - Three.ogg`],
    ['First Album/04 - Four.opus', `${dir}/04 - Four.opus`],
  ]);
  const artistB = idOf('SELECT id FROM artist WHERE name = ?', 'Artist B');
  assert.deepEqual(
    (await downloadZip(artistB)).entries.map((entry) => entry.name),
    ['Double/Disc 1/01 - Side A.mp3', 'Double/Disc 2/01 - Side B.mp3'],
  );
});

it('sanitises entry names and the archive name, keeps unicode and makes duplicates unique', async () => {
  const { response, entries } = await downloadZip(albumId(ODD_ALBUM));
  const names = entries.map((entry) => entry.name);
  // The three "same" titles have no track number and come in id order: which keeps the plain name varies.
  assert.deepEqual(
    names.slice(0, 3).map((name) => name.toLowerCase()),
    ['same.mp3', 'same (2).mp3', 'same (3).mp3'],
  );
  assert.deepEqual(names.slice(3), [
    '01 - Back_slash_Slash.mp3',
    '02 - 02.mp3',
    '03 - Tab here bell.mp3',
    '04 - 東京 – Ünïcødé ♫.mp3',
    '05 - evilgnp.exe.mp3',
  ]);
  for (const name of names) {
    assert.doesNotMatch(name, /[\\/\u0000-\u001f\u202e]/, name);
    assert.ok(!name.split('/').includes('..'), name);
  }
  const disposition = response.headers.get('content-disposition') ?? '';
  assert.match(disposition, /filename="Odd_Names_ Vol\. 2\.zip"/);
  // Each entry holds the file of the track whose title it names.
  const byTitle = (title: string) =>
    fs.readFileSync(trackFile(idOf('SELECT id FROM track WHERE title = ? ORDER BY path', title)));
  assert.ok(entries[3]!.data.equals(byTitle('Back\\slash/Slash')));
  assert.ok(entries[6]!.data.equals(byTitle('東京 – Ünïcødé ♫')));

  assert.equal(safeEntryName('..'), '_');
  assert.equal(safeEntryName(' . '), '_');
  assert.equal(safeEntryName('a/../b'), 'a_.._b');
  assert.equal(safeEntryName('CON'), '_CON');
  assert.equal(safeEntryName('\u0000\u001f'), '_');
  const long = safeEntryName('夜'.repeat(200));
  assert.ok(Buffer.byteLength(long) <= 200 && long.length === 66, 'cut at a character, under 200 bytes');
});

it('downloads a playlist in its order, numbered, and only playlists the caller may see', async () => {
  const one = trackByPath('Artist A/2001 - First Album/01 - One.mp3');
  const three = trackByPath('Artist A/2001 - First Album/03 - Three.ogg');
  const sideB = trackByPath('Artist B/Double/CD 2/01 - Side B.mp3');
  const created = await server.json(
    'createPlaylist',
    { name: 'Road / Trip', songId: [three, sideB, one, three] },
    { user: ALICE },
  );
  const playlistId = created.playlist.id as string;
  const { response, entries } = await downloadZip(playlistId);
  assert.match(response.headers.get('content-disposition') ?? '', /filename="Road _ Trip\.zip"/);
  assertEntries(entries, [
    ['001 - Artist A - Three.ogg', 'Artist A/2001 - First Album/03 - Three.ogg'],
    ['002 - Artist B - Side B.mp3', 'Artist B/Double/CD 2/01 - Side B.mp3'],
    ['003 - Artist A - One.mp3', 'Artist A/2001 - First Album/01 - One.mp3'],
    ['004 - Artist A - Three.ogg', 'Artist A/2001 - First Album/03 - Three.ogg'],
  ]);

  const secret = await server.json('createPlaylist', { name: 'Secret', songId: [one] }, { user: ADMIN });
  const secretId = secret.playlist.id as string;
  await expectError(await get({ id: secretId }), 70);
  await server.json('updatePlaylist', { playlistId: secretId, public: true }, { user: ADMIN });
  assert.deepEqual(
    (await downloadZip(secretId)).entries.map((entry) => entry.name),
    ['001 - Artist A - One.mp3'],
  );
});

it('downloads a folder with its files and sub-folders under their own names', async () => {
  const folder = idOf(
    'SELECT id FROM folder WHERE library_id = ? AND path = ?',
    server.libraries.fixture,
    'Artist A',
  );
  const { response, entries } = await downloadZip(folder);
  assert.match(response.headers.get('content-disposition') ?? '', /filename="Artist A\.zip"/);
  const dir = '2001 - First Album';
  assertEntries(entries, [
    [`${dir}/01 - One.mp3`, `Artist A/${dir}/01 - One.mp3`],
    [`${dir}/02 - Two.flac`, `Artist A/${dir}/02 - Two.flac`],
    [`${dir}/03 - Three.ogg`, `Artist A/${dir}/03 - Three.ogg`],
    [`${dir}/04 - Four.opus`, `Artist A/${dir}/04 - Four.opus`],
  ]);
  // A library's root folder: the whole library, named after it.
  const root = idOf('SELECT id FROM folder WHERE library_id = ? AND path = ?', server.libraries.second, '');
  const whole = await downloadZip(root);
  assert.match(whole.response.headers.get('content-disposition') ?? '', /filename="second\.zip"/);
  assert.deepEqual(
    whole.entries.map((entry) => entry.name),
    ['Root Song.mp3', 'The Zeds/Zed Album/01 - Zed.mp3'],
  );
});

it('keeps to the caller: their libraries, the download role, and ids that exist', async () => {
  for (const id of ['al-nope', 'ar-nope', 'pl-nope', 'fo-nope']) await expectError(await get({ id }), 70);
  assert.equal(
    (await server.json('updateUser', { username: 'bob', musicFolderId: server.libraries.second })).status,
    'ok',
  );
  const hidden = [
    albumId('First Album'),
    idOf('SELECT id FROM artist WHERE name = ?', 'Artist A'),
    idOf('SELECT id FROM folder WHERE library_id = ? AND path = ?', server.libraries.fixture, 'Artist A'),
    idOf('SELECT id FROM folder WHERE library_id = ? AND path = ?', server.libraries.fixture, ''),
  ];
  for (const id of hidden) await expectError(await get({ id }, {}, BOB), 70);
  assert.deepEqual(
    (await downloadZip(albumId('Zed Album'), BOB)).entries.map((entry) => entry.name),
    ['01 - Zed Song.mp3'],
  );

  await server.json('updateUser', { username: 'alice', downloadRole: false });
  try {
    await expectError(await get({ id: albumId('First Album') }), 50);
  } finally {
    await server.json('updateUser', { username: 'alice', downloadRole: true });
  }
});

it('skips a vanished file (the archive stays valid, the track is flagged) and answers 70 when all are gone', async () => {
  const dir = 'Artist A/2001 - First Album';
  const two = trackByPath(`${dir}/02 - Two.flac`);
  const away = path.join(workDir, 'two.flac');
  fs.renameSync(path.join(fixtureRoot, dir, '02 - Two.flac'), away);
  try {
    const { entries } = await downloadZip(albumId('First Album'));
    assertEntries(entries, [
      ['01 - One.mp3', `${dir}/01 - One.mp3`],
      ['03 - Three.ogg', `${dir}/03 - Three.ogg`],
      ['04 - Four.opus', `${dir}/04 - Four.opus`],
    ]);
    const flagged = server.db.prepare('SELECT missing_since FROM track WHERE id = ?').pluck().get(two);
    assert.ok(typeof flagged === 'number' && flagged > 0, 'the missing track is flagged');
  } finally {
    fs.renameSync(away, path.join(fixtureRoot, dir, '02 - Two.flac'));
  }

  const hits = ['Compilations/Hits/01 - X.mp3', 'Compilations/Hits/02 - Y.mp3'];
  for (const [index, file] of hits.entries())
    fs.renameSync(path.join(fixtureRoot, file), path.join(workDir, `${index}`));
  try {
    await expectError(await get({ id: albumId('Hits') }), 70);
  } finally {
    for (const [index, file] of hits.entries())
      fs.renameSync(path.join(workDir, `${index}`), path.join(fixtureRoot, file));
  }
  await server.scanner.scan();
  assert.equal(server.db.prepare('SELECT missing_since FROM track WHERE id = ?').pluck().get(two), null);
});

/** Descriptors of this process (the server runs in it) that point at files of the fixture library. */
function openLibraryFiles(): string[] {
  const open: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${fixtureRoot}/`)) open.push(target);
    } catch {
      // closed while we looked
    }
  }
  return open;
}

const fdCount = () => fs.readdirSync('/proc/self/fd').length;

async function waitFor(condition: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

it('streams a large archive whole, with exact bytes', async () => {
  const { entries } = await downloadZip(albumId('Big'));
  assertEntries(entries, [
    ['01 - Long 1.wav', 'Zip Test/Big/01 - Long.wav'],
    ['02 - Long 2.wav', 'Zip Test/Big/02 - Long.wav'],
  ]);
  assert.ok(entries[0]!.data.length > 10_000_000, 'big enough to outlast the socket buffers');
});

it('stops the archive and closes its files when the client goes away', async () => {
  assert.ok(process.platform === 'linux', 'reads /proc/self/fd');
  assert.deepEqual(openLibraryFiles(), []);
  const before = fdCount();
  const controller = new AbortController();
  const response = await get({ id: albumId('Big') }, { signal: controller.signal });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  // Mid-archive, the server holds the file it is sending: this is what must be closed.
  assert.ok(
    await waitFor(() => openLibraryFiles().some((file) => file.endsWith('.wav'))),
    'a file of the archive is open while it is sent',
  );
  controller.abort();
  await reader.read().catch(() => undefined);
  assert.ok(
    await waitFor(() => openLibraryFiles().length === 0),
    `still open: ${openLibraryFiles().join(', ')}`,
  );
  assert.ok(await waitFor(() => fdCount() <= before), `descriptors: ${fdCount()} now, ${before} before`);
  // The server is fine afterwards.
  assert.equal((await downloadZip(albumId('Double'))).entries.length, 2);
});
