// Audit events of native API requests: the subject, the caller as actor when they act on someone else,
// and the client's address (src/accounts/audit.ts says what is recorded and why).
import { type AuditEventName, type AuditSubject, recordAudit } from '../../accounts/audit.ts';
import type { User } from '../../accounts/users.service.ts';
import type { Database } from '../../db/database.ts';
import type { AppContext } from '../context.ts';

export function auditRequest(
  ctx: AppContext,
  db: Database,
  caller: User,
  event: AuditEventName,
  subject: AuditSubject,
  options: { detail?: Record<string, unknown>; outcome?: 'success' | 'failure' } = {},
): void {
  recordAudit(db, {
    event,
    user: { id: subject.id, username: subject.username },
    ...(subject.id === caller.id ? {} : { actor: { id: caller.id, username: caller.username } }),
    address: ctx.ip,
    ...options,
  });
}
