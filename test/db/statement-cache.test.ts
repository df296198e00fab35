// The prepared-statement cache hands every caller a statement in its plain mode: one caller's .pluck()
// once changed the shared statement and made another caller read bare values instead of rows.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { makeTempDatabase } from '../helpers/http.ts';

it('returns rows after another caller plucked the same SQL', async () => {
  const { db, cleanup } = await makeTempDatabase();
  try {
    db.prepare("INSERT INTO library (name, path, created_at) VALUES ('a', '/music/a', 0)").run();
    const sql = 'SELECT path FROM library WHERE name = ?';
    assert.equal(db.prepare(sql).pluck().get('a'), '/music/a');
    assert.deepEqual(db.prepare(sql).get('a'), { path: '/music/a' });
    assert.deepEqual(db.prepare(sql).raw().get('a'), ['/music/a']);
    assert.deepEqual(db.prepare(sql).all('a'), [{ path: '/music/a' }]);
  } finally {
    await cleanup();
  }
});
