// Small files the server cannot do without (the secret key, the first admin's password) are written so
// that a kill or a power cut at any moment leaves either no file or the whole file, never a short one:
// the bytes go to a private temporary file, are synced, and only then get their real name.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes `data` to a new file at `file` (mode `mode`), all or nothing. Returns false, writing nothing,
 * when the file exists already: two processes starting at once cannot overwrite each other's file.
 */
export function createFileDurably(file: string, data: string | Uint8Array, mode: number): boolean {
  if (fs.existsSync(file)) return false;
  return publishWithoutOverwrite(writeTemporary(file, data, mode), file);
}

/**
 * Gives a complete, synced temporary file its real name, unless that name is taken (false; the other
 * file stays as it is). The temporary file is gone afterwards either way.
 */
export function publishWithoutOverwrite(temporary: string, file: string): boolean {
  try {
    // link() fails when the name is taken, unlike rename(), which would replace the other file.
    fs.linkSync(temporary, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Some NAS file systems (FAT, some SMB mounts) have no hard links: rename, after a fresh look.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    if (fs.existsSync(file)) return false;
    fs.renameSync(temporary, file);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  syncFolder(path.dirname(file));
  return true;
}

/** Replaces `file` with `data` (mode `mode`) all or nothing. */
export function replaceFileDurably(file: string, data: string | Uint8Array, mode: number): void {
  fs.renameSync(writeTemporary(file, data, mode), file);
  syncFolder(path.dirname(file));
}

/** Writes `data` beside `file` under a temporary name, synced to disk; returns that name. */
function writeTemporary(file: string, data: string | Uint8Array, mode: number): string {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = fs.openSync(temporary, 'w', mode);
  try {
    fs.writeFileSync(handle, data);
    fs.fsyncSync(handle);
  } finally {
    fs.closeSync(handle);
  }
  return temporary;
}

/** Makes a new name in a folder durable (the folder's entry is data too). */
function syncFolder(folder: string): void {
  let handle: number | undefined;
  try {
    handle = fs.openSync(folder, 'r');
    fs.fsyncSync(handle);
  } catch {
    // Not every file system lets a folder be opened or synced; the file itself is on disk.
  } finally {
    if (handle !== undefined) fs.closeSync(handle);
  }
}
