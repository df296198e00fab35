import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCredentialVerifier } from '../../src/accounts/credential-cache.ts';
import {
  changePassword,
  createUser,
  deleteUser,
  findUserByName,
  listUsers,
  verifyPassword,
} from '../../src/accounts/users.service.ts';
import type { Database } from '../../src/db/database.ts';
import { isTonearmError } from '../../src/shared/errors.ts';
import { makeTempDatabase } from '../helpers/http.ts';

function rejectsWith(code: string) {
  return (error: unknown) => {
    assert.ok(isTonearmError(error), `expected a TonearmError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe('users', () => {
  let db: Database;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ db, cleanup } = await makeTempDatabase());
  });
  after(() => cleanup());

  test('createUser stores an argon2id hash and returns the domain user', async () => {
    const user = await createUser(db, { username: 'Alice', password: 'sesame', isAdmin: true });
    assert.match(user.id, /^us-[0-9a-f]{32}$/);
    assert.equal(user.username, 'Alice');
    assert.equal(user.isAdmin, true);
    const row = db.first(db.kysely.selectFrom('user').selectAll().where('id', '=', user.id));
    assert.ok(row);
    assert.match(row.password_hash, /^\$argon2id\$/);
    assert.ok(!row.password_hash.includes('sesame'));
    assert.deepEqual(findUserByName(db, 'alice'), user);
  });

  test('usernames are unique ignoring case', async () => {
    await assert.rejects(createUser(db, { username: 'ALICE', password: 'x' }), rejectsWith('USER_EXISTS'));
    await assert.rejects(createUser(db, { username: 'alice', password: 'x' }), rejectsWith('USER_EXISTS'));
  });

  test('invalid usernames and passwords are refused with INVALID_INPUT', async () => {
    for (const username of ['', ' bob', 'bob ', 'bo b', 'bob\n', 'a'.repeat(65), 'bøb', 'bob/..', 'ali;ce']) {
      await assert.rejects(
        createUser(db, { username, password: 'pw' }),
        rejectsWith('INVALID_INPUT'),
        JSON.stringify(username),
      );
    }
    await assert.rejects(createUser(db, { username: 'bob', password: '' }), rejectsWith('INVALID_INPUT'));
    await assert.rejects(
      createUser(db, { username: 'bob', password: 'x'.repeat(1025) }),
      rejectsWith('INVALID_INPUT'),
    );
    assert.equal(findUserByName(db, 'bob'), undefined);
  });

  test('usernames with letters, digits and . _ - @ and one-character passwords are accepted', async () => {
    const user = await createUser(db, { username: 'bob.smith_2-x@home', password: 'x' });
    assert.equal(user.isAdmin, false);
    assert.ok(await verifyPassword(db, 'bob.smith_2-x@home', 'x'));
    const longest = await createUser(db, { username: 'b'.repeat(64), password: ' spaces kept ' });
    assert.ok(await verifyPassword(db, longest.username, ' spaces kept '));
    assert.equal(await verifyPassword(db, longest.username, 'spaces kept'), undefined);
  });

  test('verifyPassword: right password, wrong password, unknown user, case of the name', async () => {
    const ok = await verifyPassword(db, 'alice', 'sesame');
    assert.equal(ok?.username, 'Alice');
    assert.equal(await verifyPassword(db, 'Alice', 'Sesame'), undefined);
    assert.equal(await verifyPassword(db, 'Alice', ''), undefined);
    assert.equal(await verifyPassword(db, 'nobody', 'sesame'), undefined);
    assert.equal(await verifyPassword(db, '', 'sesame'), undefined);
  });

  test('an unknown user takes about as long as a wrong password (a dummy hash is checked)', async () => {
    await verifyPassword(db, 'nobody', 'warm-up'); // the dummy hash is made on first use
    const time = async (name: string): Promise<number> => {
      const started = performance.now();
      await verifyPassword(db, name, 'wrong');
      return performance.now() - started;
    };
    const known = await time('alice');
    const unknown = await time('nobody');
    // argon2 with 19 MiB takes milliseconds; a bare lookup takes microseconds.
    assert.ok(unknown > known / 4, `unknown ${unknown} ms vs known ${known} ms`);
  });

  test('changePassword replaces the hash; the old password stops working', async () => {
    await changePassword(db, 'ALICE', 'open sesame');
    assert.equal(await verifyPassword(db, 'alice', 'sesame'), undefined);
    assert.equal((await verifyPassword(db, 'alice', 'open sesame'))?.username, 'Alice');
    await assert.rejects(changePassword(db, 'nobody', 'pw'), rejectsWith('NOT_FOUND'));
    await assert.rejects(changePassword(db, 'alice', ''), rejectsWith('INVALID_INPUT'));
  });

  test('listUsers returns every user, sorted by name', () => {
    const names = listUsers(db).map((user) => user.username);
    assert.deepEqual(names, ['Alice', 'b'.repeat(64), 'bob.smith_2-x@home']);
  });

  test('deleteUser removes users but never the last admin', async () => {
    assert.throws(() => deleteUser(db, 'alice'), rejectsWith('LAST_ADMIN'));
    assert.throws(() => deleteUser(db, 'nobody'), rejectsWith('NOT_FOUND'));
    deleteUser(db, 'BOB.SMITH_2-X@home');
    assert.equal(findUserByName(db, 'bob.smith_2-x@home'), undefined);

    await createUser(db, { username: 'carol', password: 'pw', isAdmin: true });
    deleteUser(db, 'alice');
    assert.equal(findUserByName(db, 'alice'), undefined);
    assert.throws(() => deleteUser(db, 'carol'), rejectsWith('LAST_ADMIN'));
    assert.ok(findUserByName(db, 'carol'));
  });
});

describe('credential verifier (cache in front of argon2)', () => {
  let db: Database;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ db, cleanup } = await makeTempDatabase());
    await createUser(db, { username: 'dave', password: 'pw1', isAdmin: true });
  });
  after(() => cleanup());

  test('a remembered success is answered without argon2 and wrong passwords are not remembered', async () => {
    const verifier = createCredentialVerifier(db);
    const first = performance.now();
    assert.equal((await verifier.verify('dave', 'pw1'))?.username, 'dave');
    const cold = performance.now() - first;
    const second = performance.now();
    assert.equal((await verifier.verify('dave', 'pw1'))?.username, 'dave');
    const warm = performance.now() - second;
    assert.ok(warm < cold / 3, `cached check ${warm} ms vs ${cold} ms`);
    assert.equal(await verifier.verify('dave', 'pw2'), undefined);
    assert.equal(await verifier.verify('dave', 'pw2'), undefined);
  });

  test('concurrent checks of the same credentials all succeed', async () => {
    const verifier = createCredentialVerifier(db);
    const users = await Promise.all(Array.from({ length: 8 }, () => verifier.verify('dave', 'pw1')));
    assert.ok(users.every((user) => user?.username === 'dave'));
  });

  test('a password change or a deletion takes effect at once despite the cache', async () => {
    const verifier = createCredentialVerifier(db);
    assert.ok(await verifier.verify('dave', 'pw1'));
    await changePassword(db, 'dave', 'pw2');
    assert.equal(await verifier.verify('dave', 'pw1'), undefined);
    assert.ok(await verifier.verify('dave', 'pw2'));
    await createUser(db, { username: 'erin', password: 'pw', isAdmin: true });
    deleteUser(db, 'dave');
    assert.equal(await verifier.verify('dave', 'pw2'), undefined);
  });
});
