// Two-factor login: TOTP (RFC 6238, the six-digit codes of authenticator apps) and ten one-time recovery
// codes. Set-up keeps a new secret as pending until a first code from the app confirms it, so a scan that
// went wrong never locks anyone out. Secrets are sealed with the data folder's key like password copies,
// under the context `totp:<user id>` (a sealed password copy cannot be passed off as a TOTP secret).
//
// A code is accepted one step (30 s) early or late, for clocks that drift; the step of the last accepted
// code is stored, and a code of that step or an earlier one is refused, so a code cannot be used twice.
//
// Recovery codes are 16 random characters of Crockford's base32 (80 bits), shown once and stored as
// SHA-256 hashes. A slow hash (argon2) exists to protect guessable human passwords; 80 random bits cannot
// be searched even at SHA-256's speed, and an exact hash lets a code be found with one indexed lookup
// instead of ten argon2 runs per attempt.
//
// Neither a secret nor a code ever goes into a log line, an error message or the audit detail.
import { createHash, randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Secret, TOTP } from 'otpauth';
import type { Database } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import { TonearmError } from '../shared/errors.ts';
import { type AuditEventName, recentFailures, recordAudit } from './audit.ts';
import { passwordVaultFor } from './secret-key.ts';
import {
  claimTotpStep,
  clearTotpRow,
  countUnusedRecoveryCodes,
  deleteRecoveryCodes,
  enableTotpRow,
  findTotpRowById,
  findTotpRowByName,
  replaceRecoveryCodes,
  storePendingTotp,
  type TotpRow,
  useRecoveryCode,
} from './totp.repository.ts';
import { type User, verifyPassword } from './users.service.ts';

// otpauth (~0.7 MB of heap) is loaded at the first two-factor step, not at start: every login path
// imports this module to ask hasSecondFactor, and most servers never enable TOTP. Synchronously, through
// its CommonJS build, so the functions here stay synchronous.
const require = createRequire(import.meta.url);
let otpauthModule: typeof import('otpauth') | undefined;
const otpauth = (): typeof import('otpauth') => (otpauthModule ??= require('otpauth'));

export const TOTP_ISSUER = 'Tonearm';
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one. */
export const TOTP_SKEW_STEPS = 1;
export const RECOVERY_CODE_COUNT = 10;

const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RECOVERY_LENGTH = 16;
const RECOVERY_PATTERN = /^[0-9a-hjkmnp-tv-z]{16}$/;

/** Wrong passwords or codes given to disable two-factor login or renew codes, per account. */
const PROOF_FAILURES_ALLOWED = 5;
const PROOF_WINDOW_MS = 15 * 60_000;
const PROOF_EVENTS: readonly AuditEventName[] = ['totp.disabled', 'recovery-codes.regenerated'];

export type TotpSubject = Pick<User, 'id' | 'username'>;

/** What a login's second step found: a TOTP code, a recovery code (now spent), or nothing valid. */
export type SecondFactorResult = 'ok' | 'recovery-used' | 'wrong';

/** To turn two-factor login off or renew recovery codes: the password, or a current or recovery code. */
export type SecondFactorProof = { password: string } | { code: string };

export interface TotpEnrollment {
  /** Base32, for typing into an app by hand. */
  secret: string;
  /** otpauth://totp/Tonearm:<username>?… */
  uri: string;
  /** The URI as a QR code, SVG text. */
  qrSvg: string;
}

export interface TotpStatus {
  enabled: boolean;
  enabledAt: number | null;
  /** A set-up was started and waits for its first code. */
  pending: boolean;
  recoveryCodesLeft: number;
}

export interface EventContext {
  now?: number;
  /** The client's address, for the audit log. */
  address?: string;
}

/** Whether logins of this user need a second factor (a User, or a user row). */
export function hasSecondFactor(user: Pick<User, 'totpEnabled'> | Pick<UserRow, 'totp_enabled_at'>): boolean {
  return 'totpEnabled' in user ? user.totpEnabled : user.totp_enabled_at !== null;
}

