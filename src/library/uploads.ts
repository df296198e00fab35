// Uploads: users with the upload role add audio files to the one library folder an admin opened for it
// (the only place Tonearm ever writes in a library). Each user has a folder of their own inside it
// (<folder>/<username>/), so nobody overwrites or sees another's files, and the table records who sent what.
//
// A file is streamed to a hidden temporary file beside its final place (never held in memory), counted
// as it comes (past the limit: UPLOAD_TOO_LARGE, 413) and judged by its bytes, never by its name or its
// declared type: the first 256 KiB must be recognisable as an audio format (so a text, an image or an
// archive is refused before it has all arrived), and the whole file must parse as audio without video
// (UNSUPPORTED_MEDIA_TYPE, 415). Any failure, a client that hangs up included, removes the temporary file. Only once every file of
// a request is accepted do they take their final names — claimed with an exclusive create, so a clash
// becomes "Name (2).flac" and nothing is ever overwritten — and the library is scanned at once. The answer
// waits for that scan (a bounded while) and names each file's track; a notification per file tells the
// uploader when its scan is done, also when that outlasted the wait.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IFormat } from 'music-metadata';
import { readSetting, writeSetting } from '../accounts/settings.repository.ts';
import type { User } from '../accounts/users.service.ts';
import type { Insertable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { UploadTable } from '../db/schema.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { EventHub } from '../system/events.ts';
import { contentTypeOf } from './content-types.ts';
import { findLibrary } from './library.repository.ts';
import {
  deleteUploadRow,
  insertUploadRows,
  type UploadWithOutcome,
  uploadsByIds,
  uploadsOfUser,
} from './uploads.repository.ts';
import { AUDIO_EXTENSIONS, extensionOf } from './walk.ts';

export const DEFAULT_UPLOAD_FOLDER = 'Uploads';
export const DEFAULT_MAX_UPLOAD_SIZE = 1024 * 1024 * 1024;
/** Files one request may carry. */
export const MAX_FILES_PER_UPLOAD = 50;
/** How long an upload's answer waits for the scan that makes its tracks (a long full scan may be queued). */
export const UPLOAD_SCAN_WAIT_MS = 15_000;
/** Bytes judged before the rest is accepted. */
const HEAD_BYTES = 256 * 1024;
/** Room left in a 255-byte file name for " (999)". */
const MAX_NAME_BYTES = 200;
const SETTING_KEY = 'uploads.target';

// ---- The admin's choice ----------------------------------------------------------------------------

export interface UploadSettings {
  /** The library uploads go to; null: uploads are off. */
  libraryId: number | null;
  /** Relative to the library's root, '/' separated. */
  folder: string;
  maxFileSize: number;
}

export function uploadSettings(db: Database): UploadSettings {
  const defaults = { libraryId: null, folder: DEFAULT_UPLOAD_FOLDER, maxFileSize: DEFAULT_MAX_UPLOAD_SIZE };
  let stored: Partial<UploadSettings>;
  try {
    stored = JSON.parse(readSetting(db, SETTING_KEY) ?? '{}') as Partial<UploadSettings>;
  } catch {
    return defaults;
  }
  const libraryId =
    typeof stored.libraryId === 'number' && findLibrary(db, stored.libraryId) ? stored.libraryId : null;
  return { ...defaults, ...stored, libraryId };
}

export function changeUploadSettings(
  db: Database,
  input: { libraryId: number | null; folder?: string; maxFileSize?: number },
): UploadSettings {
  if (input.libraryId !== null && !findLibrary(db, input.libraryId))
    throw new TonearmError('NOT_FOUND', `there is no library ${input.libraryId}`);
  const settings: UploadSettings = {
    libraryId: input.libraryId,
    folder: uploadFolderPath(input.folder ?? DEFAULT_UPLOAD_FOLDER),
    maxFileSize: input.maxFileSize ?? DEFAULT_MAX_UPLOAD_SIZE,
  };
  writeSetting(db, SETTING_KEY, JSON.stringify(settings));
  return settings;
}

/** The folder as a clean relative path inside the library; INVALID_INPUT for `..`, absolute paths and the like. */
export function uploadFolderPath(folder: string): string {
  const parts = folder
    .replaceAll('\\', '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || path.isAbsolute(folder) || /^[A-Za-z]:/.test(folder))
    throw new TonearmError('INVALID_INPUT', 'the upload folder must be a relative path inside the library');
  for (const part of parts)
    if (safeName(part) !== part)
      throw new TonearmError(
        'INVALID_INPUT',
        `the upload folder may not contain "${part}" (no .., hidden, reserved or control-character names)`,
      );
  return parts.join('/');
}

// ---- File names ------------------------------------------------------------------------------------

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;

/**
 * A client's file name as a single safe name: the last path segment only (so `../../x.flac`, `/etc/x` and
 * `C:\x` lose their folders), no control characters or characters Windows and SMB shares refuse, no
 * leading dots (hidden files, `..`) or trailing dots and spaces, no reserved device names, at most 200
 * bytes. Empty when nothing is left.
 */
/**
 * The folder of a user's uploads: their name, when it is a safe file name as it is. Otherwise (".alice",
 * "alice." would both become "alice") the safe part plus a piece of the user id, so no two users share one.
 */
export function uploadFolderName(user: { id: string; username: string }): string {
  const safe = safeName(user.username);
  return safe === user.username ? safe : `${safe || 'user'}-${user.id.replace(/^us-/, '').slice(0, 8)}`;
}

export function safeName(raw: string): string {
  let name = raw.normalize('NFC').replaceAll('\\', '/');
  name = name.slice(name.lastIndexOf('/') + 1);
  name = name.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_');
  name = name.replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  return truncateName(name);
}

function truncateName(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  const extension = extensionOf(name);
  const suffix = extension && extension.length <= 5 ? `.${extension}` : '';
  let stem = name.slice(0, name.length - suffix.length);
  while (Buffer.byteLength(stem + suffix) > MAX_NAME_BYTES) stem = [...stem].slice(0, -1).join('');
  return stem.trimEnd() + suffix;
}

/** The file's name with the extension of what it holds (kept when the client's says the same). */
export function nameFor(clientName: string, format: DetectedFormat): string {
  const name = safeName(clientName) || 'upload';
  const extension = extensionOf(name);
  if (extension && FAMILY_OF_EXTENSION[extension] === format.family) return name;
  const stem = AUDIO_EXTENSIONS.has(extension) ? name.slice(0, -extension.length - 1) || 'upload' : name;
  return truncateName(`${stem}.${format.suffix}`);
}

/** "Name.flac", then "Name (2).flac", "Name (3).flac"… */
function candidateName(name: string, attempt: number): string {
  if (attempt === 1) return name;
  const extension = extensionOf(name);
  const stem = extension ? name.slice(0, -extension.length - 1) : name;
  return `${stem} (${attempt})${extension ? `.${extension}` : ''}`;
}

// ---- What the bytes are ----------------------------------------------------------------------------

export interface DetectedFormat {
  /** Formats whose extensions are interchangeable (ogg/oga/opus, m4a/mp4, aif/aiff…). */
  family: string;
  /** The extension a file of this format gets. */
  suffix: string;
}

const FAMILIES: Record<string, readonly string[]> = {
  mpeg: ['mp3', 'mp2'],
  aac: ['aac'],
  flac: ['flac'],
  ogg: ['ogg', 'oga', 'opus', 'spx'],
  mp4: ['m4a', 'm4b', 'mp4', 'alac'],
  wav: ['wav'],
  aiff: ['aif', 'aiff', 'aifc'],
  wavpack: ['wv'],
  ape: ['ape'],
  musepack: ['mpc'],
  asf: ['wma', 'asf'],
  dsf: ['dsf'],
  dff: ['dff'],
  ebml: ['mka', 'webm'],
  tta: ['tta'],
};
const FAMILY_OF_EXTENSION: Record<string, string> = Object.fromEntries(
  Object.entries(FAMILIES).flatMap(([family, extensions]) => extensions.map((ext) => [ext, family])),
);

/** music-metadata's description of a file → its format, or undefined when it is not audio we keep. */
export function detectedFormat(format: IFormat): DetectedFormat | undefined {
  if (format.hasVideo === true || format.hasAudio === false) return undefined;
  if (!format.codec && !format.sampleRate) return undefined;
  const container = (format.container ?? '').toLowerCase();
  const codec = (format.codec ?? '').toLowerCase();
  const of = (family: string, suffix: string) => ({ family, suffix });
  if (container === 'mpeg') return of('mpeg', codec.includes('layer 2') ? 'mp2' : 'mp3');
  if (container.startsWith('adts')) return of('aac', 'aac');
  if (container === 'flac') return of('flac', 'flac');
  if (container === 'ogg')
    return of(
      'ogg',
      codec.includes('opus')
        ? 'opus'
        : codec.includes('speex')
          ? 'spx'
          : codec.includes('flac')
            ? 'oga'
            : 'ogg',
    );
  if (container === 'wave') return of('wav', 'wav');
  if (container === 'aiff-c') return of('aiff', 'aifc');
  if (container.startsWith('aiff')) return of('aiff', 'aiff');
  if (container === 'wavpack') return of('wavpack', 'wv');
  if (container.startsWith('monkey')) return of('ape', 'ape');
  if (container.startsWith('musepack')) return of('musepack', 'mpc');
  if (container.startsWith('asf')) return of('asf', 'wma');
  if (container === 'dsf') return of('dsf', 'dsf');
  if (container === 'dsdiff') return of('dff', 'dff');
  if (container.startsWith('ebml')) return of('ebml', container.includes('webm') ? 'webm' : 'mka');
  if (container.includes('tta')) return of('tta', 'tta');
  // MP4 names its container by its brands: "M4A/isom/iso2", "mp42/isom"…
  if (/(^|\/)(m4a|m4b|m4p|isom|iso\d|mp4\d|mp41|dash|f4a)(\/|$)/.test(container))
    return of('mp4', container.includes('m4b') ? 'm4b' : 'm4a');
  return undefined;
}

/** The music-metadata errors that mean "these bytes are no audio format at all" (not "cut short"). */
function isNotAudio(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'CouldNotDetermineFileTypeError' || name === 'UnsupportedFileTypeError';
}

function notAudio(detail: string): TonearmError {
  return new TonearmError('UNSUPPORTED_MEDIA_TYPE', `this file is not audio this server can read: ${detail}`);
}

// music-metadata is loaded by the first upload, not at start-up (tags are read in worker threads).
const metadata = () => import('music-metadata');

/** Counts the bytes (UPLOAD_TOO_LARGE past the limit) and refuses a head that is no audio format. */
class UploadGuard extends Transform {
  bytes = 0;
  private readonly limit: number;
  private head: Buffer[] | undefined = [];
  private headBytes = 0;

  constructor(limit: number) {
    super();
    this.limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new TonearmError('UPLOAD_TOO_LARGE', `a file may be at most ${this.limit} bytes`));
      return;
    }
    this.push(chunk);
    if (this.head) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes >= HEAD_BYTES) {
        this.judgeHead(callback);
        return;
      }
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.head) this.judgeHead(callback);
    else callback();
  }

  private judgeHead(callback: TransformCallback): void {
    const head = Buffer.concat(this.head ?? []);
    this.head = undefined;
    metadata()
      .then((mm) => mm.parseBuffer(head, undefined, { duration: false, skipCovers: true }))
      .then(
        () => callback(),
        (error: unknown) => callback(isNotAudio(error) ? notAudio((error as Error).message) : undefined),
      );
  }
}

