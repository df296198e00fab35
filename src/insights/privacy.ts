// A user's listening privacy (docs/insights.md, "Privacy"): whether their listening counts in other
// users' recommendations, trends and server totals, and whether admins may see their statistics in detail.
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { privacyOf, setPrivacy } from './analytics.repository.ts';

export interface ListeningPrivacy {
  shareListening: boolean;
  historyVisibleToAdmins: boolean;
}

export function listeningPrivacy(db: Database, userId: string): ListeningPrivacy {
  const row = privacyOf(db, userId);
  if (!row) throw new TonearmError('NOT_FOUND', `no user ${userId}`);
  return {
    shareListening: row.shareListening === 1,
    historyVisibleToAdmins: row.historyVisibleToAdmins === 1,
  };
}

/** Changes what is given; says whether sharing changed (the models must then be rebuilt). */
export function changeListeningPrivacy(
  db: Database,
  userId: string,
  changes: Partial<ListeningPrivacy>,
): { privacy: ListeningPrivacy; sharingChanged: boolean } {
  const before = listeningPrivacy(db, userId);
  const flag = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0);
  setPrivacy(db, userId, {
    shareListening: flag(changes.shareListening),
    historyVisibleToAdmins: flag(changes.historyVisibleToAdmins),
  });
  const privacy = listeningPrivacy(db, userId);
  return { privacy, sharingChanged: before.shareListening !== privacy.shareListening };
}
