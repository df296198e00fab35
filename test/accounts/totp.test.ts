// Two-factor login in the domain, on a real SQLite file with the data folder's real secret key: set-up and
// confirmation, the ±1 step window, replay refusal, one-time recovery codes, proofs, the admin reset, and
// the audit trail (which never holds a secret or a code).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { listAudit } from '../../src/accounts/audit.ts';
import {
  beginTotpSetup,
  confirmTotpSetup,
  disableTotp,
  hasSecondFactor,
  normaliseRecoveryCode,
  regenerateRecoveryCodes,
  resetTotp,
  totpStatus,
  verifySecondFactor,
} from '../../src/accounts/totp.ts';
import { createUser, findUserByName, type User } from '../../src/accounts/users.service.ts';
import type { Database } from '../../src/db/database.ts';
import { isTonearmError } from '../../src/shared/errors.ts';
import { makeTempDatabase } from '../helpers/http.ts';

const STEP = 30_000;
// A fixed moment in the middle of a time step, so ±1 step stays clear of step edges.
const T0 = Date.UTC(2026, 11, 4, 12, 0, 15);

function codeAt(secret: string, at: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: at });
}

function rejectsWith(code: string, detail?: RegExp) {
  return (error: unknown) => {
    assert.ok(isTonearmError(error), `expected a TonearmError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (detail) assert.match(error.message, detail);
    return true;
  };
}

describe('TOTP two-factor login', () => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let counter = 0;

  before(async () => {
    ({ db, cleanup } = await makeTempDatabase());
  });
  after(() => cleanup());

  /** A new user with two-factor login on (confirmed at T0), its secret and recovery codes. */
  async function enrolledUser(): Promise<{ user: User; secret: string; codes: string[] }> {
    const user = await createUser(db, { username: `user${++counter}`, password: 'sesame' });
    const { secret } = await beginTotpSetup(db, user);
    const codes = confirmTotpSetup(db, user, codeAt(secret, T0), { now: T0 });
    return { user: findUserByName(db, user.username)!, secret, codes };
  }

  test('set-up answers a base32 secret, an otpauth URI for Tonearm and the username, and an SVG QR code', async () => {
    const user = await createUser(db, { username: 'setup.me', password: 'sesame' });
    const setup = await beginTotpSetup(db, user);
    assert.match(setup.secret, /^[A-Z2-7]{32}$/);
    const parsed = new URL(setup.uri);
    assert.equal(parsed.protocol, 'otpauth:');
    assert.equal(parsed.host, 'totp');
    assert.equal(decodeURIComponent(parsed.pathname), '/Tonearm:setup.me');
    assert.equal(parsed.searchParams.get('issuer'), 'Tonearm');
    assert.equal(parsed.searchParams.get('secret'), setup.secret);
    assert.match(setup.qrSvg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>\s*$/s);

    const row = db.first(db.kysely.selectFrom('user').selectAll().where('id', '=', user.id))!;
    assert.ok(row.totp_pending_enc, 'kept pending');
    assert.ok(!row.totp_pending_enc.includes(setup.secret), 'sealed, not stored as it is');
    assert.equal(row.totp_secret_enc, null);
    assert.equal(row.totp_enabled_at, null);
    assert.deepEqual(totpStatus(db, user), {
      enabled: false,
      enabledAt: null,
      pending: true,
      recoveryCodesLeft: 0,
    });
    assert.equal(hasSecondFactor(findUserByName(db, 'setup.me')!), false, 'pending is not on');
  });

  test('a wrong code at confirmation fails and leaves two-factor login off; the right one turns it on', async () => {
    const user = await createUser(db, { username: 'confirm.me', password: 'sesame' });
    assert.throws(() => confirmTotpSetup(db, user, '123456'), rejectsWith('TOTP_STATE', /set-up/));
    const { secret } = await beginTotpSetup(db, user);
    const right = codeAt(secret, T0);
    const wrong = right === '000000' ? '000001' : '000000';
    assert.throws(
      () => confirmTotpSetup(db, user, wrong, { now: T0 }),
      rejectsWith('WRONG_CONFIRMATION', /stays off/),
    );
    assert.throws(
      () => confirmTotpSetup(db, user, codeAt(secret, T0 - 2 * STEP), { now: T0 }),
      rejectsWith('WRONG_CONFIRMATION'),
    );
    assert.equal(findUserByName(db, 'confirm.me')!.totpEnabled, false);
    assert.equal(totpStatus(db, user).pending, true, 'the set-up can still be confirmed');

    const codes = confirmTotpSetup(db, user, right, { now: T0 });
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    const enabled = findUserByName(db, 'confirm.me')!;
    assert.equal(enabled.totpEnabled, true);
    assert.equal(hasSecondFactor(enabled), true);
    assert.deepEqual(totpStatus(db, user), {
      enabled: true,
      enabledAt: T0,
      pending: false,
      recoveryCodesLeft: 10,
    });
    const row = db.first(db.kysely.selectFrom('user').selectAll().where('id', '=', user.id))!;
    assert.equal(hasSecondFactor(row), true);
    assert.equal(row.totp_pending_enc, null);
    const stored = db.all(db.kysely.selectFrom('recovery_code').selectAll().where('user_id', '=', user.id));
    assert.equal(stored.length, 10);
    // Stored as SHA-256 of the code without dashes, never the code itself.
    assert.deepEqual(
      stored.map((entry) => entry.code_hash).sort(),
      codes.map((code) => createHash('sha256').update(code.replaceAll('-', '')).digest('hex')).sort(),
    );
    await assert.rejects(beginTotpSetup(db, user), rejectsWith('TOTP_STATE', /already on/));
    assert.throws(() => confirmTotpSetup(db, user, right, { now: T0 }), rejectsWith('TOTP_STATE'));
  });

  test('codes one step early and one step late pass; two steps off fail', async () => {
    const { user, secret } = await enrolledUser();
    const now = T0 + 10 * STEP;
    assert.equal(verifySecondFactor(db, user, codeAt(secret, now - 2 * STEP), now), 'wrong');
    assert.equal(verifySecondFactor(db, user, codeAt(secret, now + 2 * STEP), now), 'wrong');
    assert.equal(verifySecondFactor(db, user, codeAt(secret, now - STEP), now), 'ok', 'one step late');
    assert.equal(verifySecondFactor(db, user, codeAt(secret, now), now), 'ok', 'the current step');
    assert.equal(verifySecondFactor(db, user, codeAt(secret, now + STEP), now), 'ok', 'one step early');
  });

  test('a code already accepted is refused a second time, and so are codes of earlier steps', async () => {
    const { user, secret } = await enrolledUser();
    const now = T0 + 20 * STEP;
    const code = codeAt(secret, now);
    assert.equal(verifySecondFactor(db, user, code, now), 'ok');
    assert.equal(verifySecondFactor(db, user, code, now), 'wrong', 'replayed at once');
    assert.equal(verifySecondFactor(db, user, code, now + 5000), 'wrong', 'replayed later in its window');
    assert.equal(verifySecondFactor(db, user, codeAt(secret, now - STEP), now), 'wrong', 'an earlier step');
    assert.equal(verifySecondFactor(db, user, codeAt(secret, now + STEP), now + STEP), 'ok', 'the next step');
    // The confirmation's own code counts as used too.
    const fresh = await enrolledUser();
    assert.equal(verifySecondFactor(db, fresh.user, codeAt(fresh.secret, T0), T0 + 1000), 'wrong');
  });

  test('recovery codes work exactly once, with spaces, dashes and case ignored', async () => {
    const { user, codes } = await enrolledUser();
    const [first, second, third] = codes as [string, string, string];
    assert.equal(verifySecondFactor(db, user, first, T0), 'recovery-used');
    assert.equal(verifySecondFactor(db, user, first, T0), 'wrong', 'used once already');
    const typed = ` ${second.replaceAll('-', ' ').toUpperCase()} `;
    assert.equal(verifySecondFactor(db, user, typed, T0), 'recovery-used');
    assert.equal(verifySecondFactor(db, user, third.replaceAll('-', ''), T0), 'recovery-used');
    assert.equal(totpStatus(db, user).recoveryCodesLeft, 7);
    assert.equal(verifySecondFactor(db, user, 'abcd-efgh-jkmn-pqrs', T0), 'wrong', 'not one of theirs');
    assert.equal(verifySecondFactor(db, user, '', T0), 'wrong');
    assert.equal(verifySecondFactor(db, user, 'x'.repeat(1000), T0), 'wrong');

    const other = await enrolledUser();
    assert.equal(verifySecondFactor(db, other.user, codes[3]!, T0), 'wrong', "another user's code");

    const used = listAudit(db, { event: 'totp.recovery-used', userId: user.id });
    assert.equal(used.length, 3);
    assert.deepEqual(used[0]!.detail, { recoveryCodesLeft: 7 });
  });

  test('normaliseRecoveryCode reads O as 0 and I or L as 1, and refuses what cannot be a code', () => {
    assert.equal(normaliseRecoveryCode('ABCD-EFGH-JKMN-PQ0O'), 'abcdefghjkmnpq00');
    assert.equal(normaliseRecoveryCode('1IL1 2345 6789 abcd'), '111123456789abcd');
    assert.equal(normaliseRecoveryCode('uuuu-uuuu-uuuu-uuuu'), undefined);
    assert.equal(normaliseRecoveryCode('abcd-efgh'), undefined);
  });

  test('a user without two-factor login never passes a second factor', async () => {
    const user = await createUser(db, { username: 'plain', password: 'sesame' });
    assert.equal(verifySecondFactor(db, user, '123456', T0), 'wrong');
    assert.equal(hasSecondFactor(user), false);
  });

  test('disabling needs the password or a code; wrong ones are audited and fail', async () => {
    const { user, secret } = await enrolledUser();
    await assert.rejects(
      disableTotp(db, user, { password: 'wrong' }, { now: T0 }),
      rejectsWith('WRONG_CONFIRMATION'),
    );
    await assert.rejects(
      disableTotp(db, user, { code: codeAt(secret, T0 - 3 * STEP) }, { now: T0 + STEP }),
      rejectsWith('WRONG_CONFIRMATION'),
    );
    assert.equal(findUserByName(db, user.username)!.totpEnabled, true);
    const failures = listAudit(db, { event: 'totp.disabled', userId: user.id });
    assert.deepEqual(
      failures.map((entry) => [entry.outcome, entry.detail.reason]),
      [
        ['failure', 'wrong code'],
        ['failure', 'wrong password'],
      ],
    );

    await disableTotp(
      db,
      user,
      { code: codeAt(secret, T0 + STEP) },
      { now: T0 + STEP, address: '192.0.2.7' },
    );
    assert.equal(findUserByName(db, user.username)!.totpEnabled, false);
    assert.equal(totpStatus(db, user).recoveryCodesLeft, 0);
    assert.equal(
      db.all(db.kysely.selectFrom('recovery_code').selectAll().where('user_id', '=', user.id)).length,
      0,
    );
    const [disabled] = listAudit(db, { event: 'totp.disabled', userId: user.id, limit: 1 });
    assert.equal(disabled!.outcome, 'success');
    assert.equal(disabled!.address, '192.0.2.7');
    await assert.rejects(disableTotp(db, user, { password: 'sesame' }), rejectsWith('TOTP_STATE'));

    const second = await enrolledUser();
    await disableTotp(db, second.user, { password: 'sesame' });
    assert.equal(findUserByName(db, second.user.username)!.totpEnabled, false);
    const third = await enrolledUser();
    await disableTotp(db, third.user, { code: third.codes[0]! }, { now: T0 });
    assert.equal(
      findUserByName(db, third.user.username)!.totpEnabled,
      false,
      'a recovery code is a proof too',
    );
  });

  test('five wrong proofs in 15 minutes hold further attempts off (even right ones) until the window passes', async () => {
    const { user } = await enrolledUser();
    for (let attempt = 0; attempt < 5; attempt++)
      await assert.rejects(
        disableTotp(db, user, { password: `guess${attempt}` }, { now: T0 + attempt * 1000 }),
        rejectsWith('WRONG_CONFIRMATION'),
      );
    await assert.rejects(
      regenerateRecoveryCodes(db, user, { password: 'sesame' }, { now: T0 + 60_000 }),
      (error: unknown) => {
        assert.ok(isTonearmError(error) && error.code === 'CONFIRMATION_THROTTLED');
        assert.equal(error.retryAfterSeconds, 15 * 60 - 60);
        return true;
      },
    );
    await disableTotp(db, user, { password: 'sesame' }, { now: T0 + 15 * 60_000 + 1 });
    assert.equal(findUserByName(db, user.username)!.totpEnabled, false);
  });

  test('regenerating recovery codes replaces them all', async () => {
    const { user, secret, codes } = await enrolledUser();
    assert.equal(verifySecondFactor(db, user, codes[0]!, T0), 'recovery-used');
    const renewed = await regenerateRecoveryCodes(
      db,
      user,
      { code: codeAt(secret, T0 + STEP) },
      { now: T0 + STEP },
    );
    assert.equal(renewed.length, 10);
    assert.equal(totpStatus(db, user).recoveryCodesLeft, 10);
    assert.equal(verifySecondFactor(db, user, codes[1]!, T0 + STEP), 'wrong', 'old codes die');
    assert.equal(verifySecondFactor(db, user, renewed[0]!, T0 + STEP), 'recovery-used');
    assert.equal(
      listAudit(db, { event: 'recovery-codes.regenerated', userId: user.id })[0]!.outcome,
      'success',
    );
    const plain = await createUser(db, { username: 'no.codes', password: 'sesame' });
    await assert.rejects(
      regenerateRecoveryCodes(db, plain, { password: 'sesame' }),
      rejectsWith('TOTP_STATE'),
    );
  });

  test('an admin reset turns it off, removes the codes and names the admin; unknown users are NOT_FOUND', async () => {
    const { user, codes } = await enrolledUser();
    const admin = await createUser(db, { username: `admin${counter}`, password: 'x', isAdmin: true });
    assert.equal(
      resetTotp(db, user.username.toUpperCase(), admin, { now: T0, address: '198.51.100.2' }),
      true,
    );
    assert.equal(findUserByName(db, user.username)!.totpEnabled, false);
    assert.equal(verifySecondFactor(db, user, codes[0]!, T0), 'wrong');
    const [reset] = listAudit(db, { event: 'totp.reset', userId: user.id });
    assert.equal(reset!.actorId, admin.id);
    assert.equal(reset!.actorName, admin.username);
    assert.equal(reset!.username, user.username);
    assert.equal(resetTotp(db, user.username, admin), false, 'nothing left to reset');
    assert.equal(listAudit(db, { event: 'totp.reset', userId: user.id }).length, 1);
    assert.throws(() => resetTotp(db, 'nobody', admin), rejectsWith('NOT_FOUND', /no user named "nobody"/));
  });

  test('the audit log never holds a secret or a code', async () => {
    const { user, secret, codes } = await enrolledUser();
    verifySecondFactor(db, user, codes[0]!, T0);
    await disableTotp(db, user, { code: codes[1]! }, { now: T0 });
    const everything = JSON.stringify(listAudit(db, { limit: 10_000 }));
    assert.ok(!everything.includes(secret));
    for (const code of codes) {
      assert.ok(!everything.includes(code));
      assert.ok(!everything.includes(code.replaceAll('-', '')));
    }
  });
});
