// The OpenSubsonic transcoding extension's decision: the client describes what it can play (ClientInfo:
// direct-play profiles, transcoding profiles in order of preference, codec limitations, bitrate ceilings)
// and the server answers whether the file plays as it is, and if not, which transcode it will get. Pure;
// the handler supplies the track and the server's profiles.
import { z } from 'zod';
import type { StreamTrack } from './media-file.ts';
import { sourceCodec, type TranscodeProfile } from './profiles.ts';

const limitationSchema = z.object({
  name: z.string(),
  comparison: z.string(),
  values: z.array(z.union([z.string(), z.number()])).default([]),
  required: z.boolean().default(false),
});

export const clientInfoSchema = z.object({
  name: z.string().min(1, 'ClientInfo.name is required'),
  platform: z.string().min(1, 'ClientInfo.platform is required'),
  maxAudioBitrate: z.number().min(0).optional(),
  maxTranscodingAudioBitrate: z.number().min(0).optional(),
  directPlayProfiles: z
    .array(
      z.object({
        containers: z.array(z.string()).default([]),
        audioCodecs: z.array(z.string()).default([]),
        protocols: z.array(z.string()).default([]),
        maxAudioChannels: z.number().int().min(0).optional(),
      }),
    )
    .default([]),
  transcodingProfiles: z
    .array(
      z.object({
        container: z.string(),
        audioCodec: z.string(),
        protocol: z.string().default('http'),
        maxAudioChannels: z.number().int().min(0).optional(),
      }),
    )
    .default([]),
  codecProfiles: z
    .array(
      z.object({ type: z.string(), name: z.string(), limitations: z.array(limitationSchema).default([]) }),
    )
    .default([]),
});

export type ClientInfo = z.output<typeof clientInfoSchema>;
type Limitation = z.output<typeof limitationSchema>;

export interface StreamDetails {
  protocol: string;
  container: string;
  codec: string;
  audioChannels?: number;
  audioBitrate?: number;
  audioSamplerate?: number;
  audioBitdepth?: number;
}

export interface ClientDecision {
  canDirectPlay: boolean;
  canTranscode: boolean;
  transcodeReason: string[];
  errorReason?: string;
  sourceStream: StreamDetails;
  transcodeStream?: StreamDetails;
  /** What to run when transcoding. */
  plan?: { profile: TranscodeProfile; bitrate: number; channels: number };
}

// Clients mention bitrates in bits per second in some versions of the spec and kbit/s in others: values
// too large to be kbit/s for audio are read as bit/s.
function toKbps(value: number | undefined): number {
  if (!value) return 0;
  return value > 10_000 ? Math.round(value / 1000) : Math.round(value);
}

const CONTAINER_ALIASES: Record<string, string> = {
  m4a: 'mp4',
  m4b: 'mp4',
  mp4: 'mp4',
  oga: 'ogg',
  ogg: 'ogg',
  opus: 'ogg',
};
const sameContainer = (a: string, b: string) => (CONTAINER_ALIASES[a] ?? a) === (CONTAINER_ALIASES[b] ?? b);
const lower = (values: readonly string[]) => values.map((value) => value.toLowerCase());

function compare(actual: number | string, comparison: string, values: (string | number)[]): boolean {
  const wanted = values.map((value) =>
    typeof actual === 'number' ? Number(value) : String(value).toLowerCase(),
  );
  const have = typeof actual === 'string' ? actual.toLowerCase() : actual;
  switch (comparison) {
    case 'Equals':
      return wanted.includes(have);
    case 'NotEquals':
      return !wanted.includes(have);
    case 'LessThanEqual':
      return wanted.every((value) => have <= value);
    case 'GreaterThanEqual':
      return wanted.every((value) => have >= value);
    default:
      return true; // a comparison this server does not know does not block playback
  }
}

function limitationValue(limitation: Limitation, stream: StreamDetails): number | string | undefined {
  switch (limitation.name) {
    case 'audioChannels':
      return stream.audioChannels;
    case 'audioBitrate':
      return stream.audioBitrate;
    case 'audioSamplerate':
      return stream.audioSamplerate;
    case 'audioBitdepth':
      return stream.audioBitdepth;
    case 'audioProfile':
      return undefined; // AAC profiles are not recorded by the scanner
    default:
      return undefined;
  }
}

/** The limitations of the client's codec profile for `codec` that the stream breaks. */
function brokenLimitations(info: ClientInfo, codec: string, stream: StreamDetails): Limitation[] {
  const profile = info.codecProfiles.find((candidate) => candidate.name.toLowerCase() === codec);
  if (!profile) return [];
  return profile.limitations.filter((limitation) => {
    let value = limitationValue(limitation, stream);
    if (value === undefined) return false;
    // Bitrate limitations come in bit/s or kbit/s like the ceilings.
    if (limitation.name === 'audioBitrate' && typeof value === 'number') {
      const values = limitation.values.map((entry) => toKbps(Number(entry)));
      return !compare(value, limitation.comparison, values);
    }
    value = typeof value === 'number' ? value : String(value);
    return !compare(value, limitation.comparison, limitation.values);
  });
}

