// Accounts: create, list, find, update, change password, delete and verify users. Database work is
// synchronous; only hashing awaits (argon2 runs on the libuv thread pool), and never inside a transaction.
// Authorisation (who may change whom) is decided by the callers that know the caller: the Subsonic
// handlers and the CLI (which is trusted: it runs with access to the data folder).
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { UserRow, UserTable } from '../db/schema.ts';
import { TonearmError } from '../shared/errors.ts';
import { burnVerification, hashPassword, verifyPasswordHash } from './password.ts';
import { revokeSessionRowsOfUser } from './sessions.repository.ts';
import { passwordVaultFor } from './secret-key.ts';
import {
  countAdmins,
  deleteUserRow,
  existingLibraryIds,
  findUserRowByName,
  insertUserRow,
  libraryIdsByUser,
  libraryIdsByUserInRange,
  libraryIdsOfUser,
  listUserRows,
  listUserRowsAfter,
  replaceUserLibraries,
  storePasswordCopy,
  updateUserRow,
} from './users.repository.ts';

/** Subsonic's role flags. An admin has every role, whatever is stored for them. */
export interface UserRoles {
  admin: boolean;
  settings: boolean;
  stream: boolean;
  jukebox: boolean;
  download: boolean;
  upload: boolean;
  playlist: boolean;
  coverArt: boolean;
  comment: boolean;
  podcast: boolean;
  share: boolean;
  videoConversion: boolean;
}

export type RoleName = keyof UserRoles;

export interface User {
  id: string;
  username: string;
  isAdmin: boolean;
  createdAt: number;
  updatedAt: number;
  email: string;
  roles: UserRoles;
  scrobblingEnabled: boolean;
  /** Kbit/s cap for streaming; 0 = unlimited. */
  maxBitRate: number;
  /** Libraries (music folders) this user may see, ascending. Admins too are limited to theirs. */
  libraryIds: number[];
  avatarChangedAt: number | null;
  /** Two-factor login (TOTP) is on: password logins need a code, Subsonic clients need an API key. */
  totpEnabled: boolean;
}

/** Role defaults for new users (the migration's column defaults say the same; see its header for why). */
export const DEFAULT_ROLES: Readonly<Omit<UserRoles, 'admin'>> = {
  settings: true,
  stream: true,
  jukebox: false,
  download: true,
  upload: false,
  playlist: true,
  coverArt: false,
  comment: true,
  podcast: false,
  share: true,
  videoConversion: false,
};

export const MAX_BIT_RATES: readonly number[] = [
  0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];

const ROLE_COLUMNS = {
  settings: 'settings_role',
  stream: 'stream_role',
  jukebox: 'jukebox_role',
  download: 'download_role',
  upload: 'upload_role',
  playlist: 'playlist_role',
  coverArt: 'cover_art_role',
  comment: 'comment_role',
  podcast: 'podcast_role',
  share: 'share_role',
  videoConversion: 'video_conversion_role',
} as const satisfies Record<Exclude<RoleName, 'admin'>, keyof UserTable>;

export interface NewUser {
  username: string;
  password: string;
  isAdmin?: boolean;
  email?: string;
  /** Roles to set; the others take DEFAULT_ROLES. */
  roles?: Partial<Omit<UserRoles, 'admin'>>;
  scrobblingEnabled?: boolean;
  maxBitRate?: number;
  /** Libraries to grant; every existing library when absent. */
  libraryIds?: readonly number[];
}

/** Only the fields present change. */
export interface UserChanges {
  password?: string;
  isAdmin?: boolean;
  email?: string;
  roles?: Partial<Omit<UserRoles, 'admin'>>;
  scrobblingEnabled?: boolean;
  maxBitRate?: number;
  libraryIds?: readonly number[];
}

export const USERNAME_MAX_LENGTH = 64;
export const PASSWORD_MAX_LENGTH = 1024;
// ASCII only: SQLite's NOCASE folds ASCII letters only, so "Ä" and "ä" would count as two users.
const USERNAME_PATTERN = /^[A-Za-z0-9._@-]+$/;

