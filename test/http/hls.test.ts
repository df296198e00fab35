// HLS with real ffmpeg over real HTTP: the playlists (Subsonic hls.m3u8 and the native routes), every
// segment of a variant joined and probed (AAC, the track's length, timestamps that continue from one
// segment to the next with no encoder priming left between them), the segment cache (same file, same
// ETag, no second ffmpeg run), signatures (tampered, expired, moved to another path), access (libraries,
// roles, the user's bitrate limit), hostile segment names, and the ffmpeg runs: shared by concurrent
// requests, limited (429 + Retry-After), stopped when the client leaves; none left at the end.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createUser } from '../../src/accounts/users.service.ts';
import { ensureSearchIndex } from '../../src/catalog/search.ts';
import { loadConfig } from '../../src/config/load.ts';
import { hlsEndpoints } from '../../src/http/subsonic/handlers/hls.ts';
import { defaultEndpoints } from '../../src/http/subsonic/handlers/index.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { Scanner } from '../../src/library/scanner.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { chooseBitrates, planSegments, segmentArguments } from '../../src/streaming/hls/plan.ts';
import { HlsSegments } from '../../src/streaming/hls/segments.ts';
import { openMediaFile } from '../../src/streaming/media-file.ts';
import type { UrlSigner } from '../../src/streaming/signed-urls.ts';
import { makeAudio } from '../helpers/audio.ts';
import { startTestServer } from '../helpers/http.ts';
import { childProcesses, eventually } from '../helpers/processes.ts';
import {
  ALICE,
  type Credentials,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const NO_STREAM: Credentials = { username: 'nostream', password: 'nostream-pass' };
const CAPPED: Credentials = { username: 'capped', password: 'capped-pass' };

// The endpoint may already be registered by default; the router refuses a name twice.
const endpoints = defaultEndpoints.some((endpoint) => endpoint.name === 'hls.m3u8')
  ? defaultEndpoints
  : [...defaultEndpoints, ...hlsEndpoints];

const album = { artist: 'Hls Player', album_artist: 'Hls Player', album: 'Hls Album', date: '2002' };

async function addHlsTracks(root: string): Promise<void> {
  await makeAudio(path.join(root, 'Hls Player/Hls Album/01 - Twenty.flac'), {
    format: 'flac',
    durationSec: 20,
    frequency: 330,
    tags: { ...album, title: 'Hls Twenty', track: '1' },
  });
  await makeAudio(path.join(root, 'Hls Player/Hls Album/02 - Lossy.mp3'), {
    format: 'mp3',
    durationSec: 8,
    bitrateK: 96,
    frequency: 550,
    tags: { ...album, title: 'Hls Lossy', track: '2' },
  });
}

let server: SubsonicServer;
let signer: UrlSigner;
let flacId = '';
let mp3Id = '';
let flacDuration = 0;
let flacFile = '';

before(async () => {
  server = await startSubsonicServer({
    addToSecondLibrary: addHlsTracks,
    app: { subsonicEndpoints: endpoints },
  });
  signer = server.services.urlSigner;
  const idOf = (title: string) =>
    server.db.prepare('SELECT id FROM track WHERE title = ?').pluck().get(title) as string;
  flacId = idOf('Hls Twenty');
  mp3Id = idOf('Hls Lossy');
  flacDuration = server.db.prepare('SELECT duration FROM track WHERE id = ?').pluck().get(flacId) as number;
  flacFile = server.db
    .prepare(
      "SELECT l.path || '/' || t.path FROM track t JOIN library l ON l.id = t.library_id WHERE t.id = ?",
    )
    .pluck()
    .get(flacId) as string;
  await createUser(server.db, { ...NO_STREAM, roles: { stream: false } });
  await createUser(server.db, { ...CAPPED, maxBitRate: 64 });
  // Bob sees the fixture library only, not the one the HLS tracks are in.
  const answer = await server.json('updateUser', {
    username: 'bob',
    musicFolderId: server.libraries.fixture,
  });
  assert.equal(answer.status, 'ok');
});

after(async () => {
  await server?.close();
  assert.deepEqual(childProcesses('ffmpeg'), [], 'no ffmpeg after the server closed');
});

/** A signed URL of a native HLS path (without base path) for a user, as the server would give it. */
function signed(pathname: string, user: Credentials = ALICE, ttlSeconds = 3600): string {
  return `${server.baseUrl}${signer.sign(pathname, {}, server.userId(user.username), ttlSeconds)}`;
}

const hlsPath = (trackId: string, rest: string) => `/api/v1/media/hls/${encodeURIComponent(trackId)}/${rest}`;

async function playlist(url: string): Promise<{ text: string; response: Response }> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `${url} answered ${response.status}: ${await response.clone().text()}`);
  assert.equal(response.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  return { text: await response.text(), response };
}

interface Variant {
  bandwidth: number;
  codecs: string;
  uri: string;
}

