// stream: the original file (Range, HEAD, ETag, conditional requests: src/http/send-file.ts) or, on any
// problem, an error envelope — DSub tells the two apart by the Content-Type. The file is found through the
// catalog and checked to be inside its library (src/streaming/media-file.ts). Streaming does not count as
// a play; scrobble does.
import { viewerFor } from '../../../catalog/access.ts';
import { TonearmError } from '../../../shared/errors.ts';
import { openMediaFile } from '../../../streaming/media-file.ts';
import { sendFile } from '../../send-file.ts';
import { RESPONDED, requireContext, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

const stream: SubsonicEndpoint = {
  name: 'stream',
  async handle(request): Promise<SubsonicResult> {
    const ctx = requireContext(request);
    const user = request.user!;
    const id = request.params.required('id');
    if (!user.roles.stream) throw new TonearmError('FORBIDDEN', `${user.username} may not stream music`);
    const media = await openMediaFile(request.db, id, viewerFor(request.db, user).libraryIds);
    ctx.set('Cache-Control', 'private, max-age=0, must-revalidate');
    sendFile(ctx, {
      file: media.file,
      size: media.size,
      mtimeMs: media.mtimeMs,
      contentType: media.track.contentType,
    });
    return RESPONDED;
  },
};

export const mediaEndpoints: readonly SubsonicEndpoint[] = [stream];