async function readFormat(file: string): Promise<DetectedFormat> {
  const mm = await metadata();
  let format: IFormat;
  try {
    ({ format } = await mm.parseFile(file, { duration: false, skipCovers: true }));
  } catch (error) {
    throw notAudio((error as Error).message);
  }
  const detected = detectedFormat(format);
  if (!detected)
    throw notAudio(format.hasVideo ? 'it holds video' : `${format.container ?? 'unknown'} without audio`);
  return detected;
}

// ---- Receiving -------------------------------------------------------------------------------------

/** Where one user's uploads go now. */
export interface UploadPlace {
  userId: string;
  libraryId: number;
  /** The folder, absolute (real path). */
  dir: string;
  /** The folder relative to the library root. */
  relDir: string;
  maxFileSize: number;
}

/** A file received and accepted, still under its temporary name. */
export interface StagedUpload {
  tempFile: string;
  clientName: string;
  name: string;
  size: number;
  contentType: string;
}

/**
 * The caller's upload folder, made when missing: FORBIDDEN without the upload role or access to the
 * upload library, UPLOADS_NOT_CONFIGURED before an admin chose one, LIBRARY_OFFLINE when its folder is not
 * there (nothing is created on an empty mount point), UPLOAD_FOLDER_UNWRITABLE when it cannot be written.
 */