function parseMaster(text: string): Variant[] {
  const lines = text.trim().split('\n');
  assert.equal(lines[0], '#EXTM3U');
  const variants: Variant[] = [];
  for (const [index, line] of lines.entries()) {
    const info = /^#EXT-X-STREAM-INF:BANDWIDTH=(\d+),CODECS="([^"]+)"$/.exec(line);
    if (info) variants.push({ bandwidth: Number(info[1]), codecs: info[2]!, uri: lines[index + 1]! });
  }
  return variants;
}

interface MediaPlaylist {
  targetDuration: number;
  segments: { duration: number; uri: string }[];
  lines: string[];
}

function parseMedia(text: string): MediaPlaylist {
  const lines = text.trim().split('\n');
  assert.equal(lines[0], '#EXTM3U');
  const target = lines.find((line) => line.startsWith('#EXT-X-TARGETDURATION:'));
  const segments: MediaPlaylist['segments'] = [];
  for (const [index, line] of lines.entries()) {
    const info = /^#EXTINF:([\d.]+),$/.exec(line);
    if (info) segments.push({ duration: Number(info[1]), uri: lines[index + 1]! });
  }
  return { targetDuration: Number(target?.split(':')[1]), segments, lines };
}

async function problem(response: Response, status: number, detail?: RegExp): Promise<void> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
  const body = (await response.json()) as { status: number; detail: string };
  assert.equal(body.status, status);
  if (detail) assert.match(body.detail, detail);
}

async function subsonicError(response: Response, code: number): Promise<void> {
  assert.equal(response.status, 200);
  const body = (await response.json()) as {
    'subsonic-response': { status: string; error: { code: number } };
  };
  assert.equal(body['subsonic-response'].status, 'failed');
  assert.equal(body['subsonic-response'].error.code, code);
}

interface Packet {
  pts: number;
  end: number;
}

async function probePackets(file: string): Promise<{ codec: string; packets: Packet[]; duration: number }> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', 'a:0', '-show_packets', '-show_streams', '-show_format'],
    ...['-show_entries', 'packet=pts,duration:stream=codec_name,time_base:format=duration', '-of', 'json'],
    file,
  ]);
  const info = JSON.parse(stdout) as {
    packets: { pts: number; duration: number }[];
    streams: { codec_name: string; time_base: string }[];
    format: { duration: string };
  };
  const [num, den] = info.streams[0]!.time_base.split('/').map(Number) as [number, number];
  return {
    codec: info.streams[0]!.codec_name,
    packets: info.packets.map((packet) => ({
      pts: (packet.pts * num) / den,
      end: ((packet.pts + packet.duration) * num) / den,
    })),
    duration: Number(info.format.duration),
  };
}

/** The audio as mono 32-bit float samples at its own rate. */
async function decodeMono(file: string): Promise<Float32Array> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-ac', '1', '-f', 'f32le', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Float32Array(stdout.buffer, stdout.byteOffset, stdout.byteLength / 4);
}

function tempFile(name: string, bytes: Buffer): string {
  const file = path.join(os.tmpdir(), `tonearm-hls-${process.pid}-${Date.now()}-${name}`);
  fs.writeFileSync(file, bytes);
  return file;
}

describe('variants and segment plan', () => {
  it('chooses bitrates within the limits, keeping at least one', () => {
    const lossless = { bitrate: 900, lossless: true };
    assert.deepEqual(chooseBitrates(lossless, undefined, 0), [64, 128, 256]);
    assert.deepEqual(chooseBitrates(lossless, undefined, 160), [64, 128]);
    assert.deepEqual(chooseBitrates(lossless, undefined, 48), [48]);
    assert.deepEqual(chooseBitrates(lossless, [500, 8, 128, 128], 0), [32, 128, 256]);
    assert.deepEqual(chooseBitrates({ bitrate: 320, lossless: false }, undefined, 0), [64, 128, 256]);
    assert.deepEqual(chooseBitrates({ bitrate: 100, lossless: false }, undefined, 0), [64]);
    assert.deepEqual(chooseBitrates({ bitrate: 100, lossless: false }, [192], 0), [100]);
    assert.deepEqual(chooseBitrates({ bitrate: 0, lossless: false }, undefined, 0), [64, 128, 256]);
  });

  it('cuts whole AAC frames at 44.1 or 48 kHz, folding a sliver of an end into the last segment', () => {
    const hiRes = planSegments({ title: 'x', duration: 12, sampleRate: 96000, channels: 6 });
    assert.deepEqual([hiRes.sampleRate, hiRes.channels, hiRes.framesPerSegment], [48000, 2, 281]);
    assert.equal(hiRes.segments.length, 2);
    assert.ok(Math.abs(hiRes.segments[1]!.duration - (12 - (281 * 1024) / 48000)) < 1e-9);
    assert.equal(hiRes.targetDuration, 6);
    const short = planSegments({ title: 'x', duration: 0.3, sampleRate: 22050, channels: 1 });
    assert.deepEqual(
      [short.sampleRate, short.channels, short.segments.length, short.targetDuration],
      [44100, 1, 1, 1],
    );
    assert.throws(() => planSegments({ title: 'x', duration: 0, sampleRate: 44100, channels: 2 }), /length/);

    const plan = planSegments({ title: 'x', duration: 20, sampleRate: 44100, channels: 2 });
    const first = segmentArguments(plan, plan.segments[0]!, 128);
    assert.ok(!first.input.includes('-ss'), 'nothing to pre-roll over before the first segment');
    assert.ok(first.output.includes('noise=drop=lt(n\\,1)'));
    const second = segmentArguments(plan, plan.segments[1]!, 128);
    // Two frames of pre-roll, then the priming frame and the pre-roll dropped.
    assert.deepEqual(second.input.slice(0, 2), ['-ss', ((256 * 1024) / 44100).toFixed(6)]);
    assert.ok(second.output.includes('noise=drop=lt(n\\,3)'));
    assert.equal(second.output[second.output.indexOf('-frames:a') + 1], '258');
    const last = segmentArguments(plan, plan.segments.at(-1)!, 128);
    assert.ok(!last.output.includes('-frames:a') && !last.input.includes('-t'), 'the last runs to the end');
  });
});

