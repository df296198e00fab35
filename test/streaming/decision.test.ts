// The pure core of playback: what a stream request gets (the original file or which transcode, at what
// bitrate, from where) and what the OpenSubsonic transcoding extension answers a client. No server, no
// database, no ffmpeg: hand-written tracks and profiles in, a decision out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { type ClientInfo, clientInfoSchema, decideForClient } from '../../src/streaming/client-decision.ts';
import {
  decideStream,
  estimatedLength,
  parseStreamOptions,
  type StreamLimits,
  type StreamOptions,
} from '../../src/streaming/decision.ts';
import type { StreamTrack } from '../../src/streaming/media-file.ts';
import type { TranscodeProfile } from '../../src/streaming/profiles.ts';
import { TonearmError } from '../../src/shared/errors.ts';

function profile(
  name: string,
  codec: string,
  bitrates: { defaultBitrate: number; maxBitrate: number } | 'lossless',
): TranscodeProfile {
  return {
    name,
    suffix: name,
    contentType: `audio/${name}`,
    codec,
    lossless: bitrates === 'lossless',
    defaultBitrate: bitrates === 'lossless' ? 0 : bitrates.defaultBitrate,
    maxBitrate: bitrates === 'lossless' ? 0 : bitrates.maxBitrate,
    arguments: [],
    builtIn: true,
  };
}

/** The server's profiles as the built-in ones are: default and ceiling bitrates in kbit/s. */
const PROFILES = [
  profile('mp3', 'mp3', { defaultBitrate: 192, maxBitrate: 320 }),
  profile('opus', 'opus', { defaultBitrate: 128, maxBitrate: 512 }),
  profile('aac', 'aac', { defaultBitrate: 192, maxBitrate: 512 }),
  profile('m4a', 'aac', { defaultBitrate: 192, maxBitrate: 512 }),
  profile('flac', 'flac', 'lossless'),
];
const lookup = (name: string) => PROFILES.find((candidate) => candidate.name === name);

type Track = Pick<
  StreamTrack,
  'codec' | 'suffix' | 'bitrate' | 'lossless' | 'duration' | 'channels' | 'sampleRate' | 'bitDepth'
>;
const MP3_320: Track = {
  codec: 'MPEG 1 Layer 3',
  suffix: 'mp3',
  bitrate: 320,
  lossless: false,
  duration: 200,
  channels: 2,
  sampleRate: 44100,
  bitDepth: 0,
};
const MP3_128: Track = { ...MP3_320, bitrate: 128 };
const MP3_96: Track = { ...MP3_320, bitrate: 96 };
const MP3_UNKNOWN_BITRATE: Track = { ...MP3_320, bitrate: 0 };
const FLAC: Track = {
  codec: 'FLAC',
  suffix: 'flac',
  bitrate: 900,
  lossless: true,
  duration: 200,
  channels: 2,
  sampleRate: 44100,
  bitDepth: 16,
};
const VORBIS: Track = { ...MP3_320, codec: 'Vorbis I', suffix: 'ogg', bitrate: 160 };

const NO_OPTIONS: StreamOptions = { format: '', maxBitRate: 0, timeOffset: 0 };
// The default format is opus here (mp3 in the shipped config) so a fallback to it shows in the answer.
const NO_LIMITS: StreamLimits = {
  userMaxBitRate: 0,
  playerMaxBitRate: 0,
  playerFormat: '',
  defaultFormat: 'opus',
};

