// Opens the SQLite database and gives two ways to query it: a Kysely instance (typed query building,
// async execution for migrations) and synchronous helpers that run a Kysely-built query through
// better-sqlite3 with a prepared-statement cache. Domain code uses the synchronous helpers: they can run
// inside a better-sqlite3 transaction, which keeps a unit of work atomic without awaiting in between.
// SQLite-only pragmas live here and nowhere else.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Compilable, Kysely, SqliteDialect } from 'kysely';
import { publishWithoutOverwrite } from '../shared/durable-file.ts';
import { TonearmError } from '../shared/errors.ts';
import type { DB } from './schema.ts';
import { diagnoseDatabaseFault, StorageHealth, storageErrorFrom } from './storage-faults.ts';

const STATEMENT_CACHE_LIMIT = 400;
const DATA_VERSION_TTL_MS = 100;
/**
 * FULL: a commit is on disk (the WAL fsynced) before the server says it is done, so an acknowledged
 * write survives a power cut as well as kill -9 (NORMAL keeps it only across a crash of the process).
 */
const SYNCHRONOUS = 'FULL';
/** How long a statement waits for another connection's write lock before failing with "busy". */
export const BUSY_TIMEOUT_MS = 5000;
/** The same for writes that may be skipped (Database.bestEffort). */
const BEST_EFFORT_BUSY_TIMEOUT_MS = 100;
/**
 * The same while another program has held the lock beyond BUSY_TIMEOUT_MS: better-sqlite3 waits on the
 * main thread, so each write would otherwise stop every stream for 5 s until the lock is released.
 */
const BUSY_FAULT_TIMEOUT_MS = 250;

export interface OpenOptions {
  /** Open read-only (for `tonearm stats`, `config print`): never creates or migrates anything. */
  readonly?: boolean;
}

export class Database {
  readonly sqlite: BetterSqlite3.Database;
  readonly kysely: Kysely<DB>;
  readonly file: string;
  /** The folder that holds the database: the data folder. */
  readonly folder: string;
  /** Storage faults met by this connection, for /health and the logs. */
  readonly storage = new StorageHealth();
  /** Device and inode of the file when it was opened: a file replaced under the server is not this one. */
  private readonly identity: string | undefined;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private knownDataVersion = 0;
  private dataVersionReadAt = Number.NEGATIVE_INFINITY;

  private constructor(file: string, sqlite: BetterSqlite3.Database) {
    this.file = file;
    this.folder = path.dirname(path.resolve(file));
    this.identity = fileIdentity(file);
    // Bounded waits while another program keeps the lock; the usual wait once it is given back.
    this.storage.subscribe(() => this.sqlite.pragma(`busy_timeout = ${this.lockWaitMs()}`));
    this.sqlite = sqlite;
    this.kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  }