describe('Subsonic hls.m3u8', () => {
  it('answers a master playlist of the default variants, linking to signed native routes', async () => {
    const url = server.url('hls.m3u8', { id: flacId }, { user: ALICE });
    const { text } = await playlist(url);
    assert.match(text, /^#EXTM3U\n#EXT-X-VERSION:3\n/);
    const variants = parseMaster(text);
    assert.deepEqual(
      variants.map((variant) => /\/(\d+)\/index\.m3u8\?/.exec(variant.uri)?.[1]),
      ['64', '128', '256'],
    );
    for (const variant of variants) {
      assert.equal(variant.codecs, 'mp4a.40.2');
      const kbps = Number(/\/(\d+)\/index/.exec(variant.uri)![1]);
      // The TS overhead is counted: BANDWIDTH is at least the audio bitrate.
      assert.ok(variant.bandwidth >= kbps * 1000 && variant.bandwidth <= kbps * 1000 * 1.5, variant.uri);
      // Relative (base path and proxies), signed, and without the caller's credentials.
      assert.match(variant.uri, /^\.\.\/api\/v1\/media\/hls\/tr-[^/]+\/\d+\/index\.m3u8\?/);
      assert.match(variant.uri, /[?&]sig=/);
      assert.match(variant.uri, /[?&]exp=/);
      assert.doesNotMatch(variant.uri, /alice-pass|[?&](u|p|t|s)=/);
      const media = await playlist(new URL(variant.uri, url).href);
      assert.ok(parseMedia(media.text).segments.length > 0);
    }
  });

  it('gives one variant as a media playlist, several as a master playlist, within the limits', async () => {
    const single = await playlist(server.url('hls.m3u8', { id: flacId, bitRate: 128 }, { user: ALICE }));
    const media = parseMedia(single.text);
    assert.ok(media.lines.includes('#EXT-X-ENDLIST'));
    assert.match(media.segments[0]!.uri, /^\.\.\/api\/v1\/media\/hls\/tr-[^/]+\/128\/0\.ts\?/);

    const several = await playlist(
      server.url('hls.m3u8', { id: flacId, bitRate: ['96', '1000@480x360', '96'] }, { user: ALICE }),
    );
    assert.deepEqual(
      parseMaster(several.text).map((variant) => /\/(\d+)\/index/.exec(variant.uri)![1]),
      ['96', '256'],
      'duplicates merged, a video-sized request kept within what AAC needs',
    );

    // Never above a lossy source's own bitrate (96 kbit/s); at least one variant is left.
    const lossy = await playlist(server.url('hls.m3u8', { id: mp3Id }, { user: ALICE }));
    assert.deepEqual(
      parseMaster(lossy.text).map((variant) => /\/(\d+)\/index/.exec(variant.uri)![1]),
      ['64'],
    );
    const lossyHigh = await playlist(
      server.url('hls.m3u8', { id: mp3Id, bitRate: ['192', '256'] }, { user: ALICE }),
    );
    assert.deepEqual(
      parseMaster(lossyHigh.text).map((variant) => /\/(\d+)\/index/.exec(variant.uri)![1]),
      ['96'],
    );
    // The user's own limit.
    const capped = await playlist(server.url('hls.m3u8', { id: flacId }, { user: CAPPED }));
    assert.deepEqual(
      parseMaster(capped.text).map((variant) => /\/(\d+)\/index/.exec(variant.uri)![1]),
      ['64'],
    );
  });

  it('answers errors as Subsonic envelopes', async () => {
    const get = (params: Record<string, string | string[]>, user: Credentials = ALICE) =>
      fetch(server.url('hls.m3u8', params, { user, format: 'json' }));
    await subsonicError(await get({ id: flacId, bitRate: 'fast' }), 0);
    await subsonicError(await get({ id: flacId, bitRate: '0' }), 0);
    await subsonicError(await get({ id: flacId, bitRate: ['128', '-5'] }), 0);
    await subsonicError(await get({ id: 'tr-doesnotexist' }), 70);
    await subsonicError(await get({ id: '../../tonearm.db' }), 70);
    await subsonicError(await get({}), 10);
    await subsonicError(await get({ id: flacId }, NO_STREAM), 50);
    await subsonicError(await get({ id: flacId }, { username: 'bob', password: 'bob-pass' }), 70);
  });
});

describe('native HLS routes', () => {
  it('serve a master playlist whose relative variant URIs lead to media playlists', async () => {
    const masterUrl = signed(hlsPath(flacId, 'master.m3u8'));
    const { text } = await playlist(masterUrl);
    const variants = parseMaster(text);
    assert.deepEqual(
      variants.map((variant) => variant.uri.split('?')[0]),
      ['64/index.m3u8', '128/index.m3u8', '256/index.m3u8'],
    );
    const media = parseMedia((await playlist(new URL(variants[1]!.uri, masterUrl).href)).text);
    assert.ok(media.lines.includes('#EXT-X-VERSION:3'));
    assert.ok(media.lines.includes('#EXT-X-MEDIA-SEQUENCE:0'));
    assert.ok(media.lines.includes('#EXT-X-PLAYLIST-TYPE:VOD'));
    assert.equal(media.lines.at(-1), '#EXT-X-ENDLIST');
    assert.equal(media.targetDuration, 6);
    // ~6 s segments, the last shorter, together exactly the track.
    const durations = media.segments.map((segment) => segment.duration);
    assert.equal(durations.length, 4);
    for (const duration of durations.slice(0, -1)) assert.ok(Math.abs(duration - 6) < 0.05, String(duration));
    assert.ok(durations.at(-1)! < 6);
    for (const duration of durations) assert.ok(Math.round(duration) <= media.targetDuration);
    const total = durations.reduce((sum, duration) => sum + duration, 0);
    assert.ok(Math.abs(total - flacDuration) < 0.001, `${total} vs ${flacDuration}`);
    assert.deepEqual(
      media.segments.map((segment) => segment.uri.split('?')[0]),
      ['0.ts', '1.ts', '2.ts', '3.ts'],
    );
  });

  it('makes segments that join into the whole track with continuous timestamps', async () => {
    const playlistUrl = signed(hlsPath(flacId, '128/index.m3u8'));
    const media = parseMedia((await playlist(playlistUrl)).text);
    const parts: Buffer[] = [];
    const files: string[] = [];
    try {
      let start = 0;
      let previousEnd: number | undefined;
      for (const [index, segment] of media.segments.entries()) {
        const response = await fetch(new URL(segment.uri, playlistUrl));
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'video/mp2t');
        assert.equal(response.headers.get('cache-control'), 'private, max-age=86400');
        assert.equal(response.headers.get('accept-ranges'), 'bytes');
        const bytes = Buffer.from(await response.arrayBuffer());
        assert.equal(bytes[0], 0x47, 'an MPEG-TS sync byte');
        parts.push(bytes);
        const file = tempFile(`segment-${index}.ts`, bytes);
        files.push(file);
        const probed = await probePackets(file);
        assert.equal(probed.codec, 'aac');
        const first = probed.packets[0]!;
        const last = probed.packets.at(-1)!;
        // Each segment starts where the playlist places it and where the previous one ended: no encoder
        // priming frame, no gap, no overlap (1 ms is the 90 kHz clock's rounding, far below a frame).
        assert.ok(
          Math.abs(first.pts - start) < 0.001,
          `segment ${index} starts at ${first.pts}, not ${start}`,
        );
        if (previousEnd !== undefined) assert.ok(Math.abs(first.pts - previousEnd) < 0.001);
        for (let i = 1; i < probed.packets.length; i++) {
          assert.ok(Math.abs(probed.packets[i]!.pts - probed.packets[i - 1]!.end) < 0.001, 'no gap inside');
        }
        if (index < media.segments.length - 1) {
          assert.ok(Math.abs(last.end - (start + segment.duration)) < 0.001, `segment ${index} ends on time`);
        }
        previousEnd = last.end;
        start += segment.duration;
      }
      const joined = tempFile('joined.ts', Buffer.concat(parts));
      files.push(joined);
      const whole = await probePackets(joined);
      assert.equal(whole.codec, 'aac');
      assert.ok(Math.abs(whole.duration - flacDuration) < 0.5, `joined ${whole.duration} s`);
      // Frame count: the track's samples in 1024-sample AAC frames, plus at most the last one's padding.
      const frames = Math.ceil((flacDuration * 44100) / 1024);
      assert.ok(
        whole.packets.length >= frames && whole.packets.length <= frames + 1,
        `${whole.packets.length}`,
      );
      for (let i = 1; i < whole.packets.length; i++) {
        assert.ok(whole.packets[i]!.pts - whole.packets[i - 1]!.end < 0.001, 'no timestamp gap when joined');
      }
      // ffmpeg decodes the join as one stream of the right length.
      const decoded = await run('ffmpeg', [
        '-v',
        'error',
        '-i',
        joined,
        '-f',
        'null',
        '-',
        '-progress',
        'pipe:1',
      ]);
      const times = [...decoded.stdout.matchAll(/out_time_us=(\d+)/g)];
      assert.ok(Math.abs(Number(times.at(-1)![1]) / 1e6 - flacDuration) < 0.1);

      // Gapless: decoded, the join follows the source as closely at the segment boundaries as anywhere
      // else. Cut naively (no pre-roll), each boundary is a click about ten times the error elsewhere.
      const heard = await decodeMono(joined);
      const source = await decodeMono(flacFile);
      const boundaries = media.segments.slice(1).map((_, index) => (index + 1) * 258 * 1024);
      let atBoundaries = 0;
      let elsewhere = 0;
      for (let i = 4096; i < source.length - 4096; i++) {
        const error = Math.abs(heard[i]! - source[i]!);
        if (boundaries.some((boundary) => Math.abs(boundary - i) <= 2048))
          atBoundaries = Math.max(atBoundaries, error);
        else elsewhere = Math.max(elsewhere, error);
      }
      assert.ok(atBoundaries <= 2 * elsewhere, `boundaries ${atBoundaries}, elsewhere ${elsewhere}`);
    } finally {
      for (const file of files) fs.rmSync(file, { force: true });
    }
  });

  it('serves a made segment from the cache: same file, same ETag, Range and 304', async () => {
    const url = signed(hlsPath(flacId, '256/1.ts'));
    const first = await fetch(url);
    assert.equal(first.status, 200);
    const bytes = Buffer.from(await first.arrayBuffer());
    const etag = first.headers.get('etag');
    assert.ok(etag);
    const cached = findCachedSegments(server.dir).filter((file) => file.endsWith(`${path.sep}1.ts`));
    const before = cached.map((file) => fs.statSync(file)).map((stat) => `${stat.ino}-${stat.mtimeMs}`);
    assert.ok(cached.length >= 1);

    const again = await fetch(signed(hlsPath(flacId, '256/1.ts')));
    assert.equal(again.headers.get('etag'), etag);
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(bytes));
    // Not made again: a new run would have renamed a new file into place.
    assert.deepEqual(
      cached.map((file) => fs.statSync(file)).map((stat) => `${stat.ino}-${stat.mtimeMs}`),
      before,
    );

    const ranged = await fetch(url, { headers: { Range: 'bytes=188-375' } });
    assert.equal(ranged.status, 206);
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(188, 376)));
    const revalidated = await fetch(url, { headers: { 'If-None-Match': etag } });
    assert.equal(revalidated.status, 304);
    await revalidated.arrayBuffer();
  });

  it('refuses tampered, moved and expired signatures with 403 problem details', async () => {
    const url = new URL(signed(hlsPath(flacId, '128/0.ts')));
    const tampered = new URL(url);
    tampered.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600));
    await problem(await fetch(tampered), 403, /not valid/);
    const forged = new URL(url);
    forged.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`);
    await problem(await fetch(forged), 403);
    // Another user's id in a URL signed for Alice.
    const otherUser = new URL(url);
    otherUser.searchParams.set('uid', server.userId('admin'));
    await problem(await fetch(otherUser), 403);
    // A signature is for its own path only: the same query on another segment or variant is refused.
    await problem(await fetch(`${server.baseUrl}${hlsPath(flacId, '128/1.ts')}${url.search}`), 403);
    await problem(await fetch(`${server.baseUrl}${hlsPath(flacId, '256/0.ts')}${url.search}`), 403);
    await problem(await fetch(`${server.baseUrl}${hlsPath(flacId, 'master.m3u8')}`), 403);
    const expiring = signed(hlsPath(flacId, 'master.m3u8'), ALICE, 1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await problem(await fetch(expiring), 403, /expired/);
  });

  it('checks the signed user again: library access, stream role, bitrate limit', async () => {
    const bob = { username: 'bob', password: 'bob-pass' };
    await problem(await fetch(signed(hlsPath(flacId, 'master.m3u8'), bob)), 404);
    await problem(await fetch(signed(hlsPath(flacId, '128/0.ts'), bob)), 404);
    await problem(await fetch(signed(hlsPath(flacId, 'master.m3u8'), NO_STREAM)), 403, /may not stream/);
    // A variant above the user's limit (or a lossy source's bitrate) is not served even when signed.
    await problem(await fetch(signed(hlsPath(flacId, '128/index.m3u8'), CAPPED)), 400);
    await problem(await fetch(signed(hlsPath(flacId, '256/0.ts'), CAPPED)), 400);
    await problem(await fetch(signed(hlsPath(mp3Id, '128/0.ts'))), 400);
    await problem(await fetch(signed(hlsPath(flacId, '100000/0.ts'))), 400);
    const capped = parseMaster((await playlist(signed(hlsPath(flacId, 'master.m3u8'), CAPPED))).text);
    assert.deepEqual(
      capped.map((variant) => variant.uri.split('?')[0]),
      ['64/index.m3u8'],
    );
  });

  it('serves nothing but its own segments, whatever the name', async () => {
    const names = [
      '..%2F..%2F..%2Ftonearm.db',
      '%2e%2e%2f%2e%2e%2f%2e%2e%2ftonearm.db',
      '..%252F..%252Ftonearm.db',
      '-1.ts',
      '4.ts',
      '99999.ts',
      '1.ts.part',
      '1.TS',
      '01x.ts',
      '1.ts%00',
      'index.m3u8.ts',
    ];
    const db = fs.readFileSync(path.join(server.dir, 'tonearm.db')).subarray(0, 16);
    for (const name of names) {
      // Validly signed, so it is the name, not the signature, that is refused.
      const response = await fetch(signed(hlsPath(flacId, `128/${name}`)));
      assert.ok([400, 404].includes(response.status), `${name}: ${response.status}`);
      const body = Buffer.from(await response.arrayBuffer());
      assert.equal(body.indexOf(db), -1);
    }
    for (const variant of ['..%2F..', '%2e%2e', '128%2F..%2F..']) {
      const response = await fetch(signed(hlsPath(flacId, `${variant}/0.ts`)));
      assert.ok([400, 404].includes(response.status), `${variant}: ${response.status}`);
      await response.arrayBuffer();
    }
    // Dot segments sent as they are (fetch would resolve them first).
    const raw = await rawGet(`/api/v1/media/hls/${flacId}/128/../../../../tonearm.db`);
    assert.ok([400, 404].includes(raw.status), String(raw.status));
    assert.equal(raw.body.indexOf(db), -1);
    // Nothing was written outside the cache either.
    for (const file of findCachedSegments(server.dir)) {
      assert.ok(file.startsWith(path.join(server.dir, 'cache', 'hls') + path.sep));
      assert.match(path.basename(file), /^\d+\.ts$/);
    }
  });
});

function rawGet(pathname: string): Promise<{ status: number; body: Buffer }> {
  const target = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname.replace(/\/$/, '')}${pathname}` },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

