// The audit log: security events an admin may need to reconstruct later (who logged in from where, what
// failed, which keys, roles, passwords and second factors changed, and by whom). Append-only; rows outlive
// the users they name (the name is kept as it was). Read through GET /api/v1/admin/audit and `tonearm audit`.
import type { Database } from '../db/database.ts';
import {
  type AuditRow,
  countFailures,
  deleteAuditRowsBefore,
  insertAuditRow,
  selectAuditRows,
} from './audit.repository.ts';

export const AUDIT_EVENTS = [
  'login',
  'login.failed',
  'logout',
  'setup',
  'session.refreshed',
  'session.revoked',
  'session.reuse-detected',
  'password.changed',
  'user.created',
  'user.updated',
  'user.deleted',
  'roles.changed',
  'api-key.created',
  'api-key.revoked',
  'settings.changed',
  'totp.enabled',
  'totp.disabled',
  'totp.reset',
  'totp.recovery-used',
  'recovery-codes.regenerated',
  'oidc.login',
  'oidc.user-created',
  'oidc.linked',
] as const;

export type AuditEventName = (typeof AUDIT_EVENTS)[number];

export interface AuditSubject {
  id: string;
  username: string;
}

export interface AuditEventInput {
  event: AuditEventName;
  outcome?: 'success' | 'failure';
  /** Whom the event is about (a failed login names the account tried, which may not exist: id null). */
  user?: AuditSubject | { id: null; username: string };
  /** Who did it, when not the user themself (an admin resetting someone's TOTP; the CLI: id null, "cli"). */
  actor?: AuditSubject | { id: null; username: string };
  address?: string;
  /** Small facts: the method, the key's name, the changed roles, a failure's reason. Never secrets. */
  detail?: Record<string, unknown>;
  at?: number;
}

export interface AuditEntry {
  id: number;
  at: number;
  event: string;
  outcome: 'success' | 'failure';
  userId: string | null;
  username: string;
  actorId: string | null;
  actorName: string;
  address: string;
  detail: Record<string, unknown>;
}

export function recordAudit(db: Database, input: AuditEventInput): void {
  insertAuditRow(db, {
    at: input.at ?? Date.now(),
    event: input.event,
    outcome: input.outcome ?? 'success',
    user_id: input.user?.id ?? null,
    username: input.user?.username ?? '',
    actor_id: input.actor?.id ?? null,
    actor_name: input.actor?.username ?? '',
    address: input.address ?? '',
    detail: JSON.stringify(input.detail ?? {}),
  });
}

export interface AuditQuery {
  since?: number;
  until?: number;
  userId?: string;
  /** Events about or by this name (as it was then: also failed logins of names that do not exist). */
  username?: string;
  event?: string;
  /** The last entry of the previous page: entries after it in the newest-first order. */
  before?: { at: number; id: number };
  limit?: number;
}

/** Newest first. */
export function listAudit(db: Database, query: AuditQuery = {}): AuditEntry[] {
  return selectAuditRows(db, { ...query, limit: query.limit ?? 100 }).map(entryFromRow);
}

/** How many of these events failed for this user since `since`, and when the oldest of them was. */
export function recentFailures(
  db: Database,
  userId: string,
  events: readonly AuditEventName[],
  since: number,
): { count: number; oldest: number | null } {
  return countFailures(db, userId, events, since);
}

function entryFromRow(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    event: row.event,
    outcome: row.outcome === 'failure' ? 'failure' : 'success',
    userId: row.user_id,
    username: row.username,
    actorId: row.actor_id,
    actorName: row.actor_name,
    address: row.address,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  };
}

/** Forgets entries older than the retention (auth.auditRetention); the count forgotten. */
export function pruneAudit(db: Database, retentionMs: number, now = Date.now()): number {
  return deleteAuditRowsBefore(db, now - retentionMs);
}
