// One typed shape per table, as better-sqlite3 really returns it: INTEGER 0/1 for booleans,
// INTEGER epoch milliseconds for timestamps, JSON lists as text.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface LibraryTable {
  id: Generated<number>;
  name: string;
  path: string;
  created_at: number;
  last_scan_at: number | null;
  changed_at: number | null;
}

export interface FolderTable {
  pk: Generated<number>;
  id: string;
  library_id: number;
  parent_id: string | null;
  path: string;
  name: string;
  mtime: number;
  images: string;
  track_count: Generated<number>;
  updated_at: number;
}

export interface ArtistTable {
  pk: Generated<number>;
  id: string;
  name: string;
  sort_name: string;
  order_name: string;
  mbz_artist_id: string | null;
  album_count: Generated<number>;
  song_count: Generated<number>;
  roles: Generated<string>;
  image_library_id: number | null;
  image_path: string | null;
  created_at: number;
  updated_at: number;
}

export interface AlbumTable {
  pk: Generated<number>;
  id: string;
  name: string;
  sort_name: string;
  order_name: string;
  version: Generated<string>;
  artist_id: string;
  artist_name: string;
  order_artist_name: string;
  compilation: Generated<number>;
  mbz_album_id: string | null;
  mbz_release_group_id: string | null;
  year: number | null;
  date: string | null;
  original_date: string | null;
  release_date: string | null;
  release_types: Generated<string>;
  record_labels: Generated<string>;
  genre: string | null;
  song_count: Generated<number>;
  disc_count: Generated<number>;
  duration: Generated<number>;
  size: Generated<number>;
  disc_titles: Generated<string>;
  cover_library_id: number | null;
  cover_path: string | null;
  cover_track_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface TrackTable {
  pk: Generated<number>;
  id: string;
  library_id: number;
  folder_id: string;
  path: string;
  file_size: number;
  file_mtime: number;
  suffix: string;
  content_type: string;
  title: string;
  sort_title: string;
  order_title: string;
  album_id: string;
  album_name: string;
  artist_id: string;
  artist_name: string;
  album_artist_name: string;
  track_number: number | null;
  track_total: number | null;
  disc_number: number;
  disc_total: number | null;
  disc_subtitle: string | null;
  year: number | null;
  date: string | null;
  original_date: string | null;
  release_date: string | null;
  genre: string | null;
  compilation: number;
  duration: number;
  bitrate: number | null;
  sample_rate: number | null;
  bit_depth: number | null;
  channels: number | null;
  codec: string | null;
  lossless: number;
  has_embedded_art: number;
  mbz_recording_id: string | null;
  mbz_track_id: string | null;
  mbz_album_id: string | null;
  isrc: string;
  bpm: number | null;
  comment: string | null;
  rg_track_gain: number | null;
  rg_track_peak: number | null;
  rg_album_gain: number | null;
  rg_album_peak: number | null;
  lyrics: string;
  tags: string;
  created_at: number;
  updated_at: number;
}

export interface TrackArtistTable {
  track_id: string;
  artist_id: string;
  role: string;
  sub_role: string;
  position: number;
}

export interface AlbumArtistTable {
  album_id: string;
  artist_id: string;
  position: number;
}

export interface GenreTable {
  pk: Generated<number>;
  id: string;
  name: string;
  song_count: Generated<number>;
  album_count: Generated<number>;
}

export interface TrackGenreTable {
  track_id: string;
  genre_id: string;
  position: number;
}

export interface AlbumGenreTable {
  album_id: string;
  genre_id: string;
  position: number;
}

export interface LibraryAlbumTable {
  library_id: number;
  album_id: string;
}

export interface LibraryArtistTable {
  library_id: number;
  artist_id: string;
}

export interface ScanIssueTable {
  library_id: number;
  path: string;
  file_size: number;
  file_mtime: number;
  reason: string;
  seen_at: number;
}

export interface UserTable {
  pk: Generated<number>;
  id: string;
  username: string;
  password_hash: string;
  is_admin: number;
  created_at: number;
  updated_at: number;
}

export interface AnnotationTable {
  user_id: string;
  item_id: string;
  play_count: Generated<number>;
  last_played_at: number | null;
  starred_at: number | null;
  rating: number | null;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface DB {
  library: LibraryTable;
  folder: FolderTable;
  artist: ArtistTable;
  album: AlbumTable;
  track: TrackTable;
  track_artist: TrackArtistTable;
  album_artist: AlbumArtistTable;
  genre: GenreTable;
  track_genre: TrackGenreTable;
  album_genre: AlbumGenreTable;
  library_album: LibraryAlbumTable;
  library_artist: LibraryArtistTable;
  scan_issue: ScanIssueTable;
  user: UserTable;
  annotation: AnnotationTable;
  setting: SettingTable;
}

export type LibraryRow = Selectable<LibraryTable>;
export type FolderRow = Selectable<FolderTable>;
export type ArtistRow = Selectable<ArtistTable>;
export type AlbumRow = Selectable<AlbumTable>;
export type TrackRow = Selectable<TrackTable>;
export type NewTrack = Insertable<TrackTable>;
export type TrackUpdate = Updateable<TrackTable>;
export type GenreRow = Selectable<GenreTable>;
export type UserRow = Selectable<UserTable>;
