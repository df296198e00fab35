// Applies the ordered, frozen migrations in migrations/ (file name order). Fails loudly: a migration
// that throws stops start-up and leaves the database at the last migration that succeeded.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import { TonearmError } from '../shared/errors.ts';
import type { Database } from './database.ts';

export const migrationsFolder = fileURLToPath(new URL('../../migrations/', import.meta.url));

class FolderMigrationProvider implements MigrationProvider {
  private readonly folder: string;
  constructor(folder: string) {
    this.folder = folder;
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = fs
      .readdirSync(this.folder)
      .filter((name) => /\.(ts|js)$/.test(name) && !name.endsWith('.d.ts'))
      .sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const module = (await import(pathToFileURL(path.join(this.folder, file)).href)) as Migration;
      migrations[file.replace(/\.(ts|js)$/, '')] = module;
    }
    return migrations;
  }
}

export interface MigrationOutcome {
  applied: string[];
}

export async function migrateToLatest(db: Database, folder = migrationsFolder): Promise<MigrationOutcome> {
  const migrator = new Migrator({ db: db.kysely, provider: new FolderMigrationProvider(folder) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    const name = failed?.migrationName ?? 'unknown';
    throw new TonearmError('MIGRATION', `migration ${name} failed: ${(error as Error)?.message ?? error}`, {
      cause: error,
    });
  }
  return { applied: (results ?? []).map((result) => result.migrationName) };
}

export async function pendingMigrations(db: Database, folder = migrationsFolder): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider: new FolderMigrationProvider(folder) });
  const all = await migrator.getMigrations();
  return all.filter((migration) => !migration.executedAt).map((migration) => migration.name);
}
