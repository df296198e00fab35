// M3U/M3U8 text, read and written. Reading: entry lines with their line numbers (comments and #EXT lines
// dropped, #PLAYLIST names the list), and the (library, relative path) pairs an entry may mean. Writing:
// #EXTM3U with #EXTINF lines, one path a line. Used by the scanner's import of playlist files in a library
// (library/playlist-import.ts) and by the native API's upload and export (playlist-m3u.ts).
import path from 'node:path';

export interface M3uEntry {
  /** 1-based line number in the text, for reports on what did not match. */
  line: number;
  /** The entry as written (trimmed). */
  location: string;
}

export interface ParsedM3u {
  name: string | undefined;
  entries: M3uEntry[];
}

export function parseM3uText(text: string): ParsedM3u {
  let name: string | undefined;
  const entries: M3uEntry[] = [];
  for (const [index, raw] of text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .entries()) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#PLAYLIST:')) name = line.slice('#PLAYLIST:'.length).trim() || undefined;
      continue;
    }
    entries.push({ line: index + 1, location: line });
  }
  return { name, entries };
}

export interface LibraryRoots {
  id: number;
  /** The library's path as configured and its real path (they differ behind a symlink). */
  roots: readonly string[];
}

export interface PathCandidate {
  libraryId: number;
  relPath: string;
}

/** The forms an entry may take: as written and URL-decoded, file:// stripped, '/' separated. */
function entryForms(location: string): string[] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.toLowerCase().startsWith('file://')) return [];
  const line = location.replace(/^file:\/\/(localhost)?/i, '');
  const forms = new Set<string>([line]);
  try {
    forms.add(decodeURIComponent(line));
  } catch {
    // not URL-encoded
  }
  return [...forms].map((form) => form.replaceAll('\\', '/'));
}

function isAbsolute(slashed: string): boolean {
  return path.posix.isAbsolute(slashed) || /^[a-z]:\//i.test(slashed);
}

/**
 * Candidate (library, relative path) pairs for one entry, most likely first: absolute paths inside one of
 * `libraries`, relative paths against each of `bases` (a library and the folder the list is relative to).
 * Remote URLs have none.
 */
export function pathCandidates(
  location: string,
  bases: readonly { libraryId: number; dir: string }[],
  libraries: readonly LibraryRoots[],
): PathCandidate[] {
  const out: PathCandidate[] = [];
  for (const slashed of entryForms(location)) {
    if (isAbsolute(slashed)) {
      for (const library of libraries) {
        for (const root of library.roots) {
          const rel = path.posix.relative(root.replaceAll('\\', '/'), slashed);
          if (rel && !rel.startsWith('..') && !path.posix.isAbsolute(rel))
            out.push({ libraryId: library.id, relPath: rel });
        }
      }
    } else {
      for (const base of bases) {
        const rel = path.posix.normalize(path.posix.join(base.dir, slashed));
        if (!rel.startsWith('..')) out.push({ libraryId: base.libraryId, relPath: rel });
      }
    }
  }
  return out;
}

/**
 * For lists written on another machine (`/home/me/Music/Artist/Album/01.flac`, `D:\Music\…`): the
 * entry's trailing parts, longest first, down to a folder and a file name, as paths in each library.
 */
export function pathSuffixCandidates(location: string, libraryIds: readonly number[]): PathCandidate[] {
  const out: PathCandidate[] = [];
  for (const slashed of entryForms(location)) {
    const parts = slashed.split('/').filter((part) => part !== '' && part !== '.' && !/^[a-z]:$/i.test(part));
    if (parts.includes('..')) continue;
    for (let start = 1; start <= parts.length - 2; start++) {
      const relPath = parts.slice(start).join('/');
      for (const libraryId of libraryIds) out.push({ libraryId, relPath });
    }
  }
  return out;
}

export interface M3uTrack {
  /** Seconds. */
  duration: number;
  artist: string;
  title: string;
  location: string;
}

/** One line of text: line breaks in a name would start a new entry. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

/**
 * An extended M3U (UTF-8, so .m3u8). A location that starts with '#' would read as a comment, so it gets
 * a leading './'; one with a line break cannot be written and is left out.
 */
export function formatM3u(name: string, tracks: readonly M3uTrack[]): string {
  const lines = ['#EXTM3U', `#PLAYLIST:${oneLine(name)}`];
  for (const track of tracks) {
    if (/[\r\n]/.test(track.location)) continue;
    const title = [track.artist, track.title].map(oneLine).filter(Boolean).join(' - ');
    lines.push(`#EXTINF:${Math.round(track.duration)},${title}`);
    lines.push(track.location.startsWith('#') ? `./${track.location}` : track.location);
  }
  return `${lines.join('\n')}\n`;
}
