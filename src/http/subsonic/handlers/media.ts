// Media retrieval: stream and download. Both answer the file itself (Range, HEAD, ETag, conditional
// requests: src/http/send-file.ts) or, on any problem, an error envelope — DSub tells the two apart by
// the Content-Type. The file is found through the catalog and checked to be inside its library
// (src/streaming/media-file.ts). Streaming does not count as a play; scrobble does.
import path from 'node:path';
import { viewerFor } from '../../../catalog/access.ts';
import { TonearmError } from '../../../shared/errors.ts';
import { openMediaFile } from '../../../streaming/media-file.ts';
import { sendFile } from '../../send-file.ts';
import { RESPONDED, requireContext, type SubsonicEndpoint, type SubsonicRequest } from '../endpoint.ts';

async function sendTrackFile(request: SubsonicRequest, asDownload: boolean): Promise<typeof RESPONDED> {
  const ctx = requireContext(request);
  const user = request.user!;
  const id = request.params.required('id');
  if (asDownload ? !user.roles.download : !user.roles.stream) {
    throw new TonearmError(
      'FORBIDDEN',
      `${user.username} may not ${asDownload ? 'download' : 'stream'} music`,
    );
  }
  const media = await openMediaFile(request.db, id, viewerFor(request.db, user).libraryIds);
  ctx.set('Cache-Control', 'private, max-age=0, must-revalidate');
  sendFile(ctx, {
    file: media.file,
    size: media.size,
    mtimeMs: media.mtimeMs,
    contentType: media.track.contentType,
    downloadName: asDownload ? path.basename(media.track.path) : undefined,
  });
  return RESPONDED;
}

const stream: SubsonicEndpoint = { name: 'stream', handle: (request) => sendTrackFile(request, false) };
const download: SubsonicEndpoint = { name: 'download', handle: (request) => sendTrackFile(request, true) };

export const mediaEndpoints: readonly SubsonicEndpoint[] = [stream, download];
