// download: the original file of a song, never transcoded (Range, HEAD, ETag: src/http/send-file.ts),
// with a Content-Disposition naming the file. Album, artist, playlist and folder ids download as a ZIP
// archive streamed while it is built (src/streaming/zip-download.ts), as Navidrome does. Which of the two,
// and whether the user may (the download role): src/streaming/playback.ts.
import type { Logger } from '../../../shared/logger.ts';
import { archiveFileName, streamZip, type ZipDownload, zipSize } from '../../../streaming/zip-download.ts';
import type { AppContext } from '../../context.ts';
import { sendMediaFile } from '../../send-playback.ts';
import { attachment } from '../../send-file.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

const download: SubsonicEndpoint = {
  name: 'download',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const id = request.params.required('id');
    // Planning an archive may answer 70 (unknown, hidden, all files gone) while an error envelope can
    // still be sent.
    const plan = await request.services.playback.download(request.user!, id, request.log);
    if (plan.kind === 'archive') return sendZip(ctx, plan.archive, request.log);
    await sendMediaFile(ctx, plan.media, { asDownload: true });
    return RESPONDED;
  },
};

function sendZip(ctx: AppContext, plan: ZipDownload, log: Logger): SubsonicResult {
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
  const zip = streamZip(plan, log);
  // Koa pipes the body into the response and destroys it when the client goes away, which stops the
  // archive and closes its open file. The length goes after the body: Koa drops it when a body replaces another.
  ctx.body = zip.output;
  if (zip.size !== undefined) ctx.length = zip.size;
  return RESPONDED;
}

export const downloadEndpoints: readonly SubsonicEndpoint[] = [download];
