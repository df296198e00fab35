// What other modules ask the catalog, as named queries over its repositories: whether ids exist in the
// libraries a user may see and facts about tracks (activity), an album's tracks in play order (shares),
// a track by its path (playlist import), and the files behind tracks, albums, artists and folders
// (playback, archives, artwork). Other modules import this file, never the repositories behind it.
export {
  type AlbumCover,
  albumCover,
  coveredAlbumsOfArtist,
  existingAlbumIds,
} from './albums.repository.ts';
export { type ArtistImage, artistImage, artistName, existingArtistIds } from './artists.repository.ts';
export { existingFolderIds, type FolderPlace, firstAlbumBelow, folderPlace } from './folders.repository.ts';
export { libraryRoot } from './libraries.repository.ts';
export {
  type ArchiveTrack,
  albumArchiveTracks,
  albumIdsOfTracks,
  archiveTracksBelow,
  archiveTracksByIds,
  artistArchiveTracks,
  markTrackMissing,
  otherTrackWithArt,
  type PlaybackTrack,
  type TrackArt,
  trackArt,
  trackForPlayback,
} from './track-files.repository.ts';
export {
  albumTrackIds,
  findTrackFacts,
  type TrackFacts,
  trackCount,
  trackIdByPath,
} from './tracks.repository.ts';
export type { LibraryScope } from './visibility.repository.ts';