export async function openUploadPlace(db: Database, user: User): Promise<UploadPlace> {
  if (!user.roles.upload) throw new TonearmError('FORBIDDEN', `${user.username} may not upload files`);
  const settings = uploadSettings(db);
  const library = settings.libraryId === null ? undefined : findLibrary(db, settings.libraryId);
  if (!library)
    throw new TonearmError(
      'UPLOADS_NOT_CONFIGURED',
      'uploads are off: an administrator has not chosen a library',
    );
  if (!user.libraryIds.includes(library.id))
    throw new TonearmError('FORBIDDEN', `${user.username} may not see the upload library`);
  let root: string;
  try {
    root = await fs.promises.realpath(library.path);
    if (!(await fs.promises.stat(root)).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new TonearmError('LIBRARY_OFFLINE', `the folder of library ${library.name} is not there`);
  }
  const userFolder = uploadFolderName(user);
  const relDir = `${settings.folder}/${userFolder}`;
  const dir = await folderInside(root, relDir.split('/'));
  return { userId: user.id, libraryId: library.id, dir, relDir, maxFileSize: settings.maxFileSize };
}

/**
 * Makes the folders one level at a time, each checked to lie inside the library once links are
 * followed: a link in the way must not lead uploads (or a folder made for them) out of it.
 */
async function folderInside(root: string, segments: readonly string[]): Promise<string> {
  let dir = root;
  for (const segment of segments) {
    const next = path.join(dir, segment);
    try {
      await fs.promises.mkdir(next);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritable(error);
    }
    dir = await realFolderInside(root, next);
  }
  return dir;
}

async function realFolderInside(root: string, folder: string): Promise<string> {
  let real: string;
  try {
    real = await fs.promises.realpath(folder);
  } catch (error) {
    throw unwritable(error);
  }
  if (!real.startsWith(root + path.sep))
    throw new TonearmError('UPLOAD_FOLDER_UNWRITABLE', 'the upload folder leads outside its library');
  return real;
}

/** Errors of the upload folder's disk, as opposed to the request's. */
const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'ENOENT']);

