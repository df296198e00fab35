// Transcoded streams with real ffmpeg and real audio: what the decision rules choose, what ffprobe finds
// in the output, timeOffset, estimateContentLength, the cache (served with Range, shared by two requests
// at once), the limits (429), players' own limits, and that no ffmpeg process outlives its listener.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { getUserByName, updateUser } from '../../src/accounts/users.service.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { Transcoder } from '../../src/streaming/transcoder.ts';
import { makeAudio } from '../helpers/audio.ts';
import { probeAudio } from '../helpers/ffprobe.ts';
import { childProcesses, eventually } from '../helpers/processes.ts';
import {
  ADMIN,
  ALICE,
  BOB,
  type Json,
  type Params,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';
import { validateSubsonicXml } from '../helpers/xsd.ts';

const run = promisify(execFile);
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-transcode-cache-'));
let server: SubsonicServer;
const ids: Record<'flac' | 'mp3' | 'corrupt' | 'noise', string> = {
  flac: '',
  mp3: '',
  corrupt: '',
  noise: '',
};
let corruptFile = '';

before(async () => {
  server = await startSubsonicServer({
    async addToSecondLibrary(root) {
      const album = { artist: 'Long Player', album_artist: 'Long Player', album: 'Long Album', date: '2001' };
      await makeAudio(path.join(root, 'Long Player/Long Album/01 - Long.flac'), {
        format: 'flac',
        durationSec: 20,
        frequency: 330,
        tags: { ...album, title: 'Long Flac', track: '1' },
      });
      await makeAudio(path.join(root, 'Long Player/Long Album/02 - Lossy.mp3'), {
        format: 'mp3',
        durationSec: 12,
        bitrateK: 320,
        frequency: 550,
        tags: { ...album, title: 'Lossy 320', track: '2' },
      });
      // Two minutes of noise: flac that stays big, so a listener that stops reading really stalls ffmpeg.
      const noise = path.join(root, 'Long Player/Long Album/04 - Noise.flac');
      await run('ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', 'anoisesrc=d=120:c=pink:r=44100:a=0.5', '-ac', '2'],
        ...['-metadata', 'title=Noise', '-metadata', 'artist=Long Player', '-metadata', 'album=Long Album'],
        ...['-metadata', 'album_artist=Long Player', '-metadata', 'track=4', noise],
      ]);
      corruptFile = path.join(root, 'Long Player/Long Album/03 - Broken.flac');
      await makeAudio(corruptFile, {
        format: 'flac',
        durationSec: 3,
        tags: { ...album, title: 'Broken', track: '3' },
      });
    },
    services: {
      // Small limits and a small read-ahead, so a listener that stops reading keeps ffmpeg paused mid-file.
      transcoder: new Transcoder({
        ffmpegPath: 'ffmpeg',
        cacheFolder: cacheDir,
        cacheBytes: 50 * 1024 * 1024,
        maxConcurrent: 3,
        maxPerUser: 2,
        logger: silentLogger,
        readAheadBytes: 16 * 1024,
      }),
    },
  });
  const idOf = (title: string) =>
    server.db.prepare('SELECT id FROM track WHERE title = ?').pluck().get(title) as string;
  ids.flac = idOf('Long Flac');
  ids.mp3 = idOf('Lossy 320');
  ids.corrupt = idOf('Broken');
  ids.noise = idOf('Noise');
  // After the scan: the catalog still knows a good file, ffmpeg will find garbage.
  const garbage = Buffer.alloc(fs.statSync(corruptFile).size, 0x5a);
  garbage.write('fLaC', 0);
  fs.writeFileSync(corruptFile, garbage);
});

after(async () => {
  await server?.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
  assert.deepEqual(childProcesses('ffmpeg'), [], 'no ffmpeg after the server closed');
});

/** The server's players (made with its app). */
const players = () => server.services.players;

/** The player that fetch() requests with this client name come from (fetch's user agent is "node"). */
const fetchPlayer = (userId: string, client: string) =>
  players().remember({ userId, client, userAgent: 'node', address: '127.0.0.1' });

const streamUrl = (params: Params, user = ALICE, client = 'test') =>
  server.url('stream', params, { user, client });

