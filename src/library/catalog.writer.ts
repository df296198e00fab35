// The scanner's write side, one track at a time: writes a track with its artist and genre links,
// creating the artists, album and genres it names, and notes in the dirty sets what the catalog refresh
// must rebuild. The statements live in tracks-write.repository.ts and catalog-write.repository.ts;
// callers own the transactions.
import type { Database } from '../db/database.ts';
import { insertAlbumIfNew, insertArtistIfNew, insertGenreIfNew } from './catalog-write.repository.ts';
import { VARIOUS_ARTISTS } from './grouping.ts';
import { artistId, genreId, orderName } from '../music/identity.ts';
import type { ReadTrack } from './tags.ts';
import {
  albumNameAndTagsOf,
  artistLinksOf,
  deleteTrackLinks,
  deleteTrack as deleteTrackRow,
  type ExistingTrack,
  genreLinksOf,
  insertArtistLinks,
  insertGenreLinks,
  insertTrack,
  linkedArtistIds,
  reidentifyTrackRow,
  updateTrack,
} from './tracks-write.repository.ts';

export type { ExistingTrack } from './tracks-write.repository.ts';

export interface TrackLinkArtist {
  name: string;
  role: string;
  subRole?: string;
  sortName?: string | null;
}

/** Values that go to the track row as they were read from the file. */
type ReadValues = Pick<
  ReadTrack,
  | 'trackTotal'
  | 'discTotal'
  | 'discSubtitle'
  | 'year'
  | 'date'
  | 'originalDate'
  | 'releaseDate'
  | 'duration'
  | 'bitrate'
  | 'sampleRate'
  | 'bitDepth'
  | 'channels'
  | 'codec'
  | 'lossless'
  | 'mbzRecordingId'
  | 'mbzTrackId'
  | 'mbzAlbumId'
  | 'isrc'
  | 'bpm'
  | 'comment'
  | 'trackGain'
  | 'trackPeak'
  | 'albumGain'
  | 'albumPeak'
  | 'lyrics'
>;

/** A complete track row as the scanner computed it, ids included. */
export interface TrackWrite extends ReadValues {
  id: string;
  libraryId: number;
  folderId: string;
  path: string;
  fileSize: number;
  fileMtime: number;
  suffix: string;
  contentType: string;
  title: string;
  sortTitle: string;
  albumId: string;
  albumName: string;
  albumSortName: string;
  albumArtists: string[];
  albumArtistDisplay: string;
  albumArtistSort: string | null;
  artistDisplay: string;
  artists: TrackLinkArtist[];
  genres: string[];
  trackNumber: number | null;
  discNumber: number;
  compilation: boolean;
  hasEmbeddedArt: boolean;
  tags: Record<string, unknown>;
}

export interface DirtySets {
  albums: Set<string>;
  artists: Set<string>;
  trackPks: Set<number>;
  albumPks: Set<number>;
  artistPks: Set<number>;
}

export function emptyDirtySets(): DirtySets {
  return {
    albums: new Set(),
    artists: new Set(),
    trackPks: new Set(),
    albumPks: new Set(),
    artistPks: new Set(),
  };
}

export class CatalogWriter {
  private readonly db: Database;
  private readonly articles: readonly string[];

  constructor(db: Database, articles: readonly string[]) {
    this.db = db;
    this.articles = articles;
  }

  private ensureArtist(
    name: string,
    sortName: string | null | undefined,
    now: number,
    dirty: DirtySets,
  ): string {
    const id = artistId(name);
    const sort = sortName?.trim() || name;
    const pk = insertArtistIfNew(
      this.db,
      { id, name, sort_name: sort, order_name: orderName(sortName?.trim() || name, this.articles) },
      now,
    );
    if (pk !== undefined) dirty.artistPks.add(pk);
    dirty.artists.add(id);
    return id;
  }

  private ensureGenre(name: string): string {
    const id = genreId(name);
    insertGenreIfNew(this.db, id, name);
    return id;
  }

