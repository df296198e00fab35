// Stable identity. An ID is derived from what an item *is*, never from a path or a row number, so a
// rescan, a rebuilt database or a moved file yields the same ID (and keeps stars, plays and playlist
// entries attached). IDs carry a type prefix so an ID says what it names.
//
//   artist  ar-  normalised name. Not the MusicBrainz artist id: real libraries mix tagged and untagged
//                files, and one artist split in two is worse than the rare merge of two namesakes.
//   album   al-  MusicBrainz release id when tagged, else album artist + album name + version.
//   track   tr-  MusicBrainz release-track id when tagged, else album id + disc + track number + title.
//   genre   ge-  normalised name.        folder  fo-  library id + relative path (folders are places).
//
// In src/music with the other rules about what music data is: the scanner (library) derives ids with it,
// the read side (catalog) looks names up with it, and neither depends on the other for it.
import { createHash } from 'node:crypto';

export type IdPrefix = 'ar' | 'al' | 'tr' | 'ge' | 'fo';

const ID_HEX_LENGTH = 20; // 80 bits: no collision in any plausible library

/** Case-folded, NFKC-normalised, whitespace-collapsed text for identity and grouping. */
export function normalizeKey(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function stableId(prefix: IdPrefix, ...parts: (string | number)[]): string {
  const hash = createHash('sha256').update(parts.join('\u001f')).digest('hex');
  return `${prefix}-${hash.slice(0, ID_HEX_LENGTH)}`;
}

export function artistId(name: string): string {
  return stableId('ar', normalizeKey(name));
}

export function genreId(name: string): string {
  return stableId('ge', normalizeKey(name));
}

export function folderId(libraryId: number, relativePath: string): string {
  return stableId('fo', libraryId, relativePath);
}

export interface AlbumIdentity {
  mbzAlbumId: string | null;
  albumArtist: string;
  albumName: string;
  version: string;
}

export function albumId(identity: AlbumIdentity): string {
  if (identity.mbzAlbumId) return stableId('al', 'mbz', identity.mbzAlbumId.toLowerCase());
  return stableId(
    'al',
    normalizeKey(identity.albumArtist),
    normalizeKey(identity.albumName),
    normalizeKey(identity.version),
  );
}

export interface TrackIdentity {
  mbzTrackId: string | null;
  albumId: string;
  discNumber: number;
  trackNumber: number | null;
  title: string;
}

export function trackId(identity: TrackIdentity): string {
  if (identity.mbzTrackId) return stableId('tr', 'mbz', identity.mbzTrackId.toLowerCase());
  return stableId(
    'tr',
    identity.albumId,
    identity.discNumber,
    identity.trackNumber ?? '',
    normalizeKey(identity.title),
  );
}

/**
 * When two files share an identity (the same song as FLAC and MP3, a duplicated rip), the first keeps
 * the base ID and the others get one derived from what tells them apart: the format, then the path.
 */
export function disambiguatedTrackId(
  baseId: string,
  suffix: string,
  relativePath: string,
  attempt: number,
): string {
  return attempt === 1 ? stableId('tr', baseId, suffix.toLowerCase()) : stableId('tr', baseId, relativePath);
}

/** Sort key: no diacritics, lower case, leading articles ("The", "Los", ...) moved away. */
export function orderName(name: string, ignoredArticles: readonly string[] = []): string {
  let text = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .trim();
  for (const article of ignoredArticles) {
    const prefix = `${article.toLowerCase()} `;
    if (text.startsWith(prefix) && text.length > prefix.length) {
      text = text.slice(prefix.length);
      break;
    }
  }
  return text.replace(/\s+/g, ' ');
}

export function articlesFrom(ignoredArticles: string): string[] {
  return ignoredArticles.split(/\s+/).filter(Boolean);
}