export function totpStatus(db: Database, user: TotpSubject): TotpStatus {
  const row = requireRow(db, user.id);
  return {
    enabled: row.totp_enabled_at !== null,
    enabledAt: row.totp_enabled_at,
    pending: row.totp_enabled_at === null && row.totp_pending_enc !== null,
    recoveryCodesLeft: row.totp_enabled_at === null ? 0 : countUnusedRecoveryCodes(db, row.id),
  };
}

/** Starts (or restarts) a set-up: a new secret, kept pending until confirmTotpSetup. */
export async function beginTotpSetup(db: Database, user: TotpSubject): Promise<TotpEnrollment> {
  const row = requireRow(db, user.id);
  if (row.totp_enabled_at !== null)
    throw new TonearmError(
      'TOTP_STATE',
      'two-factor login is already on; turn it off first to move it to another authenticator',
    );
  const secret = new (otpauth().Secret)({ size: 20 });
  storePendingTotp(db, row.id, vaultOf(db).seal(sealContext(row.id), secret.base32));
  const uri = totpOf(secret, row.username).toString();
  // Loaded on first use: most servers never draw a QR code, and idle memory counts on a NAS.
  const { default: QRCode } = await import('qrcode');
  const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret: secret.base32, uri, qrSvg };
}

/**
 * Turns two-factor login on when `code` is a current code of the pending secret, and returns the new
 * recovery codes (shown once). A wrong code changes nothing: WRONG_CONFIRMATION, and it stays off.
 */
export function confirmTotpSetup(
  db: Database,
  user: TotpSubject,
  code: string,
  context: EventContext = {},
): string[] {
  const now = context.now ?? Date.now();
  const row = requireRow(db, user.id);
  if (row.totp_enabled_at !== null) throw new TonearmError('TOTP_STATE', 'two-factor login is already on');
  const pending = row.totp_pending_enc;
  if (pending === null)
    throw new TonearmError('TOTP_STATE', 'there is no two-factor set-up to confirm; start the set-up first');
  const secret = openSecret(db, row.id, pending);
  if (secret === undefined)
    throw new TonearmError(
      'TOTP_STATE',
      'the two-factor set-up can no longer be read (the secret key changed); start the set-up again',
    );
  const step = matchingStep(secret, code, now);
  if (step === undefined)
    throw new TonearmError(
      'WRONG_CONFIRMATION',
      "the code is wrong, so two-factor login stays off; check the authenticator's clock and send the code it shows now",
    );
  const codes = newRecoveryCodes();
  db.transaction(() => {
    if (enableTotpRow(db, row.id, pending, now, step) !== 1)
      throw new TonearmError('TOTP_STATE', 'the two-factor set-up changed meanwhile; start it again');
    replaceRecoveryCodes(db, row.id, codes.map(recoveryCodeHash), now);
    recordAudit(db, { event: 'totp.enabled', user: subjectOf(row), address: context.address, at: now });
  });
  return codes;
}

/**
 * The second step of a login: a TOTP code (±1 step, each step once) or an unused recovery code (spaces,
 * dashes and case ignored; spent by this call and audited). 'wrong' also when the user has no second factor.
 */
export function verifySecondFactor(
  db: Database,
  user: TotpSubject,
  code: string,
  now = Date.now(),
  address?: string,
): SecondFactorResult {
  if (typeof code !== 'string' || code.length > 64) return 'wrong';
  const row = findTotpRowById(db, user.id);
  if (!row || row.totp_enabled_at === null || row.totp_secret_enc === null) return 'wrong';
  const compact = code.replace(/[\s-]/g, '');
  if (/^\d+$/.test(compact) && compact.length === TOTP_DIGITS) {
    const secret = openSecret(db, row.id, row.totp_secret_enc);
    const step = secret === undefined ? undefined : matchingStep(secret, compact, now);
    if (step === undefined) return 'wrong';
    return claimTotpStep(db, row.id, step) === 1 ? 'ok' : 'wrong';
  }
  const recovery = normaliseRecoveryCode(compact);
  if (recovery === undefined) return 'wrong';
  return db.transaction(() => {
    if (useRecoveryCode(db, row.id, recoveryCodeHash(recovery), now) !== 1) return 'wrong';
    recordAudit(db, {
      event: 'totp.recovery-used',
      user: subjectOf(row),
      address,
      at: now,
      detail: { recoveryCodesLeft: countUnusedRecoveryCodes(db, row.id) },
    });
    return 'recovery-used';
  });
}

