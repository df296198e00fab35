// OpenSubsonic transcoding extension.
//   getTranscodeDecision (POST, JSON ClientInfo body; auth in the query): can the client play the song as
//     it is, and if not which transcode it gets, with transcodeParams — a sealed, expiring token naming the
//     song, the user and the transcode, so getTranscodeStream cannot be talked into anything else.
//   getTranscodeStream: plays that decision (offset in seconds); errors are plain HTTP statuses, as the
//     extension asks, not envelopes.
import { viewerFor } from '../../../catalog/access.ts';
import { isTonearmError, TonearmError } from '../../../shared/errors.ts';
import { clientInfoSchema, decideForClient } from '../../../streaming/client-decision.ts';
import { openMediaFile } from '../../../streaming/media-file.ts';
import { findProfile } from '../../../streaming/profiles.ts';
import { readJsonBody } from '../../api/json-body.ts';
import { sendMediaFile, sendTranscode } from '../../stream-track.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

/** How long a decision's transcodeParams may be used: a queue prepared now and played this evening. */
const PARAMS_TTL_SECONDS = 24 * 3600;

function requireSong(mediaType: string): void {
  if (mediaType !== 'song') {
    throw new TonearmError('NOT_FOUND', `mediaType ${mediaType} is not served here; only song`);
  }
}

const getTranscodeDecision: SubsonicEndpoint = {
  name: 'getTranscodeDecision',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const user = request.user!;
    if (ctx.method !== 'POST')
      throw new TonearmError('BAD_REQUEST', 'getTranscodeDecision takes a POST with a JSON ClientInfo body');
    const mediaId = request.params.required('mediaId');
    requireSong(request.params.required('mediaType'));
    if (!user.roles.stream) throw new TonearmError('FORBIDDEN', `${user.username} may not stream music`);
    const info = await readJsonBody(ctx, clientInfoSchema, 'ClientInfo');
    const media = await openMediaFile(request.db, mediaId, viewerFor(request.catalog, user).libraryIds);
    const decision = decideForClient(media.track, info, user.maxBitRate, (name) =>
      findProfile(request.db, name),
    );
    const { plan, ...answer } = decision;
    const transcodeParams = plan
      ? request.services.urlSigner.seal(
          { m: mediaId, u: user.id, p: plan.profile.name, b: plan.bitrate, c: plan.channels },
          PARAMS_TTL_SECONDS,
        )
      : answer.canDirectPlay
        ? request.services.urlSigner.seal(
            { m: mediaId, u: user.id, p: 'raw', b: 0, c: 0 },
            PARAMS_TTL_SECONDS,
          )
        : undefined;
    return { transcodeDecision: { ...answer, transcodeParams } };
  },
};

const getTranscodeStream: SubsonicEndpoint = {
  name: 'getTranscodeStream',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    try {
      const user = request.user!;
      const mediaId = request.params.required('mediaId');
      requireSong(request.params.required('mediaType'));
      const params = request.services.urlSigner.open(request.params.required('transcodeParams'));
      if (params.m !== mediaId || params.u !== user.id) {
        throw new TonearmError('FORBIDDEN', 'transcodeParams were made for another song or user');
      }
      if (!user.roles.stream) throw new TonearmError('FORBIDDEN', `${user.username} may not stream music`);
      const offsetText = request.params.get('offset') ?? '0';
      if (!/^\d{1,7}(\.\d+)?$/.test(offsetText))
        throw new TonearmError('BAD_REQUEST', 'offset must be seconds from 0');
      const media = await openMediaFile(request.db, mediaId, viewerFor(request.catalog, user).libraryIds);
      const offset = Math.min(Number(offsetText), Math.max(0, media.track.duration - 0.1));
      if (params.p === 'raw' && offset === 0) {
        await sendMediaFile(ctx, media);
        return RESPONDED;
      }
      const profile = findProfile(request.db, params.p === 'raw' ? media.track.suffix : String(params.p));
      if (!profile)
        throw new TonearmError('NOT_FOUND', `the transcode profile ${String(params.p)} no longer exists`);
      const output = await request.services.transcoder.open({
        media,
        profile,
        bitrate: Number(params.b) || profile.defaultBitrate,
        offset,
        channels: Number(params.c) || 0,
        userId: user.id,
        log: request.log,
      });
      await sendTranscode(ctx, output, profile.contentType);
      return RESPONDED;
    } catch (error) {
      // Plain HTTP errors for this endpoint (the extension's rule): status and a line of text.
      if (!isTonearmError(error)) throw error;
      ctx.status = error.httpStatus;
      if (error.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(error.retryAfterSeconds));
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = `${error.message}\n`;
      return RESPONDED;
    }
  },
};

export const transcodingEndpoints: readonly SubsonicEndpoint[] = [getTranscodeDecision, getTranscodeStream];