export function userFromRow(row: UserRow, libraryIds: number[]): User {
  const isAdmin = row.is_admin === 1;
  const roles = { admin: isAdmin } as UserRoles;
  for (const [role, column] of Object.entries(ROLE_COLUMNS) as [keyof typeof ROLE_COLUMNS, keyof UserRow][])
    roles[role] = isAdmin || row[column] === 1;
  return {
    id: row.id,
    username: row.username,
    isAdmin,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    email: row.email,
    roles,
    scrobblingEnabled: row.scrobbling_enabled === 1,
    maxBitRate: row.max_bit_rate,
    libraryIds,
    avatarChangedAt: row.avatar_changed_at,
    totpEnabled: row.totp_enabled_at !== null,
  };
}

/** The domain user of a row, with its library grants read from the database. */
export function loadUser(db: Database, row: UserRow): User {
  return userFromRow(row, libraryIdsOfUser(db, row.id));
}

/** Throws INVALID_INPUT naming what is wrong with a proposed username. */
export function validateUsername(username: unknown): string {
  if (typeof username !== 'string' || username.length === 0) {
    throw new TonearmError('INVALID_INPUT', 'a username must not be empty');
  }
  if (username.length > USERNAME_MAX_LENGTH) {
    throw new TonearmError('INVALID_INPUT', `a username must be at most ${USERNAME_MAX_LENGTH} characters`);
  }
  if (!USERNAME_PATTERN.test(username)) {
    throw new TonearmError(
      'INVALID_INPUT',
      `username "${username.slice(0, USERNAME_MAX_LENGTH)}" may only contain letters A-Z, digits and . _ - @`,
    );
  }
  return username;
}

/** Short passwords are allowed on purpose: Subsonic clients and shared family accounts use them. */
export function validatePassword(password: unknown): string {
  if (typeof password !== 'string' || password.length === 0) {
    throw new TonearmError('INVALID_INPUT', 'a password must not be empty');
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw new TonearmError('INVALID_INPUT', `a password must be at most ${PASSWORD_MAX_LENGTH} characters`);
  }
  return password;
}

/** An email address is optional (''); when given it must look like one. */
export function validateEmail(email: unknown): string {
  if (typeof email !== 'string') throw new TonearmError('INVALID_INPUT', 'an email address must be text');
  const trimmed = email.trim();
  if (trimmed === '') return '';
  if (trimmed.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(trimmed)) {
    throw new TonearmError('INVALID_INPUT', 'the email address is not valid (expected name@host)');
  }
  return trimmed;
}

/** Subsonic's list of bit rates (kbit/s); 0 means unlimited. */
export function validateMaxBitRate(maxBitRate: number): number {
  if (!MAX_BIT_RATES.includes(maxBitRate)) {
    throw new TonearmError('INVALID_INPUT', `maxBitRate must be one of ${MAX_BIT_RATES.join(', ')}`);
  }
  return maxBitRate;
}

function validateLibraryIds(db: Database, libraryIds: readonly number[]): number[] {
  const existing = new Set(existingLibraryIds(db));
  const unique = [...new Set(libraryIds)].sort((a, b) => a - b);
  const missing = unique.find((id) => !existing.has(id));
  if (missing !== undefined)
    throw new TonearmError('NOT_FOUND', `there is no music folder with id ${missing}`);
  return unique;
}

function roleColumns(roles: Partial<Omit<UserRoles, 'admin'>>): Partial<Record<string, number>> {
  const columns: Partial<Record<string, number>> = {};
  for (const [role, column] of Object.entries(ROLE_COLUMNS) as [keyof typeof ROLE_COLUMNS, string][]) {
    const value = roles[role];
    if (value !== undefined) columns[column] = value ? 1 : 0;
  }
  return columns;
}

export function newUserId(): string {
  return `us-${randomUUID().replaceAll('-', '')}`;
}

