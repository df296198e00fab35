// stream: the original file or a transcode of it, as playback decides (src/streaming/playback.ts), or, on
// any problem, an error envelope — DSub tells the two apart by the Content-Type. The calling client is
// remembered as a player (its own limit and format apply); the router has already looked it up.
// Streaming does not count as a play; scrobble does.
import { sendStream } from '../../send-playback.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

const stream: SubsonicEndpoint = {
  name: 'stream',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const user = request.user!;
    const { playback } = request.services;
    const plan = await playback.stream({
      user,
      trackId: request.params.required('id'),
      params: {
        format: request.params.get('format'),
        maxBitRate: request.params.get('maxBitRate'),
        timeOffset: request.params.get('timeOffset'),
      },
      player: { userId: user.id, client: request.client, userAgent: ctx.get('User-Agent'), address: ctx.ip },
      knownPlayer: request.player,
      estimateContentLength: request.params.get('estimateContentLength') === 'true',
    });
    await sendStream(ctx, plan, playback);
    return RESPONDED;
  },
};

export const mediaEndpoints: readonly SubsonicEndpoint[] = [stream];