function unwritable(error: unknown): TonearmError {
  const code = (error as NodeJS.ErrnoException).code;
  return new TonearmError(
    'UPLOAD_FOLDER_UNWRITABLE',
    code === 'EROFS'
      ? 'the upload library is mounted read-only'
      : code === 'ENOSPC'
        ? 'the disk of the upload library is full'
        : `the upload folder cannot be written (${code ?? (error as Error).message})`,
    { cause: error },
  );
}

/**
 * Streams one file to a temporary file in the upload folder and checks it; on any failure (too large,
 * not audio, the source failing because the client went away) the temporary file is removed and the
 * error rethrown.
 */
export async function stageUpload(
  place: UploadPlace,
  clientName: string,
  source: NodeJS.ReadableStream,
): Promise<StagedUpload> {
  const tempFile = path.join(place.dir, `.tonearm-upload-${randomBytes(8).toString('hex')}.part`);
  const guard = new UploadGuard(place.maxFileSize);
  try {
    const out = fs.createWriteStream(tempFile, { flags: 'wx', mode: 0o644 });
    await pipeline(source, guard, out).catch((error: unknown) => {
      throw DISK_ERRORS.has((error as NodeJS.ErrnoException).code ?? '') ? unwritable(error) : error;
    });
    const format = await readFormat(tempFile);
    return {
      tempFile,
      clientName,
      name: nameFor(clientName, format),
      size: guard.bytes,
      contentType: contentTypeOf(format.suffix),
    };
  } catch (error) {
    await fs.promises.rm(tempFile, { force: true });
    throw error;
  }
}

