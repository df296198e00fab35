// Browsing endpoints: music folders, folder indexes and directories, artists, albums, songs, genres.
// Thin: parse parameters, call one catalog function with the caller as a Viewer, map with mappers.ts.
import { lastModified, narrowViewer, viewerFor, visibleLibraries } from '../../../catalog/access.ts';
import {
  albumTracks,
  artistAlbums,
  artistIndex,
  getAlbum,
  getArtist,
  getTrack,
  listGenres,
} from '../../../catalog/browse.ts';
import { type FolderEntry, folderDirectory, folderIndex, isFolderId } from '../../../catalog/folders.ts';
import type { Viewer } from '../../../catalog/model.ts';
import { TonearmError } from '../../../shared/errors.ts';
import type { SubsonicEndpoint, SubsonicRequest } from '../endpoint.ts';
import {
  isLegacyClient,
  isoDate,
  type MapOptions,
  toAlbumChild,
  toAlbumID3,
  toArtistID3,
  toChild,
} from '../mappers.ts';
import { transcodedAs } from '../transcoded-as.ts';

/**
 * The caller as a catalog Viewer. The accounts module adds `libraryIds` to User; until it does, a missing
 * field means every library. This is the one place that reads it.
 */
/** The caller's viewer, narrowed to `musicFolderId` when given (70 when that library is not theirs). */
export function requestViewer(request: SubsonicRequest): Viewer {
  const viewer = viewerFor(request.catalog, request.user!);
  return narrowViewer(request.db, viewer, request.params.int('musicFolderId'));
}

export function mapOptions(request: SubsonicRequest): MapOptions {
  return { legacy: isLegacyClient(request.client), transcodedAs: transcodedAs(request) };
}

function ignoredArticles(request: SubsonicRequest): string {
  return request.config.scanner.ignoredArticles;
}

const getMusicFolders: SubsonicEndpoint = {
  name: 'getMusicFolders',
  readOnly: true,
  cacheable: true,
  handle: (request) => ({
    musicFolders: {
      musicFolder: visibleLibraries(request.db, viewerFor(request.catalog, request.user!)).map((library) => ({
        id: library.id,
        name: library.name,
      })),
    },
  }),
};

/** A folder as the folder-mode Artist type (index entries). */
function folderAsArtist(folder: FolderEntry): Record<string, unknown> {
  return {
    id: folder.id,
    name: folder.name,
    starred: isoDate(folder.annotation.starredAt),
    userRating: folder.annotation.rating ?? undefined,
  };
}

/** A folder as a directory Child (isDir true; the cover of an album below it stands for it). */
function folderAsChild(folder: FolderEntry): Record<string, unknown> {
  return {
    id: folder.id,
    parent: folder.parentId ?? undefined,
    isDir: true,
    title: folder.name,
    coverArt: folder.albumId ?? undefined,
    starred: isoDate(folder.annotation.starredAt),
    userRating: folder.annotation.rating ?? undefined,
    playCount: folder.annotation.playCount,
  };
}

const getIndexes: SubsonicEndpoint = {
  name: 'getIndexes',
  readOnly: true,
  cacheable: true,
  handle: (request) => {
    const viewer = requestViewer(request);
    const articles = ignoredArticles(request);
    const modified = lastModified(request.db, viewer);
    // ms epoch: larger than int32, so the range is the safe-integer one.
    const since = request.params.int('ifModifiedSince', { min: 0, max: Number.MAX_SAFE_INTEGER });
    if (since !== undefined && since >= modified)
      return { indexes: { lastModified: modified, ignoredArticles: articles } };
    const index = folderIndex(request.db, viewer, articles, modified);
    const options = mapOptions(request);
    return {
      indexes: {
        lastModified: index.lastModified,
        ignoredArticles: articles,
        shortcut: [],
        index: index.index.map((group) => ({ name: group.name, artist: group.folders.map(folderAsArtist) })),
        child: index.tracks.map((track) => toChild(track, options)),
      },
    };
  },
};

