// Uploads through the native API with real encoded audio, a real scanner and a real library folder: who
// may upload (role, library, admin's choice), what is refused and leaves nothing behind (not audio → 415,
// too large → 413, a client that hangs up mid-body), names that clash or try to escape the user's folder,
// the track visible at once (and the live events that say so), and one user's uploads hidden from another.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeAudio } from '../helpers/audio.ts';
import { waitFor } from '../helpers/http.ts';
import { type LiveServer, openEventStream, type Person, startLiveServer } from '../helpers/live-server.ts';

let server: LiveServer;
const audio = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-upload-src-'));
const files = {
  song: path.join(audio, 'song.flac'),
  other: path.join(audio, 'other.mp3'),
  long: path.join(audio, 'long.wav'),
  video: path.join(audio, 'video.mp4'),
};

interface UploadJson {
  id: string;
  name: string;
  originalName: string;
  libraryId: number;
  path: string;
  size: number;
  contentType: string;
  state: string;
  trackId: string | null;
  reason: string | null;
  uploadedAt: string;
}

before(async () => {
  server = await startLiveServer();
  await makeAudio(files.song, {
    format: 'flac',
    durationSec: 3,
    tags: {
      title: 'Uploaded Song',
      artist: 'Uploader',
      album: 'Sent Album',
      album_artist: 'Uploader',
      track: '1',
    },
  });
  await makeAudio(files.other, {
    format: 'mp3',
    durationSec: 2,
    frequency: 660,
    tags: {
      title: 'Second Upload',
      artist: 'Uploader',
      album: 'Sent Album',
      album_artist: 'Uploader',
      track: '2',
    },
  });
  await makeAudio(files.long, { format: 'wav', durationSec: 12 });
  const { ffmpeg } = await import('../helpers/audio.ts');
  await ffmpeg([
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=d=1:s=160x120',
    '-f',
    'lavfi',
    '-i',
    'sine=d=1',
    '-shortest',
    '-pix_fmt',
    'yuv420p',
    files.video,
  ]);
});
after(async () => {
  // Refusals and hang-ups are everyday life: nothing is logged as an error.
  const errors = server?.logLines().filter((line) => Number(line.level) >= 50) ?? [];
  await server?.close();
  assert.deepEqual(errors, []);
  fs.rmSync(audio, { recursive: true, force: true });
});

/** A multipart body built by hand, so file names reach the server exactly as written here. */
function multipart(parts: { filename: string; data: Buffer; type?: string; encoded?: boolean }[]) {
  const boundary = `----tonearm${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const name = part.encoded
      ? `filename*=utf-8''${encodeURIComponent(part.filename)}`
      : `filename="${part.filename}"`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; ${name}\r\n` +
          `Content-Type: ${part.type ?? 'audio/flac'}\r\n\r\n`,
      ),
      part.data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function upload(who: Person, parts: Parameters<typeof multipart>[0]): Promise<Response> {
  const { body, contentType } = multipart(parts);
  return server.api('/api/v1/uploads', who, {
    method: 'POST',
    body,
    headers: { 'Content-Type': contentType },
  });
}

async function uploaded(response: Response): Promise<UploadJson[]> {
  const text = await response.text();
  assert.equal(response.status, 201, text);
  return (JSON.parse(text) as { items: UploadJson[] }).items;
}

async function problem(response: Response, status: number, code: string): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.equal((JSON.parse(text) as { type: string }).type, `urn:tonearm:error:${code}`);
}