describe('decideStream', () => {
  const cases: {
    name: string;
    track: Track;
    options?: Partial<StreamOptions>;
    limits?: Partial<StreamLimits>;
    expected:
      | { kind: 'raw'; reason: string }
      | { profile: string; bitrate: number; offset: number; reason: string };
  }[] = [
    {
      name: 'format=raw sends the original whatever the limits',
      track: FLAC,
      options: { format: 'raw', maxBitRate: 64 },
      limits: { userMaxBitRate: 96, playerFormat: 'mp3' },
      expected: { kind: 'raw', reason: 'format=raw' },
    },
    {
      name: 'a player set to raw gets originals when the request names no format',
      track: FLAC,
      limits: { playerFormat: 'raw', userMaxBitRate: 96 },
      expected: { kind: 'raw', reason: 'the player takes originals' },
    },
    {
      name: "the request's format wins over a player set to raw",
      track: FLAC,
      options: { format: 'mp3' },
      limits: { playerFormat: 'raw' },
      expected: { profile: 'mp3', bitrate: 192, offset: 0, reason: 'format mp3 asked' },
    },
    {
      name: 'no format and no limit: the original',
      track: FLAC,
      expected: { kind: 'raw', reason: 'no limit' },
    },
    {
      name: 'no format, within the limit: the original',
      track: MP3_320,
      options: { maxBitRate: 320 },
      expected: { kind: 'raw', reason: 'within the bitrate limit' },
    },
    {
      name: 'no format, over the limit: the default format at the limit',
      track: MP3_320,
      options: { maxBitRate: 128 },
      expected: { profile: 'opus', bitrate: 128, offset: 0, reason: 'over the 128 kbit/s limit' },
    },
    {
      name: "the lowest non-zero of the request's, the user's and the player's limits applies",
      track: MP3_320,
      limits: { userMaxBitRate: 256, playerMaxBitRate: 96 },
      expected: { profile: 'opus', bitrate: 96, offset: 0, reason: 'over the 96 kbit/s limit' },
    },
    {
      name: 'an unknown source bitrate is never within a limit',
      track: MP3_UNKNOWN_BITRATE,
      options: { maxBitRate: 128 },
      expected: { profile: 'opus', bitrate: 128, offset: 0, reason: 'over the 128 kbit/s limit' },
    },
    {
      name: 'a format the source already is, within the limit: the original',
      track: MP3_128,
      options: { format: 'mp3', maxBitRate: 192 },
      expected: { kind: 'raw', reason: 'source is already mp3' },
    },
    {
      name: 'a format the source already is, over the limit: re-encoded at the limit',
      track: MP3_320,
      options: { format: 'mp3', maxBitRate: 128 },
      expected: { profile: 'mp3', bitrate: 128, offset: 0, reason: 'format mp3 asked' },
    },
    {
      name: "the player's format applies when the request names none",
      track: FLAC,
      limits: { playerFormat: 'mp3' },
      expected: { profile: 'mp3', bitrate: 192, offset: 0, reason: 'format mp3 asked' },
    },
    {
      name: "a player's format whose profile is gone falls back instead of failing",
      track: FLAC,
      limits: { playerFormat: 'removed-by-admin' },
      expected: { kind: 'raw', reason: 'no limit' },
    },
    {
      name: 'a lossy source is never upsampled',
      track: MP3_96,
      options: { format: 'opus' },
      expected: { profile: 'opus', bitrate: 96, offset: 0, reason: 'format opus asked' },
    },
    {
      name: 'a lossless source takes the profile default',
      track: FLAC,
      options: { format: 'opus' },
      expected: { profile: 'opus', bitrate: 128, offset: 0, reason: 'format opus asked' },
    },
    {
      name: "the request's maxBitRate is kept down to the encoder's ceiling",
      track: FLAC,
      options: { format: 'mp3', maxBitRate: 500 },
      expected: { profile: 'mp3', bitrate: 320, offset: 0, reason: 'format mp3 asked' },
    },
    {
      name: 'a tiny limit still gets 8 kbit/s',
      track: FLAC,
      options: { format: 'mp3', maxBitRate: 4 },
      expected: { profile: 'mp3', bitrate: 8, offset: 0, reason: 'format mp3 asked' },
    },
    {
      name: 'a lossless format asked without a limit: lossless, no bitrate',
      track: MP3_320,
      options: { format: 'flac' },
      expected: { profile: 'flac', bitrate: 0, offset: 0, reason: 'format flac asked' },
    },
    {
      name: 'a lossless format under a limit becomes the default (lossy) format',
      track: FLAC,
      options: { format: 'flac', maxBitRate: 320 },
      expected: { profile: 'opus', bitrate: 320, offset: 0, reason: 'format opus asked' },
    },
    {
      name: 'a time offset re-encodes in the source format',
      track: FLAC,
      options: { timeOffset: 30 },
      expected: { profile: 'flac', bitrate: 0, offset: 30, reason: 'start at 30s' },
    },
    {
      name: 'a time offset on a source without a profile uses the default format',
      track: VORBIS,
      options: { timeOffset: 30 },
      expected: { profile: 'opus', bitrate: 128, offset: 30, reason: 'start at 30s' },
    },
    {
      name: 'a time offset re-encodes even a source in the asked format',
      track: MP3_128,
      options: { format: 'mp3', timeOffset: 10 },
      expected: { profile: 'mp3', bitrate: 128, offset: 10, reason: 'start at 10s' },
    },
    {
      name: 'a time offset past the end is ignored',
      track: FLAC,
      options: { timeOffset: 500 },
      expected: { kind: 'raw', reason: 'no limit' },
    },
  ];
  for (const { name, track, options, limits, expected } of cases) {
    it(name, () => {
      const decision = decideStream(
        track,
        { ...NO_OPTIONS, ...options },
        { ...NO_LIMITS, ...limits },
        lookup,
      );
      if ('kind' in expected) {
        assert.deepEqual(decision, expected);
        return;
      }
      assert.equal(decision.kind, 'transcode');
      if (decision.kind !== 'transcode') return;
      const { profile, ...rest } = decision;
      assert.deepEqual({ profile: profile.name, ...rest }, { kind: 'transcode', ...expected });
    });
  }

  it('rejects a format the server has no profile for', () => {
    assert.throws(
      () => decideStream(FLAC, { ...NO_OPTIONS, format: 'wav' }, NO_LIMITS, lookup),
      (error) =>
        error instanceof TonearmError &&
        error.code === 'BAD_REQUEST' &&
        /unknown format "wav"/.test(error.message),
    );
  });

  it('fails clearly when the default format has no profile', () => {
    assert.throws(
      () =>
        decideStream(
          MP3_320,
          { ...NO_OPTIONS, maxBitRate: 128 },
          { ...NO_LIMITS, defaultFormat: 'nope' },
          lookup,
        ),
      (error) =>
        error instanceof TonearmError &&
        error.code === 'TRANSCODE_FAILED' &&
        /no transcode profile "nope"/.test(error.message),
    );
  });
});

