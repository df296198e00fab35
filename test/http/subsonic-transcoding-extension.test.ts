// The OpenSubsonic transcoding extension end to end: the client says what it plays, the decision says
// direct play or which transcode, and getTranscodeStream plays exactly that — and nothing else for a
// tampered, foreign or mismatched transcodeParams (plain HTTP errors, as the extension asks).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, it } from 'node:test';
import { probeAudio } from '../helpers/ffprobe.ts';
import { childProcesses } from '../helpers/processes.ts';
import {
  ALICE,
  BOB,
  type Json,
  type SubsonicServer,
  startSubsonicServer,
} from '../helpers/subsonic-server.ts';

let server: SubsonicServer;
let flac: { id: string; file: string; duration: number };

before(async () => {
  server = await startSubsonicServer();
  flac = server.db
    .prepare(
      `SELECT t.id, l.path || '/' || t.path AS file, t.duration FROM track t JOIN library l ON l.id = t.library_id
       WHERE t.suffix = 'flac' AND t.library_id = ? ORDER BY t.duration DESC LIMIT 1`,
    )
    .get(server.libraries.fixture) as typeof flac;
});
after(async () => {
  await server?.close();
  assert.deepEqual(childProcesses('ffmpeg'), []);
});

const baseClient = { name: 'TestPlayer', platform: 'test' };

async function decide(clientInfo: unknown, mediaId = flac.id, user = ALICE): Promise<Json> {
  const response = await fetch(
    server.url('getTranscodeDecision', { mediaId, mediaType: 'song', f: 'json' }, { user }),
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(clientInfo),
    },
  );
  assert.equal(response.status, 200);
  return ((await response.json()) as Json)['subsonic-response'];
}

function playUrl(
  transcodeParams: string,
  extra: Record<string, string> = {},
  user = ALICE,
  mediaId = flac.id,
): string {
  return server.url(
    'getTranscodeStream',
    { mediaId, mediaType: 'song', transcodeParams, ...extra },
    { user },
  );
}

it('is advertised', async () => {
  const answer = await server.json('getOpenSubsonicExtensions');
  const names = (answer.openSubsonicExtensions as { name: string }[]).map((extension) => extension.name);
  assert.ok(names.includes('transcoding'));
  assert.ok(names.includes('transcodeOffset'));
});

it('lets a client that plays the file take it as it is', async () => {
  const answer = await decide({
    ...baseClient,
    directPlayProfiles: [{ containers: ['flac'], audioCodecs: ['flac'], protocols: ['http'] }],
  });
  const decision = answer.transcodeDecision;
  assert.equal(decision.canDirectPlay, true);
  assert.equal(decision.sourceStream.codec, 'flac');
  assert.equal(decision.sourceStream.container, 'flac');
  const response = await fetch(playUrl(decision.transcodeParams));
  assert.equal(response.status, 200);
  assert.ok(Buffer.from(await response.arrayBuffer()).equals(fs.readFileSync(flac.file)));
});

it('transcodes to the first profile the client lists that the server makes, within its limits', async () => {
  const answer = await decide({
    ...baseClient,
    maxTranscodingAudioBitrate: 96_000,
    directPlayProfiles: [{ containers: ['mp3'], audioCodecs: ['mp3'], protocols: ['http'] }],
    transcodingProfiles: [
      { container: 'wma', audioCodec: 'wmav2', protocol: 'http' },
      { container: 'mp3', audioCodec: 'mp3', protocol: 'http', maxAudioChannels: 1 },
    ],
  });
  const decision = answer.transcodeDecision;
  assert.equal(decision.canDirectPlay, false);
  assert.equal(decision.canTranscode, true);
  assert.ok(decision.transcodeReason.length > 0);
  assert.deepEqual(
    {
      codec: decision.transcodeStream.codec,
      bitrate: decision.transcodeStream.audioBitrate,
      channels: decision.transcodeStream.audioChannels,
    },
    { codec: 'mp3', bitrate: 96, channels: 1 },
  );
  const response = await fetch(playUrl(decision.transcodeParams));
  assert.equal(response.headers.get('content-type'), 'audio/mpeg');
  const info = await probeAudio(Buffer.from(await response.arrayBuffer()));
  assert.equal(info.codec, 'mp3');
  assert.equal(info.channels, 1);
  assert.ok(Math.abs(info.bitRate - 96_000) < 5_000, `bit rate ${info.bitRate}`);

  // offset starts later.
  const later = await fetch(playUrl(decision.transcodeParams, { offset: '0.5' }));
  const shorter = await probeAudio(Buffer.from(await later.arrayBuffer()));
  assert.ok(
    Math.abs(shorter.duration - (info.duration - 0.5)) < 0.15,
    `${shorter.duration} vs ${info.duration}`,
  );
});