export async function createUser(db: Database, input: NewUser, now = Date.now()): Promise<User> {
  const username = validateUsername(input.username);
  const password = validatePassword(input.password);
  const email = validateEmail(input.email ?? '');
  if (input.maxBitRate !== undefined) validateMaxBitRate(input.maxBitRate);
  // Checked before hashing for a quick answer, and again by the UNIQUE index for concurrent creations.
  if (findUserRowByName(db, username)) throw userExists(username);
  const passwordHash = await hashPassword(password);
  const id = newUserId();
  const roles = { ...DEFAULT_ROLES, ...input.roles };
  const sealed = passwordVaultFor(db)?.seal(id, password) ?? null;
  try {
    db.transaction(() => {
      const libraryIds = input.libraryIds ? validateLibraryIds(db, input.libraryIds) : existingLibraryIds(db);
      insertUserRow(db, {
        id,
        username,
        password_hash: passwordHash,
        password_enc: sealed,
        is_admin: input.isAdmin === true ? 1 : 0,
        email,
        ...roleColumns(roles),
        scrobbling_enabled: input.scrobblingEnabled === false ? 0 : 1,
        max_bit_rate: input.maxBitRate ?? 0,
        created_at: now,
        updated_at: now,
      });
      replaceUserLibraries(db, id, libraryIds);
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw userExists(username);
    throw error;
  }
  return loadUser(db, findUserRowByName(db, username)!);
}

export function listUsers(db: Database): User[] {
  const grants = libraryIdsByUser(db);
  return listUserRows(db).map((row) => userFromRow(row, grants.get(row.id) ?? []));
}

/** One page of users by name (case-insensitive order), after the name `after`; `more`: a next page exists. */
export function listUsersPage(
  db: Database,
  page: { after?: string; limit: number },
): { users: User[]; more: boolean } {
  const rows = listUserRowsAfter(db, page.after, page.limit + 1);
  const more = rows.length > page.limit;
  if (more) rows.length = page.limit;
  if (rows.length === 0) return { users: [], more };
  const grants = libraryIdsByUserInRange(db, page.after, rows.at(-1)!.username);
  return { users: rows.map((row) => userFromRow(row, grants.get(row.id) ?? [])), more };
}

/** The roles (admin included) a change granted and revoked, for the audit log. */
export function roleChanges(before: User, after: User): { granted: RoleName[]; revoked: RoleName[] } {
  const granted: RoleName[] = [];
  const revoked: RoleName[] = [];
  for (const role of Object.keys(before.roles) as RoleName[]) {
    if (!before.roles[role] && after.roles[role]) granted.push(role);
    if (before.roles[role] && !after.roles[role]) revoked.push(role);
  }
  return { granted, revoked };
}

/** Case-insensitive lookup; undefined when there is no such user. */
export function findUserByName(db: Database, username: string): User | undefined {
  const row = findUserRowByName(db, username);
  return row ? loadUser(db, row) : undefined;
}

/** The user, or NOT_FOUND (Subsonic 70). */
export function getUserByName(db: Database, username: string): User {
  const user = findUserByName(db, username);
  if (!user) throw userNotFound(username);
  return user;
}

export async function changePassword(
  db: Database,
  username: string,
  newPassword: string,
  now = Date.now(),
): Promise<void> {
  await updateUser(db, username, { password: newPassword }, now);
}

/** Applies the given changes; an admin cannot lose the admin role while they are the last admin. */
export async function updateUser(
  db: Database,
  username: string,
  changes: UserChanges,
  now = Date.now(),
): Promise<User> {
  const password = changes.password === undefined ? undefined : validatePassword(changes.password);
  const email = changes.email === undefined ? undefined : validateEmail(changes.email);
  if (changes.maxBitRate !== undefined) validateMaxBitRate(changes.maxBitRate);
  const before = findUserRowByName(db, username);
  if (!before) throw userNotFound(username);
  const passwordHash = password === undefined ? undefined : await hashPassword(password);
  return db.transaction(() => {
    // Read again: the user may have been deleted or changed while the hash was computed.
    const row = findUserRowByName(db, username);
    if (!row || row.id !== before.id) throw userNotFound(username);
    if (changes.isAdmin === false && row.is_admin === 1 && countAdmins(db) <= 1) {
      throw new TonearmError('LAST_ADMIN', `${row.username} is the last administrator and must stay one`);
    }
    const update: Parameters<typeof updateUserRow>[2] = { updated_at: now };
    if (passwordHash !== undefined && password !== undefined) {
      update.password_hash = passwordHash;
      update.password_enc = passwordVaultFor(db)?.seal(row.id, password) ?? null;
      update.password_changed_at = now;
      // Whoever knew the old password may hold a session: a new password ends them all.
      revokeSessionRowsOfUser(db, row.id, now, 'password changed');
    }
    if (changes.isAdmin !== undefined) update.is_admin = changes.isAdmin ? 1 : 0;
    if (email !== undefined) update.email = email;
    if (changes.roles) Object.assign(update, roleColumns(changes.roles));
    if (changes.scrobblingEnabled !== undefined)
      update.scrobbling_enabled = changes.scrobblingEnabled ? 1 : 0;
    if (changes.maxBitRate !== undefined) update.max_bit_rate = changes.maxBitRate;
    updateUserRow(db, row.id, update);
    if (changes.libraryIds) replaceUserLibraries(db, row.id, validateLibraryIds(db, changes.libraryIds));
    return loadUser(db, findUserRowByName(db, username)!);
  });
}

export function deleteUser(db: Database, username: string): void {
  db.transaction(() => {
    const row = findUserRowByName(db, username);
    if (!row) throw userNotFound(username);
    if (row.is_admin === 1 && countAdmins(db) <= 1) {
      throw new TonearmError('LAST_ADMIN', `${row.username} is the last administrator and cannot be deleted`);
    }
    deleteUserRow(db, row.id);
  });
}

/**
 * The user whose name and password match, or undefined. An unknown user costs as much time as a wrong
 * password, so response times do not tell which usernames exist.
 */
export async function verifyPassword(
  db: Database,
  username: string,
  password: string,
): Promise<User | undefined> {
  const row = await verifyPasswordRow(db, username, password);
  return row ? loadUser(db, row) : undefined;
}

/** verifyPassword, returning the row (for the credential cache, which must see the stored hash). */
export async function verifyPasswordRow(
  db: Database,
  username: string,
  password: string,
): Promise<UserRow | undefined> {
  if (typeof password !== 'string' || password.length === 0 || password.length > PASSWORD_MAX_LENGTH)
    return undefined;
  const row =
    typeof username === 'string' && username.length > 0 && username.length <= USERNAME_MAX_LENGTH
      ? findUserRowByName(db, username)
      : undefined;
  if (!row) {
    await burnVerification(password);
    return undefined;
  }
  return (await verifyPasswordHash(row.password_hash, password)) ? row : undefined;
}

export type TokenCheck = { row: UserRow } | { failure: 'wrong' | 'unsupported' };

/**
 * Subsonic token auth: t must be md5_hex(password + s). Needs the sealed password copy; a user without one
 * (created before copies were kept), or whose copy no longer opens (the key file was replaced), cannot use
 * tokens: 'unsupported' (Subsonic 41), and the client falls back to p.
 */
export function verifyToken(db: Database, username: string, token: string, salt: string): TokenCheck {
  const row =
    username.length <= USERNAME_MAX_LENGTH && /^[0-9a-fA-F]{32}$/.test(token) && salt.length <= 1024
      ? findUserRowByName(db, username)
      : undefined;
  if (!row) return { failure: 'wrong' };
  const vault = passwordVaultFor(db);
  if (row.password_enc === null || !vault) return { failure: 'unsupported' };
  const password = vault.open(row.id, row.password_enc);
  if (password === undefined) return { failure: 'unsupported' };
  const expected = createHash('md5').update(`${password}${salt}`, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(token, 'hex')) ? { row } : { failure: 'wrong' };
}

/**
 * After a successful p login of a user without a usable sealed copy (created before copies were kept, or
 * the key file was replaced), keep one so tokens work from now on.
 */
export function rememberPasswordCopy(db: Database, row: UserRow, password: string): void {
  const vault = passwordVaultFor(db);
  if (!vault) return;
  if (row.password_enc !== null && vault.open(row.id, row.password_enc) !== undefined) return;
  // Worth keeping, but not at the price of a login while the disk is full: the next login tries again.
  db.bestEffort(() => storePasswordCopy(db, row.id, row.password_hash, vault.seal(row.id, password)));
}

function userExists(username: string): TonearmError {
  return new TonearmError('USER_EXISTS', `a user named "${username}" already exists (names ignore case)`);
}

function userNotFound(username: string): TonearmError {
  return new TonearmError('NOT_FOUND', `there is no user named "${username.slice(0, USERNAME_MAX_LENGTH)}"`);
}
