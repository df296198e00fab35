// Playback: what a request to play or fetch a track gets, decided once for both APIs (Subsonic stream,
// download, hls.m3u8 and the transcoding extension; the native media and HLS routes; public shares).
// Given who asks, which track, from which player and with which options, it checks that the user may
// (the stream or download role and the track's library: accounts/permissions.ts), finds the file
// (media-file.ts), remembers the player, and decides (decision.ts, client-decision.ts, both pure):
//   - { kind: 'original', media }: the file as it is;
//   - { kind: 'transcode', ... }: a transcode, which open() turns into a cached one (a whole file, served
//     with Range) or a live one (ffmpeg's output as it comes).
// The HTTP layer parses parameters, sends what it is given, and never decides.
import type { Readable } from 'node:stream';
import { assertMayDownload, assertMayStream } from '../accounts/permissions.ts';
import type { User } from '../accounts/users.service.ts';
import { isTrackShared } from '../activity/shares.service.ts';
import { viewerFor } from '../catalog/access.ts';
import type { CatalogReader } from '../catalog/reader.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { type ClientInfo, decideForClient, type StreamDetails } from './client-decision.ts';
import { decideStream, estimatedLength, parseStreamOptions } from './decision.ts';
import { chooseBitrates, isOfferedBitrate, parseHlsBitrate, planSegments } from './hls/plan.ts';
import { hlsTrackDirectory, signedMasterPlaylist, signedMediaPlaylist } from './hls/playlists.ts';
import type { HlsSegmentsOnDemand, SegmentFile } from './hls/segments.ts';
import { type MediaFile, openMediaFile } from './media-file.ts';
import type { Players, PlayerSettings, PlayerSighting } from './players.ts';
import { findProfile, type TranscodeProfile } from './profiles.ts';
import type { UrlSigner } from './signed-urls.ts';
import type { CachedTranscode } from './transcode-cache.ts';
import type { Transcoder } from './transcoder.ts';
import { isArchiveId, planZipDownload, type ZipDownload } from './zip-download.ts';

/** How long a transcode decision's transcodeParams may be used: a queue prepared now and played tonight. */
const TRANSCODE_PARAMS_TTL_SECONDS = 24 * 3600;

export interface PlaybackParts {
  db: Database;
  /** The catalog's state for that connection (which libraries a user sees). */
  catalog: CatalogReader;
  /** transcoding.defaultFormat, read at each decision. */
  config: Config;
  players: Players;
  transcoder: Transcoder;
  hls: HlsSegmentsOnDemand;
  signer: UrlSigner;
}

export interface OriginalPlan {
  kind: 'original';
  media: MediaFile;
}

export interface TranscodePlan {
  kind: 'transcode';
  media: MediaFile;
  profile: TranscodeProfile;
  /** kbit/s (0 for lossless profiles). */
  bitrate: number;
  /** Seconds into the track. */
  offset: number;
  /** Down-mix to this many channels (0 = the source's). */
  channels: number;
  /** Whose transcode slot it takes. */
  userId: string;
  /** Why it is transcoded (for the log). */
  reason: string;
  /** Bytes promised up front (estimateContentLength): the answer is cut or padded to it. */
  length: number | undefined;
}

export type StreamPlan = OriginalPlan | TranscodePlan;

export interface ArchivePlan {
  kind: 'archive';
  archive: ZipDownload;
}

/** A transcode under way: a finished one from the cache, or ffmpeg's output as it comes. */
export type OpenedTranscode =
  | { kind: 'cached-transcode'; file: CachedTranscode; contentType: string }
  | { kind: 'live-transcode'; stream: Readable; contentType: string; length: number | undefined };

export interface StreamRequest {
  user: User;
  trackId: string;
  /** The stream parameters as the client sent them (checked after the role). */
  params: { format?: string | undefined; maxBitRate?: string | undefined; timeOffset?: string | undefined };
  /** The client asking: remembered as a player, whose limit and format apply. */
  player: PlayerSighting;
  /** The player the request was already found to come from, if any (it is then not looked up again). */
  knownPlayer?: PlayerSettings | undefined;
  /** Promise the transcode's length up front (estimateContentLength=true). */
  estimateContentLength?: boolean;
}

export interface TranscodeDecisionAnswer {
  canDirectPlay: boolean;
  canTranscode: boolean;
  transcodeReason: string[];
  errorReason?: string;
  sourceStream: StreamDetails;
  transcodeStream?: StreamDetails;
  /** The sealed decision getTranscodeStream plays; absent when the song cannot be played at all. */
  transcodeParams: string | undefined;
}

