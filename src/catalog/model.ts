// The catalog as the rest of the server sees it: plain domain objects, never table rows. Both APIs
// (Subsonic and native) serialise these; nothing outside src/catalog reads catalog tables directly.

export interface ArtistRef {
  id: string;
  name: string;
}

/** One user's marks on an item. */
export interface Annotation {
  starredAt: number | null;
  rating: number | null;
  playCount: number;
  playedAt: number | null;
}

export const NO_ANNOTATION: Annotation = Object.freeze({
  starredAt: null,
  rating: null,
  playCount: 0,
  playedAt: null,
});

/** Who is looking: their id (for annotations) and the libraries they may see (undefined = all). */
export interface Viewer {
  userId: string;
  libraryIds: readonly number[] | undefined;
}

export interface ReplayGain {
  trackGain: number | null;
  trackPeak: number | null;
  albumGain: number | null;
  albumPeak: number | null;
}

export interface Contributor {
  role: string;
  subRole: string;
  artist: ArtistRef;
}

export interface Track {
  id: string;
  libraryId: number;
  folderId: string;
  path: string;
  title: string;
  sortTitle: string;
  suffix: string;
  contentType: string;
  fileSize: number;
  duration: number;
  bitrate: number | null;
  sampleRate: number | null;
  bitDepth: number | null;
  channels: number | null;
  codec: string | null;
  lossless: boolean;
  albumId: string;
  albumName: string;
  albumArtistName: string;
  albumArtists: ArtistRef[];
  artistId: string;
  artistName: string;
  artists: ArtistRef[];
  contributors: Contributor[];
  trackNumber: number | null;
  discNumber: number;
  discSubtitle: string | null;
  year: number | null;
  genre: string | null;
  genres: string[];
  compilation: boolean;
  coverArtId: string;
  mbzRecordingId: string | null;
  isrc: string[];
  bpm: number | null;
  comment: string | null;
  moods: string[];
  replayGain: ReplayGain;
  hasLyrics: boolean;
  createdAt: number;
  updatedAt: number;
  annotation: Annotation;
}

export interface DiscTitle {
  disc: number;
  title: string;
}

export interface Album {
  id: string;
  name: string;
  sortName: string;
  version: string;
  artistId: string;
  artistName: string;
  artists: ArtistRef[];
  compilation: boolean;
  mbzAlbumId: string | null;
  year: number | null;
  date: string | null;
  originalDate: string | null;
  releaseDate: string | null;
  releaseTypes: string[];
  recordLabels: string[];
  genre: string | null;
  genres: string[];
  songCount: number;
  discCount: number;
  duration: number;
  size: number;
  discTitles: DiscTitle[];
  coverArtId: string;
  hasCover: boolean;
  /** The folder that holds the album (the first track's album folder), for folder-style answers. */
  folderId: string | null;
  createdAt: number;
  updatedAt: number;
  annotation: Annotation;
}

export interface Artist {
  id: string;
  name: string;
  sortName: string;
  orderName: string;
  mbzArtistId: string | null;
  albumCount: number;
  songCount: number;
  roles: string[];
  coverArtId: string;
  hasImage: boolean;
  annotation: Annotation;
}

export interface MusicFolder {
  id: number;
  name: string;
}

export const ALBUM_LIST_TYPES = [
  'random',
  'newest',
  'highest',
  'frequent',
  'recent',
  'alphabeticalByName',
  'alphabeticalByArtist',
  'starred',
  'byYear',
  'byGenre',
] as const;
export type AlbumListType = (typeof ALBUM_LIST_TYPES)[number];

export interface AlbumListQuery {
  type: AlbumListType;
  size: number;
  offset: number;
  /** byYear: both required by the handler; fromYear > toYear lists newest first. */
  fromYear?: number;
  toYear?: number;
  /** byGenre: the genre name as getGenres returns it. */
  genre?: string;
}

export interface Genre {
  name: string;
  songCount: number;
  albumCount: number;
}
