// Catalog objects → Subsonic response objects (Child, AlbumID3, ArtistID3, Artist). One place decides
// every field, so all endpoints agree. OpenSubsonic fields are always present once supported (the spec:
// clients detect support by presence); for legacy clients (DSub) they are left out, because DSub's XML
// parser mistakes any nested <artist>/<album> element for an entry.
import type { Album, Annotation, Artist, Track } from '../../catalog/model.ts';

export interface MapOptions {
  /** Leave out OpenSubsonic fields (c=DSub and the configured legacy clients). */
  legacy: boolean;
  /** What stream would send a song as for this caller, when not the original (transcoded-as.ts). */
  transcodedAs?: ((track: Track) => { suffix: string; contentType: string } | undefined) | undefined;
}

type Payload = Record<string, unknown>;

const LEGACY_CLIENTS_DEFAULT = ['DSub'];

/** Whether a client gets plain Subsonic answers without OpenSubsonic fields. */
export function isLegacyClient(
  client: string,
  legacyClients: readonly string[] = LEGACY_CLIENTS_DEFAULT,
): boolean {
  const name = client.trim().toLowerCase();
  return legacyClients.some((legacy) => legacy.toLowerCase() === name);
}

export function isoDate(ms: number | null | undefined): string | undefined {
  return ms === null || ms === undefined ? undefined : new Date(ms).toISOString();
}

function annotationFields(annotation: Annotation): Payload {
  return {
    starred: isoDate(annotation.starredAt),
    userRating: annotation.rating ?? undefined,
  };
}

/** A song as a Subsonic Child. */
export function toChild(track: Track, options: MapOptions): Payload {
  const child: Payload = {
    id: track.id,
    parent: track.folderId,
    isDir: false,
    title: track.title,
    album: track.albumName,
    artist: track.artistName,
    track: track.trackNumber ?? undefined,
    year: track.year ?? undefined,
    genre: track.genre ?? undefined,
    coverArt: track.coverArtId,
    size: track.fileSize,
    contentType: track.contentType,
    suffix: track.suffix,
    ...transcodedFields(track, options),
    duration: Math.round(track.duration),
    bitRate: track.bitrate ?? undefined,
    path: track.path,
    isVideo: false,
    ...annotationFields(track.annotation),
    playCount: track.annotation.playCount,
    discNumber: track.discNumber,
    created: isoDate(track.createdAt),
    albumId: track.albumId,
    artistId: track.artistId,
    type: 'music',
  };
  if (options.legacy) return child;
  const composers = track.contributors.filter((contributor) => contributor.role === 'composer');
  return {
    ...child,
    played: isoDate(track.annotation.playedAt),
    bpm: track.bpm ?? 0,
    comment: track.comment ?? '',
    sortName: track.sortTitle,
    mediaType: 'song',
    musicBrainzId: track.mbzRecordingId ?? '',
    isrc: track.isrc,
    genres: track.genres.map((name) => ({ name })),
    artists: track.artists.map((artist) => ({ id: artist.id, name: artist.name })),
    displayArtist: track.artistName,
    albumArtists: track.albumArtists.map((artist) => ({ id: artist.id, name: artist.name })),
    displayAlbumArtist: track.albumArtistName,
    contributors: track.contributors.map((contributor) => ({
      role: contributor.role,
      ...(contributor.subRole ? { subRole: contributor.subRole } : {}),
      artist: { id: contributor.artist.id, name: contributor.artist.name },
    })),
    displayComposer: composers.map((composer) => composer.artist.name).join(', '),
    moods: track.moods,
    replayGain: {
      trackGain: track.replayGain.trackGain ?? undefined,
      albumGain: track.replayGain.albumGain ?? undefined,
      trackPeak: track.replayGain.trackPeak ?? undefined,
      albumPeak: track.replayGain.albumPeak ?? undefined,
    },
    explicitStatus: '',
    bitDepth: track.bitDepth ?? 0,
    samplingRate: track.sampleRate ?? 0,
    channelCount: track.channels ?? 0,
  };
}

