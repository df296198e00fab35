// Complete catalog rows for tests that write the database directly: the caller names what matters to
// the test, every other NOT NULL column gets a plain default and every nullable column is null.
import type { Insertable } from 'kysely';
import type { AlbumTable, ArtistTable, FolderTable, TrackTable } from '../../src/db/schema.ts';

type Row<Table, Required extends keyof Insertable<Table>> = Pick<Insertable<Table>, Required> &
  Partial<Insertable<Table>>;

export function folderRow(
  values: Row<FolderTable, 'id' | 'library_id' | 'path' | 'name'>,
  now: number,
): Insertable<FolderTable> {
  return { parent_id: null, mtime: now, images: '[]', updated_at: now, ...values };
}

export function artistRow(values: Row<ArtistTable, 'id' | 'name'>, now: number): Insertable<ArtistTable> {
  const sortName = values.sort_name ?? values.name;
  return {
    sort_name: sortName,
    order_name: sortName.toLowerCase(),
    mbz_artist_id: null,
    image_library_id: null,
    image_path: null,
    created_at: now,
    updated_at: now,
    ...values,
  };
}

export function albumRow(
  values: Row<AlbumTable, 'id' | 'name' | 'artist_id' | 'artist_name'>,
  now: number,
): Insertable<AlbumTable> {
  return {
    sort_name: values.name,
    order_name: values.name.toLowerCase(),
    order_artist_name: values.artist_name.toLowerCase(),
    mbz_album_id: null,
    mbz_release_group_id: null,
    year: null,
    date: null,
    original_date: null,
    release_date: null,
    genre: null,
    cover_library_id: null,
    cover_path: null,
    cover_track_id: null,
    created_at: now,
    updated_at: now,
    ...values,
  };
}

export function trackRow(
  values: Row<
    TrackTable,
    | 'id'
    | 'library_id'
    | 'folder_id'
    | 'path'
    | 'title'
    | 'album_id'
    | 'album_name'
    | 'artist_id'
    | 'artist_name'
    | 'album_artist_name'
  >,
  now: number,
): Insertable<TrackTable> {
  return {
    file_size: 1000,
    file_mtime: now,
    suffix: 'flac',
    content_type: 'audio/flac',
    sort_title: values.title,
    order_title: values.title.toLowerCase(),
    track_number: null,
    track_total: null,
    disc_number: 1,
    disc_total: null,
    disc_subtitle: null,
    year: null,
    date: null,
    original_date: null,
    release_date: null,
    genre: null,
    compilation: 0,
    duration: 200,
    bitrate: null,
    sample_rate: null,
    bit_depth: null,
    channels: null,
    codec: null,
    lossless: 1,
    has_embedded_art: 0,
    mbz_recording_id: null,
    mbz_track_id: null,
    mbz_album_id: null,
    isrc: '[]',
    bpm: null,
    comment: null,
    rg_track_gain: null,
    rg_track_peak: null,
    rg_album_gain: null,
    rg_album_peak: null,
    lyrics: '[]',
    tags: '{}',
    created_at: now,
    updated_at: now,
    ...values,
  };
}
