// Subsonic clients send the password with every request and argon2 takes tens of milliseconds, so a
// successful check is remembered for a short while. The cache key is an HMAC under a per-process random
// key (no password-derived value that could be cracked offline outlives the process). A hit still reads
// the user row and requires the stored hash to be unchanged, so a password change or a deleted user takes
// effect at once. Concurrent checks of the same credentials share one argon2 run.
import { createHmac, randomBytes } from 'node:crypto';
import NodeCache from 'node-cache';
import type { Database } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import { findUserRowByName } from './users.repository.ts';
import { type User, userFromRow, verifyPasswordRow } from './users.service.ts';

export interface CredentialVerifier {
  /** The matching user, or undefined for wrong credentials. */
  verify(username: string, password: string): Promise<User | undefined>;
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
}

export function createCredentialVerifier(
  db: Database,
  options: CredentialVerifierOptions = {},
): CredentialVerifier {
  const ttlSeconds = options.ttlSeconds ?? 60;
  const secret = randomBytes(32);
  const cache = new NodeCache({
    stdTTL: ttlSeconds,
    checkperiod: Math.max(ttlSeconds, 1),
    useClones: false,
    maxKeys: options.maxEntries ?? 10_000,
  });
  const inFlight = new Map<string, Promise<UserRow | undefined>>();

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
        const row = findUserRowByName(db, username);
        if (row && row.id === remembered.userId && row.password_hash === remembered.passwordHash)
          return userFromRow(row);
        cache.del(key);
      }
      let pending = inFlight.get(key);
      if (!pending) {
        pending = verifyPasswordRow(db, username, password).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const row = await pending;
      if (!row) return undefined;
      try {
        cache.set<Remembered>(key, { userId: row.id, passwordHash: row.password_hash });
      } catch {
        // Cache full (ECACHEFULL): verify without remembering until entries expire.
      }
      return userFromRow(row);
    },
    flush() {
      cache.flushAll();
    },
  };
}
