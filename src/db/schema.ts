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
  /** st_dev of the root folder at the last good scan (text: dev_t is 64-bit); NULL before the first. */
  device: Generated<string | null>;
  /** Set while the library looks unavailable (unmounted, emptied, another disk); its catalog is kept. */
  offline_since: Generated<number | null>;
  offline_reason: Generated<string | null>;
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
  /** The first track's folder (migration 0005). */
  folder_id: string | null;
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
  /** When a stream found the file gone (ms epoch); cleared by the next scan that sees it. */
  missing_since: number | null;
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
  // Accounts (migration 0002): profile, Subsonic roles (0/1), recoverable password for token auth.
  email: Generated<string>;
  settings_role: Generated<number>;
  stream_role: Generated<number>;
  jukebox_role: Generated<number>;
  download_role: Generated<number>;
  upload_role: Generated<number>;
  playlist_role: Generated<number>;
  cover_art_role: Generated<number>;
  comment_role: Generated<number>;
  podcast_role: Generated<number>;
  share_role: Generated<number>;
  video_conversion_role: Generated<number>;
  scrobbling_enabled: Generated<number>;
  max_bit_rate: Generated<number>;
  avatar_changed_at: number | null;
  password_enc: string | null;
  // Security (migration 0009): TOTP (sealed secrets), when the password last changed.
  totp_secret_enc: Generated<string | null>;
  totp_enabled_at: Generated<number | null>;
  totp_pending_enc: Generated<string | null>;
  /** The time step of the last TOTP code accepted; that step and earlier ones are refused (replay). */
  totp_last_step: Generated<number | null>;
  password_changed_at: Generated<number | null>;
  first_login_at: Generated<number | null>;
  // Privacy (migration 0015): whether one's listening counts in others' recommendations and trends, and
  // whether admins may see one's history in detail.
  share_listening: Generated<number>;
  history_visible_to_admins: Generated<number>;
}

