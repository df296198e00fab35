// Who sees a library added later: admins, and users who see every other library; not users an admin
// limited to some libraries.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createUser } from '../../src/accounts/users.service.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { makeTempDatabase } from '../helpers/http.ts';

it('grants new libraries to admins and to users who see everything', async () => {
  const { db, cleanup } = await makeTempDatabase();
  try {
    const admin = await createUser(db, { username: 'root', password: 'x', isAdmin: true });
    const everything = await createUser(db, { username: 'eve', password: 'x' });
    const limited = await createUser(db, { username: 'lim', password: 'x' });
    const grants = (userId: string) =>
      db
        .prepare('SELECT library_id FROM user_library WHERE user_id = ? ORDER BY library_id')
        .pluck()
        .all(userId);
    syncLibraries(
      db,
      [
        { name: 'A', path: '/a' },
        { name: 'B', path: '/b' },
      ],
      1,
    );
    assert.deepEqual(grants(everything.id), [1, 2], 'created before any library: still sees all of them');
    db.prepare('DELETE FROM user_library WHERE user_id = ? AND library_id = 2').run(limited.id);
    syncLibraries(
      db,
      [
        { name: 'A', path: '/a' },
        { name: 'B', path: '/b' },
        { name: 'C', path: '/c' },
      ],
      2,
    );
    assert.deepEqual(grants(admin.id), [1, 2, 3]);
    assert.deepEqual(grants(everything.id), [1, 2, 3]);
    assert.deepEqual(grants(limited.id), [1], 'a limited user stays limited');
  } finally {
    await cleanup();
  }
});
