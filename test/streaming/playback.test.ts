// Playback planning on its own, without HTTP: who may (the stream and download roles, refused before the
// track is even looked at; libraries the user cannot see are as unknown as ids that do not exist), what
// a request gets (the original, or a transcode with its format, bitrate and promised length; the user's
// and the player's limits), and what opening a transcode gives (live from ffmpeg, then cached).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser, type NewUser, type User } from '../../src/accounts/users.service.ts';
import { createShare } from '../../src/activity/shares.service.ts';
import { isTonearmError } from '../../src/shared/errors.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { HlsSegmentsOnDemand } from '../../src/streaming/hls/segments.ts';
import { CatalogReader } from '../../src/catalog/reader.ts';
import { Playback, type StreamPlan, type StreamRequest } from '../../src/streaming/playback.ts';
import { Players } from '../../src/streaming/players.ts';
import { createUrlSigner } from '../../src/streaming/signed-urls.ts';
import { Transcoder } from '../../src/streaming/transcoder.ts';
import { makeAudio } from '../helpers/audio.ts';
import { childProcesses, eventually } from '../helpers/processes.ts';
import { openScanHarness, type ScanHarness } from '../helpers/scan.ts';

const tags = (title: string) => ({ title, artist: 'Planner', album_artist: 'Planner', album: title });

let harness: ScanHarness;
let playback: Playback;
let players: Players;
let transcoder: Transcoder;
const music: string[] = [];
const ids = { flac: '', mp3: '', hidden: '' };
const users: Record<'listener' | 'silent' | 'looker' | 'limited', User> = {} as never;

before(async () => {
  for (const name of ['open', 'hidden']) {
    music.push(fs.mkdtempSync(path.join(os.tmpdir(), `tonearm-playback-${name}-`)));
  }
  await makeAudio(path.join(music[0]!, 'Planner/Flac/01.flac'), {
    format: 'flac',
    durationSec: 4,
    tags: tags('Flac'),
  });
  await makeAudio(path.join(music[0]!, 'Planner/Mp3/01.mp3'), {
    format: 'mp3',
    durationSec: 2,
    bitrateK: 128,
    tags: tags('Mp3'),
  });
  await makeAudio(path.join(music[1]!, 'Planner/Hidden/01.flac'), { format: 'flac', tags: tags('Hidden') });
  harness = await openScanHarness(music);
  await harness.scanner.scan();
  const { db } = harness.runtime;
  const idOf = (title: string) =>
    db.prepare('SELECT id FROM track WHERE title = ?').pluck().get(title) as string;
  ids.flac = idOf('Flac');
  ids.mp3 = idOf('Mp3');
  ids.hidden = idOf('Hidden');
  const openLibrary = db.prepare('SELECT id FROM library WHERE path = ?').pluck().get(music[0]) as number;
  const make = (username: string, extra: Partial<NewUser> = {}) =>
    createUser(db, { username, password: `${username}-pass`, libraryIds: [openLibrary], ...extra });
  users.listener = await make('listener');
  users.silent = await make('silent', { roles: { stream: false, download: false } });
  users.looker = await make('looker', { roles: { download: false } });
  users.limited = await make('limited', { maxBitRate: 96 });
  players = new Players(db);
  transcoder = new Transcoder({
    ffmpegPath: 'ffmpeg',
    cacheFolder: path.join(harness.dataDir, 'cache', 'transcode'),
    cacheBytes: 10 * 1024 * 1024,
    maxConcurrent: 2,
    maxPerUser: 2,
    logger: silentLogger,
  });
  playback = new Playback({
    db,
    catalog: new CatalogReader(db),
    config: harness.config,
    players,
    transcoder,
    hls: new HlsSegmentsOnDemand(harness.config, silentLogger),
    signer: createUrlSigner(randomBytes(32)),
  });
});

after(async () => {
  transcoder?.close();
  await harness?.close();
  fs.rmSync(harness.dataDir, { recursive: true, force: true });
  for (const dir of music) fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(childProcesses('ffmpeg'), [], 'no ffmpeg left');
});

function request(user: User, trackId: string, params: StreamRequest['params'] = {}): StreamRequest {
  return {
    user,
    trackId,
    params,
    player: { userId: user.id, client: 'planner-test', userAgent: 'node', address: '127.0.0.1' },
  };
}

