// Checks the three kinds of Subsonic credentials. Clients send them with every request, so the expensive
// one is remembered:
//   - password (p): argon2 takes tens of milliseconds, so a success is remembered for a short while. The
//     cache key is an HMAC under a per-process random key (no password-derived value that could be cracked
//     offline outlives the process). A hit returns the user as loaded, for as long as the database has
//     not changed; after any change it reads the user row again and requires the stored hash to be
//     unchanged, so a password change or a deleted user takes effect at once. Concurrent checks of the
//     same credentials share one argon2 run.
//   - token (t+s): a row read plus an AES-GCM decryption — microseconds, and the row read is what makes a
//     changed password count at once — so nothing is remembered (remembering would mean keeping
//     decrypted passwords in memory, for no gain).
//   - API key: a SHA-256, then the key's user is remembered until the database changes (api-keys.ts
//     apiKeyUsers): the two row reads and the libraries query were most of an API request's own cost.
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import NodeCache from 'node-cache';
import type { Database } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import { apiKeyUsers } from './api-keys.ts';
import { findUserRowByName, markFirstLogin } from './users.repository.ts';
import {
  loadUser,
  rememberPasswordCopy,
  type User,
  verifyPasswordRow,
  verifyToken,
} from './users.service.ts';

export type TokenResult = { user: User } | { failure: 'wrong' | 'unsupported' };

export interface CredentialVerifier {
  /** The matching user, or undefined for wrong credentials. */
  verify(username: string, password: string): Promise<User | undefined>;
  /** Token auth: t = md5_hex(password + s). 'unsupported' when the user has no recoverable password. */
  verifyToken(username: string, token: string, salt: string): TokenResult;
  /** The user of an API key, or undefined for an unknown or revoked key. */
  verifyApiKey(key: string): User | undefined;
  /** Forgets every remembered success. */
  flush(): void;
}

export interface CredentialVerifierOptions {
  ttlSeconds?: number;
  maxEntries?: number;
}

interface Remembered {
  userId: string;
  passwordHash: string;
  /** The user as loaded at `version` (Database.recentChangeVersion()). */
  user: User;
  version: string;
}

export function createCredentialVerifier(
  db: Database,
  options: CredentialVerifierOptions = {},
): CredentialVerifier {
  const ttlSeconds = options.ttlSeconds ?? 60;
  // One KeyObject for the process: building it from bytes on every request showed in profiles.
  const secret = createSecretKey(randomBytes(32));
  const cache = new NodeCache({
    stdTTL: ttlSeconds,
    checkperiod: Math.max(ttlSeconds, 1),
    useClones: false,
    maxKeys: options.maxEntries ?? 10_000,
  });
  const inFlight = new Map<string, Promise<UserRow | undefined>>();
  const userOfApiKey = apiKeyUsers(db);

  const keyOf = (username: string, password: string): string =>
    createHmac('sha256', secret)
      .update(`${username.length}:${username}`)
      .update(password)
      .digest('base64url');

  return {
    async verify(username, password) {
      const key = keyOf(username, password);
      const remembered = cache.get<Remembered>(key);
      if (remembered) {
        const version = db.recentChangeVersion();
        if (remembered.version === version) return remembered.user;
        const row = findUserRowByName(db, username);
        if (row && row.id === remembered.userId && row.password_hash === remembered.passwordHash) {
          remembered.user = loadUser(db, row);
          remembered.version = version;
          return remembered.user;
        }
        cache.del(key);
      }
      let pending = inFlight.get(key);
      if (!pending) {
        pending = verifyPasswordRow(db, username, password).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const row = await pending;
      if (!row) return undefined;
      if (row.first_login_at === null) markFirstLogin(db, row.id, Date.now());
      rememberPasswordCopy(db, row, password);
      const user = loadUser(db, row);
      try {
        cache.set<Remembered>(key, {
          userId: row.id,
          passwordHash: row.password_hash,
          user,
          version: db.recentChangeVersion(),
        });
      } catch {
        // Cache full (ECACHEFULL): verify without remembering until entries expire.
      }
      return user;
    },
    verifyToken(username, token, salt) {
      const result = verifyToken(db, username, token, salt);
      if (!('row' in result)) return result;
      if (result.row.first_login_at === null) markFirstLogin(db, result.row.id, Date.now());
      return { user: loadUser(db, result.row) };
    },
    verifyApiKey(key) {
      return userOfApiKey(key);
    },
    flush() {
      cache.flushAll();
    },
  };
}