/** Removes what was staged (a request that failed part-way). */
export async function discardStaged(files: readonly StagedUpload[]): Promise<void> {
  await Promise.all(files.map((file) => fs.promises.rm(file.tempFile, { force: true })));
}

/**
 * Gives staged files their final names (never overwriting: "Name (2).flac") and records them. A file
 * whose move fails is removed with the rest still staged.
 */
export async function commitUploads(
  db: Database,
  place: UploadPlace,
  files: readonly StagedUpload[],
): Promise<string[]> {
  const rows: Insertable<UploadTable>[] = [];
  const placed: string[] = [];
  const now = Date.now();
  for (const [index, file] of files.entries()) {
    let name: string;
    try {
      name = await claimName(place.dir, file.name);
      placed.push(path.join(place.dir, name));
      await fs.promises.rename(file.tempFile, placed.at(-1)!);
    } catch (error) {
      // All or nothing: what was placed goes again, with what was still waiting.
      await Promise.all(
        [...placed, ...files.slice(index).map((rest) => rest.tempFile)].map((file) =>
          fs.promises.rm(file, { force: true }),
        ),
      );
      throw unwritable(error);
    }
    rows.push({
      id: `up-${randomBytes(12).toString('hex')}`,
      user_id: place.userId,
      library_id: place.libraryId,
      path: `${place.relDir}/${name}`,
      original_name: file.clientName,
      size: file.size,
      content_type: file.contentType,
      created_at: now,
    });
  }
  db.transaction(() => insertUploadRows(db, rows));
  return rows.map((row) => row.id);
}

