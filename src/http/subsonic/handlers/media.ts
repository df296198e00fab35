// stream: the original file or a transcode of it (src/http/stream-track.ts), or, on any problem, an error
// envelope — DSub tells the two apart by the Content-Type. The file is found through the catalog and
// checked to be inside its library (src/streaming/media-file.ts). The calling client is remembered as a
// player (its own limit and format apply). Streaming does not count as a play; scrobble does.
import { viewerFor } from '../../../catalog/access.ts';
import { TonearmError } from '../../../shared/errors.ts';
import { parseStreamOptions } from '../../../streaming/decision.ts';
import { openMediaFile } from '../../../streaming/media-file.ts';
import { rememberPlayer } from '../../../streaming/players.ts';
import { streamTrack } from '../../stream-track.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

const stream: SubsonicEndpoint = {
  name: 'stream',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const user = request.user!;
    const id = request.params.required('id');
    if (!user.roles.stream) throw new TonearmError('FORBIDDEN', `${user.username} may not stream music`);
    const options = parseStreamOptions({
      format: request.params.get('format'),
      maxBitRate: request.params.get('maxBitRate'),
      timeOffset: request.params.get('timeOffset'),
    });
    const media = await openMediaFile(request.db, id, viewerFor(request.catalog, user).libraryIds);
    const player = rememberPlayer(request.db, {
      userId: user.id,
      client: request.client,
      userAgent: ctx.get('User-Agent'),
      address: ctx.ip,
    });
    await streamTrack(ctx, {
      db: request.db,
      transcoder: request.services.transcoder,
      media,
      options,
      user,
      player,
      defaultFormat: request.config.transcoding.defaultFormat,
      estimateContentLength: request.params.get('estimateContentLength') === 'true',
    });
    return RESPONDED;
  },
};

export const mediaEndpoints: readonly SubsonicEndpoint[] = [stream];
