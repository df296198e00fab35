// Artist and album information, similar and top songs, lyrics: all from local data. Similar artists and
// songs come from the server's own listening (src/insights), with shared genres when nobody listened yet.

import { viewerFor } from '../../../catalog/access.ts';
import { getArtist } from '../../../catalog/browse.ts';
import {
  artistIdByName,
  plainLyrics,
  resolveAlbum,
  resolveArtist,
  songLyrics,
  topSongs,
} from '../../../catalog/info.ts';
import { radioBatch, type SeedType } from '../../../insights/radio.ts';
import { similarArtists } from '../../../insights/recommendations.ts';
import type { SubsonicEndpoint, SubsonicRequest } from '../endpoint.ts';
import { toArtist, toArtistID3, toChild } from '../mappers.ts';
import { mapOptions } from './browsing.ts';

/**
 * ArtistInfo/AlbumInfo fields are child elements with text in XML but plain strings in JSON; the
 * serializer turns scalars into attributes, so XML gets `{ value }` objects.
 */
function textElement(request: SubsonicRequest, text: string): unknown {
  return request.format.kind === 'xml' ? { value: text } : text;
}

function artistInfo(request: SubsonicRequest, id3: boolean) {
  const viewer = viewerFor(request.catalog, request.user!);
  const artist = resolveArtist(request.db, viewer, request.params.required('id'));
  const count = request.params.int('count', { min: 0 }) ?? 20;
  request.params.bool('includeNotPresent'); // validated; only artists present in the library are known
  const options = mapOptions(request);
  const similar = similarArtists(request.db, viewer, artist.id, count);
  // Every info field is sent, empty when unknown: strict clients map them to non-optional strings.
  // In XML they come in the schema's order, before similarArtist.
  return {
    biography: textElement(request, ''),
    musicBrainzId: textElement(request, artist.mbzArtistId ?? ''),
    lastFmUrl: textElement(request, ''),
    smallImageUrl: textElement(request, ''),
    mediumImageUrl: textElement(request, ''),
    largeImageUrl: textElement(request, ''),
    similarArtist: similar.map((item) => (id3 ? toArtistID3(item, options) : toArtist(item))),
  };
}

const getArtistInfo: SubsonicEndpoint = {
  name: 'getArtistInfo',
  readOnly: true,
  handle: (request) => ({ artistInfo: artistInfo(request, false) }),
};
const getArtistInfo2: SubsonicEndpoint = {
  name: 'getArtistInfo2',
  readOnly: true,
  handle: (request) => ({ artistInfo2: artistInfo(request, true) }),
};

function albumInfo(request: SubsonicRequest) {
  const album = resolveAlbum(
    request.db,
    viewerFor(request.catalog, request.user!),
    request.params.required('id'),
  );
  return {
    albumInfo: {
      notes: textElement(request, ''),
      musicBrainzId: textElement(request, album.mbzAlbumId ?? ''),
      lastFmUrl: textElement(request, ''),
      smallImageUrl: textElement(request, ''),
      mediumImageUrl: textElement(request, ''),
      largeImageUrl: textElement(request, ''),
    },
  };
}

// Both answer under `albumInfo`, as the spec says.
const getAlbumInfo: SubsonicEndpoint = { name: 'getAlbumInfo', readOnly: true, handle: albumInfo };
const getAlbumInfo2: SubsonicEndpoint = { name: 'getAlbumInfo2', readOnly: true, handle: albumInfo };

const SEED_TYPES: Record<string, SeedType> = { 'ar-': 'artist', 'al-': 'album', 'tr-': 'track' };

/** A batch of radio from the song, album or artist (clients call it again and again for an endless radio). */
function similar(request: SubsonicRequest) {
  const id = request.params.required('id');
  const tracks = radioBatch(
    request.db,
    viewerFor(request.catalog, request.user!),
    { type: SEED_TYPES[id.slice(0, 3)] ?? 'track', id },
    request.params.int('count', { min: 0, max: 500 }) ?? 50,
  );
  const options = mapOptions(request);
  return { song: tracks.map((track) => toChild(track, options)) };
}

const getSimilarSongs: SubsonicEndpoint = {
  name: 'getSimilarSongs',
  readOnly: true,
  handle: (request) => ({ similarSongs: similar(request) }),
};
const getSimilarSongs2: SubsonicEndpoint = {
  name: 'getSimilarSongs2',
  readOnly: true,
  handle: (request) => ({ similarSongs2: similar(request) }),
};

const getTopSongs: SubsonicEndpoint = {
  name: 'getTopSongs',
  readOnly: true,
  handle: (request) => {
    const viewer = viewerFor(request.catalog, request.user!);
    const count = request.params.int('count', { min: 0, max: 500 }) ?? 50;
    const options = mapOptions(request);
    // topSongsByArtistId: `id` wins over `artist`.
    const id = request.params.get('id');
    let artistId: string | undefined;
    if (id) artistId = getArtist(request.db, viewer, id).id;
    else {
      // An unknown artist name is no error: the list is just empty, as on other servers.
      artistId = artistIdByName(request.db, request.params.required('artist'));
    }
    const tracks = artistId ? topSongs(request.db, viewer, artistId, count) : [];
    return { topSongs: { song: tracks.map((track) => toChild(track, options)) } };
  },
};

const getLyrics: SubsonicEndpoint = {
  name: 'getLyrics',
  readOnly: true,
  handle: (request) => {
    const artist = request.params.get('artist');
    const title = request.params.get('title');
    const found = plainLyrics(request.catalog, viewerFor(request.catalog, request.user!), artist, title);
    // Nothing found is still a `lyrics` with text: a client library reading `value` crashes on `{}`.
    if (!found) return { lyrics: { artist: artist || undefined, title: title || undefined, value: '' } };
    return { lyrics: { artist: found.artist, title: found.title, value: found.text } };
  },
};

const getLyricsBySongId: SubsonicEndpoint = {
  name: 'getLyricsBySongId',
  readOnly: true,
  handle: (request) => {
    const sets = songLyrics(
      request.db,
      viewerFor(request.catalog, request.user!),
      request.params.required('id'),
    );
    request.params.bool('enhanced'); // v2 is not offered; the v1 answer is right for both
    return {
      lyricsList: {
        structuredLyrics: sets.map((set) => ({
          displayArtist: set.displayArtist,
          displayTitle: set.displayTitle,
          lang: set.lang || 'und',
          offset: set.offset,
          synced: set.synced,
          line: set.lines.map((line) =>
            set.synced && line.start !== undefined
              ? { start: line.start, value: line.value }
              : { value: line.value },
          ),
        })),
      },
    };
  },
};

export const mediaInfoEndpoints: readonly SubsonicEndpoint[] = [
  getArtistInfo,
  getArtistInfo2,
  getAlbumInfo,
  getAlbumInfo2,
  getSimilarSongs,
  getSimilarSongs2,
  getTopSongs,
  getLyrics,
  getLyricsBySongId,
];
