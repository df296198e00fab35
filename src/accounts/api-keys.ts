// API keys (OpenSubsonic apiKeyAuthentication): long random secrets that stand for one user. Only the
// SHA-256 of a key is stored — a key has 256 random bits, so a fast hash cannot be brute-forced and a
// slow one would only cost time on every request. The key is shown once, when created; lists show its
// prefix. Revocation deletes the row. A server remembers each key's user until the database changes
// (apiKeyUsers), so a revocation, a role change or a deleted user counts at the very next request.
import { hash, randomBytes } from 'node:crypto';
import { ChangeScopedCache } from '../db/change-scoped.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import type { ApiKeyRow } from '../db/schema.ts';
import {
  deleteApiKeyRow,
  findApiKeyByHash,
  findApiKeyRowById,
  insertApiKeyRow,
  listApiKeyRows,
  listApiKeyRowsAfter,
  touchApiKey,
} from './api-keys.repository.ts';
import { getUserByName, loadUser, type User } from './users.service.ts';

export const API_KEY_PREFIX = 'tnrm_';
/** Characters of the key kept in the database to tell keys apart in lists. */
const SHOWN_LENGTH = API_KEY_PREFIX.length + 6;
export const API_KEY_NAME_MAX_LENGTH = 100;
/** last_used_at is written at most this often per key, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;
// OpenSubsonic: keys are under 2048 characters; anything longer is not one of ours.
const KEY_MAX_LENGTH = 2048;

export interface ApiKeyInfo {
  id: string;
  userId: string;
  username: string;
  name: string;
  /** The first characters of the key, e.g. tnrm_Ab12Cd. */
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The secret itself: shown once, never stored. */
  key: string;
}

function hashKey(key: string): string {
  // One-shot hash: no Hash object per request.
  return hash('sha256', key, 'hex');
}

export function createApiKey(db: Database, username: string, name = '', now = Date.now()): CreatedApiKey {
  const trimmed = name.trim();
  if (trimmed.length > API_KEY_NAME_MAX_LENGTH || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new TonearmError(
      'INVALID_INPUT',
      `a key name must be at most ${API_KEY_NAME_MAX_LENGTH} characters without control characters`,
    );
  }
  const user = getUserByName(db, username);
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const id = `ak-${randomBytes(8).toString('hex')}`;
  const prefix = key.slice(0, SHOWN_LENGTH);
  insertApiKeyRow(db, {
    id,
    user_id: user.id,
    name: trimmed,
    key_hash: hashKey(key),
    prefix,
    created_at: now,
  });
  return {
    id,
    userId: user.id,
    username: user.username,
    name: trimmed,
    prefix,
    createdAt: now,
    lastUsedAt: null,
    key,
  };
}

/** Every key, or one user's keys (NOT_FOUND for an unknown user). */
export function listApiKeys(db: Database, username?: string): ApiKeyInfo[] {
  const userId = username === undefined ? undefined : getUserByName(db, username).id;
  return listApiKeyRows(db, userId).map(keyInfo);
}

/**
 * One page of keys in the order they were made: one user's (by id) or everybody's. `after` is the last key
 * of the previous page; `more`: a next page exists.
 */
export function listApiKeysPage(
  db: Database,
  page: { userId?: string; after?: { createdAt: number; id: string }; limit: number },
): { keys: ApiKeyInfo[]; more: boolean } {
  const rows = listApiKeyRowsAfter(db, { ...page, limit: page.limit + 1 });
  const more = rows.length > page.limit;
  if (more) rows.length = page.limit;
  return { keys: rows.map(keyInfo), more };
}

/**
 * Revokes a key and says which it was. With `ownerId`, only that user's key: another user's key is
 * NOT_FOUND like a key that does not exist, so ids of others' keys cannot be probed.
 */
export function revokeApiKey(db: Database, id: string, ownerId?: string): ApiKeyInfo {
  return db.transaction(() => {
    const row = findApiKeyRowById(db, id);
    if (!row || (ownerId !== undefined && row.user_id !== ownerId) || deleteApiKeyRow(db, id) === 0)
      throw new TonearmError('NOT_FOUND', `there is no API key with id ${id.slice(0, 100)}`);
    return keyInfo(row);
  });
}

function keyInfo(row: ApiKeyRow & { username: string }): ApiKeyInfo {
  return {
    id: row.id,
    userId: row.user_id,
    username: row.username,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/** What a key stands for, as read at one database version. */
interface KeyHolder {
  keyId: string;
  lastUsedAt: number | null;
  user: User;
}

function readKeyHolder(db: Database, keyHash: string): KeyHolder | undefined {
  const found = findApiKeyByHash(db, keyHash);
  return found && { keyId: found.key.id, lastUsedAt: found.key.last_used_at, user: loadUser(db, found.user) };
}

function noteUse(db: Database, holder: KeyHolder, now: number): void {
  const last = holder.lastUsedAt;
  // Noting the use must not refuse a valid key while the disk is full or the database is locked elsewhere.
  if (last === null || now - last >= LAST_USED_RESOLUTION_MS)
    db.bestEffort(() => touchApiKey(db, holder.keyId, now));
}

const plausibleKey = (key: string): boolean => key.length > 0 && key.length <= KEY_MAX_LENGTH;

/** The user a key stands for, or undefined for an unknown or revoked key. Records the use. */
export function userForApiKey(db: Database, key: string, now = Date.now()): User | undefined {
  if (!plausibleKey(key)) return undefined;
  const holder = readKeyHolder(db, hashKey(key));
  if (holder) noteUse(db, holder, now);
  return holder?.user;
}

/**
 * userForApiKey for a server, which sees the same keys on every request: a key's row and its user (two
 * row reads and the user's libraries) are kept until the database changes (Database.recentChangeVersion:
 * any write of this server at once, another process's within 100 ms), so a revoked key, a role change or
 * a deleted user counts at the next request. Unknown keys are never kept. Noting a use is a write, so
 * the key's next request reads it again.
 */
export function apiKeyUsers(db: Database): (key: string, now?: number) => User | undefined {
  const holders = new ChangeScopedCache<KeyHolder>(db, { maxEntries: 1_000 });
  return (key, now = Date.now()) => {
    if (!plausibleKey(key)) return undefined;
    const keyHash = hashKey(key);
    const holder = holders.get(keyHash, () => readKeyHolder(db, keyHash));
    if (holder) noteUse(db, holder, now);
    return holder?.user;
  };
}