async function body(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

async function expectError(response: Response, code: number, message?: RegExp): Promise<void> {
  assert.match(response.headers.get('content-type') ?? '', /^text\/xml/);
  const text = await response.text();
  assert.match(text, new RegExp(`<error code="${code}"`), text);
  if (message) assert.match(text, message);
}

/** Starts a request, reads its first chunk and leaves the rest unread; abort() ends it. */
async function holdStream(url: string): Promise<{ response: Response; abort: () => void }> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  assert.equal(response.status, 200);
  if (/xml/.test(response.headers.get('content-type') ?? '')) assert.fail(await response.text());
  const reader = response.body!.getReader();
  await reader.read();
  return {
    response,
    abort: () => {
      controller.abort();
      void reader.cancel().catch(() => undefined);
    },
  };
}

async function noFfmpegLeft(): Promise<void> {
  const left = await eventually(
    () => childProcesses('ffmpeg'),
    (pids) => pids.length === 0,
  );
  assert.deepEqual(left, [], 'every ffmpeg process ended');
}

describe('the decision', () => {
  it('sends originals when nothing asks for less, and for format=raw whatever the limit', async () => {
    const original = fs.readFileSync(
      path.join(
        server.db
          .prepare('SELECT path FROM library WHERE id = ?')
          .pluck()
          .get(server.libraries.second) as string,
        'Long Player/Long Album/01 - Long.flac',
      ),
    );
    const cases: Params[] = [{}, { format: 'raw', maxBitRate: 96 }, { maxBitRate: 0 }, { format: 'flac' }];
    for (const params of cases) {
      const response = await fetch(streamUrl({ id: ids.flac, ...params }));
      assert.equal(response.headers.get('content-type'), 'audio/flac', JSON.stringify(params));
      assert.ok((await body(response)).equals(original), JSON.stringify(params));
    }
    // A lossy source already within the limit is not re-encoded; one above it is.
    const within = await fetch(streamUrl({ id: ids.mp3, maxBitRate: 320 }));
    assert.equal(within.headers.get('accept-ranges'), 'bytes');
    await within.arrayBuffer();
    const asked = await fetch(streamUrl({ id: ids.mp3, format: 'mp3' }));
    assert.equal(asked.headers.get('accept-ranges'), 'bytes', 'mp3 asked of an mp3: the original');
    await asked.arrayBuffer();
  });

  it('transcodes flac to mp3 near 128 kbit/s with the source duration', async () => {
    const response = await fetch(streamUrl({ id: ids.flac, format: 'mp3', maxBitRate: 128 }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    assert.equal(response.headers.get('accept-ranges'), 'none');
    const info = await probeAudio(await body(response));
    assert.equal(info.codec, 'mp3');
    assert.ok(Math.abs(info.bitRate - 128_000) <= 4_000, `bit rate ${info.bitRate}`);
    assert.ok(Math.abs(info.duration - 20) <= 0.3, `duration ${info.duration}`);
  });

  it('lowers a lossy source to the limit but never raises it', async () => {
    const lowered = await probeAudio(await body(await fetch(streamUrl({ id: ids.mp3, maxBitRate: 96 }))));
    assert.equal(lowered.codec, 'mp3');
    assert.ok(Math.abs(lowered.bitRate - 96_000) <= 4_000, `bit rate ${lowered.bitRate}`);
    // aac asked at 500 kbit/s of a 320 kbit/s file: 320 at most.
    const capped = await probeAudio(
      await body(await fetch(streamUrl({ id: ids.mp3, format: 'aac', maxBitRate: 500 }))),
    );
    assert.equal(capped.codec, 'aac');
    assert.ok(capped.bitRate <= 330_000, `bit rate ${capped.bitRate}`);
  });

  it('makes opus, m4a (fragmented MP4) and aac (ADTS) that ffprobe reads', async () => {
    for (const [format, codec, container, type] of [
      ['opus', 'opus', 'ogg', 'audio/ogg'],
      ['m4a', 'aac', 'mov,mp4,m4a,3gp,3g2,mj2', 'audio/mp4'],
      ['aac', 'aac', 'aac', 'audio/aac'],
    ] as const) {
      const response = await fetch(streamUrl({ id: ids.flac, format, maxBitRate: 96 }));
      assert.equal(response.headers.get('content-type'), type, format);
      const info = await probeAudio(await body(response));
      assert.equal(info.codec, codec, format);
      assert.equal(info.format, container, format);
      if (format !== 'aac')
        assert.ok(Math.abs(info.duration - 20) <= 0.5, `${format} duration ${info.duration}`);
    }
  });

  it('starts at timeOffset', async () => {
    const response = await fetch(streamUrl({ id: ids.flac, format: 'mp3', maxBitRate: 128, timeOffset: 15 }));
    const info = await probeAudio(await body(response));
    assert.ok(Math.abs(info.duration - 5) <= 0.3, `duration ${info.duration}`);
    // An original asked to start later is re-encoded in its own format from there.
    const flac = await probeAudio(await body(await fetch(streamUrl({ id: ids.flac, timeOffset: 12 }))));
    assert.equal(flac.codec, 'flac');
    assert.ok(Math.abs(flac.duration - 8) <= 0.3, `flac duration ${flac.duration}`);
  });

  it('keeps an estimated Content-Length exactly', async () => {
    const response = await fetch(
      streamUrl({ id: ids.flac, format: 'mp3', maxBitRate: 64, estimateContentLength: 'true' }),
    );
    const expected = (20 * 64 * 1000) / 8;
    assert.equal(Number(response.headers.get('content-length')), expected);
    assert.equal((await body(response)).length, expected);
  });

  it('answers HEAD for a transcode without running ffmpeg', async () => {
    // The previous test's transcode may still be finishing (its answer was cut at the promised length).
    await noFfmpegLeft();
    const response = await fetch(streamUrl({ id: ids.flac, format: 'opus', maxBitRate: 48 }), {
      method: 'HEAD',
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/ogg');
    assert.deepEqual(childProcesses('ffmpeg'), []);
  });

  it('applies the user limit and the player limit and format', async () => {
    const admin = getUserByName(server.db, ADMIN.username);
    await updateUser(server.db, 'alice', { maxBitRate: 96 });
    try {
      const limited = await fetch(streamUrl({ id: ids.flac }));
      assert.equal(
        limited.headers.get('content-type'),
        'audio/mpeg',
        'the default format, under the user limit',
      );
      const info = await probeAudio(await body(limited));
      assert.ok(Math.abs(info.bitRate - 96_000) <= 4_000, `bit rate ${info.bitRate}`);
    } finally {
      await updateUser(server.db, 'alice', { maxBitRate: 0 });
    }
    // The player: remembered on first sight, then given its own limit and format by its user.
    await body(await fetch(streamUrl({ id: ids.mp3 }, BOB, 'PhoneApp')));
    const bob = getUserByName(server.db, BOB.username);
    players().update(bob, fetchPlayer(bob.id, 'PhoneApp').id, { maxBitRate: 64, format: 'opus' });
    // Bob sees only the second library, where these tracks are.
    const phone = await fetch(streamUrl({ id: ids.flac }, BOB, 'PhoneApp'));
    assert.equal(phone.headers.get('content-type'), 'audio/ogg');
    const opus = await probeAudio(await body(phone));
    assert.equal(opus.codec, 'opus');
    // Another client of Bob's is not affected, and Bob cannot change somebody else's player.
    const desktop = await fetch(streamUrl({ id: ids.flac }, BOB, 'Desktop'));
    assert.equal(desktop.headers.get('content-type'), 'audio/flac');
    await desktop.arrayBuffer();
    const alicePlayer = players().remember({
      userId: getUserByName(server.db, 'alice').id,
      client: 'x',
      userAgent: 'y',
      address: '',
    });
    assert.throws(() => players().update(bob, alicePlayer.id, { maxBitRate: 32 }), /player not found/);
    assert.equal(players().update(admin, alicePlayer.id, { maxBitRate: 32 }).maxBitRate, 32);
  });
});

describe('what songs would be transcoded to (transcodedSuffix)', () => {
  const songOf = async (id: string, user = ALICE, client = 'test') =>
    (await server.json('getSong', { id }, { user, client })).song as Json;

  it('is absent while songs go out as they are', async () => {
    const song = await songOf(ids.flac);
    assert.equal(song.suffix, 'flac');
    assert.equal(song.transcodedSuffix, undefined);
    assert.equal(song.transcodedContentType, undefined);
  });

  it("follows the user's limit: lossless and too-rich songs in the default format", async () => {
    await updateUser(server.db, 'alice', { maxBitRate: 64 });
    try {
      const flac = await songOf(ids.flac);
      assert.ok(flac.bitRate > 64, `the flac's ${flac.bitRate} kbit/s are over the limit`);
      assert.equal(flac.transcodedSuffix, 'mp3');
      assert.equal(flac.transcodedContentType, 'audio/mpeg');
      // The 320 kbit/s mp3 goes over the limit too; and DSub's plain Subsonic XML keeps to the schema.
      assert.equal((await songOf(ids.mp3)).transcodedSuffix, 'mp3');
      const xml = await server.xmlText('getSong', { id: ids.flac }, { user: ALICE, client: 'DSub' });
      validateSubsonicXml(xml);
      assert.match(xml, /transcodedSuffix="mp3"/);
    } finally {
      await updateUser(server.db, 'alice', { maxBitRate: 0 });
    }
    assert.equal((await songOf(ids.flac)).transcodedSuffix, undefined, 'gone with the limit');
  });

  it("follows each player's format, in every answer that lists songs", async () => {
    const bob = getUserByName(server.db, BOB.username);
    const tablet = fetchPlayer(bob.id, 'TabletApp');
    players().update(bob, tablet.id, { format: 'opus' });
    const flac = await songOf(ids.flac, BOB, 'TabletApp');
    assert.equal(flac.transcodedSuffix, 'opus');
    assert.equal(flac.transcodedContentType, 'audio/ogg');
    const album = (await server.json('getAlbum', { id: flac.albumId }, { user: BOB, client: 'TabletApp' }))
      .album as Json;
    const byTitle = new Map((album.song as Json[]).map((song) => [song.title, song]));
    assert.equal(byTitle.get('Long Flac')!.transcodedSuffix, 'opus');
    assert.equal(byTitle.get('Lossy 320')!.transcodedSuffix, 'opus', 'mp3 is not opus either');
    // Bob's other client, and the same album asked by it (not a cached answer of the tablet's).
    assert.equal((await songOf(ids.flac, BOB, 'Desktop')).transcodedSuffix, undefined);
    const desktopAlbum = (
      await server.json('getAlbum', { id: flac.albumId }, { user: BOB, client: 'Desktop' })
    ).album as Json;
    assert.ok((desktopAlbum.song as Json[]).every((song) => song.transcodedSuffix === undefined));
    // getIndexes lists the songs at a library's root and is a cached answer: one per player.
    const rootSong = async (client: string) =>
      ((await server.json('getIndexes', {}, { user: BOB, client })).indexes.child as Json[]).find(
        (child) => child.title === 'Root Song',
      )!;
    assert.equal((await rootSong('TabletApp')).transcodedSuffix, 'opus');
    assert.equal((await rootSong('Desktop')).transcodedSuffix, undefined);
    assert.equal((await rootSong('TabletApp')).transcodedSuffix, 'opus');
    // Same client name from another app (user agent): another player, not the tablet's cached answer.
    const other = await fetch(
      server.url('getIndexes', {}, { user: BOB, client: 'TabletApp', format: 'json' }),
      {
        headers: { 'User-Agent': 'AnotherApp/1.0' },
      },
    );
    const otherIndexes = ((await other.json()) as Json)['subsonic-response'].indexes;
    const otherRoot = (otherIndexes.child as Json[]).find((child) => child.title === 'Root Song')!;
    assert.equal(otherRoot.transcodedSuffix, undefined);
    // A player that takes originals, or one whose format matches the source, gets none.
    players().update(bob, tablet.id, { format: 'mp3', maxBitRate: 0 });
    assert.equal((await songOf(ids.mp3, BOB, 'TabletApp')).transcodedSuffix, undefined);
    assert.equal((await songOf(ids.flac, BOB, 'TabletApp')).transcodedSuffix, 'mp3');
    players().update(bob, tablet.id, { format: 'raw' });
    assert.equal((await songOf(ids.flac, BOB, 'TabletApp')).transcodedSuffix, undefined);
  });
});

describe('the transcode cache', () => {
  it('serves a finished transcode again with Range, from one ffmpeg run', async () => {
    const params = { id: ids.flac, format: 'mp3', maxBitRate: 160 };
    const first = await body(await fetch(streamUrl(params)));
    const cached = await eventually(
      () => fs.readdirSync(cacheDir).filter((name) => name.endsWith('.mp3')),
      (names) => names.length > 0,
    );
    assert.ok(cached.length > 0, 'a cache entry was written');
    const again = await fetch(streamUrl(params));
    assert.equal(again.headers.get('accept-ranges'), 'bytes');
    assert.ok(again.headers.get('etag'));
    assert.ok((await body(again)).equals(first));
    const part = await fetch(streamUrl(params), { headers: { Range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${first.length}`);
    assert.ok((await body(part)).equals(first.subarray(1000, 2000)));
  });

  it('lets two requests for the same transcode share one ffmpeg', async () => {
    const url = streamUrl({ id: ids.noise, format: 'flac', timeOffset: 3 });
    const one = await holdStream(url);
    const two = await holdStream(url);
    assert.equal(childProcesses('ffmpeg').length, 1, 'one ffmpeg for both');
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    assert.match(metrics, /^tonearm_transcodes_running 1$/m);
    assert.match(metrics, /^tonearm_transcode_listeners 2$/m);
    one.abort();
    // The other listener keeps it alive and gets the whole transcode.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(childProcesses('ffmpeg').length, 1, 'still running for the second listener');
    two.abort();
    await noFfmpegLeft();
  });
});

describe('limits and failures', () => {
  it('ends ffmpeg at once when the client goes away', async () => {
    const held = await holdStream(streamUrl({ id: ids.noise, format: 'flac', timeOffset: 1 }));
    const running = childProcesses('ffmpeg');
    assert.equal(running.length, 1, 'ffmpeg is paused mid-file, waiting for the listener');
    held.abort();
    await noFfmpegLeft();
    // The partial file is removed right after the kill (asynchronously).
    assert.deepEqual(
      await eventually(
        () => fs.readdirSync(cacheDir).filter((name) => name.endsWith('.part')),
        (parts) => parts.length === 0,
      ),
      [],
      'no partial file left',
    );
  });

  it('answers 429 with Retry-After beyond the per-user and the global limit', async () => {
    const held = [
      await holdStream(streamUrl({ id: ids.noise, format: 'flac', timeOffset: 2 })),
      await holdStream(streamUrl({ id: ids.noise, format: 'flac', timeOffset: 4 })),
    ];
    try {
      const third = await fetch(streamUrl({ id: ids.noise, format: 'flac', timeOffset: 5 }));
      assert.equal(third.status, 429);
      assert.equal(third.headers.get('retry-after'), '5');
      await expectError(third, 0, /at most 2/);
      // Cached and original files need no slot.
      const original = await fetch(streamUrl({ id: ids.flac }));
      assert.equal(original.status, 200);
      await original.arrayBuffer();
      held.push(await holdStream(streamUrl({ id: ids.noise, format: 'flac', timeOffset: 6 }, ADMIN)));
      const global = await fetch(streamUrl({ id: ids.noise, format: 'flac', timeOffset: 7 }, ADMIN));
      assert.equal(global.status, 429);
      await expectError(global, 0, /3 transcodes are running/);
    } finally {
      for (const stream of held) stream.abort();
    }
    await noFfmpegLeft();
  });

  it('gives an error envelope, not a broken stream, for a file ffmpeg cannot decode', async () => {
    const response = await fetch(streamUrl({ id: ids.corrupt, format: 'mp3' }));
    await expectError(
      response,
      0,
      /ffmpeg could not transcode &quot;Broken&quot;: \S|ffmpeg produced no audio/,
    );
    const flagged = server.db
      .prepare('SELECT missing_since FROM track WHERE id = ?')
      .pluck()
      .get(ids.corrupt);
    assert.equal(flagged, null, 'a corrupt file is not a missing one');
    await noFfmpegLeft();
  });

  it('refuses bad maxBitRate, format and timeOffset with error 0 and a message', async () => {
    for (const [params, message] of [
      [{ maxBitRate: 'abc' }, /maxBitRate must be a whole number/],
      [{ maxBitRate: '-1' }, /maxBitRate must be a whole number/],
      [{ format: 'wma9' }, /unknown format &quot;wma9&quot;/],
      [{ timeOffset: 'soon' }, /timeOffset must be a number/],
    ] as const) {
      await expectError(await fetch(streamUrl({ id: ids.flac, ...params })), 0, message);
    }
  });
});

describe('without ffmpeg', () => {
  let broken: SubsonicServer;
  before(async () => {
    broken = await startSubsonicServer({
      services: {
        transcoder: new Transcoder({
          ffmpegPath: '/nonexistent/ffmpeg',
          cacheFolder: fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-noffmpeg-')),
          cacheBytes: 0,
          maxConcurrent: 2,
          maxPerUser: 2,
          logger: silentLogger,
        }),
      },
    });
  });
  after(() => broken?.close());

  it('says ffmpeg is missing, logs it, and still serves originals', async () => {
    const id = broken.db
      .prepare("SELECT id FROM track WHERE suffix = 'flac' LIMIT 1")
      .pluck()
      .get() as string;
    const response = await fetch(broken.url('stream', { id, format: 'mp3' }, { user: ALICE }));
    await expectError(response, 0, /ffmpeg cannot be started/);
    assert.match(broken.logText(), /ffmpeg cannot be started/);
    const original = await fetch(broken.url('stream', { id }, { user: ALICE }));
    assert.equal(original.headers.get('content-type'), 'audio/flac');
    await original.arrayBuffer();
  });
});
