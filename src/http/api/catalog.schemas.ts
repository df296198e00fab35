// The catalog's items as the native API shows them: one shape per type (Artist, Album, Track, Folder,
// Genre, Library…), named so the OpenAPI document has them as components, and the mappers from the
// catalog's domain objects. Every item carries the caller's own marks (starred, rating, plays), as the
// Subsonic answers do. Other route groups that answer with tracks or albums (playlists, the queue) reuse
// these shapes.
import { z } from 'zod';
import type { FolderEntry } from '../../catalog/folders.ts';
import type { LibraryOverview } from '../../catalog/libraries.ts';
import type { Album, Annotation, Artist, ArtistRef, Genre, Track } from '../../catalog/model.ts';
import type { FolderItem } from '../../catalog/pages.ts';
import type { LyricSet } from '../../music/lyrics.ts';
import { isoOrNull, isoTime } from './schemas.ts';

const marks = {
  starredAt: isoTime.nullable().describe('When the caller starred it; null when not starred.'),
  rating: z.number().int().min(1).max(5).nullable().describe("The caller's rating (1–5), null when unrated."),
  playCount: z.number().int().min(0).describe('How often the caller played it.'),
  lastPlayedAt: isoTime.nullable().describe('When the caller last played it.'),
};

function marksJson(annotation: Annotation) {
  return {
    starredAt: isoOrNull(annotation.starredAt),
    rating: annotation.rating && annotation.rating > 0 ? annotation.rating : null,
    playCount: annotation.playCount,
    lastPlayedAt: isoOrNull(annotation.playedAt),
  };
}

export const artistRefSchema = z
  .object({ id: z.string(), name: z.string() })
  .meta({ id: 'ArtistRef', description: 'An artist named on another item.' });

const refs = (list: ArtistRef[]) => list.map((artist) => ({ id: artist.id, name: artist.name }));

export const artistSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    sortName: z.string(),
    albumCount: z.number().int(),
    trackCount: z.number().int(),
    roles: z.array(z.string()).describe('What the artist is credited as: albumartist, artist, composer…'),
    musicBrainzId: z.string().nullable(),
    coverArtId: z.string().describe('For GET /artwork/{id}.'),
    hasImage: z
      .boolean()
      .describe('Whether the artist has an image of its own (else an album cover stands in).'),
    ...marks,
  })
  .meta({ id: 'Artist' });

export function artistJson(artist: Artist): z.input<typeof artistSchema> {
  return {
    id: artist.id,
    name: artist.name,
    sortName: artist.sortName,
    albumCount: artist.albumCount,
    trackCount: artist.songCount,
    roles: artist.roles,
    musicBrainzId: artist.mbzArtistId,
    coverArtId: artist.coverArtId,
    hasImage: artist.hasImage,
    ...marksJson(artist.annotation),
  };
}

export const albumSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.string().describe('Edition, e.g. "Deluxe Edition"; empty when none.'),
    sortName: z.string(),
    artistId: z.string(),
    artistName: z.string().describe('The album artist as tagged (several joined).'),
    artists: z.array(artistRefSchema).describe('The credited album artists, in credit order.'),
    compilation: z.boolean(),
    year: z.number().int().nullable(),
    date: z.string().nullable(),
    originalDate: z.string().nullable(),
    releaseDate: z.string().nullable(),
    releaseTypes: z.array(z.string()),
    recordLabels: z.array(z.string()),
    genre: z.string().nullable(),
    genres: z.array(z.string()),
    trackCount: z.number().int(),
    discCount: z.number().int(),
    duration: z.number().describe('Seconds.'),
    size: z.number().int().describe('Bytes of all its files.'),
    discTitles: z.array(z.object({ disc: z.number().int(), title: z.string() })),
    musicBrainzId: z.string().nullable(),
    coverArtId: z.string().describe('For GET /artwork/{id}.'),
    hasCover: z.boolean(),
    createdAt: isoTime.describe('When it was added to the library.'),
    ...marks,
  })
  .meta({ id: 'Album' });

