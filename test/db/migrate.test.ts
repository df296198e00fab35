// The migration runner's refusals and concurrency (src/db/migrate.ts); atomicity under SIGKILL is in
// test/faults/migration-kill.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Database } from '../../src/db/database.ts';
import { migrateToLatest, migrationsFolder } from '../../src/db/migrate.ts';
import { runCli } from '../helpers/cli.ts';

let work: string;
let names: string[];
before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-migrate-'));
  names = fs
    .readdirSync(migrationsFolder)
    .filter((name) => name.endsWith('.ts'))
    .sort();
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A migrations folder holding links to some of the real migrations. */
function folderWith(name: string, files: string[]): string {
  const folder = path.join(work, name);
  fs.mkdirSync(folder);
  for (const file of files) fs.symlinkSync(path.join(migrationsFolder, file), path.join(folder, file));
  return folder;
}

describe('migration runner', () => {
  it('refuses a database a newer version migrated, naming the migration', async () => {
    const db = Database.open(path.join(work, 'newer.db'));
    try {
      await migrateToLatest(db);
      db.sqlite
        .prepare('INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)')
        .run('2099-01-01-0001-from-the-future', new Date().toISOString());
      await assert.rejects(
        migrateToLatest(db),
        /upgraded by a newer Tonearm \(it has migration 2099-01-01-0001-from-the-future/,
      );
    } finally {
      await db.close();
    }
  });

  it('refuses a database where a migration is missing before applied ones', async () => {
    const db = Database.open(path.join(work, 'gap.db'));
    try {
      // Applied: the first and the third, as if the second had been added to this build afterwards.
      await migrateToLatest(db, folderWith('first-and-third', [names[0]!, names[2]!]));
      await assert.rejects(
        migrateToLatest(db, folderWith('first-three', names.slice(0, 3))),
        new RegExp(
          `migration ${names[1]!.replace(/\.ts$/, '')} was never applied to this database although later ones were`,
        ),
      );
    } finally {
      await db.close();
    }
  });

  it('two processes migrating one new data folder at once both succeed, each migration applied once', async () => {
    const data = path.join(work, 'together');
    const [first, second] = await Promise.all([
      runCli(['db', 'migrate', '--data', data]),
      runCli(['db', 'migrate', '--data', data]),
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const db = Database.open(path.join(data, 'tonearm.db'));
    try {
      const applied = db.sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').pluck().all();
      assert.deepEqual(
        applied,
        names.map((name) => name.replace(/\.ts$/, '')),
      );
      assert.deepEqual(await migrateToLatest(db), { applied: [] });
    } finally {
      await db.close();
    }
  });
});