describe('parseStreamOptions', () => {
  const valid: [Parameters<typeof parseStreamOptions>[0], StreamOptions][] = [
    [{}, { format: '', maxBitRate: 0, timeOffset: 0 }],
    [
      { format: ' MP3 ', maxBitRate: ' 128 ', timeOffset: '12.5' },
      { format: 'mp3', maxBitRate: 128, timeOffset: 12.5 },
    ],
    [
      { format: 'raw', maxBitRate: '', timeOffset: '' },
      { format: 'raw', maxBitRate: 0, timeOffset: 0 },
    ],
    [
      { maxBitRate: '0', timeOffset: '0' },
      { format: '', maxBitRate: 0, timeOffset: 0 },
    ],
    [
      { maxBitRate: '999999', timeOffset: '9999999' },
      { format: '', maxBitRate: 999999, timeOffset: 9999999 },
    ],
  ];
  for (const [params, expected] of valid) {
    it(`reads ${JSON.stringify(params)}`, () => {
      assert.deepEqual(parseStreamOptions(params), expected);
    });
  }

  const invalid: [Parameters<typeof parseStreamOptions>[0], RegExp][] = [
    [{ maxBitRate: '-1' }, /^maxBitRate must be a whole number of kbit\/s \(0 = no limit\), not "-1"$/],
    [{ maxBitRate: '1.5' }, /^maxBitRate .* not "1\.5"$/],
    [{ maxBitRate: 'high' }, /^maxBitRate .* not "high"$/],
    [{ maxBitRate: '1000000' }, /^maxBitRate .* not "1000000"$/],
    [{ timeOffset: '-3' }, /^timeOffset must be a number of seconds from 0, not "-3"$/],
    [{ timeOffset: '1e3' }, /^timeOffset .* not "1e3"$/],
    [{ timeOffset: '10000000' }, /^timeOffset .* not "10000000"$/],
  ];
  for (const [params, message] of invalid) {
    it(`rejects ${JSON.stringify(params)} as a bad request`, () => {
      assert.throws(
        () => parseStreamOptions(params),
        (error) =>
          error instanceof TonearmError &&
          error.code === 'BAD_REQUEST' &&
          error.subsonicCode === 0 &&
          message.test(error.message),
      );
    });
  }
});

