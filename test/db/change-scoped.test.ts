// Values kept until the database changes (src/db/change-scoped.ts) must never outlive a change: this
// connection's writes drop them at once, another connection's commits within 100 ms.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ChangeScopedCache, untilChange } from '../../src/db/change-scoped.ts';
import { Database } from '../../src/db/database.ts';
import { makeTempDatabase } from '../helpers/http.ts';

let temp: Awaited<ReturnType<typeof makeTempDatabase>>;
before(async () => {
  temp = await makeTempDatabase();
});
after(() => temp?.cleanup());

const setting = (db: Database) =>
  db.prepare("SELECT value FROM setting WHERE key = 'test.value'").pluck().get() as string | undefined;
const write = (db: Database, value: string) =>
  db
    .prepare(
      "INSERT INTO setting (key, value) VALUES ('test.value', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .run(value);

it('keeps a value until this connection writes, and sees another connection within 100 ms', async () => {
  const { db } = temp;
  write(db, 'one');
  let computed = 0;
  const current = untilChange(db, () => {
    computed++;
    return setting(db);
  });
  assert.equal(current(), 'one');
  assert.equal(current(), 'one');
  assert.equal(computed, 1, 'kept while nothing changed');
  write(db, 'two');
  assert.equal(current(), 'two', 'own write seen at once');

  const other = Database.open(db.file);
  try {
    write(other, 'three');
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(current(), 'three', "another connection's commit seen after 100 ms");
  } finally {
    await other.close();
  }
});

it('evicts the least recently used values beyond the entry and weight limits', () => {
  const cache = new ChangeScopedCache<number[]>(temp.db, {
    maxEntries: 10,
    maxWeight: 10,
    weigh: (list) => list.length,
  });
  cache.get('a', () => [1, 2, 3, 4]);
  cache.get('b', () => [1, 2, 3, 4]);
  assert.deepEqual(
    cache.get('a', () => assert.fail('a is kept')),
    [1, 2, 3, 4],
  );
  // 4 + 4 + 4 > 10: the least recently used (b) goes.
  cache.get('c', () => [1, 2, 3, 4]);
  let recomputed = false;
  cache.get('b', () => {
    recomputed = true;
    return [0];
  });
  assert.ok(recomputed, 'b was evicted');
  assert.deepEqual(
    cache.get('a', () => assert.fail('a is still kept')),
    [1, 2, 3, 4],
  );
  // A value heavier than the whole budget is returned but not kept.
  let heavy = 0;
  for (let round = 0; round < 2; round++)
    cache.get('heavy', () => {
      heavy++;
      return Array.from({ length: 11 }, () => 0);
    });
  assert.equal(heavy, 2);
});
