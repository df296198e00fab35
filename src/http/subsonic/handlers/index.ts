// Every Subsonic endpoint the server serves by default. Each group of handlers exports its list; append
// yours here.
import type { SubsonicEndpoint } from '../endpoint.ts';
import { activityEndpoints } from './activity.ts';
import { artworkEndpoints } from './artwork.ts';
import { browsingEndpoints } from './browsing.ts';
import { chatEndpoints } from './chat.ts';
import { downloadEndpoints } from './download.ts';
import { hlsEndpoints } from './hls.ts';
import { listEndpoints } from './lists.ts';
import { mediaEndpoints } from './media.ts';
import { mediaInfoEndpoints } from './media-info.ts';
import { playlistEndpoints } from './playlists.ts';
import { queueEndpoints } from './queue.ts';
import { radioEndpoints } from './radio.ts';
import { scanningEndpoints } from './scanning.ts';
import { searchEndpoints } from './search.ts';
import { shareEndpoints } from './shares.ts';
import { systemEndpoints } from './system.ts';
import { transcodingEndpoints } from './transcoding.ts';
import { unsupportedEndpoints } from './unsupported.ts';
import { userEndpoints } from './users.ts';

export const defaultEndpoints: readonly SubsonicEndpoint[] = [
  ...systemEndpoints,
  ...userEndpoints,
  ...activityEndpoints,
  ...playlistEndpoints,
  ...queueEndpoints,
  ...shareEndpoints,
  ...radioEndpoints,
  ...chatEndpoints,
  ...browsingEndpoints,
  ...listEndpoints,
  ...searchEndpoints,
  ...mediaInfoEndpoints,
  ...mediaEndpoints,
  ...transcodingEndpoints,
  ...hlsEndpoints,
  ...downloadEndpoints,
  ...artworkEndpoints,
  ...scanningEndpoints,
  ...unsupportedEndpoints,
];
