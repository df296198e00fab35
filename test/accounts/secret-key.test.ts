import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApiKey, listApiKeys, revokeApiKey, userForApiKey } from '../../src/accounts/api-keys.ts';
import {
  createPasswordVault,
  loadSecretKey,
  passwordVaultFor,
  SECRET_KEY_FILE,
} from '../../src/accounts/secret-key.ts';
import {
  changePassword,
  createUser,
  findUserByName,
  updateUser,
  verifyToken,
} from '../../src/accounts/users.service.ts';
import type { Database } from '../../src/db/database.ts';
import { isTonearmError } from '../../src/shared/errors.ts';
import { makeTempDatabase } from '../helpers/http.ts';

const isPosix = process.platform !== 'win32';

function throwsCode(code: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(isTonearmError(error), String(error));
    assert.equal(error.code, code);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

describe('secret key file', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-key-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('is created at first use with 32 random bytes and mode 0600, then read back unchanged', () => {
    const file = path.join(dir, SECRET_KEY_FILE);
    assert.equal(fs.existsSync(file), false);
    const key = loadSecretKey(dir);
    assert.equal(key.length, 32);
    if (isPosix) assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadSecretKey(dir), key);
  });

  test('is refused when others may read it, and when it is not 32 bytes', { skip: !isPosix }, () => {
    const file = path.join(dir, SECRET_KEY_FILE);
    fs.chmodSync(file, 0o644);
    assert.throws(() => loadSecretKey(dir), throwsCode('SECRET_KEY', /readable by other users.*chmod 600/));
    assert.throws(() => createPasswordVault(dir).seal('us-1', 'pw'), throwsCode('SECRET_KEY'));
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, Buffer.alloc(16));
    assert.throws(() => loadSecretKey(dir), throwsCode('SECRET_KEY', /exactly 32 bytes/));
    fs.rmSync(file);
  });

  test('the error message never contains the key', { skip: !isPosix }, () => {
    const key = loadSecretKey(dir);
    fs.chmodSync(path.join(dir, SECRET_KEY_FILE), 0o640);
    try {
      loadSecretKey(dir);
      assert.fail('expected a refusal');
    } catch (error) {
      const text = (error as Error).message;
      assert.ok(!text.includes(key.toString('hex')) && !text.includes(key.toString('base64')));
    }
    fs.rmSync(path.join(dir, SECRET_KEY_FILE));
  });

  test('a sealed password opens only with the same key and the same user id', () => {
    const vault = createPasswordVault(dir);
    const sealed = vault.seal('us-a', 'pässwörd');
    assert.notEqual(sealed, 'pässwörd');
    assert.ok(!Buffer.from(sealed, 'base64').includes(Buffer.from('pässwörd')));
    assert.equal(vault.open('us-a', sealed), 'pässwörd');
    assert.equal(vault.open('us-b', sealed), undefined, 'bound to the user id');
    assert.notEqual(vault.seal('us-a', 'pässwörd'), sealed, 'a fresh nonce every time');
    const tampered = Buffer.from(sealed, 'base64');
    tampered[tampered.length - 1]! ^= 1;
    assert.equal(vault.open('us-a', tampered.toString('base64')), undefined);
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-key2-'));
    try {
      assert.equal(createPasswordVault(otherDir).open('us-a', sealed), undefined, 'another key');
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe('recoverable passwords and token checks', () => {
  let db: Database;
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ db, dir, cleanup } = await makeTempDatabase());
  });
  after(() => cleanup());

  const row = (name: string) =>
    db.first(db.kysely.selectFrom('user').selectAll().where('username', '=', name))!;

  test('createUser seals the password beside the argon2 hash, under the key in the data folder', async () => {
    await createUser(db, { username: 'ann', password: 'sesame' });
    const stored = row('ann');
    assert.ok(stored.password_enc);
    assert.notEqual(stored.password_enc, 'sesame');
    assert.ok(!stored.password_enc.includes('sesame'));
    assert.ok(fs.existsSync(path.join(dir, SECRET_KEY_FILE)));
    assert.equal(passwordVaultFor(db)!.open(stored.id, stored.password_enc), 'sesame');
  });

  test('verifyToken: right token, wrong token, unknown user, malformed token', () => {
    const ok = verifyToken(db, 'ANN', md5('sesamesalt123'), 'salt123');
    assert.ok('row' in ok && ok.row.username === 'ann');
    assert.deepEqual(verifyToken(db, 'ann', md5('sesamesalt124'), 'salt123'), { failure: 'wrong' });
    assert.deepEqual(verifyToken(db, 'nobody', md5('sesamesalt123'), 'salt123'), { failure: 'wrong' });
    assert.deepEqual(verifyToken(db, 'ann', 'not-hex', 'salt123'), { failure: 'wrong' });
    // Upper-case hex is the same token.
    assert.ok('row' in verifyToken(db, 'ann', md5('sesamesalt123').toUpperCase(), 'salt123'));
  });

  test('a user without a sealed copy cannot use tokens (unsupported), until the password is set', async () => {
    db.run(db.kysely.updateTable('user').set({ password_enc: null }).where('username', '=', 'ann'));
    assert.deepEqual(verifyToken(db, 'ann', md5('sesames1'), 's1'), { failure: 'unsupported' });
    await changePassword(db, 'ann', 'new-pass');
    assert.ok('row' in verifyToken(db, 'ann', md5('new-passs1'), 's1'));
    assert.deepEqual(verifyToken(db, 'ann', md5('sesames1'), 's1'), { failure: 'wrong' });
  });

  test('updateUser validates maxBitRate, email and music folders and keeps the last admin', async () => {
    await createUser(db, { username: 'root', password: 'pw', isAdmin: true });
    await assert.rejects(updateUser(db, 'ann', { maxBitRate: 100 }), throwsCode('INVALID_INPUT', /320/));
    await assert.rejects(updateUser(db, 'ann', { email: 'no at sign' }), throwsCode('INVALID_INPUT'));
    await assert.rejects(updateUser(db, 'ann', { libraryIds: [99] }), throwsCode('NOT_FOUND'));
    await assert.rejects(updateUser(db, 'root', { isAdmin: false }), throwsCode('LAST_ADMIN'));
    const updated = await updateUser(db, 'ann', { maxBitRate: 128, email: 'ann@example.org' });
    assert.equal(updated.maxBitRate, 128);
    assert.equal(updated.email, 'ann@example.org');
    assert.deepEqual(findUserByName(db, 'ann'), updated);
  });

  test('library access: every library at creation; later libraries go to admins and to users who see all others', async () => {
    const q = db.kysely;
    db.run(q.insertInto('library').values({ name: 'A', path: '/a', created_at: 1 }));
    assert.deepEqual(findUserByName(db, 'root')!.libraryIds, [1], 'admin');
    assert.deepEqual(findUserByName(db, 'ann')!.libraryIds, [1], 'a user with no library yet');
    const bea = await createUser(db, { username: 'bea', password: 'pw' });
    assert.deepEqual(bea.libraryIds, [1]);
    db.run(q.insertInto('library').values({ name: 'B', path: '/b', created_at: 1 }));
    assert.deepEqual(findUserByName(db, 'root')!.libraryIds, [1, 2]);
    assert.deepEqual(findUserByName(db, 'bea')!.libraryIds, [1, 2], 'a user who saw everything still does');
    const cid = await createUser(db, { username: 'cid', password: 'pw', libraryIds: [2] });
    assert.deepEqual(cid.libraryIds, [2]);
    db.run(q.insertInto('library').values({ name: 'C', path: '/c', created_at: 1 }));
    assert.deepEqual(findUserByName(db, 'cid')!.libraryIds, [2], 'not granted to a user limited to some');
  });

  test('roles: defaults, explicit values, and admins have every role', async () => {
    const dee = await createUser(db, {
      username: 'dee',
      password: 'pw',
      roles: { share: false, upload: true },
    });
    assert.deepEqual(dee.roles, {
      admin: false,
      settings: true,
      stream: true,
      jukebox: false,
      download: true,
      upload: true,
      playlist: true,
      coverArt: false,
      comment: true,
      podcast: false,
      share: false,
      videoConversion: false,
    });
    const root = findUserByName(db, 'root')!;
    assert.ok(Object.values(root.roles).every(Boolean));
  });
});