function findCachedSegments(dataDir: string): string[] {
  const root = path.join(dataDir, 'cache', 'hls');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(root, name))
    .filter((file) => fs.statSync(file).isFile());
}

describe('under a base path', () => {
  it('links and verifies paths relative to the base path', async () => {
    const music = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-hls-base-'));
    const based = await startTestServer({
      basePath: '/music',
      logLevel: 'warn',
      users: [{ username: 'admin', password: 'admin-pass' }],
      app: { subsonicEndpoints: endpoints },
    });
    try {
      await makeAudio(path.join(music, 'Based/Album/01 - Seven.flac'), {
        format: 'flac',
        durationSec: 7,
        tags: { title: 'Seven', artist: 'Based', album: 'Album', album_artist: 'Based', track: '1' },
      });
      const { config } = loadConfig({
        env: {},
        flags: { music: [{ name: 'music', path: music }], dataDir: based.dir, logLevel: 'silent' },
      });
      syncLibraries(based.db, config.music, Date.now());
      ensureSearchIndex(based.db);
      await new Scanner({ db: based.db, config, logger: silentLogger }).scan();
      const id = based.db.prepare('SELECT id FROM track WHERE title = ?').pluck().get('Seven') as string;
      const masterUrl = `${based.baseUrl}/rest/hls.m3u8?u=admin&p=admin-pass&v=1.16.1&c=test&id=${id}`;
      const master = parseMaster((await playlist(masterUrl)).text);
      const mediaUrl = new URL(master[0]!.uri, masterUrl);
      assert.match(mediaUrl.pathname, /^\/music\/api\/v1\/media\/hls\//);
      const media = parseMedia((await playlist(mediaUrl.href)).text);
      assert.equal(media.segments.length, 2);
      for (const segment of media.segments) {
        const response = await fetch(new URL(segment.uri, mediaUrl));
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'video/mp2t');
        await response.arrayBuffer();
      }
      // Without the base path the route does not exist; signed with it, the signature does not match.
      const signer = based.services.urlSigner;
      const unprefixed = `${based.origin}${signer.sign(hlsPath(id, 'master.m3u8'), {}, based.db.prepare('SELECT id FROM user').pluck().get() as string, 60)}`;
      assert.equal((await fetch(unprefixed)).status, 404);
      const signedWithBase = signer.sign(`/music${hlsPath(id, 'master.m3u8')}`, {}, 'x', 60);
      await problem(await fetch(`${based.origin}${signedWithBase}`), 403);
    } finally {
      await based.close();
      fs.rmSync(music, { recursive: true, force: true });
    }
  });
});

