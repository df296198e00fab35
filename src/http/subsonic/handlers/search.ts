// search (legacy), search2 and search3. An empty query lists everything (OpenSubsonic offline sync);
// counts are not capped, because Substreamer asks for 10000 albums and takes the answer as complete.
import { legacySearch, type Page, search } from '../../../catalog/find.ts';
import type { SubsonicEndpoint, SubsonicRequest } from '../endpoint.ts';
import { toAlbumChild, toAlbumID3, toArtist, toArtistID3, toChild } from '../mappers.ts';
import { mapOptions, requestViewer } from './browsing.ts';

function page(request: SubsonicRequest, kind: string): Page {
  return {
    count: request.params.int(`${kind}Count`, { min: 0 }) ?? 20,
    offset: request.params.int(`${kind}Offset`, { min: 0 }) ?? 0,
  };
}

function run(request: SubsonicRequest) {
  return search(request.catalog, requestViewer(request), {
    query: request.params.get('query'),
    artists: page(request, 'artist'),
    albums: page(request, 'album'),
    songs: page(request, 'song'),
  });
}

const search2: SubsonicEndpoint = {
  name: 'search2',
  readOnly: true,
  handle: (request) => {
    const result = run(request);
    const options = mapOptions(request);
    return {
      searchResult2: {
        artist: result.artists.map((artist) => toArtist(artist)),
        album: result.albums.map((album) => toAlbumChild(album, options)),
        song: result.tracks.map((track) => toChild(track, options)),
      },
    };
  },
};

const search3: SubsonicEndpoint = {
  name: 'search3',
  readOnly: true,
  handle: (request) => {
    const result = run(request);
    const options = mapOptions(request);
    return {
      searchResult3: {
        artist: result.artists.map((artist) => toArtistID3(artist, options)),
        album: result.albums.map((album) => toAlbumID3(album, options)),
        song: result.tracks.map((track) => toChild(track, options)),
      },
    };
  },
};

const legacy: SubsonicEndpoint = {
  name: 'search',
  readOnly: true,
  handle: (request) => {
    const offset = request.params.int('offset', { min: 0 }) ?? 0;
    const text = (name: string) => request.params.get(name);
    const newerThan = request.params.int('newerThan', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const result = legacySearch(request.catalog, requestViewer(request), {
      artist: text('artist'),
      album: text('album'),
      title: text('title'),
      any: text('any'),
      count: request.params.int('count', { min: 0 }) ?? 20,
      offset,
      ...(newerThan !== undefined ? { newerThan } : {}),
    });
    const options = mapOptions(request);
    return {
      searchResult: {
        offset,
        totalHits: result.total,
        match: result.tracks.map((track) => toChild(track, options)),
      },
    };
  },
};

export const searchEndpoints: readonly SubsonicEndpoint[] = [legacy, search2, search3];
