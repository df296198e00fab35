// Applies the ordered, frozen migrations in migrations/ (file name order), each in its own transaction
// together with its bookkeeping row: a process killed at any point leaves the database at the last
// migration that committed, never half-way through one. Fails loudly: a migration that throws rolls back
// and stops start-up with its name.
//
// Kysely's own Migrator runs SQLite migrations outside transactions (its SQLite adapter reports no
// transactional DDL, although SQLite has it), so a kill between two statements of one migration left a
// data folder that could never start again ("duplicate column name"). This runner keeps Kysely's
// bookkeeping table (`kysely_migration`: name, ISO timestamp), so data folders made before it carry on.
// Several processes may start at once: BEGIN IMMEDIATE serialises them, and each re-reads what is applied
// once it holds the write lock.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { TonearmError } from '../shared/errors.ts';
import type { Database } from './database.ts';

export const migrationsFolder = fileURLToPath(new URL('../../migrations/', import.meta.url));
const BOOKKEEPING_TABLE = 'kysely_migration';
/** How long a migration waits for another process's write lock (its own migration, a long scan batch). */
const MIGRATION_LOCK_WAIT_MS = 120_000;

interface MigrationModule {
  // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and typed against no app schema
  up(db: Kysely<any>): Promise<void>;
}

interface MigrationFile {
  name: string;
  module: MigrationModule;
}

export interface MigrationOutcome {
  applied: string[];
}

export interface MigrateOptions {
  /** Called just before a migration starts (progress for `tonearm db migrate`, a log line for serve). */
  onStart?: (name: string, index: number, total: number) => void;
}

async function loadMigrations(folder: string): Promise<MigrationFile[]> {
  const files = fs
    .readdirSync(folder)
    .filter((name) => /\.(ts|js)$/.test(name) && !name.endsWith('.d.ts'))
    .sort();
  const migrations: MigrationFile[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(folder, file)).href)) as Partial<MigrationModule>;
    if (typeof module.up !== 'function')
      throw new TonearmError('MIGRATION', `migration ${file} has no up() function`);
    migrations.push({ name: file.replace(/\.(ts|js)$/, ''), module: module as MigrationModule });
  }
  return migrations;
}

function ensureBookkeeping(db: Database): void {
  db.sqlite.exec(
    `CREATE TABLE IF NOT EXISTS ${BOOKKEEPING_TABLE} (name varchar(255) NOT NULL PRIMARY KEY, timestamp varchar(255) NOT NULL)`,
  );
}

function appliedNames(db: Database): string[] {
  return db.prepare(`SELECT name FROM ${BOOKKEEPING_TABLE} ORDER BY name`).pluck().all() as string[];
}

/**
 * Refuses a database that knows migrations this code does not (a newer Tonearm upgraded it), and one where
 * a migration is missing before others that were applied (this code's migrations do not match the ones
 * that made the database): running on would build on a schema nobody tested.
 */
function assertApplicable(applied: readonly string[], known: readonly MigrationFile[]): void {
  const names = new Set(known.map((migration) => migration.name));
  const unknown = applied.filter((name) => !names.has(name));
  if (unknown.length > 0)
    throw new TonearmError(
      'MIGRATION',
      `the database was upgraded by a newer Tonearm (it has migration ${unknown.join(', ')}, which this version does not know); run the newer version or restore a backup made before the upgrade`,
    );
  const done = new Set(applied);
  const lastApplied = known.findLastIndex((migration) => done.has(migration.name));
  const gap = known.slice(0, Math.max(0, lastApplied)).find((migration) => !done.has(migration.name));
  if (gap)
    throw new TonearmError(
      'MIGRATION',
      `migration ${gap.name} was never applied to this database although later ones were; this build's migrations do not match the database's`,
    );
}

export async function migrateToLatest(
  db: Database,
  folder = migrationsFolder,
  options: MigrateOptions = {},
): Promise<MigrationOutcome> {
  const migrations = await loadMigrations(folder);
  const outcome: MigrationOutcome = { applied: [] };
  try {
    ensureBookkeeping(db);
  } catch (error) {
    throw new TonearmError('MIGRATION', `cannot prepare migrations: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const alreadyApplied = appliedNames(db);
  assertApplicable(alreadyApplied, migrations);
  const done = new Set(alreadyApplied);
  const pending = migrations.filter((migration) => !done.has(migration.name));
  if (pending.length === 0) return outcome;
  // Another process may be migrating a large catalog (an index build): wait for it rather than fail.
  const waits = db.sqlite.pragma('busy_timeout', { simple: true }) as number;
  db.sqlite.pragma(`busy_timeout = ${MIGRATION_LOCK_WAIT_MS}`);
  try {
    for (const [index, migration] of pending.entries()) {
      options.onStart?.(migration.name, index + 1, pending.length);
      try {
        // The write lock is taken before anything is read, so two processes never both apply a migration;
        // what is applied is read again under it.
        db.sqlite.exec('BEGIN IMMEDIATE');
        const appliedNow = appliedNames(db);
        assertApplicable(appliedNow, migrations);
        if (appliedNow.includes(migration.name)) {
          db.sqlite.exec('COMMIT');
          continue; // another process applied it meanwhile
        }
        await migration.module.up(db.kysely);
        db.prepare(`INSERT INTO ${BOOKKEEPING_TABLE} (name, timestamp) VALUES (?, ?)`).run(
          migration.name,
          new Date().toISOString(),
        );
        db.sqlite.exec('COMMIT');
        outcome.applied.push(migration.name);
      } catch (error) {
        if (db.sqlite.inTransaction) db.sqlite.exec('ROLLBACK');
        if (error instanceof TonearmError) throw error;
        throw new TonearmError(
          'MIGRATION',
          `migration ${migration.name} failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
  } finally {
    db.sqlite.pragma(`busy_timeout = ${waits}`);
  }
  return outcome;
}