describe('segment runs', () => {
  // ffmpeg reading its input at 4× real time: a segment takes ~1.5 s, long enough to watch it run.
  let slowFfmpeg = '';
  let scratch = '';

  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-hls-runs-'));
    slowFfmpeg = path.join(scratch, 'slow-ffmpeg');
    fs.writeFileSync(slowFfmpeg, '#!/bin/sh\nexec ffmpeg -readrate 4 "$@"\n', { mode: 0o755 });
  });
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  const segmentsOf = (options: { maxConcurrent: number; maxQueued?: number; cacheBytes?: number }) =>
    new HlsSegments({
      ffmpegPath: slowFfmpeg,
      cacheFolder: path.join(scratch, `cache-${Math.random().toString(36).slice(2)}`),
      cacheBytes: options.cacheBytes ?? 50 * 1024 * 1024,
      maxConcurrent: options.maxConcurrent,
      maxQueued: options.maxQueued,
      evictionGraceMs: 0,
      logger: silentLogger,
    });

  async function request(index: number, signal?: AbortSignal, bitrate = 128) {
    const media = await openMediaFile(server.db, flacId, undefined);
    return { media, plan: planSegments(media.track), bitrate, index, log: silentLogger, signal };
  }

  it('share one ffmpeg between requests for the same segment', async () => {
    const segments = segmentsOf({ maxConcurrent: 2 });
    const first = segments.segment(await request(1));
    const second = segments.segment(await request(1));
    const running = await eventually(
      () => childProcesses('ffmpeg'),
      (pids) => pids.length > 0,
    );
    assert.equal(running.length, 1);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.file, b.file);
    assert.equal(childProcesses('ffmpeg').length, 0);
    assert.equal(segments.stats().running, 0);
  });

  it('queue beyond the limit, then refuse with TRANSCODE_LIMIT', async () => {
    const segments = segmentsOf({ maxConcurrent: 1, maxQueued: 1 });
    const leave = new AbortController();
    const running = segments.segment(await request(0, leave.signal));
    const queued = segments.segment(await request(1, leave.signal));
    await eventually(
      () => segments.stats(),
      (stats) => stats.running === 1 && stats.queued === 1,
    );
    await assert.rejects(segments.segment(await request(2)), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'TRANSCODE_LIMIT');
      assert.equal((error as { retryAfterSeconds?: number }).retryAfterSeconds, 5);
      return true;
    });
    assert.deepEqual(
      { running: segments.stats().running, queued: segments.stats().queued },
      { running: 1, queued: 1 },
    );
    leave.abort();
    await assert.rejects(running);
    await assert.rejects(queued);
    assert.deepEqual(
      await eventually(
        () => childProcesses('ffmpeg'),
        (pids) => pids.length === 0,
      ),
      [],
    );
    // The slot is free once the runner has reported the killed process.
    const settled = await eventually(
      () => segments.stats(),
      (stats) => stats.running === 0,
    );
    assert.deepEqual({ running: settled.running, queued: settled.queued }, { running: 0, queued: 0 });
  });

  it('stop ffmpeg when every request for its segment has left, and keep no partial file', async () => {
    const segments = segmentsOf({ maxConcurrent: 2 });
    const one = new AbortController();
    const two = new AbortController();
    const first = segments.segment(await request(2, one.signal));
    const second = segments.segment(await request(2, two.signal));
    await eventually(
      () => childProcesses('ffmpeg'),
      (pids) => pids.length > 0,
    );
    one.abort();
    await assert.rejects(first);
    // The other request still waits: the run goes on.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(childProcesses('ffmpeg').length, 1);
    two.abort();
    await assert.rejects(second);
    assert.deepEqual(
      await eventually(
        () => childProcesses('ffmpeg'),
        (pids) => pids.length === 0,
      ),
      [],
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const folder = (segments as unknown as { options: { cacheFolder: string } }).options.cacheFolder;
    const left = fs.readdirSync(folder, { recursive: true, encoding: 'utf8' });
    assert.ok(!left.some((name) => name.endsWith('.part') || name.endsWith('.ts')), left.join(', '));
  });

  it('evict the least recently used segments beyond the budget, and take stock after a restart', async () => {
    const folder = path.join(scratch, 'evicting');
    const make = () =>
      new HlsSegments({
        ffmpegPath: 'ffmpeg',
        cacheFolder: folder,
        cacheBytes: 1,
        maxConcurrent: 1,
        evictionGraceMs: 0,
        logger: silentLogger,
      });
    const segments = make();
    const zero = await segments.segment(await request(0, undefined, 64));
    const one = await segments.segment(await request(1, undefined, 64));
    assert.ok(!fs.existsSync(zero.file), 'the older segment went');
    assert.ok(fs.existsSync(one.file), 'the newest always stays');
    assert.equal(segments.stats().cacheBytes, one.size);
    // A run that was going on when the server stopped leaves a .part file: a restart removes it.
    const leftover = `${one.file}.123.abcd.part`;
    fs.writeFileSync(leftover, 'partial');
    const restarted = make();
    assert.equal(restarted.stats().cacheBytes, one.size);
    assert.ok(!fs.existsSync(leftover));
  });

  it('stop ffmpeg when an HTTP client hangs up, and answer 429 with Retry-After when full', async () => {
    const slow = await startSubsonicServer({ addToSecondLibrary: addHlsTracks });
    try {
      // The HLS segment maker is made from the configuration on the first HLS request.
      slow.config.transcoding.ffmpeg = slowFfmpeg;
      slow.config.transcoding.maxConcurrent = 1;
      const slowSigner = slow.services.urlSigner;
      const id = slow.db.prepare('SELECT id FROM track WHERE title = ?').pluck().get('Hls Twenty') as string;
      const url = (rest: string) =>
        `${slow.baseUrl}${slowSigner.sign(hlsPath(id, rest), {}, slow.userId('alice'), 600)}`;

      const hangUp = new AbortController();
      const abandoned = fetch(url('128/2.ts'), { signal: hangUp.signal });
      await eventually(
        () => childProcesses('ffmpeg'),
        (pids) => pids.length > 0,
      );
      // One running, two may wait (2 × maxConcurrent), the next is refused.
      const waiting = [
        fetch(url('128/0.ts'), { signal: hangUp.signal }),
        fetch(url('128/1.ts'), { signal: hangUp.signal }),
      ];
      await eventually(
        () => slow.services.hls.stats(),
        (stats) => stats?.running === 1 && stats.queued === 2,
      );
      const refused = await fetch(url('128/3.ts'));
      assert.equal(refused.headers.get('retry-after'), '5');
      await problem(refused, 429);
      hangUp.abort();
      await assert.rejects(abandoned);
      for (const request of waiting) await assert.rejects(request);
      assert.deepEqual(
        await eventually(
          () => childProcesses('ffmpeg'),
          (pids) => pids.length === 0,
        ),
        [],
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(findCachedSegments(slow.dir), [], 'no segment and no .part file kept');
    } finally {
      await slow.close();
    }
  });
});

