// Who may see and change which account. One place, so the Subsonic handlers and any later API decide
// alike. A refusal is FORBIDDEN (Subsonic 50). Also what a user may do with music: stream and download.
// Which libraries they see is User.libraryIds, applied by the catalog's one visibility filter
// (src/catalog/visibility.repository.ts) to every read, playback's included.
import { TonearmError } from '../shared/errors.ts';
import type { User } from './users.service.ts';

function isSelf(caller: User, username: string): boolean {
  // Usernames are ASCII and compare case-insensitively, like the database's NOCASE.
  return caller.username.toLowerCase() === username.toLowerCase();
}

/** Listing, creating, updating and deleting accounts is for admins. */
export function assertCanManageUsers(caller: User): void {
  if (!caller.isAdmin) throw new TonearmError('FORBIDDEN', 'only an administrator may manage users');
}

/** Anyone may read their own account; admins read every account. */
export function assertCanViewUser(caller: User, username: string): void {
  if (!caller.isAdmin && !isSelf(caller, username)) {
    throw new TonearmError('FORBIDDEN', "only an administrator may read another user's account");
  }
}

/** Your own password if your settings role allows it; anyone's as an admin. */
export function assertCanChangePassword(caller: User, username: string): void {
  if (caller.isAdmin) return;
  if (!isSelf(caller, username)) {
    throw new TonearmError('FORBIDDEN', "only an administrator may change another user's password");
  }
  assertCanChangeOwnSettings(caller);
}

/** A user's own settings (email, scrobbling) need the settings role; admins have it. */
export function assertCanChangeOwnSettings(caller: User): void {
  if (!caller.roles.settings)
    throw new TonearmError('FORBIDDEN', 'this account may not change its settings or password');
}

/** Scans touch every library (and every user's view of it): administrators start them. */
export function assertCanStartScan(caller: User): void {
  if (!caller.isAdmin) throw new TonearmError('FORBIDDEN', 'only administrators may start a scan');
}

/** Admins delete accounts, but not their own (that would end the session that asks). */
export function assertCanDeleteUser(caller: User, username: string): void {
  assertCanManageUsers(caller);
  if (isSelf(caller, username)) {
    throw new TonearmError('INVALID_INPUT', 'you cannot delete your own account; ask another administrator');
  }
}

/** Playing music in any form (stream, HLS, transcodes) needs the stream role. */
export function mayStream(user: Pick<User, 'roles'>): boolean {
  return user.roles.stream;
}

/** Fetching original files (download, zip archives) needs the download role. */
export function mayDownload(user: Pick<User, 'roles'>): boolean {
  return user.roles.download;
}

export function assertMayStream(user: Pick<User, 'username' | 'roles'>): void {
  if (!mayStream(user)) throw new TonearmError('FORBIDDEN', `${user.username} may not stream music`);
}

export function assertMayDownload(user: Pick<User, 'username' | 'roles'>): void {
  if (!mayDownload(user)) throw new TonearmError('FORBIDDEN', `${user.username} may not download music`);
}
