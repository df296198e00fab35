// `tonearm audit`: the audit log, newest first, as a table or as JSON lines (for jq and log shippers).
import { type AuditEntry, type AuditEventName, listAudit } from '../accounts/audit.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { printTable } from './output.ts';

export interface AuditFlags {
  since?: string;
  until?: string;
  user?: string;
  event?: AuditEventName;
  limit?: string;
  json?: boolean;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100_000;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export function runAuditCommand(db: Database, flags: AuditFlags, now = Date.now()): void {
  const entries = listAudit(db, {
    since: flags.since === undefined ? undefined : parseWhen(flags.since, '--since', now),
    until: flags.until === undefined ? undefined : parseWhen(flags.until, '--until', now),
    username: flags.user,
    event: flags.event,
    limit: parseLimit(flags.limit),
  });
  if (flags.json) {
    for (const entry of entries)
      process.stdout.write(`${JSON.stringify({ ...entry, at: new Date(entry.at).toISOString() })}\n`);
    return;
  }
  if (entries.length === 0) {
    process.stdout.write('no events\n');
    return;
  }
  printTable(
    entries.map((entry) => ({
      time: new Date(entry.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      event: entry.event,
      outcome: entry.outcome,
      user: entry.username,
      actor: entry.actorName,
      address: entry.address,
      detail: detailText(entry),
    })),
    ['time', 'event', 'outcome', 'user', 'actor', 'address', 'detail'],
  );
}

/** `30m`, `12h`, `7d`, `2w` back from now, a date (midnight UTC) or an ISO 8601 date-time (UTC unless zoned). */
export function parseWhen(value: string, flag: string, now: number): number {
  const relative = /^(\d{1,6})([mhdw])$/.exec(value);
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:\d{2})?)?$/.exec(
    value,
  );
  // Without a zone, UTC: the times the command prints are UTC too.
  const at = iso ? Date.parse(`${iso[1]}T${iso[2] ?? '00:00'}${iso[3] ?? 'Z'}`) : Number.NaN;
  if (Number.isNaN(at))
    throw new TonearmError(
      'INVALID_INPUT',
      `${flag} takes a duration back from now (30m, 12h, 7d, 2w) or a date (2026-12-01) or date-time, not "${value}"`,
    );
  return at;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const limit = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT))
    throw new TonearmError('INVALID_INPUT', `--limit takes a number from 1 to ${MAX_LIMIT}, not "${value}"`);
  return limit;
}

function detailText(entry: AuditEntry): string {
  return Object.entries(entry.detail)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}
