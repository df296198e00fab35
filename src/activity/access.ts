// What the activity module needs to know about a caller beyond who they are: which libraries they may
// see and whether they may share. These two accessors are the only places that read it.
import type { User } from '../accounts/users.service.ts';

/** The library ids the user may see (undefined would mean "every library"). */
export function visibleLibraryIds(user: User): readonly number[] | undefined {
  return user.libraryIds;
}

/** Admins always may share; others need the share role. */
export function maySharePublicly(user: User): boolean {
  return user.isAdmin || user.roles.share;
}
