import { TonearmError } from '../../../shared/errors.ts';
import type { SubsonicEndpoint } from '../endpoint.ts';

/** Login test for clients: an empty envelope once authentication passed. */
export const ping: SubsonicEndpoint = {
  name: 'ping',
  handle: () => undefined,
};

export interface OpenSubsonicExtension {
  name: string;
  versions: number[];
}

/** Extensions this server implements; advertised only once they really work. */
export const OPEN_SUBSONIC_EXTENSIONS: readonly OpenSubsonicExtension[] = [
  // apiKey logins (auth.ts), keys made with `tonearm apikey create`, and tokenInfo below.
  { name: 'apiKeyAuthentication', versions: [1] },
  // getLyricsBySongId (handlers/media-info.ts); v2 (enhanced) is not implemented.
  { name: 'songLyrics', versions: [1] },
  // getTopSongs?id= (handlers/media-info.ts).
  { name: 'topSongsByArtistId', versions: [1] },
  // Every endpoint reads x-www-form-urlencoded POST bodies merged with the query (router.ts).
  { name: 'formPost', versions: [1] },
  // savePlayQueueByIndex / getPlayQueueByIndex (handlers/queue.ts).
  { name: 'indexBasedQueue', versions: [1] },
  // reportPlayback and the timeline fields of getNowPlaying (handlers/activity.ts).
  { name: 'playbackReport', versions: [1] },
  // stream?timeOffset= seeks inside transcodes (src/streaming/decision.ts, transcoder.ts).
  { name: 'transcodeOffset', versions: [1] },
  // getTranscodeDecision / getTranscodeStream (handlers/transcoding.ts).
  { name: 'transcoding', versions: [1] },
];

export const getOpenSubsonicExtensions: SubsonicEndpoint = {
  name: 'getOpenSubsonicExtensions',
  public: true,
  handle: () => ({ openSubsonicExtensions: OPEN_SUBSONIC_EXTENSIONS.map((extension) => ({ ...extension })) }),
};

/** Tonearm is free software: the licence is always valid (DSub warns "unlicensed" otherwise). */
export const getLicense: SubsonicEndpoint = {
  name: 'getLicense',
  handle: () => ({ license: { valid: true } }),
};

/** Whose key this is (apiKeyAuthentication). Meaningless for a password login, so those get 42. */
export const tokenInfo: SubsonicEndpoint = {
  name: 'tokenInfo',
  handle: ({ params, user }) => {
    // Authentication already refused apiKey mixed with u/p/t/s, so apiKey present means a key login.
    if (!params.has('apiKey') || !user) {
      throw new TonearmError('AUTH_MECHANISM_UNSUPPORTED', 'tokenInfo needs apiKey authentication');
    }
    return { tokenInfo: { username: user.username } };
  },
};

export const systemEndpoints: readonly SubsonicEndpoint[] = [
  ping,
  getLicense,
  getOpenSubsonicExtensions,
  tokenInfo,
];