// What a client's transcoding profile (container + codec) is among the server's profiles.
function serverProfileFor(
  container: string,
  codec: string,
  lookup: (name: string) => TranscodeProfile | undefined,
) {
  const c = container.toLowerCase();
  const k = codec.toLowerCase();
  if (k === 'mp3') return lookup('mp3');
  if (k === 'opus') return lookup('opus');
  if (k === 'flac') return lookup('flac');
  if (k === 'aac') return sameContainer(c, 'mp4') ? lookup('m4a') : lookup('aac');
  return lookup(k);
}

export function decideForClient(
  track: Pick<
    StreamTrack,
    'suffix' | 'codec' | 'bitrate' | 'channels' | 'sampleRate' | 'lossless' | 'bitDepth'
  >,
  info: ClientInfo,
  userMaxBitRate: number,
  lookup: (name: string) => TranscodeProfile | undefined,
): ClientDecision {
  const codec = sourceCodec(track.codec, track.suffix);
  const source: StreamDetails = {
    protocol: 'http',
    container: track.suffix.toLowerCase(),
    codec,
    audioChannels: track.channels || undefined,
    audioBitrate: track.bitrate || undefined,
    audioSamplerate: track.sampleRate || undefined,
    audioBitdepth: track.bitDepth || undefined,
  };
  const ceilings = [toKbps(info.maxAudioBitrate), userMaxBitRate].filter((value) => value > 0);
  const ceiling = ceilings.length ? Math.min(...ceilings) : 0;

  const reasons: string[] = [];
  const directProfile = info.directPlayProfiles.find((profile) => {
    const containers = lower(profile.containers);
    const codecs = lower(profile.audioCodecs);
    const protocols = lower(profile.protocols);
    return (
      (containers.length === 0 ||
        containers.some((container) => sameContainer(container, source.container))) &&
      (codecs.length === 0 || codecs.includes(codec)) &&
      (protocols.length === 0 || protocols.includes('http')) &&
      (!profile.maxAudioChannels || !source.audioChannels || source.audioChannels <= profile.maxAudioChannels)
    );
  });
  if (!directProfile) reasons.push(`the client does not play ${source.container}/${codec} as it is`);
  if (ceiling > 0 && (!track.bitrate || track.bitrate > ceiling))
    reasons.push(`the bitrate is over ${ceiling} kbit/s`);
  const broken = brokenLimitations(info, codec, source).filter((limitation) => limitation.required);
  for (const limitation of broken)
    reasons.push(`${limitation.name} does not meet the client's ${codec} limits`);
  if (reasons.length === 0) {
    return { canDirectPlay: true, canTranscode: false, transcodeReason: [], sourceStream: source };
  }

  const transcodeCeiling = Math.min(
    ...[ceiling, toKbps(info.maxTranscodingAudioBitrate)].filter((v) => v > 0),
    Infinity,
  );
  for (const wanted of info.transcodingProfiles) {
    if (wanted.protocol.toLowerCase() !== 'http') continue; // HLS goes through hls.m3u8
    const profile = serverProfileFor(wanted.container, wanted.audioCodec, lookup);
    if (!profile) continue;
    let bitrate = 0;
    if (!profile.lossless) {
      bitrate = profile.defaultBitrate;
      if (Number.isFinite(transcodeCeiling)) bitrate = Math.min(bitrate, transcodeCeiling);
      if (!track.lossless && track.bitrate > 0) bitrate = Math.min(bitrate, track.bitrate);
      if (profile.maxBitrate > 0) bitrate = Math.min(bitrate, profile.maxBitrate);
    } else if (Number.isFinite(transcodeCeiling)) {
      continue; // a lossless target cannot keep a bitrate ceiling
    }
    const channelCap = wanted.maxAudioChannels ?? 0;
    const channels =
      channelCap > 0 && source.audioChannels && source.audioChannels > channelCap ? channelCap : 0;
    const target: StreamDetails = {
      protocol: 'http',
      container: wanted.container.toLowerCase(),
      codec: profile.codec,
      audioChannels: channels || source.audioChannels,
      audioBitrate: bitrate || undefined,
      audioSamplerate: source.audioSamplerate,
    };
    // The client's own limits apply to what it will get, too (a bitrate cap on the target codec).
    const targetLimits = brokenLimitations(info, profile.codec, target).filter(
      (limitation) => limitation.required,
    );
    const bitrateLimit = targetLimits.find((limitation) => limitation.name === 'audioBitrate');
    if (bitrateLimit && bitrate > 0) {
      bitrate = Math.min(bitrate, ...bitrateLimit.values.map((value) => toKbps(Number(value))));
      target.audioBitrate = bitrate;
    } else if (targetLimits.length > 0) {
      continue;
    }
    return {
      canDirectPlay: false,
      canTranscode: true,
      transcodeReason: reasons,
      sourceStream: source,
      transcodeStream: target,
      plan: { profile, bitrate, channels },
    };
  }
  return {
    canDirectPlay: false,
    canTranscode: false,
    transcodeReason: reasons,
    errorReason: 'none of the client transcoding profiles can be produced by this server',
    sourceStream: source,
  };
}