describe('API keys (domain)', () => {
  let db: Database;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ db, cleanup } = await makeTempDatabase());
    await createUser(db, { username: 'kim', password: 'pw' });
  });
  after(() => cleanup());

  test('a key is stored hashed, shown once, listed by prefix, and revoked at once', () => {
    const created = createApiKey(db, 'KIM', 'phone', 1000);
    assert.match(created.id, /^ak-[0-9a-f]{16}$/);
    assert.match(created.key, /^tnrm_[A-Za-z0-9_-]{43}$/);
    const stored = db.first(db.kysely.selectFrom('api_key').selectAll())!;
    assert.notEqual(stored.key_hash, created.key);
    assert.ok(
      !JSON.stringify(stored).includes(created.key.slice(12)),
      'no part of the secret beyond the prefix',
    );
    assert.ok(created.key.startsWith(stored.prefix));
    const [listed] = listApiKeys(db, 'kim');
    assert.deepEqual(
      { id: listed!.id, name: listed!.name, username: listed!.username, lastUsedAt: listed!.lastUsedAt },
      { id: created.id, name: 'phone', username: 'kim', lastUsedAt: null },
    );
    assert.equal(userForApiKey(db, created.key, 5000)?.username, 'kim');
    assert.equal(userForApiKey(db, `${created.key}x`, 5000), undefined);
    assert.equal(userForApiKey(db, '', 5000), undefined);
    revokeApiKey(db, created.id);
    assert.equal(userForApiKey(db, created.key, 6000), undefined);
    assert.throws(() => revokeApiKey(db, created.id), throwsCode('NOT_FOUND'));
    assert.throws(() => createApiKey(db, 'nobody'), throwsCode('NOT_FOUND'));
    assert.throws(() => createApiKey(db, 'kim', 'x'.repeat(101)), throwsCode('INVALID_INPUT'));
  });

  test('last use is written at most once a minute per key', () => {
    const { key, id } = createApiKey(db, 'kim', '', 0);
    const lastUsed = () =>
      db.first(db.kysely.selectFrom('api_key').select('last_used_at').where('id', '=', id))!;
    userForApiKey(db, key, 100_000);
    assert.equal(lastUsed().last_used_at, 100_000);
    userForApiKey(db, key, 130_000);
    assert.equal(lastUsed().last_used_at, 100_000, 'not rewritten within the minute');
    userForApiKey(db, key, 160_000);
    assert.equal(lastUsed().last_used_at, 160_000);
  });
});

describe('start-up check of the key file', () => {
  test('createApp refuses a data folder whose key file others may read', { skip: !isPosix }, async () => {
    const { createApp } = await import('../../src/http/app.ts');
    const { createServices } = await import('../../src/app/services.ts');
    const { configSchema, defaultConfig } = await import('../../src/config/schema.ts');
    const { silentLogger } = await import('../../src/shared/logger.ts');
    const { db, dir, cleanup } = await makeTempDatabase();
    try {
      const config = configSchema.parse({ ...defaultConfig(), dataDir: dir });
      createApp(createServices({ config, db, logger: silentLogger })); // no key yet: fine, made at first need
      loadSecretKey(dir);
      fs.chmodSync(path.join(dir, SECRET_KEY_FILE), 0o644);
      assert.throws(
        () => createApp(createServices({ config, db, logger: silentLogger })),
        throwsCode('SECRET_KEY'),
      );
    } finally {
      await cleanup();
    }
  });
});
