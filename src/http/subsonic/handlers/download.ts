// download: the original file of a song, never transcoded (Range, HEAD, ETag: src/http/send-file.ts),
// with a Content-Disposition naming the file. Album, artist, playlist and folder ids download as a ZIP
// archive streamed while it is built (src/streaming/zip-download.ts), as Navidrome does. Needs the
// download role.
import type { User } from '../../../accounts/users.service.ts';
import { viewerFor } from '../../../catalog/access.ts';
import { TonearmError } from '../../../shared/errors.ts';
import { openMediaFile } from '../../../streaming/media-file.ts';
import {
  archiveFileName,
  isArchiveId,
  planZipDownload,
  streamZip,
  zipSize,
} from '../../../streaming/zip-download.ts';
import type { AppContext } from '../../context.ts';
import { attachment } from '../../send-file.ts';
import { sendMediaFile } from '../../stream-track.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicRequest, type SubsonicResult } from '../endpoint.ts';

const download: SubsonicEndpoint = {
  name: 'download',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const user = request.user!;
    const id = request.params.required('id');
    if (!user.roles.download) throw new TonearmError('FORBIDDEN', `${user.username} may not download music`);
    if (isArchiveId(id)) return sendZip(ctx, request, user, id);
    const media = await openMediaFile(request.db, id, viewerFor(request.catalog, user).libraryIds);
    await sendMediaFile(ctx, media, { asDownload: true });
    return RESPONDED;
  },
};

async function sendZip(
  ctx: AppContext,
  request: SubsonicRequest,
  user: User,
  id: string,
): Promise<SubsonicResult> {
  // Planning may answer 70 (unknown, hidden, all files gone) while an error envelope can still be sent.
  const plan = await planZipDownload(request.catalog, user, id, request.log);
  ctx.set('Cache-Control', 'private, no-store');
  // The archive is made anew on each request, so a byte range of it cannot be promised.
  ctx.set('Accept-Ranges', 'none');
  ctx.set('Content-Disposition', attachment(archiveFileName(plan)));
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.type = 'application/zip';
  ctx.status = 200;
  if (ctx.method === 'HEAD') {
    const size = zipSize(plan);
    if (size !== undefined) ctx.length = size;
    return RESPONDED;
  }
  const zip = streamZip(plan, request.log);
  // Koa pipes the body into the response and destroys it when the client goes away, which stops the
  // archive and closes its open file. The length goes after the body: Koa drops it when a body replaces another.
  ctx.body = zip.output;
  if (zip.size !== undefined) ctx.length = zip.size;
  return RESPONDED;
}

export const downloadEndpoints: readonly SubsonicEndpoint[] = [download];