  static open(file: string, options: OpenOptions = {}): Database {
    const readonly = options.readonly ?? false;
    if (!readonly) createPrivateFile(file);
    let sqlite: BetterSqlite3.Database | undefined;
    try {
      sqlite = new BetterSqlite3(file, { readonly, fileMustExist: readonly });
      // Read the header through SQLite, never through fs: a file that is not SQLite fails here
      // (SQLITE_NOTADB) before anything is written to it.
      sqlite.pragma('schema_version');
      if (!readonly) {
        sqlite.pragma('journal_mode = WAL');
        sqlite.pragma(`synchronous = ${SYNCHRONOUS}`);
      }
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      sqlite.pragma('cache_size = -16000');
      sqlite.pragma('temp_store = MEMORY');
    } catch (error) {
      sqlite?.close();
      if ((error as { code?: string }).code === 'SQLITE_NOTADB')
        throw new TonearmError('DATABASE', `${file} is not a SQLite database (left untouched)`, {
          cause: error,
        });
      throw new TonearmError('DATABASE', `cannot open database ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new Database(file, sqlite);
  }

  /** Runs a Kysely-built query synchronously and returns all rows. */
  all<O>(query: Compilable<O>): O[] {
    const compiled = query.compile();
    try {
      return this.prepare(compiled.sql).all(...(compiled.parameters as unknown[])) as O[];
    } catch (error) {
      throw this.failed(error);
    }
  }

  first<O>(query: Compilable<O>): O | undefined {
    const compiled = query.compile();
    try {
      return this.prepare(compiled.sql).get(...(compiled.parameters as unknown[])) as O | undefined;
    } catch (error) {
      throw this.failed(error);
    }
  }

  run(query: Compilable<unknown>): { changes: number } {
    const compiled = query.compile();
    let result: BetterSqlite3.RunResult;
    try {
      result = this.prepare(compiled.sql).run(...(compiled.parameters as unknown[]));
    } catch (error) {
      throw this.failed(error);
    }
    if (!this.sqlite.inTransaction) this.storage.noteWriteOk();
    return { changes: result.changes };
  }

  /**
   * A cached prepared statement for hand-written SQL (hot paths of the scanner). Always in its plain mode:
   * pluck() and friends change the shared statement, so one caller's .pluck() must not turn another
   * caller's rows into bare values.
   */
  prepare(sqlText: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sqlText);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) this.statements.clear();
      statement = this.sqlite.prepare(sqlText);
      this.statements.set(sqlText, statement);
    } else if (statement.reader) {
      statement.raw(false);
      statement.pluck(false);
      statement.expand(false);
    }
    return statement;
  }

  /** Runs fn in one immediate transaction; a throw rolls everything back. */
  transaction<T>(fn: () => T): T {
    let result: T;
    try {
      result = this.sqlite.transaction(fn).immediate();
    } catch (error) {
      throw this.failed(error);
    }
    if (!this.sqlite.inTransaction) this.storage.noteWriteOk();
    return result;
  }

  /**
   * Runs a write that is worth doing but must not fail or hold up what the caller is really doing (a
   * player's last-seen time, an API key's last use, while a song starts): it waits for another
   * connection's lock only briefly, and a storage fault is remembered for /health and reported as
   * `undefined` instead of thrown. Other errors are thrown as usual.
   */
  bestEffort<T>(write: () => T): T | undefined {
    // Inside a transaction the lock is held already, and a failure belongs to the whole transaction
    // (SQLite may have rolled it back): it is thrown to its owner.
    if (this.sqlite.inTransaction) return write();
    this.sqlite.pragma(`busy_timeout = ${Math.min(this.lockWaitMs(), BEST_EFFORT_BUSY_TIMEOUT_MS)}`);
    try {
      return write();
    } catch (error) {
      const reported = this.failed(error);
      if (reported instanceof TonearmError && reported.httpStatus === 503) return undefined;
      throw reported;
    } finally {
      this.sqlite.pragma(`busy_timeout = ${this.lockWaitMs()}`);
    }
  }

  /** How long a statement waits for another connection's lock: briefly while a lock fault stands. */
  private lockWaitMs(): number {
    return this.storage.current()?.kind === 'busy' ? BUSY_FAULT_TIMEOUT_MS : BUSY_TIMEOUT_MS;
  }

  /**
   * What to throw for an error of this connection: a storage fault (full disk, read-only folder, a lock
   * held elsewhere, a disk error) is remembered for /health and named clearly; anything else as it is.
   */
  failed(error: unknown): unknown {
    if (error instanceof TonearmError) return error;
    const kind = diagnoseDatabaseFault(error, this.folder);
    if (!kind) return error;
    this.storage.note(kind, error);
    return storageErrorFrom(error, kind) ?? error;
  }

  /** True when no other connection holds the write lock (asked without waiting for it). */
  canTakeWriteLock(): boolean {
    if (this.sqlite.inTransaction) return true;
    const waited = this.sqlite.pragma('busy_timeout', { simple: true }) as number;
    this.sqlite.pragma('busy_timeout = 0');
    try {
      this.sqlite.exec('BEGIN IMMEDIATE');
      this.sqlite.exec('ROLLBACK');
      return true;
    } catch {
      return false;
    } finally {
      this.sqlite.pragma(`busy_timeout = ${waited}`);
    }
  }

  /** The clear error for a storage fault (a full disk...), or `error` itself; nothing is noted. */
  explainFailure(error: unknown): unknown {
    return storageErrorFrom(error) ?? error;
  }

  /** SQLite's data_version: changes when another connection commits (this one's writes do not count). */
  dataVersion(): number {
    return this.prepare('PRAGMA data_version').pluck().get() as number;
  }

  /**
   * A value that changes whenever anything in the database changes: this connection's change count plus
   * SQLite's data_version (commits of other connections, such as a `tonearm scan` run beside the server).
   * Caches of derived data compare it to drop their entries.
   */
  changeVersion(): string {
    this.knownDataVersion = this.dataVersion();
    this.dataVersionReadAt = performance.now();
    return `${this.totalChanges()}:${this.knownDataVersion}`;
  }

  /**
   * changeVersion() for per-request caches (the caller's user, the library list): this connection's own
   * changes count at once, another process's within DATA_VERSION_TTL_MS. data_version takes SQLite's
   * shared-memory lock, which with read workers busy cost ~25 µs a call; the change count is well under one.
   */
  recentChangeVersion(): string {
    if (performance.now() - this.dataVersionReadAt >= DATA_VERSION_TTL_MS) return this.changeVersion();
    return `${this.totalChanges()}:${this.knownDataVersion}`;
  }

  /** True when the database answers a trivial query (health checks). */
  responds(): boolean {
    try {
      // Reads the schema, not a constant: a database that cannot be read does not respond.
      return typeof this.sqlite.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() === 'number';
    } catch {
      return false;
    }
  }

  /**
   * True when the file at this database's path is no longer the one it opened: deleted, or replaced (a
   * backup copied over it while the server ran). This connection then reads and writes a file nobody
   * else sees. stat() opens nothing, so this is safe beside the connections.
   */
  fileReplaced(): boolean {
    if (this.identity === undefined) return false;
    return fileIdentity(this.file) !== this.identity;
  }

  /** Rows changed by this connection since it opened (used to prove a no-op rescan writes nothing). */
  totalChanges(): number {
    return this.prepare('SELECT total_changes()').pluck().get() as number;
  }

  /**
   * A consistent copy while the server keeps serving. VACUUM INTO reads one snapshot in one read
   * transaction, so writes by the server never make it start over (the page-by-page backup API restarts
   * whenever another connection writes), and the copy comes out compacted. The copy holds password
   * hashes: it is created 0600, written under a temporary name and given its name only when complete; an
   * existing file is never overwritten.
   */
  backupTo(destination: string): void {
    const partial = `${destination}.partial-${process.pid}`;
    let published: boolean;
    try {
      fs.writeFileSync(partial, '', { mode: 0o600, flag: 'wx' });
      this.sqlite.prepare('VACUUM INTO ?').run(partial);
      const handle = fs.openSync(partial, 'r+');
      try {
        fs.fsyncSync(handle);
      } finally {
        fs.closeSync(handle);
      }
      published = publishWithoutOverwrite(partial, destination);
    } catch (error) {
      // The backup's disk, not the database's: no storage fault of this connection.
      throw new TonearmError(
        'DATABASE',
        `cannot write the backup ${destination}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    } finally {
      fs.rmSync(partial, { force: true });
    }
    if (!published)
      throw new TonearmError('INVALID_INPUT', `${destination} already exists; choose a new file name`);
  }

  async close(): Promise<void> {
    this.statements.clear();
    // Kysely's destroy closes the better-sqlite3 handle it was given.
    await this.kysely.destroy();
  }
}

/**
 * Creates the database file empty and private (0600) when it does not exist yet, so SQLite, which gives the
 * WAL and shared-memory files the database file's mode, makes them private too. 'wx' opens nothing when the
 * file exists: this process must never open and close a descriptor of a database it may already hold
 * SQLite connections to, since closing any descriptor of a file drops every POSIX lock the process holds
 * on it, and another process would then delete the WAL from under the server (SQLite's "How To Corrupt").
 */
function createPrivateFile(file: string): void {
  if (file === ':memory:' || file === '') return;
  let handle: number;
  try {
    handle = fs.openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new TonearmError('DATABASE', `cannot create database ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  fs.closeSync(handle);
}

function fileIdentity(file: string): string | undefined {
  if (file === ':memory:' || file === '') return undefined;
  try {
    const stat = fs.statSync(file);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return 'gone';
  }
}

export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'tonearm.db');
}