const getMusicDirectory: SubsonicEndpoint = {
  name: 'getMusicDirectory',
  readOnly: true,
  handle: (request) => {
    const id = request.params.required('id');
    const viewer = viewerFor(request.catalog, request.user!);
    const options = mapOptions(request);
    // Clients that mix folder and tag browsing send album and artist ids here too.
    if (id.startsWith('al-')) {
      const album = getAlbum(request.db, viewer, id);
      return {
        directory: {
          id: album.id,
          parent: album.artistId,
          name: album.name,
          starred: isoDate(album.annotation.starredAt),
          userRating: album.annotation.rating ?? undefined,
          playCount: album.annotation.playCount,
          child: albumTracks(request.db, viewer, id).map((track) => ({
            ...toChild(track, options),
            parent: album.id,
          })),
        },
      };
    }
    if (id.startsWith('ar-')) {
      const artist = getArtist(request.db, viewer, id);
      return {
        directory: {
          id: artist.id,
          name: artist.name,
          starred: isoDate(artist.annotation.starredAt),
          userRating: artist.annotation.rating ?? undefined,
          child: artistAlbums(request.db, viewer, id).map((album) => ({
            ...toAlbumChild(album, options),
            parent: artist.id,
          })),
        },
      };
    }
    if (!isFolderId(id)) return notFound(id);
    const directory = folderDirectory(request.db, viewer, id);
    return {
      directory: {
        id: directory.folder.id,
        parent: directory.isRoot ? undefined : (directory.folder.parentId ?? undefined),
        name: directory.folder.name,
        starred: isoDate(directory.folder.annotation.starredAt),
        userRating: directory.folder.annotation.rating ?? undefined,
        playCount: directory.folder.annotation.playCount,
        child: [
          ...directory.folders.map(folderAsChild),
          ...directory.tracks.map((track) => toChild(track, options)),
        ],
      },
    };
  },
};

function notFound(id: string): never {
  throw new TonearmError('NOT_FOUND', `directory not found: ${id}`);
}

const getArtists: SubsonicEndpoint = {
  name: 'getArtists',
  readOnly: true,
  cacheable: true,
  handle: (request) => {
    const viewer = requestViewer(request);
    const options = mapOptions(request);
    return {
      artists: {
        ignoredArticles: ignoredArticles(request),
        // Navidrome's extra attribute; not in the XSD, so legacy clients go without it.
        lastModified: options.legacy ? undefined : lastModified(request.db, viewer),
        index: artistIndex(request.db, viewer).map((group) => ({
          name: group.name,
          artist: group.artists.map((artist) => toArtistID3(artist, options)),
        })),
      },
    };
  },
};

const getArtistEndpoint: SubsonicEndpoint = {
  name: 'getArtist',
  readOnly: true,
  handle: (request) => {
    const id = request.params.required('id');
    const viewer = viewerFor(request.catalog, request.user!);
    const options = mapOptions(request);
    const artist = getArtist(request.db, viewer, id);
    return {
      artist: {
        ...toArtistID3(artist, options),
        album: artistAlbums(request.db, viewer, id).map((album) => toAlbumID3(album, options)),
      },
    };
  },
};

const getAlbumEndpoint: SubsonicEndpoint = {
  name: 'getAlbum',
  readOnly: true,
  handle: (request) => {
    const id = request.params.required('id');
    const viewer = viewerFor(request.catalog, request.user!);
    const options = mapOptions(request);
    const album = getAlbum(request.db, viewer, id);
    return {
      album: {
        ...toAlbumID3(album, options),
        song: albumTracks(request.db, viewer, id).map((track) => toChild(track, options)),
      },
    };
  },
};

const getSong: SubsonicEndpoint = {
  name: 'getSong',
  readOnly: true,
  handle: (request) => ({
    song: toChild(
      getTrack(request.db, viewerFor(request.catalog, request.user!), request.params.required('id')),
      mapOptions(request),
    ),
  }),
};

const getGenres: SubsonicEndpoint = {
  name: 'getGenres',
  readOnly: true,
  cacheable: true,
  handle: (request) => ({
    genres: {
      genre: listGenres(request.db, requestViewer(request)).map((genre) => ({
        songCount: genre.songCount,
        albumCount: genre.albumCount,
        value: genre.name,
      })),
    },
  }),
};

export const browsingEndpoints: readonly SubsonicEndpoint[] = [
  getMusicFolders,
  getIndexes,
  getMusicDirectory,
  getArtists,
  getArtistEndpoint,
  getAlbumEndpoint,
  getSong,
  getGenres,
];
