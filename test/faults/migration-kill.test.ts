// `tonearm db migrate` killed with SIGKILL at many points (seeded, so a failure can be replayed) leaves the
// database exactly at the last migration that committed — its schema is the schema of a database migrated
// that far and no further — and the next migrate finishes the job. Before migrations ran in transactions,
// a kill inside one left half of it applied and a data folder that could never start again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Database } from '../../src/db/database.ts';
import { migrateToLatest, migrationsFolder } from '../../src/db/migrate.ts';
import { CLI, cleanEnv, REPO_ROOT } from '../helpers/cli.ts';
import { seededRandom } from '../helpers/random.ts';

const SEED = Number(process.env.TONEARM_FAULT_SEED ?? 20261203);
const KILLS_PER_MIGRATION = 3;

let work: string;
let names: string[];
/** Schema fingerprint after the first k migrations, for every k. */
const reference: string[] = [];

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-migrate-kill-'));
  names = fs
    .readdirSync(migrationsFolder)
    .filter((name) => /\.ts$/.test(name))
    .sort()
    .map((name) => name.replace(/\.ts$/, ''));
  for (let count = 0; count <= names.length; count++) {
    const folder = path.join(work, `first-${count}`);
    fs.mkdirSync(folder);
    // Links, not copies: Node resolves a linked module's imports (kysely) from where the file really is.
    for (const name of names.slice(0, count))
      fs.symlinkSync(path.join(migrationsFolder, `${name}.ts`), path.join(folder, `${name}.ts`));
    const db = Database.open(path.join(folder, 'reference.db'));
    await migrateToLatest(db, folder);
    reference.push(schemaOf(db.sqlite));
    await db.close();
  }
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Tables, indexes and triggers with their SQL, without the bookkeeping itself. */
function schemaOf(sqlite: BetterSqlite3.Database): string {
  return JSON.stringify(
    sqlite
      .prepare(
        "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_migration%' ORDER BY type, name",
      )
      .all(),
  );
}

it('a migration killed at any point leaves the old or the new schema, and the next run completes', async () => {
  const random = seededRandom(SEED);
  const landed = new Map<number, number>();
  for (let target = 1; target <= names.length; target++) {
    for (let attempt = 0; attempt < KILLS_PER_MIGRATION; attempt++) {
      const data = path.join(work, `kill-${target}-${attempt}`);
      // Wait for "applying <target>", then a little longer: the kill lands inside that migration or a later one.
      const delayMs = Math.floor(random() * 30);
      const outcome = await migrateAndKill(data, target, delayMs);
      const context = `seed ${SEED}, killed ${delayMs} ms after migration ${target} started (${outcome})`;

      const sqlite = new BetterSqlite3(path.join(data, 'tonearm.db'));
      const applied = sqlite
        .prepare('SELECT name FROM kysely_migration ORDER BY name')
        .pluck()
        .all() as string[];
      assert.deepEqual(applied, names.slice(0, applied.length), `applied in order; ${context}`);
      assert.equal(
        schemaOf(sqlite),
        reference[applied.length],
        `schema of ${applied.length} migrations; ${context}`,
      );
      assert.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok', context);
      sqlite.close();
      landed.set(applied.length, (landed.get(applied.length) ?? 0) + 1);

      const db = Database.open(path.join(data, 'tonearm.db'));
      await migrateToLatest(db);
      assert.equal(schemaOf(db.sqlite), reference[names.length], `completed after the kill; ${context}`);
      await db.close();
      fs.rmSync(data, { recursive: true, force: true });
    }
  }
  // The kills really fell between the first and the last migration, not all before or after them.
  const midway = [...landed.keys()].filter((count) => count > 0 && count < names.length);
  assert.ok(midway.length >= 3, `kills landed mid-way at ${midway.length} different points: ${[...landed]}`);
});

/** Runs `tonearm db migrate` on a new data folder and SIGKILLs it `delayMs` after migration `target` starts. */
function migrateAndKill(data: string, target: number, delayMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'db', 'migrate', '--data', data], {
      cwd: REPO_ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let armed = false;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (!armed && new RegExp(`applying \\S+ \\(${target} of`).test(output)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished before the kill');
      else reject(new Error(`db migrate failed (${code}): ${output}`));
    });
  });
}