// Sessions, two-factor, identities and the audit log (migration 0009).
export interface SessionTable {
  id: string;
  user_id: string;
  /** How the session was opened: password, oidc, setup. */
  method: string;
  device: Generated<string>;
  address: Generated<string>;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export interface RefreshTokenTable {
  token_hash: string;
  session_id: string;
  created_at: number;
  rotated_at: number | null;
}

export interface RecoveryCodeTable {
  user_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface UserIdentityTable {
  provider: string;
  subject: string;
  user_id: string;
  created_at: number;
  last_login_at: number | null;
}

// Listening history (migration 0012): players' events as sent, and the listens derived from them.
export interface ListeningEventTable {
  pk: Generated<number>;
  user_id: string;
  /** The client's own id of the event: a retried batch is recognised and counts once. */
  event_id: string;
  schema_version: number;
  track_id: string;
  type: 'start' | 'pause' | 'resume' | 'seek' | 'skip' | 'complete' | 'stop';
  position_ms: number;
  listened_ms: number;
  at: number;
  player: string;
  source: string;
  received_at: number;
}

export interface ListenTable {
  pk: Generated<number>;
  user_id: string;
  track_id: string;
  player: string;
  started_at: number;
  last_event_at: number;
  ended_at: number | null;
  listened_ms: number;
  position_ms: number;
  duration_ms: number;
  end_type: 'complete' | 'skip' | 'stop' | 'next' | 'timeout' | null;
  outcome: 'play' | 'skip' | 'partial' | 'ignored' | null;
  source: string;
}

// Notifications (migration 0014): messages for one user, kept until read (src/activity/follows.ts).
export interface NotificationTable {
  id: string;
  user_id: string;
  kind: string;
  subject_type: 'track' | 'album' | 'artist' | 'upload';
  subject_id: string;
  title: string;
  message: string;
  created_at: number;
  read_at: number | null;
}

// Insights (migration 0015, docs/insights.md).
export interface ListenStatTable {
  user_id: string;
  track_id: string;
  listens: number;
  plays: number;
  skips: number;
  listened_ms: number;
  first_played_at: number | null;
  last_played_at: number | null;
  last_listen_at: number;
}

export interface ListenHourTable {
  user_id: string;
  /** Hours since the epoch (UTC). */
  hour: number;
  listens: number;
  plays: number;
  skips: number;
  listened_ms: number;
}

export interface ListenTotalTable {
  user_id: string;
  listens: number;
  plays: number;
  skips: number;
  listened_ms: number;
  last_listen_at: number;
}

export interface InsightItemTable {
  pk: Generated<number>;
  track_id: string;
  album_id: string | null;
  artist_id: string | null;
}

export interface PlayTimelineTable {
  user_pk: number;
  started_at: number;
  item_pk: number;
}

export interface InsightDirtyTable {
  listen_pk: number;
}

export interface TrackSimilarTable {
  track_id: string;
  similar_id: string;
  score: number;
  computed_at: number;
}

export interface ArtistSimilarTable {
  artist_id: string;
  similar_id: string;
  score: number;
  computed_at: number;
}

export interface InsightTotalTable {
  kind: 'track' | 'album' | 'artist';
  subject_id: string;
  listens: number;
  plays: number;
  skips: number;
  listened_ms: number;
  listeners: number;
}

export interface TrendTable {
  period: 'day' | 'week' | 'month';
  kind: 'track' | 'album' | 'artist';
  rank: number;
  subject_id: string;
  score: number;
  plays: number;
  listeners: number;
  computed_at: number;
}

export interface UserMixTable {
  user_id: string;
  position: number;
  title: string;
  description: string;
  /** JSON array of artist ids. */
  seed_artist_ids: string;
  /** JSON array of track ids. */
  track_ids: string;
  created_at: number;
}

export interface StationTable {
  id: string;
  user_id: string;
  seed_type: 'track' | 'album' | 'artist' | 'genre';
  seed_id: string;
  title: string;
  created_at: number;
  used_at: number;
}

export interface StationTrackTable {
  station_id: string;
  track_id: string;
  position: number;
}

// Background jobs (migration 0013, src/jobs/queue.ts).
export interface JobTable {
  id: Generated<number>;
  kind: string;
  key: Generated<string>;
  state: 'queued' | 'running' | 'done' | 'failed';
  payload: Generated<string>;
  checkpoint: string | null;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: number;
  started_at: number | null;
  finished_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

// Uploads (migration 0011): who uploaded which file of a library's upload folder.
export interface UploadTable {
  id: string;
  user_id: string;
  library_id: number;
  /** Relative to the library root, '/' separated (as track.path). */
  path: string;
  /** The name the client sent. */
  original_name: string;
  size: number;
  /** Of the content as read (not as the client declared it). */
  content_type: string;
  created_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  event: string;
  /** success or failure */
  outcome: string;
  user_id: string | null;
  username: Generated<string>;
  actor_id: string | null;
  actor_name: Generated<string>;
  address: Generated<string>;
  /** JSON object */
  detail: Generated<string>;
}

export interface UserLibraryTable {
  user_id: string;
  library_id: number;
}

export interface ApiKeyTable {
  id: string;
  user_id: string;
  name: Generated<string>;
  key_hash: string;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
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

// Activity (migration 0003): events, playlists, queue, bookmarks, shares, radio, chat.
export interface PlayEventTable {
  id: Generated<number>;
  user_id: string;
  track_id: string;
  played_at: number;
  client: Generated<string>;
  source: string;
}

export interface PlaylistTable {
  pk: Generated<number>;
  id: string;
  owner_id: string;
  name: string;
  comment: Generated<string>;
  public: Generated<number>;
  created_at: number;
  changed_at: number;
  library_id: number | null;
  source_path: string | null;
  source_mtime: number | null;
}

export interface PlaylistTrackTable {
  playlist_id: string;
  position: number;
  track_id: string;
}

export interface PlayQueueTable {
  user_id: string;
  track_ids: string;
  current_index: number | null;
  position_ms: Generated<number>;
  changed_at: number;
  changed_by: Generated<string>;
}

export interface BookmarkTable {
  user_id: string;
  track_id: string;
  position_ms: number;
  comment: Generated<string>;
  created_at: number;
  changed_at: number;
}

export interface ShareTable {
  pk: Generated<number>;
  id: string;
  user_id: string;
  description: Generated<string>;
  created_at: number;
  expires_at: number | null;
  last_visited_at: number | null;
  visit_count: Generated<number>;
}

export interface ShareItemTable {
  share_id: string;
  position: number;
  track_id: string;
}

export interface RadioStationTable {
  pk: Generated<number>;
  id: string;
  name: string;
  stream_url: string;
  homepage_url: string | null;
  created_at: number;
  updated_at: number;
}

export interface ChatMessageTable {
  id: Generated<number>;
  user_id: string;
  message: string;
  created_at: number;
}

// Streaming (migration 0007): players and the admin's transcode profiles.
export interface PlayerTable {
  id: string;
  user_id: string;
  client: string;
  user_agent: string;
  name: Generated<string>;
  max_bit_rate: Generated<number>;
  format: Generated<string>;
  last_seen_at: number;
  last_address: Generated<string>;
  created_at: number;
}

export interface TranscodeProfileTable {
  name: string;
  suffix: string;
  content_type: string;
  codec: string;
  lossless: Generated<number>;
  default_bit_rate: Generated<number>;
  max_bit_rate: Generated<number>;
  /** JSON array of ffmpeg output arguments. */
  arguments: string;
  updated_at: number;
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
  user_library: UserLibraryTable;
  api_key: ApiKeyTable;
  annotation: AnnotationTable;
  setting: SettingTable;
  session: SessionTable;
  refresh_token: RefreshTokenTable;
  recovery_code: RecoveryCodeTable;
  user_identity: UserIdentityTable;
  audit_log: AuditLogTable;
  upload: UploadTable;
  listening_event: ListeningEventTable;
  listen: ListenTable;
  job: JobTable;
  notification: NotificationTable;
  listen_stat: ListenStatTable;
  listen_hour: ListenHourTable;
  listen_total: ListenTotalTable;
  insight_dirty: InsightDirtyTable;
  insight_item: InsightItemTable;
  play_timeline: PlayTimelineTable;
  track_similar: TrackSimilarTable;
  artist_similar: ArtistSimilarTable;
  insight_total: InsightTotalTable;
  trend: TrendTable;
  user_mix: UserMixTable;
  station: StationTable;
  station_track: StationTrackTable;
  play_event: PlayEventTable;
  playlist: PlaylistTable;
  playlist_track: PlaylistTrackTable;
  play_queue: PlayQueueTable;
  bookmark: BookmarkTable;
  share: ShareTable;
  share_item: ShareItemTable;
  radio_station: RadioStationTable;
  chat_message: ChatMessageTable;
  player: PlayerTable;
  transcode_profile: TranscodeProfileTable;
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
export type ApiKeyRow = Selectable<ApiKeyTable>;