export class Playback {
  private readonly parts: PlaybackParts;

  constructor(parts: PlaybackParts) {
    this.parts = parts;
  }

  /** A track's file, if the user sees its library (no role needed: links are checked again when used). */
  async track(user: User, trackId: string): Promise<MediaFile> {
    return openMediaFile(this.parts.db, trackId, viewerFor(this.parts.catalog, user).libraryIds);
  }

  /** Subsonic stream and the native stream route: the original or a transcode, for this user and player. */
  async stream(request: StreamRequest): Promise<StreamPlan> {
    const { user } = request;
    assertMayStream(user);
    const options = parseStreamOptions(request.params);
    const media = await this.track(user, request.trackId);
    const player = this.parts.players.remember(request.player, request.knownPlayer);
    const decision = decideStream(
      media.track,
      options,
      {
        userMaxBitRate: user.maxBitRate,
        playerMaxBitRate: player.maxBitRate,
        playerFormat: player.format,
        defaultFormat: this.parts.config.transcoding.defaultFormat,
      },
      (name) => findProfile(this.parts.db, name),
    );
    if (decision.kind === 'raw') return { kind: 'original', media };
    const { profile, bitrate, offset, reason } = decision;
    const length = request.estimateContentLength ? estimatedLength(media.track.duration, offset, bitrate) : 0;
    return {
      kind: 'transcode',
      media,
      profile,
      bitrate,
      offset,
      channels: 0,
      userId: user.id,
      reason,
      length: length > 0 ? length : undefined,
    };
  }

  /** Starts (or joins, or finds cached) the transcode of a plan. */
  async open(plan: TranscodePlan, log: Logger): Promise<OpenedTranscode> {
    const output = await this.parts.transcoder.open({
      media: plan.media,
      profile: plan.profile,
      bitrate: plan.bitrate,
      offset: plan.offset,
      channels: plan.channels,
      userId: plan.userId,
      log,
    });
    const contentType = plan.profile.contentType;
    return output.kind === 'cached'
      ? { kind: 'cached-transcode', file: output.entry, contentType }
      : { kind: 'live-transcode', stream: output.stream, contentType, length: plan.length };
  }

  /** The native download route: a song's original file. */
  async downloadTrack(user: User, trackId: string): Promise<OriginalPlan> {
    assertMayDownload(user);
    return { kind: 'original', media: await this.track(user, trackId) };
  }

  /**
   * Subsonic download: a song's original file, or for an album, artist, playlist or folder id a ZIP
   * archive of what the user may see of it.
   */
  async download(user: User, id: string, log: Logger): Promise<OriginalPlan | ArchivePlan> {
    assertMayDownload(user);
    if (isArchiveId(id))
      return { kind: 'archive', archive: await planZipDownload(this.parts.catalog, user, id, log) };
    return { kind: 'original', media: await this.track(user, id) };
  }

  /**
   * getTranscodeDecision: whether the client plays the song as it is, and if not which transcode it gets,
   * with that decision sealed (transcodeParams) for getTranscodeStream. The client's description is read
   * once the user is known to be allowed to stream.
   */
  async transcodeDecision(
    user: User,
    mediaId: string,
    clientInfo: () => Promise<ClientInfo>,
  ): Promise<TranscodeDecisionAnswer> {
    assertMayStream(user);
    const info = await clientInfo();
    const media = await this.track(user, mediaId);
    const { plan, ...answer } = decideForClient(media.track, info, user.maxBitRate, (name) =>
      findProfile(this.parts.db, name),
    );
    const seal = (payload: object) => this.parts.signer.seal(payload, TRANSCODE_PARAMS_TTL_SECONDS);
    const transcodeParams = plan
      ? seal({ m: mediaId, u: user.id, p: plan.profile.name, b: plan.bitrate, c: plan.channels })
      : answer.canDirectPlay
        ? seal({ m: mediaId, u: user.id, p: 'raw', b: 0, c: 0 })
        : undefined;
    return { ...answer, transcodeParams };
  }