const userFolder = (who: string) => path.join(server.roots.main, 'Uploads', who);
const listing = (who: string) =>
  fs.existsSync(userFolder(who)) ? fs.readdirSync(userFolder(who)).sort() : [];
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function setTarget(body: Record<string, unknown>, who: Person = 'admin'): Promise<Response> {
  return server.api('/api/v1/admin/uploads', who, {
    method: 'PUT',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
}

async function search(who: Person, query: string): Promise<{ id: string; title: string }[]> {
  const params = new URLSearchParams({
    u: who,
    p: server.passwords[who],
    v: '1.16.1',
    c: 'test',
    f: 'json',
    query,
    songCount: '50',
  });
  const response = await fetch(`${server.baseUrl}/rest/search3?${params}`);
  const body = (await response.json()) as {
    'subsonic-response': { searchResult3: { song?: { id: string; title: string }[] } };
  };
  return body['subsonic-response'].searchResult3.song ?? [];
}

describe('where uploads go', () => {
  it('is off until an admin chooses a library', async () => {
    const settings = await server.api('/api/v1/admin/uploads', 'admin');
    assert.equal(settings.status, 200);
    assert.deepEqual(await settings.json(), { libraryId: null, folder: 'Uploads', maxFileSize: 1024 ** 3 });
    await problem(
      await upload('alice', [{ filename: 'song.flac', data: fs.readFileSync(files.song) }]),
      409,
      'UPLOADS_NOT_CONFIGURED',
    );
  });

  it('is chosen by admins only, as a folder inside an existing library', async () => {
    await problem(await server.api('/api/v1/admin/uploads', 'alice'), 403, 'FORBIDDEN');
    await problem(await setTarget({ libraryId: server.libraries.main }, 'alice'), 403, 'FORBIDDEN');
    await problem(await setTarget({ libraryId: 999 }), 404, 'NOT_FOUND');
    for (const folder of ['../outside', '/etc', 'Uploads/../..', '.hidden', 'C:\\music', 'con'])
      await problem(await setTarget({ libraryId: server.libraries.main, folder }), 400, 'INVALID_INPUT');
    const response = await setTarget({ libraryId: server.libraries.main, folder: 'Uploads' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      libraryId: server.libraries.main,
      folder: 'Uploads',
      maxFileSize: 1024 ** 3,
    });
  });
});

describe('who may upload', () => {
  it('refuses users without the upload role, and users who may not see the upload library', async () => {
    await problem(
      await upload('carol', [{ filename: 'song.flac', data: fs.readFileSync(files.song) }]),
      403,
      'FORBIDDEN',
    );
    await problem(
      await upload('dave', [{ filename: 'song.flac', data: fs.readFileSync(files.song) }]),
      403,
      'FORBIDDEN',
    );
    assert.deepEqual(listing('carol'), []);
    assert.deepEqual(listing('dave'), []);
  });

  it('takes multipart/form-data only', async () => {
    const response = await server.api('/api/v1/uploads', 'alice', {
      method: 'POST',
      body: fs.readFileSync(files.song),
      headers: { 'Content-Type': 'audio/flac' },
    });
    await problem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    await problem(await upload('alice', []), 400, 'INVALID_INPUT');
  });
});

describe('an accepted upload', () => {
  it('is stored in the uploader’s folder, scanned at once, and announced', async () => {
    const watcher = await openEventStream(server, 'bob'); // sees "main"
    const uploader = await openEventStream(server, 'alice');
    const outsider = await openEventStream(server, 'dave'); // sees only "other"
    try {
      const [item] = await uploaded(
        await upload('alice', [{ filename: 'Uploaded Song.flac', data: fs.readFileSync(files.song) }]),
      );
      assert.equal(item!.name, 'Uploaded Song.flac');
      assert.equal(item!.path, 'Uploads/alice/Uploaded Song.flac');
      assert.equal(item!.libraryId, server.libraries.main);
      assert.equal(item!.contentType, 'audio/flac');
      assert.equal(item!.size, fs.statSync(files.song).size);
      assert.equal(item!.state, 'scanned');
      assert.match(item!.trackId ?? '', /^tr-/);
      assert.equal(sha(path.join(userFolder('alice'), 'Uploaded Song.flac')), sha(files.song));
      assert.deepEqual(listing('alice'), ['Uploaded Song.flac']);

      // Visible through the API at once, with the id the answer named.
      const found = await search('alice', 'Uploaded Song');
      assert.deepEqual(
        found.map((song) => song.id),
        [item!.trackId],
      );

      const changed = await watcher.waitFor(
        (event) =>
          event.event === 'library.changed' &&
          (event.data as { libraryId: number }).libraryId === server.libraries.main,
      );
      assert.equal((changed.data as { added: number }).added, 1);
      const note = await uploader.waitFor((event) => event.event === 'notification');
      assert.equal((note.data as { kind: string }).kind, 'upload.scanned');
      assert.deepEqual((note.data as { subject: unknown }).subject, { type: 'track', id: item!.trackId });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(watcher.events.filter((event) => event.event === 'notification').length, 0);
      assert.equal(outsider.events.filter((event) => event.event === 'library.changed').length, 0);
    } finally {
      watcher.close();
      uploader.close();
      outsider.close();
    }
  });

  it('never overwrites: a clash gets "Name (2)", and several files go in one request', async () => {
    const before = sha(path.join(userFolder('alice'), 'Uploaded Song.flac'));
    const items = await uploaded(
      await upload('alice', [
        { filename: 'Uploaded Song.flac', data: fs.readFileSync(files.other), type: 'audio/mpeg' },
        { filename: 'Uploaded Song.flac', data: fs.readFileSync(files.song) },
      ]),
    );
    // The first holds MP3 bytes: its extension follows its content.
    assert.deepEqual(
      items.map((item) => item.name),
      ['Uploaded Song.mp3', 'Uploaded Song (2).flac'],
    );
    assert.equal(sha(path.join(userFolder('alice'), 'Uploaded Song.flac')), before);
    assert.equal(sha(path.join(userFolder('alice'), 'Uploaded Song (2).flac')), sha(files.song));
    assert.deepEqual(
      items.map((item) => [item.state, item.contentType]),
      [
        ['scanned', 'audio/mpeg'],
        ['scanned', 'audio/flac'],
      ],
    );
  });

  it('keeps names inside the uploader’s folder, whatever the client sends', async () => {
    const data = fs.readFileSync(files.song);
    const names: [string, boolean][] = [
      ['../../escape.flac', false],
      ['/etc/absolute.flac', false],
      ['..\\..\\windows.flac', true],
      ['C:\\Music\\drive.flac', true],
      ['nul\u0000byte.flac', true],
      ['CON.flac', false],
      ['.hidden.flac', false],
      ['..', false],
      ['trailing. . ', false],
      ['what?<>|*:.flac', false],
    ];
    const rootBefore = fs.readdirSync(server.roots.main).sort();
    const items = await uploaded(
      await upload(
        'alice',
        names.map(([filename, encoded]) => ({ filename, data, encoded })),
      ),
    );
    const stored = items.map((item) => item.name);
    for (const name of stored) {
      assert.ok(!name.includes('/') && !name.includes('\\') && !name.includes('\u0000'), name);
      assert.ok(!name.startsWith('.'), name);
      assert.ok(!/^con(\.|$)/i.test(name), name);
      assert.ok(name.endsWith('.flac'), name);
    }
    assert.ok(items.every((item) => item.path === `Uploads/alice/${item.name}`));
    assert.ok(stored.includes('escape.flac'));
    assert.ok(stored.includes('absolute.flac'));
    assert.ok(stored.includes('windows.flac'));
    assert.ok(stored.includes('drive.flac'));
    assert.ok(stored.includes('_CON.flac'));
    assert.ok(stored.includes('hidden.flac'));
    assert.ok(stored.includes('nul_byte.flac'));
    for (const name of stored) assert.ok(fs.existsSync(path.join(userFolder('alice'), name)), name);
    assert.deepEqual(fs.readdirSync(server.roots.main).sort(), rootBefore);
    for (const escaped of ['../../escape.flac', '../../../escape.flac', '/etc/absolute.flac'])
      assert.ok(!fs.existsSync(path.resolve(userFolder('alice'), escaped)), escaped);
  });
});

describe('refused uploads leave nothing behind', () => {
  it('refuses content that is not audio, whatever its name and declared type (415)', async () => {
    const before = listing('bob');
    await problem(
      await upload('bob', [
        {
          filename: 'notes.mp3',
          data: Buffer.from('just some text, not music\n'.repeat(50)),
          type: 'audio/mpeg',
        },
      ]),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await problem(
      await upload('bob', [{ filename: 'clip.m4a', data: fs.readFileSync(files.video), type: 'audio/mp4' }]),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    // All or nothing: a good file beside a bad one is not kept either.
    await problem(
      await upload('bob', [
        { filename: 'good.flac', data: fs.readFileSync(files.song) },
        { filename: 'bad.flac', data: randomBytes(300_000) },
      ]),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    assert.deepEqual(listing('bob'), before);
  });

  it('refuses a file larger than the limit (413) and keeps no part of it', async () => {
    assert.equal((await setTarget({ libraryId: server.libraries.main, maxFileSize: 64 * 1024 })).status, 200);
    try {
      const before = listing('bob');
      assert.ok(fs.statSync(files.long).size > 1024 * 1024);
      await problem(
        await upload('bob', [{ filename: 'long.wav', data: fs.readFileSync(files.long), type: 'audio/wav' }]),
        413,
        'UPLOAD_TOO_LARGE',
      );
      assert.deepEqual(listing('bob'), before);
    } finally {
      await setTarget({ libraryId: server.libraries.main });
    }
  });

  it('never follows a link out of the library', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-outside-'));
    fs.symlinkSync(outside, path.join(server.roots.main, 'Linked'));
    try {
      assert.equal((await setTarget({ libraryId: server.libraries.main, folder: 'Linked' })).status, 200);
      await problem(
        await upload('bob', [{ filename: 'song.flac', data: fs.readFileSync(files.song) }]),
        503,
        'UPLOAD_FOLDER_UNWRITABLE',
      );
      assert.deepEqual(fs.readdirSync(outside), []);
    } finally {
      await setTarget({ libraryId: server.libraries.main });
      fs.rmSync(path.join(server.roots.main, 'Linked'));
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('removes what arrived when the client hangs up mid-body', async () => {
    const before = listing('bob');
    const data = fs.readFileSync(files.long);
    const { body, contentType } = multipart([{ filename: 'cut.wav', data, type: 'audio/wav' }]);
    const request = http.request(`${server.baseUrl}/api/v1/uploads`, {
      method: 'POST',
      agent: false,
      headers: {
        Authorization: `Bearer ${server.keys.bob}`,
        'Content-Type': contentType,
        'Content-Length': String(body.length),
      },
    });
    request.on('error', () => {});
    request.write(body.subarray(0, 600 * 1024));
    // The file is being written: a temporary file is there.
    await waitFor(() => listing('bob').some((name) => name.endsWith('.part')), 5000);
    request.destroy();
    await waitFor(() => listing('bob').join() === before.join(), 5000);
    assert.ok(!listing('bob').includes('cut.wav'));
  });
});

describe('one user’s uploads are theirs', () => {
  it('lists the caller’s own uploads only, newest first, in pages', async () => {
    const [bobs] = await uploaded(
      await upload('bob', [{ filename: 'bobs.mp3', data: fs.readFileSync(files.other) }]),
    );
    const mine = (await (await server.api('/api/v1/uploads?limit=500', 'bob')).json()) as {
      items: UploadJson[];
      nextCursor: string | null;
    };
    assert.deepEqual(
      mine.items.map((item) => item.id),
      [bobs!.id],
    );
    assert.equal(mine.nextCursor, null);

    const alices = (await (await server.api('/api/v1/uploads?limit=500', 'alice')).json()) as {
      items: UploadJson[];
    };
    assert.ok(alices.items.length >= 12);
    assert.ok(!alices.items.some((item) => item.id === bobs!.id));
    assert.ok(alices.items.every((item) => item.path.startsWith('Uploads/alice/')));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const pageOf = (await (await server.api(`/api/v1/uploads?limit=5${query}`, 'alice')).json()) as {
        items: UploadJson[];
        nextCursor: string | null;
      };
      seen.push(...pageOf.items.map((item) => item.id));
      cursor = pageOf.nextCursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      alices.items.map((item) => item.id),
    );
  });

  it('lets only the uploader delete an upload, which removes its file and its track', async () => {
    const [item] = await uploaded(
      await upload('alice', [{ filename: 'to delete.mp3', data: fs.readFileSync(files.other) }]),
    );
    const file = path.join(userFolder('alice'), item!.name);
    assert.ok(fs.existsSync(file));

    await problem(
      await server.api(`/api/v1/uploads/${item!.id}`, 'bob', { method: 'DELETE' }),
      404,
      'NOT_FOUND',
    );
    assert.ok(fs.existsSync(file));

    const removed = await server.api(`/api/v1/uploads/${item!.id}`, 'alice', { method: 'DELETE' });
    assert.equal(removed.status, 204);
    assert.ok(!fs.existsSync(file));
    const trackLeft = server.db.prepare('SELECT id FROM track WHERE id = ?').get(item!.trackId);
    assert.equal(trackLeft, undefined);
    const list = (await (await server.api('/api/v1/uploads?limit=500', 'alice')).json()) as {
      items: UploadJson[];
    };
    assert.ok(!list.items.some((entry) => entry.id === item!.id));
    await problem(
      await server.api(`/api/v1/uploads/${item!.id}`, 'alice', { method: 'DELETE' }),
      404,
      'NOT_FOUND',
    );
  });
});
