// Opens the SQLite database and gives two ways to query it: a Kysely instance (typed query building,
// async execution for migrations) and synchronous helpers that run a Kysely-built query through
// better-sqlite3 with a prepared-statement cache. Domain code uses the synchronous helpers: they can run
// inside a better-sqlite3 transaction, which keeps a unit of work atomic without awaiting in between.
// SQLite-only pragmas live here and nowhere else.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Compilable, Kysely, SqliteDialect } from 'kysely';
import { TonearmError } from '../shared/errors.ts';
import type { DB } from './schema.ts';

const SQLITE_HEADER = 'SQLite format 3\u0000';
const STATEMENT_CACHE_LIMIT = 400;
const DATA_VERSION_TTL_MS = 100;

export interface OpenOptions {
  /** Open read-only (for `tonearm stats`, `config print`): never creates or migrates anything. */
  readonly?: boolean;
}

export class Database {
  readonly sqlite: BetterSqlite3.Database;
  readonly kysely: Kysely<DB>;
  readonly file: string;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private knownDataVersion = 0;
  private dataVersionReadAt = Number.NEGATIVE_INFINITY;

  private constructor(file: string, sqlite: BetterSqlite3.Database) {
    this.file = file;
    this.sqlite = sqlite;
    this.kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  }

  static open(file: string, options: OpenOptions = {}): Database {
    assertSqliteFile(file);
    let sqlite: BetterSqlite3.Database;
    try {
      sqlite = new BetterSqlite3(file, {
        readonly: options.readonly ?? false,
        fileMustExist: options.readonly ?? false,
      });
      // Touch the header now: a file that is not SQLite fails here, not at the first query.
      sqlite.pragma('schema_version');
      if (!options.readonly) {
        sqlite.pragma('journal_mode = WAL');
        sqlite.pragma('synchronous = NORMAL');
      }
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma('busy_timeout = 5000');
      sqlite.pragma('cache_size = -16000');
      sqlite.pragma('temp_store = MEMORY');
    } catch (error) {
      throw new TonearmError('DATABASE', `cannot open database ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new Database(file, sqlite);
  }

  /** Runs a Kysely-built query synchronously and returns all rows. */
  all<O>(query: Compilable<O>): O[] {
    const compiled = query.compile();
    return this.prepare(compiled.sql).all(...(compiled.parameters as unknown[])) as O[];
  }

  first<O>(query: Compilable<O>): O | undefined {
    const compiled = query.compile();
    return this.prepare(compiled.sql).get(...(compiled.parameters as unknown[])) as O | undefined;
  }

  run(query: Compilable<unknown>): { changes: number } {
    const compiled = query.compile();
    const result = this.prepare(compiled.sql).run(...(compiled.parameters as unknown[]));
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
    return this.sqlite.transaction(fn).immediate();
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
      return (this.sqlite.prepare('SELECT 1 AS ok').get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  }

  /** Rows changed by this connection since it opened (used to prove a no-op rescan writes nothing). */
  totalChanges(): number {
    return this.prepare('SELECT total_changes()').pluck().get() as number;
  }

  /** Online backup: consistent copy while the server keeps serving. */
  async backup(destination: string): Promise<void> {
    await this.sqlite.backup(destination);
  }

  async close(): Promise<void> {
    this.statements.clear();
    // Kysely's destroy closes the better-sqlite3 handle it was given.
    await this.kysely.destroy();
  }
}

/** Refuses, before SQLite touches it, a file that exists and is not a SQLite database. */
function assertSqliteFile(file: string): void {
  let handle: number | undefined;
  try {
    handle = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new TonearmError('DATABASE', `cannot read database ${file}: ${(error as Error).message}`);
  }
  try {
    const header = Buffer.alloc(16);
    const read = fs.readSync(handle, header, 0, 16, 0);
    if (read === 0) return; // an empty file is what SQLite itself creates before the first write
    if (header.toString('latin1', 0, read) !== SQLITE_HEADER) {
      throw new TonearmError('DATABASE', `${file} is not a SQLite database (left untouched)`);
    }
  } finally {
    fs.closeSync(handle);
  }
}

export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'tonearm.db');
}
