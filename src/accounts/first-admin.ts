// A fresh install has no account, and every client needs one. On the first start the server creates
// an "admin" user with a random password and writes the password to a file in the data folder (0600),
// never to the log. The file is removed as soon as anyone changes that password.
//
// That file is for headless installs. Whoever opens the web app first claims the server instead
// (POST /api/v1/setup): that is allowed while the server is unclaimed — no user at all, or only that
// generated admin, its password file still there and the account never used (no session, API key or
// client seen). Claiming replaces the generated admin with the chosen one and removes the file; from
// then on setup answers 409.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../db/database.ts';
import { replaceFileDurably } from '../shared/durable-file.ts';
import { TonearmError } from '../shared/errors.ts';
import { deleteUserRow, findUserRowByName, listUserRows, userHasBeenUsed } from './users.repository.ts';
import { createUser, listUsers, type User, updateUser } from './users.service.ts';
import { dataDirOf } from './secret-key.ts';

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

/** Whether POST /api/v1/setup may still create the first admin (see the top of this file). */
export function isUnclaimed(db: Database, dataDir: string): boolean {
  const rows = listUserRows(db);
  if (rows.length === 0) return true;
  if (rows.length > 1) return false;
  const only = rows[0]!;
  return (
    only.username === FIRST_ADMIN_NAME &&
    fs.existsSync(path.join(dataDir, FIRST_ADMIN_FILE)) &&
    !userHasBeenUsed(db, only.id)
  );
}

let claiming: Promise<User> | undefined;

/** Creates the first admin of an unclaimed server; SETUP_DONE (409) once claimed, also for a racing second call. */
export async function claimServer(
  db: Database,
  dataDir: string,
  input: { username: string; password: string },
): Promise<User> {
  if (claiming || !isUnclaimed(db, dataDir))
    throw new TonearmError('SETUP_DONE', 'this server already has its administrator; log in instead');
  claiming = (async () => {
    const generated = findUserRowByName(db, FIRST_ADMIN_NAME);
    let user: User;
    if (generated && generated.username.toLowerCase() === input.username.trim().toLowerCase()) {
      user = await updateUser(db, generated.username, { password: input.password });
    } else {
      user = await createUser(db, { username: input.username, password: input.password, isAdmin: true });
      if (generated) deleteUserRow(db, generated.id);
    }
    forgetFirstAdminPassword(dataDir);
    return user;
  })();
  try {
    return await claiming;
  } finally {
    claiming = undefined;
  }
}

/** After `username`'s password changed: when that is the first admin, their initial password file goes. */
export function passwordChangedFor(db: Database, username: string): void {
  if (username.toLowerCase() === FIRST_ADMIN_NAME) forgetFirstAdminPassword(dataDirOf(db));
}