function refusedWith(code: string, message?: RegExp) {
  return (error: unknown) =>
    isTonearmError(error) && error.code === code && (!message || message.test(error.message));
}

function transcode(plan: StreamPlan) {
  assert.equal(plan.kind, 'transcode');
  return plan as Extract<StreamPlan, { kind: 'transcode' }>;
}

describe('who may', () => {
  it('refuses a user without the stream role, whatever the track', async () => {
    for (const trackId of [ids.flac, ids.hidden, 'tr-does-not-exist']) {
      await assert.rejects(
        playback.stream(request(users.silent, trackId)),
        refusedWith('FORBIDDEN', /silent may not stream music/),
      );
    }
    await assert.rejects(
      playback.hlsPlaylist(users.silent, ids.flac, [], '/rest/'),
      refusedWith('FORBIDDEN'),
    );
    await assert.rejects(
      playback.transcodeDecision(users.silent, ids.flac, () => assert.fail('the body is not read')),
      refusedWith('FORBIDDEN'),
    );
  });

  it('refuses downloads without the download role, songs and archives alike', async () => {
    await assert.rejects(
      playback.downloadTrack(users.looker, ids.flac),
      refusedWith('FORBIDDEN', /looker may not download music/),
    );
    await assert.rejects(
      playback.download(users.looker, 'al-whatever', silentLogger),
      refusedWith('FORBIDDEN'),
    );
    // Streaming is still allowed.
    assert.equal((await playback.stream(request(users.looker, ids.flac))).kind, 'original');
  });

  it('hides tracks of libraries the user may not see, as if they did not exist', async () => {
    const unknown = await playback.stream(request(users.listener, 'tr-does-not-exist')).catch((e) => e);
    const hidden = await playback.stream(request(users.listener, ids.hidden)).catch((e) => e);
    assert.ok(refusedWith('NOT_FOUND')(unknown) && refusedWith('NOT_FOUND')(hidden));
    assert.equal(
      hidden.message.replace(ids.hidden, 'ID'),
      unknown.message.replace('tr-does-not-exist', 'ID'),
    );
    await assert.rejects(playback.downloadTrack(users.listener, ids.hidden), refusedWith('NOT_FOUND'));
    await assert.rejects(playback.track(users.listener, ids.hidden), refusedWith('NOT_FOUND'));
    // A user who sees every library gets it.
    const admin = await createUser(harness.runtime.db, {
      username: 'everything',
      password: 'everything-pass',
    });
    assert.equal((await playback.stream(request(admin, ids.hidden))).kind, 'original');
  });

  it("plays a share's tracks to anybody, whatever the library, and nothing else", async () => {
    const owner = await createUser(harness.runtime.db, {
      username: 'sharer',
      password: 'sharer-pass',
      isAdmin: true,
    });
    const share = createShare(harness.runtime.db, owner, { ids: [ids.hidden] });
    const plan = await playback.sharedTrack(share.id, ids.hidden);
    assert.equal(plan?.media.track.id, ids.hidden);
    assert.equal(await playback.sharedTrack(share.id, ids.flac), undefined, 'not in the share');
    assert.equal(await playback.sharedTrack('sh-none', ids.hidden), undefined, 'no such share');
  });
});

