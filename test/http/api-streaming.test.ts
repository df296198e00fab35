// The native playback API: transcode profiles (only admins change them, and an admin's profile really
// encodes), players (their users and admins set limits that streams then obey), and signed media URLs that
// play without credentials but only unchanged, unexpired and for a user who still may play the track.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createUser, deleteUser, updateUser } from '../../src/accounts/users.service.ts';
import { probeAudio } from '../helpers/ffprobe.ts';
import { childProcesses } from '../helpers/processes.ts';
import {
  ADMIN,
  ALICE,
  BOB,
  type Credentials,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let fixtureTrack: { id: string; file: string };
let secondTrack: { id: string; file: string };

before(async () => {
  server = await startSubsonicServer();
  const trackIn = (libraryId: number) => {
    const row = server.db
      .prepare(
        `SELECT t.id, l.path || '/' || t.path AS file FROM track t JOIN library l ON l.id = t.library_id
         WHERE t.library_id = ? AND t.suffix = 'flac' ORDER BY t.path LIMIT 1`,
      )
      .get(libraryId) as { id: string; file: string } | undefined;
    return (
      row ??
      (server.db
        .prepare(
          `SELECT t.id, l.path || '/' || t.path AS file FROM track t JOIN library l ON l.id = t.library_id
           WHERE t.library_id = ? ORDER BY t.path LIMIT 1`,
        )
        .get(libraryId) as { id: string; file: string })
    );
  };
  fixtureTrack = trackIn(server.libraries.fixture);
  secondTrack = trackIn(server.libraries.second);
});
after(async () => {
  await server?.close();
  assert.deepEqual(childProcesses('ffmpeg'), []);
});

const basic = (user: Credentials) =>
  `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;

function api(pathname: string, user: Credentials | undefined, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (user) headers.set('Authorization', basic(user));
  if (init.body) headers.set('Content-Type', 'application/json');
  return fetch(`${server.baseUrl}${pathname}`, { ...init, headers });
}

async function problem(response: Response, status: number, detail?: RegExp): Promise<void> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
  const body = (await response.json()) as { detail: string };
  if (detail) assert.match(body.detail, detail);
}

describe('transcode profiles', () => {
  const lofi = {
    suffix: 'mp3',
    contentType: 'audio/mpeg',
    codec: 'mp3',
    defaultBitrate: 32,
    arguments: ['-c:a', 'libmp3lame', '-ac', '1', '-b:a', '{bitrate}k', '-f', 'mp3'],
  };

  it('lists the built-in profiles to any user, and refuses callers without credentials', async () => {
    const response = await api('/api/v1/transcoding/profiles', ALICE);
    assert.equal(response.status, 200);
    const { items: profiles } = (await response.json()) as { items: { name: string; builtIn: boolean }[] };
    assert.deepEqual(
      profiles.filter((profile) => profile.builtIn).map((profile) => profile.name),
      ['mp3', 'opus', 'aac', 'm4a', 'flac'],
    );
    await problem(await api('/api/v1/transcoding/profiles', undefined), 401);
    await problem(await api('/api/v1/transcoding/profiles', { username: 'alice', password: 'wrong' }), 401);
    await problem(
      await fetch(`${server.baseUrl}/api/v1/transcoding/profiles`, {
        headers: { Authorization: 'Bearer tnrm_nope' },
      }),
      401,
    );
  });

  it('lets only admins add, replace and remove profiles', async () => {
    const body = JSON.stringify(lofi);
    await problem(await api('/api/v1/transcoding/profiles/lofi', ALICE, { method: 'PUT', body }), 403);
    await problem(await api('/api/v1/transcoding/profiles/mp3', BOB, { method: 'PUT', body }), 403);
    const saved = await api('/api/v1/transcoding/profiles/lofi', ADMIN, { method: 'PUT', body });
    assert.equal(saved.status, 200);
    await problem(await api('/api/v1/transcoding/profiles/lofi', ALICE, { method: 'DELETE' }), 403);

    // The admin's profile encodes what it says: mono mp3 at 32 kbit/s.
    const stream = await fetch(
      server.url('stream', { id: fixtureTrack.id, format: 'lofi' }, { user: ALICE }),
    );
    assert.equal(stream.headers.get('content-type'), 'audio/mpeg');
    const info = await probeAudio(Buffer.from(await stream.arrayBuffer()));
    assert.equal(info.codec, 'mp3');
    assert.equal(info.channels, 1);
    assert.ok(Math.abs(info.bitRate - 32_000) < 4_000, `bit rate ${info.bitRate}`);

    assert.equal((await api('/api/v1/transcoding/profiles/lofi', ADMIN, { method: 'DELETE' })).status, 204);
    await problem(
      await api('/api/v1/transcoding/profiles/mp3', ADMIN, { method: 'DELETE' }),
      404,
      /built-in/,
    );
    const gone = await fetch(server.url('stream', { id: fixtureTrack.id, format: 'lofi' }, { user: ALICE }));
    assert.match(await gone.text(), /unknown format/);
  });

  it('refuses profiles that name files, inputs or no container', async () => {
    for (const [args, detail] of [
      [['-c:a', 'libmp3lame', '-f', 'mp3', '/tmp/out.mp3'], /looks like a file/],
      [['-i', '/etc/passwd', '-f', 'mp3'], /not allowed/],
      [['-c:a', 'libmp3lame', '-f', 'mp3', 'file:/etc/passwd'], /looks like a file/],
      [['-c:a', 'libmp3lame'], /choose the container/],
      [[], /1 to 64/],
    ] as const) {
      const body = JSON.stringify({ ...lofi, arguments: args });
      await problem(
        await api('/api/v1/transcoding/profiles/bad', ADMIN, { method: 'PUT', body }),
        400,
        detail,
      );
    }
    await problem(
      await api('/api/v1/transcoding/profiles/raw', ADMIN, { method: 'PUT', body: JSON.stringify(lofi) }),
      400,
      /raw/,
    );
    await problem(
      await api('/api/v1/transcoding/profiles/x', ADMIN, { method: 'PUT', body: '{"suffix":' }),
      400,
      /not valid JSON/,
    );
  });
});

describe('players', () => {
  it('lists the players a user streamed from, and obeys the limits set on them', async () => {
    const streamAs = (client: string) =>
      fetch(server.url('stream', { id: secondTrack.id }, { user: BOB, client }), {
        headers: { 'User-Agent': 'PhoneApp/1.0' },
      });
    await (await streamAs('PhoneApp')).arrayBuffer();
    const listed = (await (await api('/api/v1/players', BOB)).json()) as {
      items: { id: string; client: string; userAgent: string }[];
    };
    const phone = listed.items.find((player) => player.client === 'PhoneApp');
    assert.ok(phone, 'the client became a player');
    assert.equal(phone.userAgent, 'PhoneApp/1.0');

    // Alice neither sees nor changes Bob's players; an admin does both.
    const alices = (await (await api('/api/v1/players', ALICE, {})).json()) as { items: unknown[] };
    assert.ok(alices.items.every((player) => (player as { username: string }).username === 'alice'));
    await problem(
      await api(`/api/v1/players/${phone.id}`, ALICE, {
        method: 'PATCH',
        body: JSON.stringify({ maxBitRate: 32 }),
      }),
      404,
    );
    const all = (await (await api('/api/v1/players?all=true', ADMIN)).json()) as {
      items: { id: string }[];
    };
    assert.ok(all.items.some((player) => player.id === phone.id));

    const patched = await api(`/api/v1/players/${phone.id}`, BOB, {
      method: 'PATCH',
      body: JSON.stringify({ maxBitRate: 64, format: 'mp3', name: "Bob's phone" }),
    });
    assert.equal(patched.status, 200);
    assert.equal(((await patched.json()) as { name: string }).name, "Bob's phone");
    const limited = await streamAs('PhoneApp');
    assert.equal(limited.headers.get('content-type'), 'audio/mpeg');
    const limitedInfo = await probeAudio(Buffer.from(await limited.arrayBuffer()));
    assert.ok(Math.abs(limitedInfo.bitRate - 64_000) < 6_000, JSON.stringify(limitedInfo));

    await problem(
      await api(`/api/v1/players/${phone.id}`, BOB, {
        method: 'PATCH',
        body: JSON.stringify({ format: 'wma' }),
      }),
      400,
      /unknown format/,
    );
    assert.equal((await api(`/api/v1/players/${phone.id}`, BOB, { method: 'DELETE' })).status, 204);
  });
});

describe('signed media URLs', () => {
  async function urlsFor(user: Credentials, trackId: string, extra: Record<string, unknown> = {}) {
    const response = await api('/api/v1/media/urls', user, {
      method: 'POST',
      body: JSON.stringify({ trackId, ...extra }),
    });
    return response;
  }

  it('play without credentials, exactly as signed', async () => {
    const response = await urlsFor(ALICE, fixtureTrack.id);
    assert.equal(response.status, 200);
    const urls = (await response.json()) as {
      stream: string;
      download: string;
      hls: string;
      expiresAt: string;
    };
    assert.ok(Date.parse(urls.expiresAt) > Date.now() + 3600_000);
    assert.doesNotMatch(urls.stream, /alice-pass|[?&](u|p|t|s|apiKey)=/);
    const played = await fetch(`${server.origin}${urls.stream}`);
    assert.equal(played.status, 200);
    assert.ok(Buffer.from(await played.arrayBuffer()).equals(fs.readFileSync(fixtureTrack.file)));
    const ranged = await fetch(`${server.origin}${urls.stream}`, { headers: { Range: 'bytes=10-19' } });
    assert.equal(ranged.status, 206);
    await ranged.arrayBuffer();
    const download = await fetch(`${server.origin}${urls.download}`);
    assert.match(download.headers.get('content-disposition') ?? '', /^attachment/);
    await download.arrayBuffer();

    // Any change to the signed URL voids it.
    await problem(await fetch(`${server.origin}${urls.stream}&format=mp3`), 403, /not valid/);
    await problem(await fetch(`${server.origin}${urls.stream.replace(/sig=[^&]+/, 'sig=AAAA')}`), 403);
    await problem(
      await fetch(`${server.origin}${urls.stream.replace(fixtureTrack.id, secondTrack.id)}`),
      403,
    );
    await problem(await fetch(`${server.origin}${urls.stream.replace(/exp=\d+/, 'exp=9999999999')}`), 403);
  });

  it('carry the asked format and expire', async () => {
    const urls = (await (
      await urlsFor(ALICE, fixtureTrack.id, { format: 'opus', maxBitRate: 64 })
    ).json()) as { stream: string };
    const played = await fetch(`${server.origin}${urls.stream}`);
    assert.equal(played.headers.get('content-type'), 'audio/ogg');
    await played.arrayBuffer();
    const signer = server.services.urlSigner;
    const signed = signer.sign(`/api/v1/media/stream/${fixtureTrack.id}`, {}, server.userId('alice'), 60);
    const [pathname, query] = signed.split('?') as [string, string];
    assert.equal(signer.verify(pathname, new URLSearchParams(query)).userId, server.userId('alice'));
    assert.throws(() => signer.verify(pathname, new URLSearchParams(query), Date.now() + 61_000), /expired/);
  });

  it('are only made, and only work, for a user who may play the track', async () => {
    await updateUser(server.db, 'bob', { libraryIds: [server.libraries.second] });
    await problem(await urlsFor(BOB, fixtureTrack.id), 404);
    await problem(
      await api('/api/v1/media/urls', BOB, { method: 'POST', body: '{"trackId":1}' }),
      400,
      /trackId/,
    );
    await createUser(server.db, { username: 'carol', password: 'carol-pass', isAdmin: false });
    const carol = { username: 'carol', password: 'carol-pass' };
    const urls = (await (await urlsFor(carol, fixtureTrack.id)).json()) as { stream: string };
    assert.equal((await fetch(`${server.origin}${urls.stream}`)).status, 200);
    await updateUser(server.db, 'carol', { roles: { stream: false } });
    await problem(await fetch(`${server.origin}${urls.stream}`), 403, /may not stream/);
    await updateUser(server.db, 'carol', { roles: { stream: true }, libraryIds: [server.libraries.second] });
    await problem(await fetch(`${server.origin}${urls.stream}`), 404);
    deleteUser(server.db, 'carol');
    await problem(await fetch(`${server.origin}${urls.stream}`), 403);
  });
});