describe('estimatedLength', () => {
  it('is the rest of the track at the bitrate, in bytes', () => {
    assert.equal(estimatedLength(200, 0, 128), 3_200_000);
    assert.equal(estimatedLength(200, 50, 128), 2_400_000);
    assert.equal(estimatedLength(200, 250, 128), 0);
  });
});

describe('decideForClient', () => {
  /** ClientInfo as a client sends it (the schema fills in the defaults). */
  const client = (info: Omit<z.input<typeof clientInfoSchema>, 'name' | 'platform'>): ClientInfo =>
    clientInfoSchema.parse({ name: 'test client', platform: 'test', ...info });
  const MP3_ONLY = { directPlayProfiles: [{ containers: ['mp3'], audioCodecs: ['mp3'] }] };
  const TO_MP3 = { transcodingProfiles: [{ container: 'mp3', audioCodec: 'mp3' }] };

  it('plays a file the client takes as it is', () => {
    const decision = decideForClient(MP3_320, client(MP3_ONLY), 0, lookup);
    assert.deepEqual(decision, {
      canDirectPlay: true,
      canTranscode: false,
      transcodeReason: [],
      sourceStream: {
        protocol: 'http',
        container: 'mp3',
        codec: 'mp3',
        audioChannels: 2,
        audioBitrate: 320,
        audioSamplerate: 44100,
        audioBitdepth: undefined,
      },
    });
  });

  it('treats m4a and mp4 as one container', () => {
    const m4a: Track = { ...MP3_320, codec: 'AAC', suffix: 'm4a', bitrate: 256 };
    const info = client({ directPlayProfiles: [{ containers: ['mp4'], audioCodecs: ['aac'] }] });
    assert.equal(decideForClient(m4a, info, 0, lookup).canDirectPlay, true);
  });

  it('transcodes what the client does not play, to its first profile the server has', () => {
    const info = client({
      ...MP3_ONLY,
      transcodingProfiles: [
        { container: 'wav', audioCodec: 'pcm' },
        { container: 'mp3', audioCodec: 'mp3' },
      ],
    });
    const decision = decideForClient(FLAC, info, 0, lookup);
    assert.equal(decision.canDirectPlay, false);
    assert.equal(decision.canTranscode, true);
    assert.deepEqual(decision.transcodeReason, ['the client does not play flac/flac as it is']);
    assert.deepEqual(decision.transcodeStream, {
      protocol: 'http',
      container: 'mp3',
      codec: 'mp3',
      audioChannels: 2,
      audioBitrate: 192,
      audioSamplerate: 44100,
    });
    assert.equal(decision.plan?.profile.name, 'mp3');
    assert.equal(decision.plan?.bitrate, 192);
    assert.equal(decision.plan?.channels, 0);
  });

  const ceilings: {
    name: string;
    info: Pick<z.input<typeof clientInfoSchema>, 'maxAudioBitrate' | 'maxTranscodingAudioBitrate'>;
    user: number;
    reason: string;
    bitrate: number;
  }[] = [
    {
      name: "the client's ceiling, sent in bit/s",
      info: { maxAudioBitrate: 128_000 },
      user: 0,
      reason: 'the bitrate is over 128 kbit/s',
      bitrate: 128,
    },
    {
      name: "the client's ceiling, sent in kbit/s",
      info: { maxAudioBitrate: 160 },
      user: 0,
      reason: 'the bitrate is over 160 kbit/s',
      bitrate: 160,
    },
    {
      name: "the user's limit when lower",
      info: { maxAudioBitrate: 256 },
      user: 96,
      reason: 'the bitrate is over 96 kbit/s',
      bitrate: 96,
    },
    {
      name: 'the transcoding ceiling, for the transcode only',
      info: { maxAudioBitrate: 256, maxTranscodingAudioBitrate: 64_000 },
      user: 0,
      reason: 'the bitrate is over 256 kbit/s',
      bitrate: 64,
    },
  ];
  for (const { name, info, user, reason, bitrate } of ceilings) {
    it(`keeps under ${name}`, () => {
      const decision = decideForClient(MP3_320, client({ ...MP3_ONLY, ...TO_MP3, ...info }), user, lookup);
      assert.deepEqual(decision.transcodeReason, [reason]);
      assert.equal(decision.plan?.bitrate, bitrate);
      assert.equal(decision.transcodeStream?.audioBitrate, bitrate);
    });
  }

  it('skips a lossless target under a ceiling and HLS targets', () => {
    const info = client({
      maxAudioBitrate: 128,
      transcodingProfiles: [
        { container: 'ts', audioCodec: 'aac', protocol: 'hls' },
        { container: 'flac', audioCodec: 'flac' },
        { container: 'ogg', audioCodec: 'opus' },
      ],
    });
    const decision = decideForClient(FLAC, info, 0, lookup);
    assert.equal(decision.plan?.profile.name, 'opus');
    assert.equal(decision.plan?.bitrate, 128);
  });

  it('picks the AAC profile by container: m4a for mp4, aac for ADTS', () => {
    const to = (container: string) =>
      decideForClient(FLAC, client({ transcodingProfiles: [{ container, audioCodec: 'aac' }] }), 0, lookup)
        .plan?.profile.name;
    assert.equal(to('mp4'), 'm4a');
    assert.equal(to('m4a'), 'm4a');
    assert.equal(to('aac'), 'aac');
  });

  it("downmixes to the target profile's channel cap", () => {
    const surround: Track = { ...FLAC, channels: 6 };
    const info = client({
      transcodingProfiles: [{ container: 'ogg', audioCodec: 'opus', maxAudioChannels: 2 }],
    });
    const decision = decideForClient(surround, info, 0, lookup);
    assert.equal(decision.plan?.channels, 2);
    assert.equal(decision.transcodeStream?.audioChannels, 2);
  });

  it("transcodes when a required limit of the client's codec profile is broken, not an optional one", () => {
    const hiRes: Track = { ...FLAC, sampleRate: 96_000, bitDepth: 24 };
    const limits = (required: boolean) =>
      client({
        directPlayProfiles: [{ containers: ['flac'], audioCodecs: ['flac'] }],
        ...TO_MP3,
        codecProfiles: [
          {
            type: 'AudioCodec',
            name: 'flac',
            limitations: [
              { name: 'audioSamplerate', comparison: 'LessThanEqual', values: [48_000], required },
            ],
          },
        ],
      });
    const strict = decideForClient(hiRes, limits(true), 0, lookup);
    assert.deepEqual(strict.transcodeReason, ["audioSamplerate does not meet the client's flac limits"]);
    assert.equal(strict.plan?.profile.name, 'mp3');
    assert.equal(decideForClient(hiRes, limits(false), 0, lookup).canDirectPlay, true);
  });

  it("keeps the transcode within the client's bitrate limit for the target codec", () => {
    const info = client({
      ...TO_MP3,
      codecProfiles: [
        {
          type: 'AudioCodec',
          name: 'mp3',
          limitations: [
            { name: 'audioBitrate', comparison: 'LessThanEqual', values: [128_000], required: true },
          ],
        },
      ],
    });
    const decision = decideForClient(FLAC, info, 0, lookup);
    assert.equal(decision.plan?.bitrate, 128);
    assert.equal(decision.transcodeStream?.audioBitrate, 128);
  });

  it('says so when no transcoding profile of the client can be made', () => {
    const info = client({ transcodingProfiles: [{ container: 'wav', audioCodec: 'pcm' }] });
    const decision = decideForClient(FLAC, info, 0, lookup);
    assert.equal(decision.canDirectPlay, false);
    assert.equal(decision.canTranscode, false);
    assert.equal(
      decision.errorReason,
      'none of the client transcoding profiles can be produced by this server',
    );
    assert.equal(decision.plan, undefined);
  });
});
