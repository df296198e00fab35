// download: the original file of a song, never transcoded (Range, HEAD, ETag: src/http/send-file.ts),
// with a Content-Disposition naming the file. Needs the download role.
import path from 'node:path';
import { viewerFor } from '../../../catalog/access.ts';
import { TonearmError } from '../../../shared/errors.ts';
import { openMediaFile } from '../../../streaming/media-file.ts';
import { sendFile } from '../../send-file.ts';
import { RESPONDED, requireContext, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

const download: SubsonicEndpoint = {
  name: 'download',
  async handle(request): Promise<SubsonicResult> {
    const ctx = requireContext(request);
    const user = request.user!;
    const id = request.params.required('id');
    if (!user.roles.download) throw new TonearmError('FORBIDDEN', `${user.username} may not download music`);
    const media = await openMediaFile(request.db, id, viewerFor(request.db, user).libraryIds);
    ctx.set('Cache-Control', 'private, max-age=0, must-revalidate');
    sendFile(ctx, {
      file: media.file,
      size: media.size,
      mtimeMs: media.mtimeMs,
      contentType: media.track.contentType,
      downloadName: path.basename(media.track.path),
    });
    return RESPONDED;
  },
};

export const downloadEndpoints: readonly SubsonicEndpoint[] = [download];
