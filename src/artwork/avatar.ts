// Avatars: <dataDir>/avatars/<userId>.png, written by setAvatar (validated and normalised by sharp:
// orientation applied, at most 512×512, PNG, no metadata), else a placeholder with the user's initial.
// Who may see one: the user themself and admins, the rule getUser follows. The Subsonic spec leaves it
// open; the picture is the user's own, and a client's chat or now-playing list that is refused just shows
// no picture.
import fs from 'node:fs';
import path from 'node:path';
import { findUserRowById, findUserRowByName, updateUserRow } from '../accounts/users.repository.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { type ArtworkCache, type ArtworkImage, cacheKey, fileImage } from './artwork-cache.ts';
import { isDecodable, normaliseToPng, renderOwnSvg, SNIFF_BYTES, sniffImageType } from './images.ts';
import { AVATAR_PLACEHOLDER_SIZE, avatarPlaceholderSvg } from './placeholder.ts';

export const AVATAR_MAX_SIZE = 512;
/** Uploads larger than this are refused before decoding. */
export const AVATAR_MAX_BYTES = 10 * 1024 * 1024;
const AVATAR_RENDER_VERSION = 1;
/** What setAvatar writes; the others are accepted when an admin drops a file there by hand. */
const AVATAR_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif'];

export interface AvatarCaller {
  username: string;
  isAdmin: boolean;
}

export function avatarDir(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'avatars');
}

/** User ids name files: anything but the generated shape is refused rather than joined into a path. */
function avatarBase(config: Pick<Config, 'dataDir'>, userId: string): string {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(userId)) throw new TonearmError('NOT_FOUND', 'user not found');
  return path.join(avatarDir(config), userId);
}

/**
 * The avatar of `username` for `caller`: FORBIDDEN (50) for someone else's unless the caller is an admin
 * (checked before the lookup, so names are not probed); NOT_FOUND (70) for an unknown user.
 */
export async function avatarImage(
  db: Database,
  config: Config,
  cache: ArtworkCache,
  caller: AvatarCaller,
  username: string,
  log?: Logger,
): Promise<ArtworkImage> {
  // Usernames are ASCII and compare case-insensitively, like the database's NOCASE.
  if (!caller.isAdmin && caller.username.toLowerCase() !== username.toLowerCase()) {
    throw new TonearmError('FORBIDDEN', "only an administrator may see another user's avatar");
  }
  const user = findUserRowByName(db, username);
  if (!user) throw new TonearmError('NOT_FOUND', `user not found: ${username.slice(0, 64)}`);
  const stored = await storedAvatar(config, user.id);
  if (stored) return stored;
  const key = cacheKey('avatar', AVATAR_RENDER_VERSION, user.username, AVATAR_PLACEHOLDER_SIZE);
  return cache.getOrCreate(
    key,
    () => renderOwnSvg(avatarPlaceholderSvg(user.username, AVATAR_PLACEHOLDER_SIZE)),
    log,
  );
}

async function storedAvatar(config: Config, userId: string): Promise<ArtworkImage | undefined> {
  const base = avatarBase(config, userId);
  for (const extension of AVATAR_EXTENSIONS) {
    const file = `${base}.${extension}`;
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch {
      continue;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) continue;
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
      const type = sniffImageType(buffer.subarray(0, bytesRead));
      if (type) return fileImage(file, stat.size, stat.mtimeMs, type);
    } finally {
      await handle.close();
    }
  }
  return undefined;
}

/**
 * Stores a user's avatar: the picture is decoded (INVALID_INPUT when it is not a JPEG, PNG, GIF, WebP or
 * AVIF image), made a PNG of at most 512×512 and written atomically; user.avatar_changed_at is set.
 * Returns that time.
 */
export async function setAvatar(
  db: Database,
  config: Config,
  userId: string,
  image: Uint8Array,
): Promise<number> {
  const base = avatarBase(config, userId);
  if (!findUserRowById(db, userId)) throw new TonearmError('NOT_FOUND', 'user not found');
  if (image.byteLength > AVATAR_MAX_BYTES) {
    throw new TonearmError('INVALID_INPUT', `an avatar may be at most ${AVATAR_MAX_BYTES / 1024 / 1024} MB`);
  }
  const type = sniffImageType(image);
  if (!isDecodable(type)) {
    throw new TonearmError('INVALID_INPUT', 'an avatar must be a JPEG, PNG, GIF, WebP or AVIF image');
  }
  let png: Buffer;
  try {
    png = await normaliseToPng(image, AVATAR_MAX_SIZE);
  } catch (error) {
    throw new TonearmError('INVALID_INPUT', 'the avatar image is damaged and cannot be read', {
      cause: error,
    });
  }
  await fs.promises.mkdir(avatarDir(config), { recursive: true });
  const file = `${base}.png`;
  const part = `${file}.${process.pid}.part`;
  try {
    await fs.promises.writeFile(part, png);
    await fs.promises.rename(part, file);
  } finally {
    await fs.promises.rm(part, { force: true });
  }
  // A hand-placed avatar of another type would otherwise win over the new one.
  for (const extension of AVATAR_EXTENSIONS)
    if (extension !== 'png') await fs.promises.rm(`${base}.${extension}`, { force: true });
  const now = Date.now();
  updateUserRow(db, userId, { avatar_changed_at: now });
  return now;
}
