// hls.m3u8 (Subsonic 1.8.0; also /rest/hls.view): an HLS playlist for a track. No bitRate: a master playlist of the default
// variants; one bitRate: that variant's media playlist; several: a master playlist of those. Its URIs
// lead to the native HLS routes (src/http/api/playback.routes.ts), relative to /rest/ and signed for the
// caller, so a player follows them without credentials. The video form `bitRate=1000@480x360` is accepted; the size
// is ignored and the bitrate kept within what AAC audio needs. The playlists: src/streaming/hls/.
import { sendPlaylist } from '../../send-playback.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

/** Where /rest/hls.m3u8 lives, without the base path: the playlist's URIs are relative to it. */
const SERVED_FROM = '/rest/';

const hls: SubsonicEndpoint = {
  name: 'hls.m3u8',
  // Clients that add `.view` to every name call /rest/hls.view.
  aliases: ['hls'],
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const id = request.params.required('id');
    const playlist = await request.services.playback.hlsPlaylist(
      request.user!,
      id,
      request.params.getAll('bitRate'),
      SERVED_FROM,
    );
    sendPlaylist(ctx, playlist);
    return RESPONDED;
  },
};

export const hlsEndpoints: readonly SubsonicEndpoint[] = [hls];
