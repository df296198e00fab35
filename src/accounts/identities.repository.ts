// Queries on user_identity: which local user an outside identity (an OIDC issuer and subject) logs in as.
import type { Database } from '../db/database.ts';

export interface IdentityRow {
  provider: string;
  subject: string;
  user_id: string;
  created_at: number;
  last_login_at: number | null;
}

export function findIdentity(db: Database, provider: string, subject: string): IdentityRow | undefined {
  return db.first(
    db.kysely
      .selectFrom('user_identity')
      .selectAll()
      .where('provider', '=', provider)
      .where('subject', '=', subject),
  );
}

/** Links the identity to the user unless it is linked already; 0 when another link won. */
export function insertIdentity(db: Database, row: IdentityRow): number {
  return db.run(
    db.kysely
      .insertInto('user_identity')
      .values(row)
      .onConflict((conflict) => conflict.columns(['provider', 'subject']).doNothing()),
  ).changes;
}

export function touchIdentity(db: Database, provider: string, subject: string, at: number): void {
  db.run(
    db.kysely
      .updateTable('user_identity')
      .set({ last_login_at: at })
      .where('provider', '=', provider)
      .where('subject', '=', subject),
  );
}
