// hls.m3u8 (Subsonic 1.8.0; also /rest/hls.view): an HLS playlist for a track. No bitRate: a master playlist of the default
// variants; one bitRate: that variant's media playlist; several: a master playlist of those. Its URIs
// lead to the native HLS routes (src/http/api/hls.ts), relative to /rest/ and signed for the caller, so a
// player follows them without credentials. The video form `bitRate=1000@480x360` is accepted; the size
// is ignored and the bitrate kept within what AAC audio needs.
import { viewerFor } from '../../../catalog/access.ts';
import { TonearmError } from '../../../shared/errors.ts';
import { chooseBitrates } from '../../../streaming/hls.ts';
import { openMediaFile } from '../../../streaming/media-file.ts';
import { sendPlaylist, signedMasterPlaylist, signedMediaPlaylist } from '../../api/hls.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

/** Where /rest/hls.m3u8 lives, without the base path: the playlist's URIs are relative to it. */
const SERVED_FROM = '/rest/';

function parseBitRate(text: string): number {
  const match = /^\s*(\d{1,6})(?:@\d{1,5}x\d{1,5})?\s*$/.exec(text);
  const bitrate = match ? Number(match[1]) : 0;
  if (!(bitrate > 0)) {
    throw new TonearmError(
      'BAD_REQUEST',
      `bitRate must be a positive number of kbit/s (like 128 or 128@480x360), not "${text.slice(0, 40)}"`,
    );
  }
  return bitrate;
}

const hls: SubsonicEndpoint = {
  name: 'hls.m3u8',
  // Clients that add `.view` to every name call /rest/hls.view.
  aliases: ['hls'],
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const user = request.user!;
    const id = request.params.required('id');
    if (!user.roles.stream) throw new TonearmError('FORBIDDEN', `${user.username} may not stream music`);
    const requested = request.params.getAll('bitRate').map(parseBitRate);
    const media = await openMediaFile(request.db, id, viewerFor(request.catalog, user).libraryIds);
    const bitrates = chooseBitrates(media.track, requested, user.maxBitRate);
    const input = { signer: request.services.urlSigner, media, userId: user.id, servedFrom: SERVED_FROM };
    sendPlaylist(
      ctx,
      requested.length === 1
        ? signedMediaPlaylist({ ...input, bitrate: bitrates[0]! })
        : signedMasterPlaylist({ ...input, bitrates }),
    );
    return RESPONDED;
  },
};

export const hlsEndpoints: readonly SubsonicEndpoint[] = [hls];
