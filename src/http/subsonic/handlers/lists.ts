// Album and song lists: getAlbumList(2), getRandomSongs, getSongsByGenre, getStarred(2).
import {
  type AlbumListQuery,
  albumList,
  isAlbumListType,
  randomSongs,
  songsByGenre,
  starredItems,
} from '../../../catalog/lists.ts';
import { TonearmError } from '../../../shared/errors.ts';
import type { SubsonicEndpoint, SubsonicRequest } from '../endpoint.ts';
import { toAlbumChild, toAlbumID3, toArtist, toArtistID3, toChild } from '../mappers.ts';
import { mapOptions, requestViewer } from './browsing.ts';

const MAX_PAGE = 500;

/** size/count: default 10, larger values clamped to 500 as the spec allows (clients ask for more). */
function pageSize(request: SubsonicRequest, name: string): number {
  return Math.min(request.params.int(name, { min: 0 }) ?? 10, MAX_PAGE);
}

function albumListQuery(request: SubsonicRequest): AlbumListQuery {
  const type = request.params.required('type');
  if (!isAlbumListType(type))
    throw new TonearmError('BAD_REQUEST', `unknown album list type: ${type.slice(0, 40)}`);
  const query: AlbumListQuery = {
    type,
    size: pageSize(request, 'size'),
    offset: request.params.int('offset', { min: 0 }) ?? 0,
  };
  if (type === 'byYear') {
    // required() answers 10 when absent, int() 0 when not a number.
    request.params.required('fromYear');
    request.params.required('toYear');
    query.fromYear = request.params.int('fromYear')!;
    query.toYear = request.params.int('toYear')!;
  }
  if (type === 'byGenre') query.genre = request.params.required('genre');
  return query;
}

function handleAlbumList(request: SubsonicRequest) {
  const query = albumListQuery(request);
  const result = albumList(request.db, requestViewer(request), query);
  // Navidrome sends the size of the whole list; some clients use it for paging.
  request.setHeader('x-total-count', String(result.total));
  return result.albums;
}

const getAlbumList: SubsonicEndpoint = {
  name: 'getAlbumList',
  readOnly: true,
  handle: (request) => {
    const albums = handleAlbumList(request);
    const options = mapOptions(request);
    return { albumList: { album: albums.map((album) => toAlbumChild(album, options)) } };
  },
};

const getAlbumList2: SubsonicEndpoint = {
  name: 'getAlbumList2',
  readOnly: true,
  handle: (request) => {
    const albums = handleAlbumList(request);
    const options = mapOptions(request);
    return { albumList2: { album: albums.map((album) => toAlbumID3(album, options)) } };
  },
};

const getRandomSongs: SubsonicEndpoint = {
  name: 'getRandomSongs',
  readOnly: true,
  handle: (request) => {
    const viewer = requestViewer(request);
    const genre = request.params.get('genre');
    const tracks = randomSongs(request.db, viewer, {
      size: pageSize(request, 'size'),
      ...(genre ? { genre } : {}),
      fromYear: request.params.int('fromYear'),
      toYear: request.params.int('toYear'),
    });
    const options = mapOptions(request);
    return { randomSongs: { song: tracks.map((track) => toChild(track, options)) } };
  },
};

const getSongsByGenre: SubsonicEndpoint = {
  name: 'getSongsByGenre',
  readOnly: true,
  handle: (request) => {
    const genre = request.params.required('genre');
    const viewer = requestViewer(request);
    const tracks = songsByGenre(
      request.db,
      viewer,
      genre,
      pageSize(request, 'count'),
      request.params.int('offset', { min: 0 }) ?? 0,
    );
    const options = mapOptions(request);
    return { songsByGenre: { song: tracks.map((track) => toChild(track, options)) } };
  },
};

const getStarred: SubsonicEndpoint = {
  name: 'getStarred',
  readOnly: true,
  handle: (request) => {
    const starred = starredItems(request.db, requestViewer(request));
    const options = mapOptions(request);
    return {
      starred: {
        artist: starred.artists.map((artist) => toArtist(artist)),
        album: starred.albums.map((album) => toAlbumChild(album, options)),
        song: starred.tracks.map((track) => toChild(track, options)),
      },
    };
  },
};

const getStarred2: SubsonicEndpoint = {
  name: 'getStarred2',
  readOnly: true,
  handle: (request) => {
    const starred = starredItems(request.db, requestViewer(request));
    const options = mapOptions(request);
    return {
      starred2: {
        artist: starred.artists.map((artist) => toArtistID3(artist, options)),
        album: starred.albums.map((album) => toAlbumID3(album, options)),
        song: starred.tracks.map((track) => toChild(track, options)),
      },
    };
  },
};

export const listEndpoints: readonly SubsonicEndpoint[] = [
  getAlbumList,
  getAlbumList2,
  getRandomSongs,
  getSongsByGenre,
  getStarred,
  getStarred2,
];
