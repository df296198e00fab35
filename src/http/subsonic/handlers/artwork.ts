// getCoverArt and getAvatar: images, or on any problem an error envelope (DSub tells the two apart by the
// Content-Type). The pictures come from src/artwork (choice of picture, resizing, disk cache, placeholders);
// here the parameters are read and the file is sent with sendFile (Range, HEAD, ETag, 304).
// Every authenticated user gets covers, whatever their coverArt role (that role is about changing covers),
// as with Navidrome; which items they see still follows their libraries. `id` is any coverArt id the API
// hands out and also a plain song, album, artist, folder or playlist id, as older clients send.
// Sending (Range, ETag, caching) is src/http/send-image.ts, shared with the native /api/v1/artwork route.
import { avatarImage } from '../../../artwork/avatar.ts';
import { parseArtworkSize } from '../../../artwork/cover-art.ts';
import { viewerFor } from '../../../catalog/access.ts';
import { sendImage } from '../../send-image.ts';
import { RESPONDED, type SubsonicEndpoint, type SubsonicResult } from '../endpoint.ts';

const getCoverArt: SubsonicEndpoint = {
  name: 'getCoverArt',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const user = request.user!;
    const id = request.params.required('id');
    const size = parseArtworkSize(request.params.get('size'));
    const image = await request.services.coverArt.image(request.db, request.config, {
      id,
      size,
      libraryIds: viewerFor(request.catalog, user).libraryIds,
      viewer: { userId: user.id, isAdmin: user.isAdmin },
      log: request.log,
    });
    await sendImage(ctx, image);
    return RESPONDED;
  },
};

const getAvatar: SubsonicEndpoint = {
  name: 'getAvatar',
  async handle(request): Promise<SubsonicResult> {
    const ctx = request.ctx;
    const username = request.params.required('username');
    const image = await avatarImage(
      request.db,
      request.config,
      request.services.artworkCache,
      request.user!,
      username,
      request.log,
    );
    await sendImage(ctx, image);
    return RESPONDED;
  },
};

export const artworkEndpoints: readonly SubsonicEndpoint[] = [getCoverArt, getAvatar];
