// Walks one library folder: every folder with its mtime and images, every audio file with size and
// mtime, and the lyric sidecars beside them. Hidden entries and AppleDouble "._" files are skipped;
// symlinks are followed only when they stay inside the library (nothing outside a library is ever read).
// What exists but cannot be read (a folder that fails with EACCES or EIO, a link whose target cannot be
// reached, a file that cannot be stat'ed) is listed in `unreadable`: the scanner keeps what it knew of
// it instead of taking it as deleted. A root that cannot be read throws.
import fs from 'node:fs/promises';
import path from 'node:path';

export const AUDIO_EXTENSIONS = new Set([
  'mp3',
  'mp2',
  'flac',
  'ogg',
  'oga',
  'opus',
  'spx',
  'm4a',
  'm4b',
  'mp4',
  'aac',
  'alac',
  'wav',
  'aif',
  'aiff',
  'aifc',
  'wma',
  'asf',
  'ape',
  'wv',
  'dsf',
  'dff',
  'mpc',
  'mka',
  'tta',
  'webm',
]);
const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp']);
const LYRIC_EXTENSIONS = new Set(['lrc', 'txt']);
const PLAYLIST_EXTENSIONS = new Set(['m3u', 'm3u8']);

export interface WalkedFile {
  /** Relative to the library root, '/' separated. */
  path: string;
  size: number;
  mtime: number;
}

export interface WalkedFolder {
  path: string;
  name: string;
  mtime: number;
  images: string[];
  /** Lyric sidecars (.lrc, .txt) by file name. */
  lyricFiles: string[];
  audioFiles: WalkedFile[];
}

export interface WalkResult {
  folders: WalkedFolder[];
  files: WalkedFile[];
  /** .m3u/.m3u8 files, imported as playlists after the scan. */
  playlists: WalkedFile[];
  /** Folders, links and files that exist but could not be read, relative to the root; sorted by path. */
  unreadable: { path: string; reason: string }[];
}

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export async function walkLibrary(
  root: string,
  options: { followSymlinks: boolean; onFolder?: (count: number) => void },
): Promise<WalkResult> {
  const realRoot = await fs.realpath(root);
  const folders: WalkedFolder[] = [];
  const files: WalkedFile[] = [];
  const playlists: WalkedFile[] = [];
  const unreadable: { path: string; reason: string }[] = [];
  const visited = new Set<string>([realRoot]);
  const queue: { abs: string; rel: string }[] = [{ abs: root, rel: '' }];

  while (queue.length > 0) {
    const { abs, rel } = queue.shift()!;
    let entries: import('node:fs').Dirent[];
    let folderStat: import('node:fs').Stats;
    try {
      [entries, folderStat] = await Promise.all([fs.readdir(abs, { withFileTypes: true }), fs.stat(abs)]);
    } catch (error) {
      if (rel === '') throw error; // the caller decides what an unreadable root means (offline)
      const code = (error as NodeJS.ErrnoException).code;
      // Gone since its parent was listed: really gone. Anything else: there, but not readable now.
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        unreadable.push({ path: rel, reason: `folder cannot be read (${code ?? 'error'})` });
      continue;
    }
    const folder: WalkedFolder = {
      path: rel,
      name: rel === '' ? path.basename(root) : path.posix.basename(rel),
      mtime: Math.trunc(folderStat.mtimeMs),
      images: [],
      lyricFiles: [],
      audioFiles: [],
    };
    const statJobs: Promise<void>[] = [];
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      // Hidden entries (.DS_Store, .git) are skipped; AppleDouble "._x.mp3" files look like audio and are
      // passed on so the scan report names them as skipped.
      if (
        entry.name.startsWith('.') &&
        !(entry.name.startsWith('._') && AUDIO_EXTENSIONS.has(extensionOf(entry.name)))
      )
        continue;
      const childAbs = path.join(abs, entry.name);
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        if (!options.followSymlinks) continue;
        const target = await resolveInside(childAbs, realRoot);
        if (target === 'outside') continue;
        if ('unreachable' in target) {
          unreadable.push({ path: childRel, reason: `link cannot be followed (${target.unreachable})` });
          continue;
        }
        isDirectory = target.stat.isDirectory();
        isFile = target.stat.isFile();
        if (isDirectory) {
          if (visited.has(target.real)) continue; // a loop
          visited.add(target.real);
        }
      }
      if (isDirectory) {
        queue.push({ abs: childAbs, rel: childRel });
        continue;
      }
      if (!isFile) continue;
      const extension = extensionOf(entry.name);
      if (IMAGE_EXTENSIONS.has(extension)) folder.images.push(entry.name);
      else if (LYRIC_EXTENSIONS.has(extension)) folder.lyricFiles.push(entry.name);
      else if (PLAYLIST_EXTENSIONS.has(extension)) {
        statJobs.push(
          fs.stat(childAbs).then(
            (stat) => {
              playlists.push({ path: childRel, size: stat.size, mtime: Math.trunc(stat.mtimeMs) });
            },
            () => undefined,
          ),
        );
      } else if (AUDIO_EXTENSIONS.has(extension)) {
        statJobs.push(
          fs.stat(childAbs).then(
            (stat) => {
              folder.audioFiles.push({ path: childRel, size: stat.size, mtime: Math.trunc(stat.mtimeMs) });
            },
            (error: NodeJS.ErrnoException) => {
              if (error.code !== 'ENOENT')
                unreadable.push({ path: childRel, reason: `file cannot be read (${error.code ?? 'error'})` });
            },
          ),
        );
      }
    }
    await Promise.all(statJobs);
    folder.audioFiles.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    files.push(...folder.audioFiles);
    folders.push(folder);
    options.onFolder?.(folders.length);
  }
  playlists.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  unreadable.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { folders, files, playlists, unreadable };
}

