// Playlist endpoints: getPlaylists, getPlaylist, createPlaylist, updatePlaylist, deletePlaylist.
import {
  createPlaylist as createPlaylistFor,
  deletePlaylist as deletePlaylistFor,
  getPlaylist as getPlaylistFor,
  listPlaylists,
  type Playlist,
  type PlaylistWithTracks,
  updatePlaylist as updatePlaylistFor,
} from '../../../activity/playlists.service.ts';
import type { SubsonicEndpoint, SubsonicRequest } from '../endpoint.ts';
import {
  caller,
  childrenInOrder,
  ids,
  intList,
  isoDate,
  legacy,
  type Payload,
  text,
} from './activity-common.ts';

function playlistPayload(request: SubsonicRequest, playlist: Playlist): Payload {
  return {
    id: playlist.id,
    name: playlist.name,
    comment: playlist.comment,
    owner: playlist.ownerName,
    public: playlist.public,
    songCount: playlist.songCount,
    duration: playlist.duration,
    created: isoDate(playlist.createdAt),
    changed: isoDate(playlist.changedAt),
    coverArt: playlist.coverAlbumId,
    ...(legacy(request) ? {} : { readonly: playlist.readonly }),
  };
}

function withEntries(request: SubsonicRequest, playlist: PlaylistWithTracks): Payload {
  return { ...playlistPayload(request, playlist), entry: childrenInOrder(request, playlist.trackIds) };
}

export const getPlaylists: SubsonicEndpoint = {
  name: 'getPlaylists',
  handle: (request) => {
    const username = request.params.get('username') || undefined;
    const playlists = listPlaylists(request.db, caller(request), username ? { username } : {});
    return { playlists: { playlist: playlists.map((playlist) => playlistPayload(request, playlist)) } };
  },
};

export const getPlaylist: SubsonicEndpoint = {
  name: 'getPlaylist',
  handle: (request) => {
    const id = request.params.required('id');
    return { playlist: withEntries(request, getPlaylistFor(request.db, caller(request), id)) };
  },
};

/** name → a new playlist; playlistId → its whole track list replaced by songId (in order, duplicates kept). */
export const createPlaylist: SubsonicEndpoint = {
  name: 'createPlaylist',
  handle: (request) => {
    const { params } = request;
    const playlistId = params.get('playlistId') || undefined;
    const name = params.get('name') || undefined;
    const playlist = createPlaylistFor(request.db, caller(request), {
      ...(name !== undefined ? { name } : {}),
      ...(playlistId !== undefined ? { playlistId } : {}),
      songIds: ids(params, 'songId'),
    });
    return { playlist: withEntries(request, playlist) };
  },
};

export const updatePlaylist: SubsonicEndpoint = {
  name: 'updatePlaylist',
  handle: (request) => {
    const { params } = request;
    const id = params.required('playlistId');
    const name = text(params, 'name');
    const comment = text(params, 'comment');
    const isPublic = params.bool('public');
    updatePlaylistFor(request.db, caller(request), id, {
      ...(name !== undefined && name !== '' ? { name } : {}),
      ...(comment !== undefined ? { comment } : {}),
      ...(isPublic !== undefined ? { public: isPublic } : {}),
      songIndexesToRemove: intList(params, 'songIndexToRemove', 0, 2_147_483_647),
      songIdsToAdd: ids(params, 'songIdToAdd'),
    });
  },
};

export const deletePlaylist: SubsonicEndpoint = {
  name: 'deletePlaylist',
  handle: (request) => {
    deletePlaylistFor(request.db, caller(request), request.params.required('id'));
  },
};

export const playlistEndpoints: readonly SubsonicEndpoint[] = [
  getPlaylists,
  getPlaylist,
  createPlaylist,
  updatePlaylist,
  deletePlaylist,
];