  /** getTranscodeStream: plays a sealed decision, from `offset` seconds (as the client sent it). */
  async sealedStream(
    user: User,
    mediaId: string,
    transcodeParams: string,
    offset: string,
  ): Promise<StreamPlan> {
    const params = this.parts.signer.open(transcodeParams);
    if (params.m !== mediaId || params.u !== user.id) {
      throw new TonearmError('FORBIDDEN', 'transcodeParams were made for another song or user');
    }
    assertMayStream(user);
    if (!/^\d{1,7}(\.\d+)?$/.test(offset))
      throw new TonearmError('BAD_REQUEST', 'offset must be seconds from 0');
    const media = await this.track(user, mediaId);
    const from = Math.min(Number(offset), Math.max(0, media.track.duration - 0.1));
    if (params.p === 'raw' && from === 0) return { kind: 'original', media };
    const profile = findProfile(this.parts.db, params.p === 'raw' ? media.track.suffix : String(params.p));
    if (!profile) {
      throw new TonearmError('NOT_FOUND', `the transcode profile ${String(params.p)} no longer exists`);
    }
    return {
      kind: 'transcode',
      media,
      profile,
      bitrate: Number(params.b) || profile.defaultBitrate,
      offset: from,
      channels: Number(params.c) || 0,
      userId: user.id,
      reason: 'the client asked for it (transcodeParams)',
      length: undefined,
    };
  }

  /**
   * Subsonic hls.m3u8: no bitrate, a master playlist of the default variants; one, that variant's media
   * playlist; several, a master playlist of those. `bitRates` as the client sent them; the playlist's URIs
   * are relative to `servedFrom`.
   */
  async hlsPlaylist(
    user: User,
    trackId: string,
    bitRates: readonly string[],
    servedFrom: string,
  ): Promise<string> {
    assertMayStream(user);
    const requested = bitRates.map(parseHlsBitrate);
    const media = await this.track(user, trackId);
    const bitrates = chooseBitrates(media.track, requested, user.maxBitRate);
    const input = { signer: this.parts.signer, media, userId: user.id, servedFrom };
    return requested.length === 1
      ? signedMediaPlaylist({ ...input, bitrate: bitrates[0]! })
      : signedMasterPlaylist({ ...input, bitrates });
  }

  /** The native master playlist of a track: its default variants. */
  async hlsMaster(user: User, trackId: string): Promise<string> {
    assertMayStream(user);
    const media = await this.track(user, trackId);
    return signedMasterPlaylist({
      signer: this.parts.signer,
      media,
      userId: user.id,
      servedFrom: hlsTrackDirectory(media.track.id),
      bitrates: chooseBitrates(media.track, undefined, user.maxBitRate),
    });
  }

  /** The native media playlist of one variant (its bitrate as in the URL). */
  async hlsVariant(user: User, trackId: string, bitrate: string): Promise<string> {
    assertMayStream(user);
    const media = await this.track(user, trackId);
    const kbps = offeredBitrate(media, user, bitrate);
    return signedMediaPlaylist({
      signer: this.parts.signer,
      media,
      userId: user.id,
      servedFrom: `${hlsTrackDirectory(media.track.id)}${kbps}/`,
      bitrate: kbps,
    });
  }

  /**
   * One HLS segment (named as in the URL: `<index>.ts`), from the cache or made now. `signal` aborts when
   * the client has gone, so a run nobody waits for stops.
   */
  async hlsSegment(
    user: User,
    trackId: string,
    bitrate: string,
    segment: string,
    options: { log: Logger; signal?: AbortSignal },
  ): Promise<SegmentFile> {
    assertMayStream(user);
    const media = await this.track(user, trackId);
    const kbps = offeredBitrate(media, user, bitrate);
    // A segment is named by its number and nothing else: the file it maps to is built from a hash.
    const name = /^(\d{1,6})\.ts$/.exec(segment);
    const plan = planSegments(media.track);
    const index = name ? Number(name[1]) : -1;
    if (index < 0 || index >= plan.segments.length) {
      throw new TonearmError('NOT_FOUND', `this track has no HLS segment "${segment.slice(0, 40)}"`);
    }
    return this.parts.hls.segments.segment({
      media,
      plan,
      bitrate: kbps,
      index,
      log: options.log,
      signal: options.signal,
    });
  }

  /**
   * A track of a public share: the share decides what is visible, not a user's grants. Undefined for an
   * unknown or expired share, a track it does not hold, or a file that cannot be served.
   */
  async sharedTrack(shareId: string, trackId: string): Promise<OriginalPlan | undefined> {
    if (!isTrackShared(this.parts.db, shareId, trackId)) return undefined;
    try {
      return { kind: 'original', media: await openMediaFile(this.parts.db, trackId, undefined) };
    } catch {
      return undefined;
    }
  }
}

/** The bitrate of a variant URL, if it is one this user may still get for this track (limits may change). */
function offeredBitrate(media: MediaFile, user: User, text: string): number {
  const bitrate = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!isOfferedBitrate(media.track, bitrate, user.maxBitRate)) {
    throw new TonearmError('BAD_REQUEST', `${text.slice(0, 20)} is not an HLS variant of this track for you`);
  }
  return bitrate;
}
