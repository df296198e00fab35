// Accounts: create, list, find, change password, delete and verify users. Database work is synchronous;
// only hashing awaits (argon2 runs on the libuv thread pool), and never inside a transaction.
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import { TonearmError } from '../shared/errors.ts';
import { burnVerification, hashPassword, verifyPasswordHash } from './password.ts';
import {
  countAdmins,
  deleteUserRow,
  findUserRowByName,
  insertUserRow,
  listUserRows,
  updatePasswordHash,
} from './users.repository.ts';

export interface User {
  id: string;
  username: string;
  isAdmin: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface NewUser {
  username: string;
  password: string;
  isAdmin?: boolean;
}

export const USERNAME_MAX_LENGTH = 64;
export const PASSWORD_MAX_LENGTH = 1024;
// ASCII only: SQLite's NOCASE folds ASCII letters only, so "Ä" and "ä" would count as two users.
const USERNAME_PATTERN = /^[A-Za-z0-9._@-]+$/;

export function userFromRow(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    isAdmin: row.is_admin === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
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

export function newUserId(): string {
  return `us-${randomUUID().replaceAll('-', '')}`;
}

export async function createUser(db: Database, input: NewUser, now = Date.now()): Promise<User> {
  const username = validateUsername(input.username);
  const password = validatePassword(input.password);
  // Checked before hashing for a quick answer, and again by the UNIQUE index for concurrent creations.
  if (findUserRowByName(db, username)) throw userExists(username);
  const passwordHash = await hashPassword(password);
  const user: User = {
    id: newUserId(),
    username,
    isAdmin: input.isAdmin === true,
    createdAt: now,
    updatedAt: now,
  };
  try {
    insertUserRow(db, {
      id: user.id,
      username,
      password_hash: passwordHash,
      is_admin: user.isAdmin ? 1 : 0,
      created_at: now,
      updated_at: now,
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw userExists(username);
    throw error;
  }
  return user;
}

export function listUsers(db: Database): User[] {
  return listUserRows(db).map(userFromRow);
}

/** Case-insensitive lookup; undefined when there is no such user. */
export function findUserByName(db: Database, username: string): User | undefined {
  const row = findUserRowByName(db, username);
  return row ? userFromRow(row) : undefined;
}

export async function changePassword(
  db: Database,
  username: string,
  newPassword: string,
  now = Date.now(),
): Promise<void> {
  const password = validatePassword(newPassword);
  const row = findUserRowByName(db, username);
  if (!row) throw userNotFound(username);
  const passwordHash = await hashPassword(password);
  // The user may have been deleted while the hash was computed.
  if (updatePasswordHash(db, row.id, passwordHash, now) === 0) throw userNotFound(username);
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
  return row ? userFromRow(row) : undefined;
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

function userExists(username: string): TonearmError {
  return new TonearmError('USER_EXISTS', `a user named "${username}" already exists (names ignore case)`);
}

function userNotFound(username: string): TonearmError {
  return new TonearmError('NOT_FOUND', `there is no user named "${username.slice(0, USERNAME_MAX_LENGTH)}"`);
}
