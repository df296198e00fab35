// A fresh install has no account, and every client needs one. On the first start the server creates
// an "admin" user with a random password and writes the password to a file in the data folder (0600),
// never to the log. The file is removed as soon as anyone changes that password.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../db/database.ts';
import { replaceFileDurably } from '../shared/durable-file.ts';
import { dataDirOf } from './secret-key.ts';
import { createUser, listUsers } from './users.service.ts';

export const FIRST_ADMIN_NAME = 'admin';
export const FIRST_ADMIN_FILE = 'initial-admin-password.txt';

export async function ensureFirstAdmin(
  db: Database,
  dataDir: string,
): Promise<{ created: boolean; passwordFile: string }> {
  const passwordFile = path.join(dataDir, FIRST_ADMIN_FILE);
  if (listUsers(db).length > 0) return { created: false, passwordFile };
  const password = randomBytes(12).toString('base64url');
  // On disk before the account exists: a kill in between leaves no user, and the next start writes a new one.
  replaceFileDurably(passwordFile, `${password}\n`, 0o600);
  await createUser(db, { username: FIRST_ADMIN_NAME, password, isAdmin: true });
  return { created: true, passwordFile };
}

/** Called after a password change: the initial password is no longer true, so its file goes. */
export function forgetFirstAdminPassword(dataDir: string): void {
  fs.rmSync(path.join(dataDir, FIRST_ADMIN_FILE), { force: true });
}

/** After `username`'s password changed: when that is the first admin, their initial password file goes. */
export function passwordChangedFor(db: Database, username: string): void {
  if (username.toLowerCase() === FIRST_ADMIN_NAME) forgetFirstAdminPassword(dataDirOf(db));
}