describe('what a request gets', () => {
  it('the original when nothing asks for less', async () => {
    for (const params of [{}, { maxBitRate: '0' }, { format: 'raw', maxBitRate: '64' }, { format: 'flac' }]) {
      const plan = await playback.stream(request(users.listener, ids.flac, params));
      assert.equal(plan.kind, 'original', JSON.stringify(params));
      assert.equal(plan.media.track.id, ids.flac);
    }
    // A lossy source within the limit, or already in the format asked, is not re-encoded.
    assert.equal(
      (await playback.stream(request(users.listener, ids.mp3, { maxBitRate: '320' }))).kind,
      'original',
    );
    assert.equal(
      (await playback.stream(request(users.listener, ids.mp3, { format: 'mp3' }))).kind,
      'original',
    );
  });

  it('a transcode for a format or under a limit, with the length it promises when asked', async () => {
    const opus = transcode(await playback.stream(request(users.listener, ids.flac, { format: 'opus' })));
    assert.deepEqual(
      { profile: opus.profile.name, bitrate: opus.bitrate, offset: opus.offset, length: opus.length },
      { profile: 'opus', bitrate: 128, offset: 0, length: undefined },
    );
    const limited = transcode(
      await playback.stream({ ...request(users.limited, ids.flac), estimateContentLength: true }),
    );
    assert.equal(limited.profile.name, 'mp3', "the default format, under the user's limit");
    assert.equal(limited.bitrate, 96);
    assert.equal(limited.length, Math.round((limited.media.track.duration * 96 * 1000) / 8));
    // Never above a lossy source's own bitrate.
    const mp3 = transcode(
      await playback.stream(request(users.listener, ids.mp3, { format: 'aac', maxBitRate: '500' })),
    );
    assert.ok(mp3.bitrate <= 128, String(mp3.bitrate));
    await assert.rejects(
      playback.stream(request(users.listener, ids.flac, { maxBitRate: 'lots' })),
      refusedWith('BAD_REQUEST', /maxBitRate/),
    );
  });

  it("the player's own limit and format, once its user set them; a player already found is not read again", async () => {
    const sighting = request(users.listener, ids.flac).player;
    const player = players.remember(sighting);
    assert.equal((await playback.stream(request(users.listener, ids.flac))).kind, 'original');
    players.update(users.listener, player.id, { format: 'opus', maxBitRate: 64 });
    const plan = transcode(await playback.stream(request(users.listener, ids.flac)));
    assert.deepEqual({ profile: plan.profile.name, bitrate: plan.bitrate }, { profile: 'opus', bitrate: 64 });
    // The Subsonic router matched the request to its player already: that player is used as found, and
    // the sighting (a new address here) is recorded all the same.
    const found = { id: player.id, maxBitRate: 0, format: 'raw' };
    const moved = { ...sighting, address: '10.0.0.2' };
    const asFound = await playback.stream({
      ...request(users.listener, ids.flac),
      player: moved,
      knownPlayer: found,
    });
    assert.equal(asFound.kind, 'original');
    const listed = players.list(users.listener).find((each) => each.id === player.id);
    assert.equal(listed?.lastAddress, '10.0.0.2');
  });

  it('opens a transcode live from ffmpeg, and from the cache once it is finished', async () => {
    const plan = transcode(
      await playback.stream(request(users.listener, ids.flac, { format: 'mp3', maxBitRate: '64' })),
    );
    const live = await playback.open(plan, silentLogger);
    assert.equal(live.kind, 'live-transcode');
    assert.equal(live.contentType, 'audio/mpeg');
    let bytes = 0;
    if (live.kind === 'live-transcode')
      for await (const chunk of live.stream) bytes += (chunk as Buffer).length;
    assert.ok(bytes > 20_000, `${bytes} bytes`);
    await eventually(
      () => transcoder.stats(),
      (stats) => stats.running === 0 && stats.cacheBytes > 0,
    );
    const cached = await playback.open(plan, silentLogger);
    assert.equal(cached.kind, 'cached-transcode');
    if (cached.kind === 'cached-transcode') assert.equal(cached.file.size, bytes);
  });

  it('plays a sealed transcode decision for its song and user only', async () => {
    const decision = await playback.transcodeDecision(users.listener, ids.flac, async () => ({
      name: 'test',
      platform: 'node',
      directPlayProfiles: [],
      transcodingProfiles: [{ container: 'mp3', audioCodec: 'mp3', protocol: 'http' }],
      codecProfiles: [],
    }));
    assert.equal(decision.canDirectPlay, false);
    const params = decision.transcodeParams!;
    const plan = transcode(await playback.sealedStream(users.listener, ids.flac, params, '1.5'));
    assert.deepEqual({ profile: plan.profile.name, offset: plan.offset }, { profile: 'mp3', offset: 1.5 });
    await assert.rejects(
      playback.sealedStream(users.limited, ids.flac, params, '0'),
      refusedWith('FORBIDDEN', /another song or user/),
    );
    await assert.rejects(
      playback.sealedStream(users.listener, ids.mp3, params, '0'),
      refusedWith('FORBIDDEN', /another song or user/),
    );
    await assert.rejects(
      playback.sealedStream(users.listener, ids.flac, params, 'later'),
      refusedWith('BAD_REQUEST', /offset/),
    );
  });
});
