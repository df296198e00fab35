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
export const OPEN_SUBSONIC_EXTENSIONS: readonly OpenSubsonicExtension[] = [];

export const getOpenSubsonicExtensions: SubsonicEndpoint = {
  name: 'getOpenSubsonicExtensions',
  public: true,
  handle: () => ({ openSubsonicExtensions: OPEN_SUBSONIC_EXTENSIONS.map((extension) => ({ ...extension })) }),
};

export const systemEndpoints: readonly SubsonicEndpoint[] = [ping, getOpenSubsonicExtensions];
