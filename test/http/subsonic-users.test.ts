// User management endpoints end to end, with the role and cross-user rules, and the XML of getUser and
// getUsers against the Subsonic 1.16.1 schema (as DSub gets it).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FIRST_ADMIN_FILE } from '../../src/accounts/first-admin.ts';
import { findUserByName } from '../../src/accounts/users.service.ts';
import { startTestServer, subsonicJson, subsonicUrl, type TestServer } from '../helpers/http.ts';

const XSD = fileURLToPath(new URL('../fixtures/subsonic-rest-api-1.16.1.xsd', import.meta.url));
type Envelope = Record<string, unknown> & { status: string; error?: { code: number; message: string } };

const ADMIN = { u: 'admin', p: 'admin-pw', v: '1.16.1', c: 'test' };
const ALICE = { u: 'alice', p: 'alice-pw', v: '1.16.1', c: 'test' };

describe('Subsonic user management', () => {
  let server: TestServer;
  const call = (
    endpoint: string,
    auth: Record<string, string>,
    params: Record<string, string | string[]> = {},
  ) => subsonicJson(server, endpoint, { ...auth, ...params }) as Promise<Envelope>;

  before(async () => {
    server = await startTestServer({
      users: [
        { username: 'admin', password: 'admin-pw', isAdmin: true },
        { username: 'alice', password: 'alice-pw', isAdmin: false },
      ],
    });
    const q = server.db.kysely;
    server.db.run(q.insertInto('library').values({ name: 'Music', path: '/music', created_at: 1 }));
    server.db.run(q.insertInto('library').values({ name: 'Books', path: '/books', created_at: 1 }));
  });
  after(() => server.close());

  test('getUser: a user reads themself (also without username); an admin reads anyone; others get 50; unknown is 70', async () => {
    const self = await call('getUser', ALICE, { username: 'alice' });
    assert.equal(self.status, 'ok');
    assert.deepEqual(self.user, {
      username: 'alice',
      email: '',
      scrobblingEnabled: true,
      maxBitRate: 0,
      adminRole: false,
      settingsRole: true,
      downloadRole: true,
      uploadRole: false,
      playlistRole: true,
      coverArtRole: false,
      commentRole: true,
      podcastRole: false,
      streamRole: true,
      jukeboxRole: false,
      shareRole: true,
      videoConversionRole: false,
      // alice had no library when library 1 came, so she got it; library 2 goes to admins only
      folder: [1, 2],
    });
    assert.equal((await call('getUser', ALICE, { username: 'ALICE' })).status, 'ok');
    assert.equal((await call('getUser', ALICE, { username: 'admin' })).error?.code, 50);
    const byAdmin = await call('getUser', ADMIN, { username: 'alice' });
    assert.equal((byAdmin.user as { username: string }).username, 'alice');
    const admin = (await call('getUser', ADMIN, { username: 'admin' })).user as Record<string, unknown>;
    assert.equal(admin.adminRole, true);
    assert.equal(admin.jukeboxRole, true, 'admins have every role');
    assert.equal((await call('getUser', ADMIN, { username: 'nobody' })).error?.code, 70);
    // Without a name (client libraries make it optional): the caller.
    assert.equal(((await call('getUser', ALICE)).user as { username: string }).username, 'alice');
    assert.equal(((await call('getUser', ADMIN)).user as { username: string }).username, 'admin');
  });

  test('non-admins get 50 on getUsers, createUser, updateUser and deleteUser', async () => {
    assert.equal((await call('getUsers', ALICE)).error?.code, 50);
    const create = { username: 'mallory', password: 'pw', email: 'm@example.org' };
    assert.equal((await call('createUser', ALICE, create)).error?.code, 50);
    assert.equal((await call('updateUser', ALICE, { username: 'alice', adminRole: 'true' })).error?.code, 50);
    assert.equal((await call('deleteUser', ALICE, { username: 'admin' })).error?.code, 50);
    assert.equal(findUserByName(server.db, 'mallory'), undefined);
    assert.equal(findUserByName(server.db, 'alice')!.isAdmin, false);
  });

  test('createUser: required username, password and email (10); roles, folders and enc: passwords', async () => {
    assert.equal((await call('createUser', ADMIN, { username: 'x', password: 'pw' })).error?.code, 10);
    assert.equal((await call('createUser', ADMIN, { username: 'x', email: 'x@y' })).error?.code, 10);
    assert.equal((await call('createUser', ADMIN, { password: 'pw', email: 'x@y' })).error?.code, 10);
    const created = await call('createUser', ADMIN, {
      username: 'bob',
      password: `enc:${Buffer.from('bob-pw').toString('hex')}`,
      email: 'bob@example.org',
      downloadRole: 'false',
      podcastRole: 'true',
      musicFolderId: ['2'],
    });
    assert.equal(created.status, 'ok', JSON.stringify(created.error));
    assert.deepEqual(Object.keys(created).sort(), [
      'openSubsonic',
      'serverVersion',
      'status',
      'type',
      'version',
    ]);
    const bob = (await call('getUser', { ...ALICE, u: 'bob', p: 'bob-pw' }, { username: 'bob' }))
      .user as Record<string, unknown>;
    assert.equal(bob.email, 'bob@example.org');
    assert.equal(bob.downloadRole, false);
    assert.equal(bob.podcastRole, true);
    assert.equal(bob.streamRole, true);
    assert.deepEqual(bob.folder, [2]);
    const dup = await call('createUser', ADMIN, { username: 'BOB', password: 'pw', email: 'b@c' });
    assert.equal(dup.error?.code, 0);
    assert.match(dup.error?.message ?? '', /already exists/);
    const badFolder = await call('createUser', ADMIN, {
      username: 'z',
      password: 'pw',
      email: 'z@z',
      musicFolderId: '9',
    });
    assert.equal(badFolder.error?.code, 70);
    const badBool = await call('createUser', ADMIN, {
      username: 'z',
      password: 'pw',
      email: 'z@z',
      shareRole: 'maybe',
    });
    assert.equal(badBool.error?.code, 0);
    assert.equal(findUserByName(server.db, 'z'), undefined);
    // Without musicFolderId a new user gets every library.
    await call('createUser', ADMIN, { username: 'carol', password: 'pw', email: 'c@example.org' });
    assert.deepEqual(findUserByName(server.db, 'carol')!.libraryIds, [1, 2]);
  });

  test('updateUser: only given fields change; maxBitRate must be a Subsonic rate', async () => {
    const ok = await call('updateUser', ADMIN, {
      username: 'bob',
      maxBitRate: '192',
      musicFolderId: ['1', '2'],
      shareRole: 'false',
    });
    assert.equal(ok.status, 'ok', JSON.stringify(ok.error));
    const bob = findUserByName(server.db, 'bob')!;
    assert.equal(bob.maxBitRate, 192);
    assert.deepEqual(bob.libraryIds, [1, 2]);
    assert.equal(bob.roles.share, false);
    assert.equal(bob.roles.podcast, true, 'unchanged');
    assert.equal(bob.email, 'bob@example.org', 'unchanged');
    for (const rate of ['100', '-1', 'fast', '321']) {
      const refused = await call('updateUser', ADMIN, { username: 'bob', maxBitRate: rate });
      assert.equal(refused.error?.code, 0, rate);
    }
    assert.match(
      (await call('updateUser', ADMIN, { username: 'bob', maxBitRate: '100' })).error?.message ?? '',
      /maxBitRate must be one of 0, 32, .*, 320/,
    );
    assert.equal(findUserByName(server.db, 'bob')!.maxBitRate, 192);
    assert.equal((await call('updateUser', ADMIN, { username: 'nobody', email: 'a@b' })).error?.code, 70);
    assert.equal((await call('updateUser', ADMIN, { username: 'admin', adminRole: 'false' })).error?.code, 0);
    // A new password works for p and token logins at once.
    await call('updateUser', ADMIN, { username: 'bob', password: 'bob-new' });
    assert.equal((await call('ping', { ...ALICE, u: 'bob', p: 'bob-new' })).status, 'ok');
    assert.equal((await call('ping', { ...ALICE, u: 'bob', p: 'bob-pw' })).error?.code, 40);
  });

  test('changePassword: yourself, or anyone as admin; someone else as a non-admin is 50', async () => {
    assert.equal(
      (await call('changePassword', ALICE, { username: 'bob', password: 'hacked' })).error?.code,
      50,
    );
    assert.equal((await call('changePassword', ALICE, { username: 'alice' })).error?.code, 10);
    const own = await call('changePassword', ALICE, {
      username: 'alice',
      password: `enc:${Buffer.from('alice-2').toString('hex')}`,
    });
    assert.equal(own.status, 'ok');
    const alice2 = { ...ALICE, p: 'alice-2' };
    assert.equal((await call('ping', alice2)).status, 'ok');
    assert.equal(
      (await call('changePassword', ADMIN, { username: 'alice', password: 'alice-pw' })).status,
      'ok',
    );
    assert.equal((await call('ping', ALICE)).status, 'ok');
    // Without the settings role a user may not change their own password.
    await call('updateUser', ADMIN, { username: 'carol', settingsRole: 'false' });
    const carol = { ...ALICE, u: 'carol', p: 'pw' };
    assert.equal((await call('changePassword', carol, { username: 'carol', password: 'x' })).error?.code, 50);
  });

  test('changing the first admin password removes the initial-password file', async () => {
    const file = path.join(server.dir, FIRST_ADMIN_FILE);
    fs.writeFileSync(file, 'old\n', { mode: 0o600 });
    assert.equal(
      (await call('changePassword', ADMIN, { username: 'admin', password: 'admin-pw' })).status,
      'ok',
    );
    assert.equal(fs.existsSync(file), false);
  });

  test('deleteUser: admins only, not yourself, never the last admin', async () => {
    assert.equal((await call('deleteUser', ADMIN, { username: 'admin' })).error?.code, 0);
    assert.equal((await call('deleteUser', ADMIN, { username: 'nobody' })).error?.code, 70);
    assert.equal((await call('deleteUser', ADMIN, { username: 'bob' })).status, 'ok');
    assert.equal(findUserByName(server.db, 'bob'), undefined);
    assert.equal((await call('ping', { ...ALICE, u: 'bob', p: 'bob-new' })).error?.code, 40);
    // A second admin may not delete the last other admin either once it is the only one left.
    await call('createUser', ADMIN, { username: 'root2', password: 'pw', email: 'r@x', adminRole: 'true' });
    const root2 = { ...ADMIN, u: 'root2', p: 'pw' };
    assert.equal((await call('deleteUser', root2, { username: 'admin' })).status, 'ok');
    assert.equal((await call('updateUser', root2, { username: 'root2', adminRole: 'false' })).error?.code, 0);
  });

  test('getUsers lists every user with folders as ints', async () => {
    const root2 = { ...ADMIN, u: 'root2', p: 'pw' };
    const users = ((await call('getUsers', root2)).users as { user: Record<string, unknown>[] }).user;
    assert.deepEqual(
      users.map((entry) => entry.username),
      ['alice', 'carol', 'root2'],
    );
    for (const entry of users) assert.ok((entry.folder as unknown[]).every((id) => typeof id === 'number'));
  });

  test('getUser and getUsers XML (c=DSub) validate against the Subsonic 1.16.1 schema', async () => {
    const root2 = { ...ADMIN, u: 'root2', p: 'pw', c: 'DSub' };
    server.db.run(
      server.db.kysely
        .updateTable('user')
        .set({ avatar_changed_at: Date.UTC(2026, 0, 2) })
        .where('username', '=', 'alice'),
    );
    for (const [endpoint, params] of [
      ['getUser', { username: 'alice' }],
      ['getUser', { username: 'root2' }],
      ['getUsers', {}],
      ['getUser', { username: 'nobody' }],
    ] as const) {
      const text = await (await fetch(subsonicUrl(server, endpoint, { ...root2, ...params }))).text();
      const stripped = text.replace(/ (type|serverVersion|openSubsonic)="[^"]*"/g, '');
      execFileSync('xmllint', ['--noout', '--schema', XSD, '-'], {
        input: stripped,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      if (endpoint === 'getUser' && params.username === 'alice')
        assert.match(
          text,
          /avatarLastChanged="2026-01-02T00:00:00.000Z"><folder>1<\/folder><folder>2<\/folder><\/user>/,
        );
      if (endpoint === 'getUser' && params.username === 'root2')
        assert.match(text, /<folder>1<\/folder><folder>2<\/folder>/);
    }
  });
});