export function albumJson(album: Album): z.input<typeof albumSchema> {
  return {
    id: album.id,
    name: album.name,
    version: album.version,
    sortName: album.sortName,
    artistId: album.artistId,
    artistName: album.artistName,
    artists: refs(album.artists),
    compilation: album.compilation,
    year: album.year,
    date: album.date,
    originalDate: album.originalDate,
    releaseDate: album.releaseDate,
    releaseTypes: album.releaseTypes,
    recordLabels: album.recordLabels,
    genre: album.genre,
    genres: album.genres,
    trackCount: album.songCount,
    discCount: album.discCount,
    duration: album.duration,
    size: album.size,
    discTitles: album.discTitles,
    musicBrainzId: album.mbzAlbumId,
    coverArtId: album.coverArtId,
    hasCover: album.hasCover,
    createdAt: new Date(album.createdAt).toISOString(),
    ...marksJson(album.annotation),
  };
}

export const trackSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    sortTitle: z.string(),
    artistId: z.string(),
    artistName: z.string().describe('The track artist as tagged (several joined).'),
    artists: z.array(artistRefSchema),
    contributors: z.array(z.object({ role: z.string(), subRole: z.string(), artist: artistRefSchema })),
    albumId: z.string(),
    albumName: z.string(),
    albumArtistName: z.string(),
    albumArtists: z.array(artistRefSchema),
    trackNumber: z.number().int().nullable(),
    discNumber: z.number().int(),
    discSubtitle: z.string().nullable(),
    year: z.number().int().nullable(),
    genre: z.string().nullable(),
    genres: z.array(z.string()),
    compilation: z.boolean(),
    duration: z.number().describe('Seconds.'),
    bitrate: z.number().int().nullable().describe('kbit/s.'),
    sampleRate: z.number().int().nullable(),
    bitDepth: z.number().int().nullable(),
    channels: z.number().int().nullable(),
    codec: z.string().nullable(),
    lossless: z.boolean(),
    suffix: z.string(),
    contentType: z.string(),
    size: z.number().int().describe('Bytes.'),
    libraryId: z.number().int(),
    folderId: z.string(),
    path: z.string().describe('Relative to its library folder.'),
    coverArtId: z.string().describe('For GET /artwork/{id}.'),
    musicBrainzId: z.string().nullable(),
    isrc: z.array(z.string()),
    bpm: z.number().int().nullable(),
    comment: z.string().nullable(),
    moods: z.array(z.string()),
    replayGain: z.object({
      trackGain: z.number().nullable(),
      trackPeak: z.number().nullable(),
      albumGain: z.number().nullable(),
      albumPeak: z.number().nullable(),
    }),
    hasLyrics: z.boolean(),
    createdAt: isoTime.describe('When it was added to the library.'),
    ...marks,
  })
  .meta({ id: 'Track' });

export function trackJson(track: Track): z.input<typeof trackSchema> {
  return {
    id: track.id,
    title: track.title,
    sortTitle: track.sortTitle,
    artistId: track.artistId,
    artistName: track.artistName,
    artists: refs(track.artists),
    contributors: track.contributors.map((contributor) => ({
      role: contributor.role,
      subRole: contributor.subRole,
      artist: { id: contributor.artist.id, name: contributor.artist.name },
    })),
    albumId: track.albumId,
    albumName: track.albumName,
    albumArtistName: track.albumArtistName,
    albumArtists: refs(track.albumArtists),
    trackNumber: track.trackNumber,
    discNumber: track.discNumber,
    discSubtitle: track.discSubtitle,
    year: track.year,
    genre: track.genre,
    genres: track.genres,
    compilation: track.compilation,
    duration: track.duration,
    bitrate: track.bitrate,
    sampleRate: track.sampleRate,
    bitDepth: track.bitDepth,
    channels: track.channels,
    codec: track.codec,
    lossless: track.lossless,
    suffix: track.suffix,
    contentType: track.contentType,
    size: track.fileSize,
    libraryId: track.libraryId,
    folderId: track.folderId,
    path: track.path,
    coverArtId: track.coverArtId,
    musicBrainzId: track.mbzRecordingId,
    isrc: track.isrc,
    bpm: track.bpm,
    comment: track.comment,
    moods: track.moods,
    replayGain: track.replayGain,
    hasLyrics: track.hasLyrics,
    createdAt: new Date(track.createdAt).toISOString(),
    ...marksJson(track.annotation),
  };
}