/** Turns the user's own two-factor login off, given their password or a code. */
export async function disableTotp(
  db: Database,
  user: TotpSubject,
  proof: SecondFactorProof,
  context: EventContext = {},
): Promise<void> {
  const now = context.now ?? Date.now();
  const row = requireRow(db, user.id);
  if (row.totp_enabled_at === null) throw new TonearmError('TOTP_STATE', 'two-factor login is not on');
  await requireProof(db, row, proof, 'totp.disabled', now, context.address);
  db.transaction(() => {
    clearTotpRow(db, row.id);
    deleteRecoveryCodes(db, row.id);
    recordAudit(db, { event: 'totp.disabled', user: subjectOf(row), address: context.address, at: now });
  });
}

/** New recovery codes for the user (the old ones stop working), given their password or a code. */
export async function regenerateRecoveryCodes(
  db: Database,
  user: TotpSubject,
  proof: SecondFactorProof,
  context: EventContext = {},
): Promise<string[]> {
  const now = context.now ?? Date.now();
  const row = requireRow(db, user.id);
  if (row.totp_enabled_at === null)
    throw new TonearmError('TOTP_STATE', 'two-factor login is not on, so there are no recovery codes');
  await requireProof(db, row, proof, 'recovery-codes.regenerated', now, context.address);
  const codes = newRecoveryCodes();
  db.transaction(() => {
    if (findTotpRowById(db, row.id)?.totp_enabled_at == null)
      throw new TonearmError('TOTP_STATE', 'two-factor login was turned off meanwhile');
    replaceRecoveryCodes(db, row.id, codes.map(recoveryCodeHash), now);
    recordAudit(db, {
      event: 'recovery-codes.regenerated',
      user: subjectOf(row),
      address: context.address,
      at: now,
      detail: { count: codes.length },
    });
  });
  return codes;
}

/**
 * An admin (or the CLI, actor id null) turns someone's two-factor login off and removes their recovery
 * codes. NOT_FOUND for an unknown user; false when there was nothing to turn off (nothing is recorded).
 */
export function resetTotp(
  db: Database,
  username: string,
  actor: TotpSubject | { id: null; username: string },
  context: EventContext = {},
): boolean {
  const now = context.now ?? Date.now();
  return db.transaction(() => {
    const row = findTotpRowByName(db, username);
    if (!row) throw new TonearmError('NOT_FOUND', `there is no user named "${username.slice(0, 64)}"`);
    const hadTotp = row.totp_enabled_at !== null || row.totp_pending_enc !== null;
    clearTotpRow(db, row.id);
    const removedCodes = deleteRecoveryCodes(db, row.id);
    if (!hadTotp && removedCodes === 0) return false;
    recordAudit(db, {
      event: 'totp.reset',
      user: subjectOf(row),
      actor,
      address: context.address,
      at: now,
      detail: { wasEnabled: row.totp_enabled_at !== null },
    });
    return true;
  });
}

/** A recovery code as users may type it (any case, spaces, dashes, O for 0, I or L for 1), or undefined. */
export function normaliseRecoveryCode(code: string): string | undefined {
  const normal = code.replace(/[\s-]/g, '').toLowerCase().replaceAll('o', '0').replace(/[il]/g, '1');
  return RECOVERY_PATTERN.test(normal) ? normal : undefined;
}