function transcodedFields(track: Track, options: MapOptions): Payload {
  const transcoded = options.transcodedAs?.(track);
  return transcoded
    ? { transcodedContentType: transcoded.contentType, transcodedSuffix: transcoded.suffix }
    : {};
}

/** "2019-05-03" / "2019" → OpenSubsonic ItemDate. */
export function itemDate(text: string | null): Payload {
  const match = text ? /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(text) : null;
  if (!match) return {};
  return {
    year: Number(match[1]),
    ...(match[2] ? { month: Number(match[2]) } : {}),
    ...(match[3] ? { day: Number(match[3]) } : {}),
  };
}

/** An album as AlbumID3 (tag browsing). */
export function toAlbumID3(album: Album, options: MapOptions): Payload {
  const base: Payload = {
    id: album.id,
    name: album.name,
    artist: album.artistName,
    artistId: album.artistId,
    coverArt: album.coverArtId,
    songCount: album.songCount,
    duration: Math.round(album.duration),
    playCount: album.annotation.playCount,
    created: isoDate(album.createdAt),
    starred: isoDate(album.annotation.starredAt),
    year: album.year ?? undefined,
    genre: album.genre ?? undefined,
  };
  if (options.legacy) return base;
  return {
    ...base,
    version: album.version,
    played: isoDate(album.annotation.playedAt),
    userRating: album.annotation.rating ?? 0,
    recordLabels: album.recordLabels.map((name) => ({ name })),
    musicBrainzId: album.mbzAlbumId ?? '',
    genres: album.genres.map((name) => ({ name })),
    artists: album.artists.map((artist) => ({ id: artist.id, name: artist.name })),
    displayArtist: album.artistName,
    releaseTypes: album.releaseTypes,
    moods: [],
    sortName: album.sortName,
    originalReleaseDate: itemDate(album.originalDate ?? (album.year ? String(album.year) : null)),
    releaseDate: itemDate(album.releaseDate),
    isCompilation: album.compilation,
    explicitStatus: '',
    discTitles: album.discTitles.map((disc) => ({ disc: disc.disc, title: disc.title })),
  };
}

/** An album as a folder-style Child (getAlbumList, getStarred, search2). */
export function toAlbumChild(album: Album, options: MapOptions): Payload {
  const child: Payload = {
    id: album.id,
    parent: album.folderId ?? undefined,
    isDir: true,
    title: album.name,
    album: album.name,
    artist: album.artistName,
    year: album.year ?? undefined,
    genre: album.genre ?? undefined,
    coverArt: album.coverArtId,
    duration: Math.round(album.duration),
    playCount: album.annotation.playCount,
    created: isoDate(album.createdAt),
    ...annotationFields(album.annotation),
    albumId: album.id,
    artistId: album.artistId,
  };
  if (options.legacy) return child;
  // `name` is not a Child attribute in the XSD; OpenSubsonic clients read it, legacy ones must not get it.
  return {
    ...child,
    name: album.name,
    played: isoDate(album.annotation.playedAt),
    mediaType: 'album',
    musicBrainzId: album.mbzAlbumId ?? '',
    sortName: album.sortName,
  };
}

/** An artist as ArtistID3. */
export function toArtistID3(artist: Artist, options: MapOptions): Payload {
  const base: Payload = {
    id: artist.id,
    name: artist.name,
    coverArt: artist.coverArtId,
    albumCount: artist.albumCount,
    starred: isoDate(artist.annotation.starredAt),
  };
  if (options.legacy) return base;
  return {
    ...base,
    userRating: artist.annotation.rating ?? 0,
    musicBrainzId: artist.mbzArtistId ?? '',
    sortName: artist.sortName,
    roles: artist.roles,
  };
}

/** An artist as a folder-style Artist (getIndexes, getStarred, search2). */
export function toArtist(artist: Artist): Payload {
  return {
    id: artist.id,
    name: artist.name,
    starred: isoDate(artist.annotation.starredAt),
    userRating: artist.annotation.rating ?? undefined,
  };
}
