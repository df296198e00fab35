// Accounts security (issue 13): browser and app sessions with rotating refresh tokens, TOTP two-factor
// with recovery codes, OIDC identities, and an audit log of security events. Frozen once shipped.
//
// A session is one login on one device: a family of refresh tokens, of which only the newest is live.
// refresh_token keeps every token of the family (hashed, never the token itself): presenting one that was
// already rotated (rotated_at set) is a replay, and the whole family is revoked. Access tokens (JWT) name
// their session, so revoking a session ends its access tokens at once.
//
// TOTP secrets are sealed like password copies (AES-256-GCM under <dataDir>/secret.key, bound to the
// user id). totp_pending_enc holds a secret being set up until its first code confirms it. totp_last_step is
// the time step (unix seconds / 30) of the last code accepted: a code of that step or an earlier one is
// refused, so a code seen over someone's shoulder cannot be used again (RFC 6238 §5.2).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `CREATE TABLE session (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      method TEXT NOT NULL,
      device TEXT NOT NULL DEFAULT '',
      address TEXT NOT NULL DEFAULT '',
      created_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER,
      revoked_reason TEXT
    ) WITHOUT ROWID`,
    `CREATE INDEX session_by_user ON session (user_id, last_seen_at)`,
    `CREATE TABLE refresh_token (
      token_hash TEXT PRIMARY KEY,
      session_id TEXT NOT NULL REFERENCES session(id) ON DELETE CASCADE,
      created_at INTEGER NOT NULL,
      rotated_at INTEGER
    ) WITHOUT ROWID`,
    `CREATE INDEX refresh_token_by_session ON refresh_token (session_id)`,
    `ALTER TABLE user ADD COLUMN totp_secret_enc TEXT`,
    `ALTER TABLE user ADD COLUMN totp_enabled_at INTEGER`,
    `ALTER TABLE user ADD COLUMN totp_pending_enc TEXT`,
    `ALTER TABLE user ADD COLUMN totp_last_step INTEGER`,
    `ALTER TABLE user ADD COLUMN password_changed_at INTEGER`,
    // Set once, at the first successful password or token login: a generated first admin that has logged in
    // is in use, and /api/v1/setup may no longer replace it (first-admin.ts).
    `ALTER TABLE user ADD COLUMN first_login_at INTEGER`,
    `CREATE TABLE recovery_code (
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      code_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      used_at INTEGER,
      PRIMARY KEY (user_id, code_hash)
    ) WITHOUT ROWID`,
    `CREATE TABLE user_identity (
      provider TEXT NOT NULL,
      subject TEXT NOT NULL,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      created_at INTEGER NOT NULL,
      last_login_at INTEGER,
      PRIMARY KEY (provider, subject)
    ) WITHOUT ROWID`,
    `CREATE INDEX user_identity_by_user ON user_identity (user_id)`,
    // Kept when the user goes: the log must outlive what it is about. username is stored as it was then.
    `CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      event TEXT NOT NULL,
      outcome TEXT NOT NULL,
      user_id TEXT,
      username TEXT NOT NULL DEFAULT '',
      actor_id TEXT,
      actor_name TEXT NOT NULL DEFAULT '',
      address TEXT NOT NULL DEFAULT '',
      detail TEXT NOT NULL DEFAULT '{}'
    )`,
    `CREATE INDEX audit_log_by_time ON audit_log (at)`,
    `CREATE INDEX audit_log_by_user ON audit_log (user_id, at)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