export const albumDetailSchema = albumSchema
  .extend({
    discs: z
      .array(z.object({ number: z.number().int(), title: z.string().nullable() }))
      .describe('The discs that have tracks, in order, with their titles when tagged.'),
    tracks: z.array(trackSchema).describe('In play order: disc, track number, then file path.'),
  })
  .meta({ id: 'AlbumDetail' });

export function albumDetailJson(album: Album, tracks: Track[]): z.input<typeof albumDetailSchema> {
  const titles = new Map(album.discTitles.map((disc) => [disc.disc, disc.title]));
  const discs = [...new Set(tracks.map((track) => track.discNumber))].map((number) => ({
    number,
    title: titles.get(number) ?? tracks.find((track) => track.discNumber === number)?.discSubtitle ?? null,
  }));
  return { ...albumJson(album), discs, tracks: tracks.map(trackJson) };
}

export const genreSchema = z
  .object({ name: z.string(), albumCount: z.number().int(), trackCount: z.number().int() })
  .meta({ id: 'Genre', description: "Counted in the caller's libraries." });

export function genreJson(genre: Genre): z.input<typeof genreSchema> {
  return { name: genre.name, albumCount: genre.albumCount, trackCount: genre.songCount };
}

export const librarySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    trackCount: z.number().int(),
    albumCount: z.number().int(),
    artistCount: z.number().int(),
    lastScanAt: isoTime.nullable(),
    offline: z
      .object({ since: isoTime, reason: z.string() })
      .nullable()
      .describe('Set while its folder is unavailable (unmounted, emptied, another disk).'),
    rootFolderId: z.string().nullable().describe('For GET /folders/{id}; null before the first scan.'),
  })
  .meta({ id: 'Library' });

export function libraryJson(
  library: LibraryOverview,
  rootFolderId: string | null,
): z.input<typeof librarySchema> {
  return {
    id: library.id,
    name: library.name,
    trackCount: library.trackCount,
    albumCount: library.albumCount,
    artistCount: library.artistCount,
    lastScanAt: isoOrNull(library.lastScanAt),
    offline: library.offline
      ? { since: new Date(library.offline.since).toISOString(), reason: library.offline.reason }
      : null,
    rootFolderId,
  };
}

export const folderSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    libraryId: z.number().int(),
    parentId: z.string().nullable().describe('Null for a library root.'),
    coverArtId: z.string().nullable().describe('An album below it stands for it; null when none.'),
    ...marks,
  })
  .meta({ id: 'Folder' });

export function folderJson(folder: FolderEntry): z.input<typeof folderSchema> {
  return {
    id: folder.id,
    name: folder.name,
    libraryId: folder.libraryId,
    parentId: folder.parentId,
    coverArtId: folder.albumId,
    ...marksJson(folder.annotation),
  };
}

export const folderItemSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('folder'), folder: folderSchema }),
    z.object({ kind: z.literal('track'), track: trackSchema }),
  ])
  .meta({ id: 'FolderItem', description: 'A sub-folder or an audio file of a folder.' });

export function folderItemJson(item: FolderItem): z.input<typeof folderItemSchema> {
  return item.kind === 'folder'
    ? { kind: 'folder', folder: folderJson(item.folder) }
    : { kind: 'track', track: trackJson(item.track) };
}

export const lyricsSchema = z
  .object({
    source: z.enum(['embedded', 'lrc', 'txt']),
    lang: z.string().describe('ISO 639 code; "und" when unknown.'),
    synced: z.boolean(),
    offsetMs: z.number().describe('Positive shows lines earlier (LRC [offset:]).'),
    displayArtist: z.string().nullable(),
    displayTitle: z.string().nullable(),
    lines: z.array(
      z.object({
        startMs: z.number().nullable().describe('Milliseconds from the start; null in unsynced lyrics.'),
        text: z.string(),
      }),
    ),
    text: z.string().describe('The lyrics as plain text, one line per line, without times.'),
  })
  .meta({ id: 'Lyrics' });

export function lyricsJson(set: LyricSet): z.input<typeof lyricsSchema> {
  return {
    source: set.source,
    lang: set.lang,
    synced: set.synced,
    offsetMs: set.offset,
    displayArtist: set.displayArtist ?? null,
    displayTitle: set.displayTitle ?? null,
    lines: set.lines.map((line) => ({ startMs: set.synced ? (line.start ?? null) : null, text: line.value })),
    text: set.lines.map((line) => line.value).join('\n'),
  };
}
