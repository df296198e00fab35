// Two-factor login (the caller's own, and an admin's reset) and the audit log's read side. Views over
// src/accounts/totp.ts and src/accounts/audit.ts.
import { z } from 'zod';
import { AUDIT_EVENTS, type AuditEntry, listAudit } from '../../accounts/audit.ts';
import {
  beginTotpSetup,
  confirmTotpSetup,
  disableTotp,
  RECOVERY_CODE_COUNT,
  regenerateRecoveryCodes,
  resetTotp,
  type SecondFactorProof,
  totpStatus,
} from '../../accounts/totp.ts';
import { USERNAME_MAX_LENGTH } from '../../accounts/users.service.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { Caller } from './caller.ts';
import { type AnyRoute, route } from './route.ts';
import { isoOrNull, isoTime, page, pageQuery } from './schemas.ts';

const TWO_FACTOR = 'Two-factor login';
const AUDIT = 'Audit log';

const totpStatusSchema = z
  .object({
    enabled: z.boolean(),
    enabledAt: isoTime.nullable(),
    pending: z.boolean().describe('A set-up was started and waits for its first code.'),
    recoveryCodesLeft: z.number().int(),
  })
  .meta({ id: 'TotpStatus' });

const recoveryCodesSchema = z
  .object({
    recoveryCodes: z
      .array(z.string())
      .length(RECOVERY_CODE_COUNT)
      .describe('Each works once instead of a code; shown only now (stored hashed).'),
  })
  .meta({ id: 'RecoveryCodes' });

const proofBody = z
  .object({
    password: z.string().min(1).max(1024).optional(),
    code: z.string().min(1).max(64).optional().describe('A current code of the app, or a recovery code.'),
  })
  .refine((body) => (body.password === undefined) !== (body.code === undefined), {
    message: 'send either password or code',
  })
  .meta({ id: 'SecondFactorProof' });

function proofOf(body: z.output<typeof proofBody>): SecondFactorProof {
  return body.password !== undefined ? { password: body.password } : { code: body.code ?? '' };
}

const subjectSchema = z.object({ id: z.string().nullable(), username: z.string() }).nullable();