/** Creates an empty file under the first free candidate name (the rename then replaces it). */
async function claimName(dir: string, name: string): Promise<string> {
  for (let attempt = 1; attempt < 1000; attempt++) {
    const candidate = candidateName(name, attempt);
    try {
      await (await fs.promises.open(path.join(dir, candidate), 'wx', 0o644)).close();
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new TonearmError('INVALID_INPUT', `too many files are named like ${name}`);
}

// ---- After: scans, answers, notifications ----------------------------------------------------------

export interface UploadView {
  id: string;
  /** The file's name in the upload folder (may differ from what was sent: sanitised, renamed on a clash). */
  name: string;
  originalName: string;
  libraryId: number;
  /** Relative to the library's root. */
  path: string;
  size: number;
  contentType: string;
  /** scanned: trackId names its track; pending: not scanned yet; failed: the scanner could not import it. */
  state: 'scanned' | 'pending' | 'failed';
  trackId: string | null;
  reason: string | null;
  uploadedAt: number;
}

function viewOf(row: UploadWithOutcome): UploadView {
  return {
    id: row.id,
    name: row.path.slice(row.path.lastIndexOf('/') + 1),
    originalName: row.original_name,
    libraryId: row.library_id,
    path: row.path,
    size: row.size,
    contentType: row.content_type,
    state: row.track_id ? 'scanned' : row.issue ? 'failed' : 'pending',
    trackId: row.track_id,
    reason: row.track_id ? null : row.issue,
    uploadedAt: row.created_at,
  };
}

export interface RescanDeps {
  db: Database;
  logger: Logger;
  events: EventHub;
  /** Scans these libraries (the server's scanner); undefined where nothing scans (files stay pending). */
  scan: ((libraryIds: number[]) => Promise<unknown>) | undefined;
  /** Default UPLOAD_SCAN_WAIT_MS. */
  waitMs?: number;
}

/**
 * Scans the upload library and answers the uploads as they are once it is done, or after the wait with
 * those not yet scanned pending. Either way the uploader gets a notification per file when its scan ends.
 */
export async function scanUploads(
  deps: RescanDeps,
  user: User,
  libraryId: number,
  ids: string[],
): Promise<UploadView[]> {
  const { db, logger, events } = deps;
  if (!deps.scan) return uploadsByIds(db, ids).map(viewOf);
  const scanned = deps.scan([libraryId]).then(
    () => {
      for (const upload of uploadsByIds(db, ids).map(viewOf)) notifyScanned(events, user, upload);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'the scan after an upload failed');
      for (const upload of uploadsByIds(db, ids).map(viewOf)) notifyScanned(events, user, upload);
    },
  );
  await waitAtMost(scanned, deps.waitMs ?? UPLOAD_SCAN_WAIT_MS);
  return order(uploadsByIds(db, ids).map(viewOf), ids);
}

function notifyScanned(events: EventHub, user: User, upload: UploadView): void {
  const scanned = upload.state === 'scanned';
  events.publish(
    'notification',
    {
      id: randomUUID(),
      kind: scanned ? 'upload.scanned' : 'upload.failed',
      title: scanned ? `${upload.name} is in the library` : `${upload.name} could not be added`,
      message: scanned
        ? `Your upload ${upload.originalName} was scanned.`
        : `Your upload ${upload.originalName} was not imported: ${upload.reason ?? 'the scan did not find it'}.`,
      subject: scanned ? { type: 'track', id: upload.trackId! } : { type: 'upload', id: upload.id },
      createdAt: new Date().toISOString(),
    },
    { userId: user.id },
  );
}

function waitAtMost(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function order(views: UploadView[], ids: readonly string[]): UploadView[] {
  const byId = new Map(views.map((view) => [view.id, view]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The caller's own uploads, newest first. */
export function listUploads(
  db: Database,
  user: User,
  page: { after?: { createdAt: number; id: string }; limit: number },
): UploadView[] {
  return uploadsOfUser(db, user.id, page).map(viewOf);
}

/**
 * Removes one of the caller's uploads: its file, its row, and (by a scan) its track. Another user's
 * upload is NOT_FOUND, as if it did not exist.
 */
export async function deleteUpload(deps: RescanDeps, user: User, id: string): Promise<void> {
  const { db } = deps;
  const upload = uploadsByIds(db, [id]).find((row) => row.user_id === user.id);
  if (!upload) throw new TonearmError('NOT_FOUND', `you have no upload ${id}`);
  const library = findLibrary(db, upload.library_id);
  if (library) {
    const root = await fs.promises.realpath(library.path).catch(() => undefined);
    if (!root)
      throw new TonearmError('LIBRARY_OFFLINE', `the folder of library ${library.name} is not there`);
    const relFile = upload.path.split('/');
    const folder = path.join(root, ...relFile.slice(0, -1));
    // A folder already gone took the file with it.
    if (fs.existsSync(folder)) {
      const real = await realFolderInside(root, folder);
      await fs.promises.rm(path.join(real, relFile.at(-1)!), { force: true }).catch((error: unknown) => {
        throw unwritable(error);
      });
    }
  }
  deleteUploadRow(db, id);
  if (library && deps.scan)
    await waitAtMost(
      deps
        .scan([library.id])
        .catch((error: unknown) =>
          deps.logger.error({ err: error }, 'the scan after removing an upload failed'),
        ),
      deps.waitMs ?? UPLOAD_SCAN_WAIT_MS,
    );
}
