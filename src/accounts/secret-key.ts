// The server's secret key and the sealed password copies made with it. Token auth (t = md5(password + s))
// cannot work from a one-way hash, so each password is also kept encrypted (AES-256-GCM) under a 32-byte
// key in the data folder. The key file is created with mode 0600 at first need and refused when it is
// readable by others or not exactly 32 bytes: a database backup alone then reveals no password.
//
// The key is located beside the database file (the data folder holds both, see databaseFile()), so
// every path that creates users — the server, the CLI, tests — seals with the same key without having to
// be handed the data folder. Neither the key nor a password is ever logged or put in an error message.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../db/database.ts';
import { createFileDurably } from '../shared/durable-file.ts';
import { TonearmError } from '../shared/errors.ts';

export const SECRET_KEY_FILE = 'secret.key';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Reads <dataDir>/secret.key, creating it (0600, 32 random bytes) when it does not exist. Throws SECRET_KEY
 * when the file is group/world accessible, has the wrong size or cannot be read.
 */
export function loadSecretKey(dataDir: string): Buffer {
  const file = path.join(dataDir, SECRET_KEY_FILE);
  try {
    // All or nothing, and never over another process's key: a kill mid-write must not leave a short key
    // that stops every later start.
    createFileDurably(file, randomBytes(KEY_BYTES), 0o600);
  } catch (error) {
    throw keyError(file, error);
  }
  let stat: fs.Stats;
  let key: Buffer;
  try {
    stat = fs.statSync(file);
    key = fs.readFileSync(file);
  } catch (error) {
    throw keyError(file, error);
  }
  // Windows has no POSIX permission bits to check.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new TonearmError(
      'SECRET_KEY',
      `${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`,
    );
  }
  if (key.length !== KEY_BYTES) {
    throw new TonearmError(
      'SECRET_KEY',
      `${file} must hold exactly ${KEY_BYTES} bytes (it has ${key.length}); restore it from a backup, or delete it so a new one is made (token logins then need each password to be set again)`,
    );
  }
  return key;
}

function keyError(file: string, error: unknown): TonearmError {
  return new TonearmError(
    'SECRET_KEY',
    `cannot read or create ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
  );
}

/** Seals and opens password copies; `context` (the user id) is bound in, so a copy cannot be moved. */
export interface PasswordVault {
  seal(context: string, password: string): string;
  /** The password, or undefined when the copy was sealed under another key or for another context. */
  open(context: string, sealed: string): string | undefined;
}

export function createPasswordVault(dataDir: string): PasswordVault {
  let key: Buffer | undefined;
  // Loaded at first use and then kept: the key is read once per process, not per request.
  const getKey = (): Buffer => {
    key ??= loadSecretKey(dataDir);
    return key;
  };
  return {
    seal(context, password) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', getKey(), nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()]);
      return Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]).toString('base64');
    },
    open(context, sealed) {
      const bytes = Buffer.from(sealed, 'base64');
      if (bytes.length < NONCE_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', getKey(), bytes.subarray(0, NONCE_BYTES));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
        return Buffer.concat([
          decipher.update(bytes.subarray(NONCE_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch (error) {
        if (error instanceof TonearmError) throw error;
        return undefined; // authentication failed: another key, or a tampered copy
      }
    },
  };
}

const vaults = new Map<string, PasswordVault>();

/** The vault of the data folder that holds this database; undefined for an in-memory database. */
export function passwordVaultFor(db: Database): PasswordVault | undefined {
  if (db.file === '' || db.file === ':memory:') return undefined;
  const dataDir = dataDirOf(db);
  let vault = vaults.get(dataDir);
  if (!vault) {
    vault = createPasswordVault(dataDir);
    vaults.set(dataDir, vault);
  }
  return vault;
}

/** The data folder: the folder that holds the database file. */
export function dataDirOf(db: Database): string {
  return path.dirname(path.resolve(db.file));
}

/** At start-up: a key file that exists but would be refused stops the server now, not at the first login. */
export function checkExistingSecretKey(db: Database): void {
  if (db.file === '' || db.file === ':memory:') return;
  const dataDir = dataDirOf(db);
  if (fs.existsSync(path.join(dataDir, SECRET_KEY_FILE))) loadSecretKey(dataDir);
}
