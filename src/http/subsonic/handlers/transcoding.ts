// OpenSubsonic transcoding extension.
//   getTranscodeDecision (POST, JSON ClientInfo body; auth in the query): can the client play the song as
//     it is, and if not which transcode it gets, with transcodeParams — a sealed, expiring token naming the
//     song, the user and the transcode, so getTranscodeStream cannot be talked into anything else.
//   getTranscodeStream: plays that decision (offset in seconds); errors are plain HTTP statuses, as the
//     extension asks, not envelopes.
// The decisions and the sealing: src/streaming/playback.ts.
import { isTonearmError, TonearmError } from '../../../shared/errors.ts';
import { clientInfoSchema } from '../../../streaming/client-decision.ts';
import { readJsonBody } from '../../json-body.ts';
import { sendMediaFile, sendTranscode } from '../../send-playback.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

function requireSong(mediaType: string): void {
  if (mediaType !== 'song') {
    throw new TonearmError('NOT_FOUND', `mediaType ${mediaType} is not served here; only song`);
  }
}

const getTranscodeDecision: SubsonicEndpoint = {
  name: 'getTranscodeDecision',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    if (ctx.method !== 'POST')
      throw new TonearmError('BAD_REQUEST', 'getTranscodeDecision takes a POST with a JSON ClientInfo body');
    const mediaId = request.params.required('mediaId');
    requireSong(request.params.required('mediaType'));
    const transcodeDecision = await request.services.playback.transcodeDecision(request.user!, mediaId, () =>
      readJsonBody(ctx, clientInfoSchema, 'ClientInfo'),
    );
    return { transcodeDecision };
  },
};

const getTranscodeStream: SubsonicEndpoint = {
  name: 'getTranscodeStream',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    try {
      const mediaId = request.params.required('mediaId');
      requireSong(request.params.required('mediaType'));
      const { playback } = request.services;
      const plan = await playback.sealedStream(
        request.user!,
        mediaId,
        request.params.required('transcodeParams'),
        request.params.get('offset') ?? '0',
      );
      if (plan.kind === 'original') await sendMediaFile(ctx, plan.media);
      else await sendTranscode(ctx, await playback.open(plan, request.log));
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
