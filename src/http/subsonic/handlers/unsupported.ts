// Videos, podcasts and jukebox are not implemented yet. List calls answer empty lists so a client's sync
// goes on; actions answer error 0 "not supported", as the reference advises for a server without them.
import { TonearmError } from '../../../shared/errors.ts';
import type { SubsonicEndpoint } from '../endpoint.ts';

function notSupported(what: string): never {
  throw new TonearmError('BAD_REQUEST', `${what} is not supported by this server`);
}

const listing = (name: string, payload: () => Record<string, unknown>): SubsonicEndpoint => ({
  name,
  handle: payload,
});

const action = (name: string, what: string, required?: string): SubsonicEndpoint => ({
  name,
  handle: (request) => {
    if (required) request.params.required(required);
    return notSupported(what);
  },
});

export const unsupportedEndpoints: readonly SubsonicEndpoint[] = [
  listing('getVideos', () => ({ videos: {} })),
  {
    name: 'getVideoInfo',
    handle: (request) => {
      const id = request.params.required('id');
      throw new TonearmError('NOT_FOUND', `video not found: ${id.slice(0, 64)}`);
    },
  },
  {
    name: 'getPodcasts',
    handle: (request) => {
      request.params.bool('includeEpisodes');
      const id = request.params.get('id');
      // Asking for one channel by id: there are none, so it cannot be found.
      if (id) throw new TonearmError('NOT_FOUND', `podcast channel not found: ${id.slice(0, 64)}`);
      return { podcasts: {} };
    },
  },
  {
    name: 'getNewestPodcasts',
    handle: (request) => {
      request.params.int('count', { min: 0 });
      return { newestPodcasts: {} };
    },
  },
  action('getPodcastEpisode', 'podcasts', 'id'),
  action('refreshPodcasts', 'podcasts'),
  action('createPodcastChannel', 'podcasts', 'url'),
  action('deletePodcastChannel', 'podcasts', 'id'),
  action('deletePodcastEpisode', 'podcasts', 'id'),
  action('downloadPodcastEpisode', 'podcasts', 'id'),
  action('jukeboxControl', 'jukebox', 'action'),
];
