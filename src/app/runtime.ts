// What every command that touches the database needs: a writable data folder, the database opened and
// migrated, the configured libraries registered. Bad set-ups fail here with one clear line.
import fs from 'node:fs';
import type { Config, LibraryConfig } from '../config/schema.ts';
import { Database, databaseFile } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { probeWrite } from '../db/storage-faults.ts';
import { inspectRoot, setOffline } from '../library/availability.ts';
import { libraryHasTracks, listLibraries, syncLibraries } from '../library/library.repository.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

export interface Runtime {
  config: Config;
  db: Database;
  logger: Logger;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  logger: Logger;
  /** Register config.music as libraries (serve and scan); other commands leave libraries alone. */
  registerLibraries?: boolean;
}

export async function openRuntime(config: Config, options: OpenRuntimeOptions): Promise<Runtime> {
  // A music folder that is missing is an error (a typo in --music) unless the database knows it as a
  // library with tracks: then it is a share not mounted yet, and the library starts offline.
  const unavailable = options.registerLibraries ? await unavailableMusicFolders(config) : [];
  if (unavailable.length > 0 && !fs.existsSync(databaseFile(config.dataDir))) throw unavailable[0]!.error;
  const db = openDatabase(config.dataDir, options.logger);
  try {
    await migrateToLatest(db, undefined, {
      onStart: (name) => options.logger.info({ migration: name }, 'applying schema migration'),
    });
    if (options.registerLibraries) {
      for (const entry of unavailable) {
        const known = listLibraries(db).find(
          (row) => row.name === entry.library.name && row.path === entry.library.path,
        );
        if (!known || !libraryHasTracks(db, known.id)) throw entry.error;
      }
      syncLibraries(db, config.music, Date.now());
      for (const entry of unavailable) {
        const row = listLibraries(db).find((library) => library.name === entry.library.name)!;
        setOffline(db, options.logger, row, entry.reason);
      }
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return { config, db, logger: options.logger, close: () => db.close() };
}

/** The configured music folders that cannot be used now, with the start-up error each would be. */
async function unavailableMusicFolders(
  config: Config,
): Promise<{ library: LibraryConfig; reason: string; error: TonearmError }[]> {
  if (config.music.length === 0) assertMusicFolders(config);
  const out: { library: LibraryConfig; reason: string; error: TonearmError }[] = [];
  for (const library of config.music) {
    try {
      assertMusicFolder(library.path);
    } catch (error) {
      const look = await inspectRoot(library.path);
      out.push({
        library,
        reason: look.ok ? 'folder cannot be read' : look.reason,
        error: error as TonearmError,
      });
    }
  }
  return out;
}

export function assertMusicFolders(config: Config): void {
  if (config.music.length === 0) {
    throw new TonearmError(
      'MUSIC_FOLDER',
      'no music folder given: pass --music DIR or set music in the config file',
    );
  }
  for (const library of config.music) assertMusicFolder(library.path);
}

export function assertMusicFolder(folder: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TonearmError(
      'MUSIC_FOLDER',
      code === 'ENOENT'
        ? `music folder ${folder} does not exist`
        : `music folder ${folder} cannot be read (${code})`,
    );
  }
  if (!stat.isDirectory()) throw new TonearmError('MUSIC_FOLDER', `music folder ${folder} is not a folder`);
  try {
    fs.accessSync(folder, fs.constants.R_OK | fs.constants.X_OK);
    fs.readdirSync(folder);
  } catch (error) {
    throw new TonearmError(
      'MUSIC_FOLDER',
      `music folder ${folder} cannot be read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

/**
 * The data folder made ready and private, and its database opened (not migrated). The folder and the
 * database files hold password hashes, sealed password copies and key hashes: the folder is 0700 and the
 * database, WAL and shared-memory files 0600, tightened here when an older version left them wider.
 */
export function openDatabase(dataDir: string, logger: Logger): Database {
  ensureDataFolder(dataDir, logger);
  const file = databaseFile(dataDir);
  // After the open: a file that is not SQLite is refused before anything about it changes.
  const db = Database.open(file);
  db.storage.subscribe((fault, previous) => {
    if (fault) logger.error({ kind: fault.kind, err: fault.message }, 'the database cannot save changes');
    else if (previous)
      logger.info(
        { kind: previous.kind, since: new Date(previous.since).toISOString() },
        'the database saves changes again',
      );
  });
  try {
    for (const suffix of ['', '-wal', '-shm']) makePrivate(file + suffix, 0o600, logger);
  } catch (error) {
    void db.close();
    throw error;
  }
  return db;
}

/** Creates the data folder if needed and proves it is writable (access() lies for root on read-only mounts). */
export function ensureDataFolder(folder: string, logger: Logger): void {
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new TonearmError(
      'DATA_FOLDER',
      `data folder ${folder} cannot be created (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  const notWritable = probeWrite(folder);
  if (notWritable)
    throw new TonearmError('DATA_FOLDER', `data folder ${folder} is not writable (${notWritable.code})`);
  // A folder that is not ours to change (a NAS share at 0770, another owner) worked before: say so, go on;
  // the files that hold secrets are private in any case.
  makePrivate(folder, 0o700, logger, { required: false });
}

/**
 * Takes group and other permissions off a file or folder that has them (chmod opens nothing, so this is
 * safe beside SQLite connections). One that cannot be changed stops start-up, as a wide secret.key does.
 */
function makePrivate(
  target: string,
  mode: number,
  logger: Logger,
  options: { required: boolean } = { required: true },
): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    return; // not there (yet): created private
  }
  if (process.platform === 'win32' || (stat.mode & 0o077) === 0) return;
  const was = (stat.mode & 0o777).toString(8);
  try {
    fs.chmodSync(target, mode);
  } catch (error) {
    const message = `${target} is open to other users (mode ${was}) and cannot be made private (${(error as NodeJS.ErrnoException).code}); run chmod ${mode.toString(8)} on it`;
    if (options.required) throw new TonearmError('DATA_FOLDER', message);
    logger.warn({ path: target, mode: was }, message);
    return;
  }
  logger.warn(
    { path: target, was, now: mode.toString(8) },
    'made a data file private (it held secrets readable by other users)',
  );
}
