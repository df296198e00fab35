// stream and download serve the original file with what players rely on (Range, HEAD, ETag, 304), and
// nothing else: no file outside a library, whatever the id or the symlinks, and a clear error envelope
// (70) for a file that vanished, which is then flagged until a scan sees it again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { ALICE, BOB, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let track: { id: string; file: string; bytes: Buffer; contentType: string };
const outsideDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-outside-'));
before(async () => {
  server = await startSubsonicServer();
  const row = server.db
    .prepare(
      `SELECT t.id, t.path, t.content_type, l.path AS root FROM track t JOIN library l ON l.id = t.library_id
       WHERE t.library_id = ? ORDER BY t.file_size DESC LIMIT 1`,
    )
    .get(server.libraries.fixture) as { id: string; path: string; content_type: string; root: string };
  const file = path.join(row.root, row.path);
  track = { id: row.id, file, bytes: fs.readFileSync(file), contentType: row.content_type };
  fs.writeFileSync(path.join(outsideDir, 'secret.mp3'), 'not for anybody');
});
after(async () => {
  await server?.close();
  fs.rmSync(outsideDir, { recursive: true, force: true });
});

const get = (endpoint: string, params: Record<string, string>, init: RequestInit = {}, user = ALICE) =>
  fetch(server.url(endpoint, params, { user }), init);

async function expectError(response: Response, code: number): Promise<string> {
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/xml/);
  const text = await response.text();
  assert.match(text, new RegExp(`<error code="${code}"`));
  return text;
}

it('streams the whole file, and exactly the bytes of a range', async () => {
  const whole = await get('stream', { id: track.id });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('content-type'), track.contentType);
  assert.equal(whole.headers.get('accept-ranges'), 'bytes');
  assert.equal(Number(whole.headers.get('content-length')), track.bytes.length);
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(track.bytes));

  const size = track.bytes.length;
  for (const [header, start, end] of [
    ['bytes=100-1099', 100, 1099],
    [`bytes=${size - 10}-`, size - 10, size - 1],
    ['bytes=-500', size - 500, size - 1],
    [`bytes=0-${size + 1000}`, 0, size - 1],
  ] as const) {
    const part = await get('stream', { id: track.id }, { headers: { Range: header } });
    assert.equal(part.status, 206, header);
    assert.equal(part.headers.get('content-range'), `bytes ${start}-${end}/${size}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(track.bytes.subarray(start, end + 1)), header);
  }
  const unsatisfiable = await get('stream', { id: track.id }, { headers: { Range: `bytes=${size}-` } });
  assert.equal(unsatisfiable.status, 416);
  assert.equal(unsatisfiable.headers.get('content-range'), `bytes */${size}`);
});

it('answers HEAD, ETag and Last-Modified, and 304 to a client that has the file', async () => {
  const head = await get('stream', { id: track.id }, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), track.bytes.length);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  const etag = head.headers.get('etag')!;
  assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
  assert.ok(head.headers.get('last-modified'));

  const cached = await get('stream', { id: track.id }, { headers: { 'If-None-Match': etag } });
  assert.equal(cached.status, 304);
  // If-Range with another version's tag: the whole (current) file, not a piece of it.
  const stale = await get(
    'stream',
    { id: track.id },
    { headers: { Range: 'bytes=0-9', 'If-Range': '"old-1"' } },
  );
  assert.equal(stale.status, 200);
  assert.equal(Number(stale.headers.get('content-length')), track.bytes.length);
  await stale.arrayBuffer();
  const fresh = await get('stream', { id: track.id }, { headers: { Range: 'bytes=0-9', 'If-Range': etag } });
  assert.equal(fresh.status, 206);
  await fresh.arrayBuffer();
});

it('downloads the original under its file name', async () => {
  const response = await get('download', { id: track.id });
  assert.equal(response.status, 200);
  const disposition = response.headers.get('content-disposition') ?? '';
  assert.match(disposition, /^attachment; filename=".+"; filename\*=UTF-8''.+/);
  assert.ok(disposition.includes(encodeURIComponent(path.basename(track.file))));
  assert.ok(Buffer.from(await response.arrayBuffer()).equals(track.bytes));
});

it('never reads a file outside a library, whatever the id', async () => {
  for (const id of [
    '../../../../etc/passwd',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '%252e%252e%252fetc%252fpasswd',
    `${track.id}/../../etc/passwd`,
    path.join(outsideDir, 'secret.mp3'),
    'tr-doesnotexist',
    '',
  ]) {
    const response = await fetch(`${server.url('stream', {}, { user: ALICE })}&id=${id}`);
    const text = await response.text();
    assert.doesNotMatch(text, /not for anybody|root:/, id);
    assert.match(text, /<error code="(70|10)"/, id);
  }
});

it('refuses a catalog row or a symlink that leads out of the library', async () => {
  const row = server.db.prepare('SELECT path FROM track WHERE id = ?').pluck().get(track.id) as string;
  const root = track.file.slice(0, track.file.length - row.length);
  try {
    server.db
      .prepare('UPDATE track SET path = ? WHERE id = ?')
      .run(path.relative(root, path.join(outsideDir, 'secret.mp3')), track.id);
    await expectError(await get('stream', { id: track.id }), 70);
    const link = path.join(root, 'innocent-looking.mp3');
    fs.symlinkSync(path.join(outsideDir, 'secret.mp3'), link);
    server.db.prepare('UPDATE track SET path = ? WHERE id = ?').run('innocent-looking.mp3', track.id);
    await expectError(await get('stream', { id: track.id }), 70);
    await expectError(await get('download', { id: track.id }), 70);
    fs.rmSync(link);
  } finally {
    server.db.prepare('UPDATE track SET path = ?, missing_since = NULL WHERE id = ?').run(row, track.id);
  }
});

it('answers 70 for a vanished file and flags the track until a scan finds it again', async () => {
  const moved = `${track.file}.away`;
  fs.renameSync(track.file, moved);
  try {
    const text = await expectError(await get('stream', { id: track.id }), 70);
    assert.match(text, /missing/);
    const flagged = server.db.prepare('SELECT missing_since FROM track WHERE id = ?').pluck().get(track.id);
    assert.ok(typeof flagged === 'number' && flagged > 0);
  } finally {
    fs.renameSync(moved, track.file);
  }
  await server.scanner.scan();
  assert.equal(server.db.prepare('SELECT missing_since FROM track WHERE id = ?').pluck().get(track.id), null);
  assert.equal((await get('stream', { id: track.id }, { method: 'HEAD' })).status, 200);
});

it('keeps to the caller: libraries they may see, and their stream and download roles', async () => {
  assert.equal(
    (await server.json('updateUser', { username: 'bob', musicFolderId: server.libraries.second })).status,
    'ok',
  );
  await expectError(await get('stream', { id: track.id }, {}, BOB), 70);
  assert.equal(
    (await server.json('updateUser', { username: 'alice', streamRole: false, downloadRole: false })).status,
    'ok',
  );
  try {
    await expectError(await get('stream', { id: track.id }), 50);
    await expectError(await get('download', { id: track.id }), 50);
  } finally {
    await server.json('updateUser', { username: 'alice', streamRole: true, downloadRole: true });
  }
  await expectError(await get('stream', {}), 10);
});