const auditEntrySchema = z
  .object({
    id: z.number().int(),
    at: isoTime,
    event: z.string(),
    outcome: z.enum(['success', 'failure']),
    user: subjectSchema.describe(
      'Whom it is about (id null: an account that does not exist or no longer does).',
    ),
    actor: subjectSchema.describe('Who did it when not the user (an admin; "cli" for the command line).'),
    address: z.string(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEntry' });

const timeQuery = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((value) => Date.parse(value));

function auditEntryOut(entry: AuditEntry): z.input<typeof auditEntrySchema> {
  return {
    id: entry.id,
    at: new Date(entry.at).toISOString(),
    event: entry.event,
    outcome: entry.outcome,
    user:
      entry.userId === null && entry.username === '' ? null : { id: entry.userId, username: entry.username },
    actor:
      entry.actorId === null && entry.actorName === ''
        ? null
        : { id: entry.actorId, username: entry.actorName },
    address: entry.address,
    detail: entry.detail,
  };
}

export const securityRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/me/totp',
    tag: TWO_FACTOR,
    summary: "The caller's two-factor login: on or off, and recovery codes left",
    access: 'user',
    response: totpStatusSchema,
    handle: ({ services, user }) => {
      const status = totpStatus(services.db, user);
      return { ...status, enabledAt: isoOrNull(status.enabledAt) };
    },
  }),
  route({
    method: 'post',
    path: '/me/totp/setup',
    tag: TWO_FACTOR,
    summary: 'Start setting up two-factor login: a new secret, its otpauth:// URI and a QR code',
    description:
      'The secret stays pending (two-factor login stays off) until POST /me/totp/confirm gets a code from the app. Starting again replaces a pending secret.',
    access: 'user',
    response: z
      .object({
        secret: z.string().describe('Base32, to type into the app by hand.'),
        uri: z.string().describe('otpauth://totp/Tonearm:<username>?secret=…&issuer=Tonearm'),
        qrSvg: z.string().describe('The URI as a QR code (SVG text).'),
      })
      .meta({ id: 'TotpSetup' }),
    errors: [403, 409],
    handle: ({ services, user, caller }) => {
      assertInteractiveLogin(caller);
      return beginTotpSetup(services.db, user);
    },
  }),
  route({
    method: 'post',
    path: '/me/totp/confirm',
    tag: TWO_FACTOR,
    summary: 'Turn two-factor login on with a first code from the app; answers the recovery codes',
    description: 'A wrong code answers 403 and leaves two-factor login off.',
    access: 'user',
    body: z.object({ code: z.string().min(1).max(64) }),
    response: recoveryCodesSchema,
    errors: [403, 409],
    handle: ({ ctx, services, user, caller, body }) => {
      assertInteractiveLogin(caller);
      return { recoveryCodes: confirmTotpSetup(services.db, user, body.code, { address: ctx.ip }) };
    },
  }),
  route({
    method: 'delete',
    path: '/me/totp',
    tag: TWO_FACTOR,
    summary: 'Turn two-factor login off, given the password or a code',
    description:
      'Body: `{password}` or `{code}` (a current code or a recovery code). After five wrong ones in 15 minutes: 429.',
    access: 'user',
    body: proofBody,
    status: 204,
    errors: [409],
    handle: async ({ ctx, services, user, body }) => {
      await disableTotp(services.db, user, proofOf(body), { address: ctx.ip });
    },
  }),
  route({
    method: 'post',
    path: '/me/totp/recovery-codes',
    tag: TWO_FACTOR,
    summary: 'New recovery codes (the old ones stop working), given the password or a code',
    access: 'user',
    body: proofBody,
    response: recoveryCodesSchema,
    errors: [409],
    handle: async ({ ctx, services, user, body }) => ({
      recoveryCodes: await regenerateRecoveryCodes(services.db, user, proofOf(body), { address: ctx.ip }),
    }),
  }),
  route({
    method: 'delete',
    path: '/admin/users/:username/totp',
    tag: TWO_FACTOR,
    summary: "Reset a user's two-factor login (it goes off; their recovery codes are removed)",
    access: 'admin',
    params: z.object({ username: z.string().min(1).max(USERNAME_MAX_LENGTH) }),
    status: 204,
    errors: [404],
    handle: ({ ctx, services, user, params }) => {
      resetTotp(services.db, params.username, { id: user.id, username: user.username }, { address: ctx.ip });
    },
  }),
  route({
    method: 'get',
    path: '/admin/audit',
    tag: AUDIT,
    summary: 'Security events, newest first',
    description:
      '`since`/`until`: ISO 8601 date or date-time (a date is midnight UTC; until is exclusive). `user`: events about or by that name. `event`: one event name.',
    access: 'admin',
    query: z.object({
      since: timeQuery.optional(),
      until: timeQuery.optional(),
      user: z.string().min(1).max(USERNAME_MAX_LENGTH).optional(),
      event: z.enum(AUDIT_EVENTS).optional(),
      ...pageQuery,
    }),
    response: page(auditEntrySchema),
    handle: ({ services, query }) => {
      const before = query.cursor === undefined ? undefined : cursorPosition(query.cursor);
      const entries = listAudit(services.db, {
        since: query.since,
        until: query.until,
        username: query.user,
        event: query.event,
        before,
        limit: query.limit + 1,
      });
      const items = entries.slice(0, query.limit);
      const last = items.at(-1);
      return {
        items: items.map(auditEntryOut),
        nextCursor: entries.length > query.limit && last ? encodeCursor([last.at, last.id]) : null,
      };
    },
  }),
];

function cursorPosition(cursor: string): { at: number; id: number } {
  const [at, id] = decodeCursor(cursor, 2);
  if (!Number.isSafeInteger(at) || !Number.isSafeInteger(id))
    throw new TonearmError('INVALID_INPUT', 'cursor is not valid: pass the nextCursor of the previous page');
  return { at: at as number, id: id as number };
}

/**
 * Two-factor login is turned on from a login a person made (a session, or the reverse proxy's), never with
 * an API key or Basic credentials a script holds: a leaked key must not be able to lock its owner out of
 * password logins by enrolling an authenticator the owner does not have.
 */
function assertInteractiveLogin(caller: Caller): void {
  if (caller.via === 'bearer-session' || caller.via === 'cookie-session' || caller.via === 'proxy-header')
    return;
  throw new TonearmError(
    'FORBIDDEN',
    'two-factor login is set up from a signed-in session (POST /api/v1/auth/login), not with an API key or Basic credentials',
  );
}