it('follows codec limitations and says so when nothing fits', async () => {
  const limited = await decide({
    ...baseClient,
    directPlayProfiles: [{ containers: ['flac'], audioCodecs: ['flac'] }],
    transcodingProfiles: [{ container: 'ogg', audioCodec: 'opus', protocol: 'http' }],
    codecProfiles: [
      {
        type: 'AudioCodec',
        name: 'flac',
        limitations: [
          { name: 'audioSamplerate', comparison: 'LessThanEqual', values: ['8000'], required: true },
        ],
      },
    ],
  });
  assert.equal(limited.transcodeDecision.canDirectPlay, false);
  assert.equal(limited.transcodeDecision.transcodeStream.codec, 'opus');
  const opus = await fetch(playUrl(limited.transcodeDecision.transcodeParams));
  assert.equal((await probeAudio(Buffer.from(await opus.arrayBuffer()))).codec, 'opus');

  const nothing = await decide({
    ...baseClient,
    directPlayProfiles: [{ containers: ['wav'], audioCodecs: ['pcm_s16le'] }],
    transcodingProfiles: [{ container: 'wma', audioCodec: 'wmav2', protocol: 'http' }],
  });
  assert.equal(nothing.transcodeDecision.canDirectPlay, false);
  assert.equal(nothing.transcodeDecision.canTranscode, false);
  assert.match(nothing.transcodeDecision.errorReason, /none of the client transcoding profiles/);
  assert.equal(nothing.transcodeDecision.transcodeParams, undefined);
});

it('plays nothing but the decision it was given', async () => {
  const decision = (
    await decide({
      ...baseClient,
      transcodingProfiles: [{ container: 'mp3', audioCodec: 'mp3', protocol: 'http' }],
    })
  ).transcodeDecision;
  const params = decision.transcodeParams as string;
  const tampered = `${params.slice(0, -2)}${params.endsWith('AA') ? 'BB' : 'AA'}`;
  for (const [url, status] of [
    [playUrl(tampered), 403],
    [playUrl('not-a-token'), 403],
    [playUrl(params, {}, BOB), 403],
    [playUrl(params, {}, ALICE, 'tr-somethingelse'), 403],
    [playUrl(params, { offset: 'later' }), 400],
    [
      server.url(
        'getTranscodeStream',
        { mediaId: flac.id, mediaType: 'podcast', transcodeParams: params },
        { user: ALICE },
      ),
      404,
    ],
  ] as const) {
    const response = await fetch(url);
    assert.equal(response.status, status, url);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    await response.text();
  }
});

it('refuses a decision request without a usable ClientInfo', async () => {
  const get = await fetch(
    server.url('getTranscodeDecision', { mediaId: flac.id, mediaType: 'song', f: 'json' }, { user: ALICE }),
  );
  assert.match(await get.text(), /POST/);
  const bad = await fetch(
    server.url('getTranscodeDecision', { mediaId: flac.id, mediaType: 'song', f: 'json' }, { user: ALICE }),
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":',
    },
  );
  assert.match(await bad.text(), /ClientInfo is not valid JSON/);
  const nameless = await decide({ platform: 'x' });
  assert.equal(nameless.status, 'failed');
  assert.match(nameless.error.message, /name/);
  const unknown = await decide({ ...baseClient }, 'tr-nope');
  assert.equal(unknown.error.code, 70);
});