describe('playback in a browser', () => {
  const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => fs.existsSync(file));
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    if (!chromiumPath) return;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--mute-audio', '--autoplay-policy=no-user-gesture-required'],
    });
    page = await browser.newPage();
    // A blank page at the same origin as the playlists, as the web app will be (the server's own JSON
    // answers carry a Content-Security-Policy that allows no media, so the page is served here).
    const blank = `${server.baseUrl}/hls-test-page`;
    await page.route(blank, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>hls</title>' }),
    );
    await page.goto(blank);
  });

  after(async () => {
    await browser?.close();
  });

  /**
   * Plays `source` to the end at 8× speed in an <audio> element; hls.js drives it when `withHlsJs`. The
   * page script is a string: this project type-checks without the DOM library.
   */
  async function playToTheEnd(source: string, withHlsJs: boolean): Promise<Playback> {
    return (await page.evaluate(`new Promise((resolve) => {
      const audio = document.createElement('audio');
      const errors = [];
      const done = (outcome) => resolve({
        outcome,
        error: audio.error ? audio.error.code + ' ' + audio.error.message : errors.join('; ') || null,
        duration: audio.duration,
        played: [...Array(audio.played.length).keys()].map((i) => [audio.played.start(i), audio.played.end(i)]),
      });
      audio.addEventListener('ended', () => done('ended'));
      audio.addEventListener('error', () => done('error'));
      setTimeout(() => done('timeout'), 45000);
      audio.defaultPlaybackRate = 8;
      audio.playbackRate = 8;
      audio.addEventListener('loadedmetadata', () => { audio.playbackRate = 8; });
      if (${withHlsJs}) {
        const hls = new Hls();
        hls.on(Hls.Events.ERROR, (_event, data) => {
          if (data.fatal) {
            errors.push(data.type + ': ' + data.details);
            done('hls.js error');
          }
        });
        hls.attachMedia(audio);
        hls.loadSource(${JSON.stringify(source)});
        // hls.js starts playback once the first segment is buffered.
        audio.addEventListener('canplay', () => audio.play().catch((error) => done('play() failed: ' + error)), { once: true });
      } else {
        audio.src = ${JSON.stringify(source)};
        audio.play().catch((error) => done('play() failed: ' + error));
      }
    })`)) as Playback;
  }

  function assertPlayedWhole(result: Playback): void {
    assert.equal(result.outcome, 'ended', JSON.stringify(result));
    assert.equal(result.error, null);
    assert.ok(Math.abs(result.duration - flacDuration) < 0.5, `duration ${result.duration}`);
    // Played through every segment boundary without a jump.
    assert.equal(result.played.length, 1, JSON.stringify(result.played));
    assert.ok(
      result.played[0]![0] < 0.1 && result.played[0]![1] > flacDuration - 0.5,
      JSON.stringify(result),
    );
  }

  it("plays hls.m3u8 from start to end in Chromium's own HLS player", async (t) => {
    if (!browser) return t.skip('Chromium is not installed');
    const support = await page.evaluate(
      "document.createElement('audio').canPlayType('application/vnd.apple.mpegurl')",
    );
    if (!support) return t.skip('this Chromium has no built-in HLS player');
    assertPlayedWhole(await playToTheEnd(server.url('hls.m3u8', { id: flacId }, { user: ALICE }), false));
  });

  it('plays hls.m3u8 from start to end through hls.js (Media Source Extensions)', async (t) => {
    if (!browser) return t.skip('Chromium is not installed');
    await page.addScriptTag({ path: require.resolve('hls.js/dist/hls.min.js') });
    const supported = await page.evaluate('Hls.isSupported()');
    assert.ok(supported, 'hls.js finds Media Source Extensions in this Chromium');
    assertPlayedWhole(await playToTheEnd(server.url('hls.m3u8', { id: flacId }, { user: ALICE }), true));
  });
});

interface Playback {
  outcome: string;
  error: string | null;
  duration: number;
  played: [number, number][];
}