/** Proofs being checked, per user: one at a time, so parallel guesses cannot all pass the count first. */
const proofsInTurn = new Map<string, Promise<unknown>>();

function requireProof(
  db: Database,
  row: TotpRow,
  proof: SecondFactorProof,
  event: AuditEventName,
  now: number,
  address: string | undefined,
): Promise<void> {
  const previous = proofsInTurn.get(row.id) ?? Promise.resolve();
  const turn = previous.catch(() => undefined).then(() => checkProof(db, row, proof, event, now, address));
  proofsInTurn.set(row.id, turn);
  void turn
    .finally(() => {
      if (proofsInTurn.get(row.id) === turn) proofsInTurn.delete(row.id);
    })
    .catch(() => undefined);
  return turn;
}

async function checkProof(
  db: Database,
  row: TotpRow,
  proof: SecondFactorProof,
  event: AuditEventName,
  now: number,
  address: string | undefined,
): Promise<void> {
  // Without a limit, whoever holds the user's API key could try every code until one fits.
  const failures = recentFailures(db, row.id, PROOF_EVENTS, now - PROOF_WINDOW_MS);
  if (failures.count >= PROOF_FAILURES_ALLOWED) {
    const waitMs = (failures.oldest ?? now) + PROOF_WINDOW_MS - now;
    throw new TonearmError(
      'CONFIRMATION_THROTTLED',
      `too many wrong passwords or codes for this account; try again in ${Math.ceil(waitMs / 60_000)} min`,
      { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) },
    );
  }
  const method = 'password' in proof ? 'password' : 'code';
  const accepted =
    'password' in proof
      ? (await verifyPassword(db, row.username, proof.password))?.id === row.id
      : verifySecondFactor(db, row, proof.code, now, address) !== 'wrong';
  if (accepted) return;
  recordAudit(db, {
    event,
    outcome: 'failure',
    user: subjectOf(row),
    address,
    at: now,
    detail: { reason: `wrong ${method}` },
  });
  throw new TonearmError(
    'WRONG_CONFIRMATION',
    method === 'password' ? 'the password is wrong' : 'the code is wrong (or was used already)',
  );
}

/** The time step the code belongs to (within the skew window), or undefined. */
function matchingStep(secret: Secret, code: string, now: number): number | undefined {
  const token = code.replace(/\s/g, '');
  if (!/^\d+$/.test(token) || token.length !== TOTP_DIGITS) return undefined;
  const { TOTP } = otpauth();
  const delta = TOTP.validate({
    token,
    secret,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    timestamp: now,
    window: TOTP_SKEW_STEPS,
  });
  return delta === null ? undefined : TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: now }) + delta;
}

function totpOf(secret: Secret, username: string): TOTP {
  return new (otpauth().TOTP)({
    issuer: TOTP_ISSUER,
    label: username,
    secret,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = '';
    for (let index = 0; index < RECOVERY_LENGTH; index++) {
      if (index > 0 && index % 4 === 0) code += '-';
      code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    }
    return code;
  });
}

function recoveryCodeHash(code: string): string {
  return createHash('sha256')
    .update(normaliseRecoveryCode(code) ?? code)
    .digest('hex');
}

function sealContext(userId: string): string {
  return `totp:${userId}`;
}

function openSecret(db: Database, userId: string, sealed: string): Secret | undefined {
  const base32 = vaultOf(db).open(sealContext(userId), sealed);
  return base32 === undefined ? undefined : otpauth().Secret.fromBase32(base32);
}

function vaultOf(db: Database) {
  const vault = passwordVaultFor(db);
  if (!vault) throw new TonearmError('SECRET_KEY', 'two-factor login needs a data folder for its secret key');
  return vault;
}

function requireRow(db: Database, userId: string): TotpRow {
  const row = findTotpRowById(db, userId);
  if (!row) throw new TonearmError('NOT_FOUND', 'this user no longer exists');
  return row;
}

function subjectOf(row: TotpRow): { id: string; username: string } {
  return { id: row.id, username: row.username };
}