  /**
   * Writes one track. `existing` is the row this file replaces: the same path (changed file) or the
   * same identity at a vanished path (moved file); it keeps its pk and date added.
   */
  writeTrack(track: TrackWrite, existing: ExistingTrack | undefined, now: number, dirty: DirtySets): void {
    const albumArtistIds = track.albumArtists.map((name, index) =>
      this.ensureArtist(name, index === 0 ? track.albumArtistSort : null, now, dirty),
    );
    const albumArtistId = albumArtistIds[0] ?? this.ensureArtist(VARIOUS_ARTISTS, null, now, dirty);
    const albumPk = insertAlbumIfNew(
      this.db,
      {
        id: track.albumId,
        name: track.albumName,
        sort_name: track.albumSortName,
        order_name: orderName(track.albumSortName, this.articles),
        artist_id: albumArtistId,
        artist_name: track.albumArtistDisplay,
        order_artist_name: orderName(track.albumArtistSort ?? track.albumArtistDisplay, this.articles),
      },
      now,
    );
    if (albumPk !== undefined) dirty.albumPks.add(albumPk);
    dirty.albums.add(track.albumId);

    const links = track.artists.map((artist) => ({
      ...artist,
      artistId: this.ensureArtist(artist.name, artist.sortName, now, dirty),
    }));
    const primaryArtistId = links.find((link) => link.role === 'artist')?.artistId ?? albumArtistId;
    const genreIds = track.genres.map((genre) => this.ensureGenre(genre));

    const columns = {
      id: track.id,
      library_id: track.libraryId,
      folder_id: track.folderId,
      path: track.path,
      file_size: track.fileSize,
      file_mtime: track.fileMtime,
      suffix: track.suffix,
      content_type: track.contentType,
      title: track.title,
      sort_title: track.sortTitle,
      order_title: orderName(track.sortTitle, this.articles),
      album_id: track.albumId,
      album_name: track.albumName,
      artist_id: primaryArtistId,
      artist_name: track.artistDisplay,
      album_artist_name: track.albumArtistDisplay,
      track_number: track.trackNumber,
      track_total: track.trackTotal,
      disc_number: track.discNumber,
      disc_total: track.discTotal,
      disc_subtitle: track.discSubtitle,
      year: track.year,
      date: track.date,
      original_date: track.originalDate,
      release_date: track.releaseDate,
      genre: track.genres[0] ?? null,
      compilation: track.compilation ? 1 : 0,
      duration: track.duration,
      bitrate: track.bitrate,
      sample_rate: track.sampleRate,
      bit_depth: track.bitDepth,
      channels: track.channels,
      codec: track.codec,
      lossless: track.lossless ? 1 : 0,
      has_embedded_art: track.hasEmbeddedArt ? 1 : 0,
      mbz_recording_id: track.mbzRecordingId,
      mbz_track_id: track.mbzTrackId,
      mbz_album_id: track.mbzAlbumId,
      isrc: JSON.stringify(track.isrc),
      bpm: track.bpm,
      comment: track.comment,
      rg_track_gain: track.trackGain,
      rg_track_peak: track.trackPeak,
      rg_album_gain: track.albumGain,
      rg_album_peak: track.albumPeak,
      lyrics: JSON.stringify(track.lyrics),
      tags: JSON.stringify(track.tags),
    };
    let pk: number;
    if (existing) {
      this.forgetLinks(existing.id, dirty);
      dirty.albums.add(existing.album_id);
      updateTrack(this.db, existing.pk, columns, now);
      pk = existing.pk;
    } else {
      pk = insertTrack(this.db, columns, now);
    }
    dirty.trackPks.add(pk);

    insertArtistLinks(
      this.db,
      track.id,
      links.map((link, position) => ({
        artist_id: link.artistId,
        role: link.role,
        sub_role: link.subRole ?? '',
        position,
      })),
    );
    insertGenreLinks(
      this.db,
      track.id,
      genreIds.map((genre_id, position) => ({ genre_id, position })),
    );
  }

  /** Gives an unchanged track a new identity after its album was regrouped (rare). */
  reidentifyTrack(
    existing: ExistingTrack,
    update: { id: string; albumId: string; albumArtists: string[]; albumArtistDisplay: string },
    now: number,
    dirty: DirtySets,
  ): void {
    const artistLinks = artistLinksOf(this.db, existing.id);
    const genreLinks = genreLinksOf(this.db, existing.id);
    const album = albumNameAndTagsOf(this.db, existing.pk);
    const albumArtistIds = update.albumArtists.map((name) => this.ensureArtist(name, null, now, dirty));
    const albumPk = insertAlbumIfNew(
      this.db,
      {
        id: update.albumId,
        name: album.album_name,
        sort_name: album.album_name,
        order_name: orderName(album.album_name, this.articles),
        artist_id: albumArtistIds[0]!,
        artist_name: update.albumArtistDisplay,
        order_artist_name: orderName(update.albumArtistDisplay, this.articles),
      },
      now,
    );
    if (albumPk !== undefined) dirty.albumPks.add(albumPk);
    this.forgetLinks(existing.id, dirty);
    const tags = {
      ...(JSON.parse(album.tags) as Record<string, unknown>),
      albumArtists: update.albumArtists,
    };
    reidentifyTrackRow(
      this.db,
      existing.pk,
      {
        id: update.id,
        album_id: update.albumId,
        album_artist_name: update.albumArtistDisplay,
        tags: JSON.stringify(tags),
      },
      now,
    );
    insertArtistLinks(this.db, update.id, artistLinks);
    insertGenreLinks(this.db, update.id, genreLinks);
    dirty.albums.add(existing.album_id);
    dirty.albums.add(update.albumId);
    dirty.trackPks.add(existing.pk);
  }

  deleteTrack(existing: ExistingTrack, dirty: DirtySets): void {
    this.forgetLinks(existing.id, dirty);
    deleteTrackRow(this.db, existing.pk);
    dirty.albums.add(existing.album_id);
    dirty.trackPks.add(existing.pk);
  }

  private forgetLinks(trackIdValue: string, dirty: DirtySets): void {
    for (const artist of linkedArtistIds(this.db, trackIdValue)) dirty.artists.add(artist);
    deleteTrackLinks(this.db, trackIdValue);
  }
}