/** A link's target inside the library; 'outside' (never followed) or why it cannot be reached. */
async function resolveInside(
  linkPath: string,
  realRoot: string,
): Promise<{ real: string; stat: import('node:fs').Stats } | 'outside' | { unreachable: string }> {
  try {
    const real = await fs.realpath(linkPath);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return 'outside';
    return { real, stat: await fs.stat(real) };
  } catch (error) {
    return { unreachable: (error as NodeJS.ErrnoException).code ?? 'error' };
  }
}

/** True when relPath is `prefix` itself or lies under it ('' is the root, above everything). */
export function isUnder(relPath: string, prefix: string): boolean {
  return prefix === '' || relPath === prefix || relPath.startsWith(`${prefix}/`);
}

/**
 * The members of `prefixes` that relPath is or lies under (isUnder), nearest first. One Set probe per
 * ancestor of the path, whatever the number of prefixes: the scanner asks this for every known track.
 */
export function prefixesOf(relPath: string, prefixes: ReadonlySet<string>): string[] {
  const found: string[] = [];
  if (prefixes.size === 0) return found;
  for (let prefix = relPath; ; ) {
    if (prefixes.has(prefix)) found.push(prefix);
    if (prefix === '') return found;
    const slash = prefix.lastIndexOf('/');
    prefix = slash < 0 ? '' : prefix.slice(0, slash);
  }
}

const DISC_FOLDER = /^(?:cd|disc|disk|dis[ck]o)[\s._-]*(\d{1,3})\b/i;

/** "CD 2", "Disc 1", "disk_03" → 2, 1, 3. */
export function discNumberFromFolder(name: string): number | undefined {
  const match = DISC_FOLDER.exec(name.trim());
  return match ? Number(match[1]) : undefined;
}

/** The folder an album lives in: the parent when the file sits in a "CD 1"-style disc folder. */
export function albumFolderOf(fileRelPath: string): string {
  const folder = path.posix.dirname(fileRelPath);
  const dir = folder === '.' ? '' : folder;
  if (dir !== '' && discNumberFromFolder(path.posix.basename(dir)) !== undefined) {
    const parent = path.posix.dirname(dir);
    return parent === '.' ? '' : parent;
  }
  return dir;
}

export function folderOf(fileRelPath: string): string {
  const folder = path.posix.dirname(fileRelPath);
  return folder === '.' ? '' : folder;
}
