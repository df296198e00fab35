// The commander program. Location flags (--music, --data, --config, ...) are shared by the commands
// that need them and feed the same configuration loader as the config file and the environment.
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { createApiKey, listApiKeys, revokeApiKey } from '../accounts/api-keys.ts';
import { createAccessTokens } from '../accounts/access-tokens.ts';
import { AUDIT_EVENTS, recordAudit } from '../accounts/audit.ts';
import { setPasswordAuthEnabled } from '../accounts/auth-settings.ts';
import { FIRST_ADMIN_NAME, forgetFirstAdminPassword } from '../accounts/first-admin.ts';
import { Sessions } from '../accounts/sessions.ts';
import { resetTotp } from '../accounts/totp.ts';
import {
  changePassword,
  createUser,
  deleteUser,
  getUserByName,
  listUsers,
} from '../accounts/users.service.ts';
import { openDatabase, openRuntime } from '../app/runtime.ts';
import { loadConfig, printableConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { SERVER_VERSION } from '../http/version.ts';
import { listLibraries } from '../library/library.repository.ts';
import { libraryStats } from '../library/stats.ts';
import { TonearmError } from '../shared/errors.ts';
import { createLogger, silentLogger } from '../shared/logger.ts';
import { type AuditFlags, runAuditCommand } from './audit-command.ts';
import { runHistoryImport } from './history-command.ts';
import { type JobsFlags, runJobsCommand } from './jobs-command.ts';
import { JOB_STATES } from '../jobs/jobs.ts';
import { printTable } from './output.ts';
import { readPassword } from './password-input.ts';

interface LocationFlags {
  music?: string[];
  data?: string;
  config?: string;
  host?: string;
  port?: string;
  basePath?: string;
  logLevel?: string;
}

function addLocationFlags(command: Command, options: { server?: boolean } = {}): Command {
  command
    .option(
      '--music <dir>',
      'music folder to serve; repeat for several libraries (each named after its folder)',
      collect,
      [],
    )
    .option('--data <dir>', 'data folder for the database and caches (default ./data)')
    .option('--config <file>', 'configuration file (TOML or JSON); also TONEARM_CONFIG')
    .addOption(
      new Option('--log-level <level>', 'log level').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    );
  if (options.server) {
    command
      .option('--host <addr>', 'address to listen on (default 0.0.0.0)')
      .option('--port <n>', 'port to listen on (default 4040)')
      .option('--base-path <path>', 'URL prefix when behind a reverse proxy, e.g. /music');
  }
  return command;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Builds the effective config from the location flags of the command that runs. */
export function configFromFlags(flags: LocationFlags): Config {
  const overrides: Record<string, unknown> = {};
  if (flags.music && flags.music.length > 0)
    overrides.music = flags.music.map((dir) => ({
      name: dir.replace(/\/+$/, '').split('/').pop() || dir,
      path: dir,
    }));
  if (flags.data !== undefined) overrides.dataDir = flags.data;
  if (flags.host !== undefined) overrides.host = flags.host;
  if (flags.port !== undefined) overrides.port = /^\d+$/.test(flags.port) ? Number(flags.port) : flags.port;
  if (flags.basePath !== undefined) overrides.basePath = flags.basePath;
  if (flags.logLevel !== undefined) overrides.logLevel = flags.logLevel;
  return loadConfig({ ...(flags.config ? { configFile: flags.config } : {}), flags: overrides }).config;
}

/** Opens the database of an existing data folder without registering libraries. */
async function withDatabase<T>(
  flags: LocationFlags,
  fn: (db: Database, config: Config) => Promise<T> | T,
): Promise<T> {
  const config = configFromFlags(flags);
  const runtime = await openRuntime(config, { logger: silentLogger });
  try {
    return await fn(runtime.db, config);
  } finally {
    await runtime.close();
  }
}

/** Who the audit log names for changes made with the CLI (someone with access to the data folder). */
const CLI_ACTOR = { id: null, username: 'cli' };

/** Sessions for CLI commands: they list and revoke; no token is issued, so the key is never read. */
function cliSessions(db: Database, config: Config): Sessions {
  return new Sessions(db, createAccessTokens(config.dataDir));
}

export function buildProgram(): Command {
  const program = new Command('tonearm')
    .description('Tonearm: a self-hosted music server for Subsonic clients and the browser')
    .version(SERVER_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });

  addLocationFlags(
    program.command('serve').description('scan the music folders, watch them and serve the APIs and web app'),
    { server: true },
  )
    .option('--no-scan', 'do not scan at start-up')
    .option('--no-watch', 'do not watch the music folders for changes')
    .action(async (flags: LocationFlags & { scan: boolean; watch: boolean }) => {
      const config = configFromFlags(flags);
      if (!flags.scan) config.scanner.scanOnStart = false;
      if (!flags.watch) config.scanner.watch = false;
      // Loaded on demand: the HTTP stack is not needed by the other commands.
      const { runServe } = await import('./serve.ts');
      await runServe(config);
    });

  addLocationFlags(program.command('scan').description('scan the music folders once and print a report'))
    .option('--full', 're-read every file, changed or not')
    .option(
      '--library <name>',
      'scan only this library (its name in `tonearm library list`); repeat for several',
      collect,
      [],
    )
    .option(
      '--allow-removal',
      'in the libraries named with --library (needed when there are several): remove what is gone even when it is more than scanner.maxRemovalShare of a library, and scan a library that is empty or on another disk instead of marking it offline',
    )
    .action(async (flags: LocationFlags & { full?: boolean; allowRemoval?: boolean; library: string[] }) => {
      const config = configFromFlags(flags);
      const { runScanCommand } = await import('./scan-command.ts');
      process.exitCode = await runScanCommand(
        config,
        { full: Boolean(flags.full), allowRemoval: Boolean(flags.allowRemoval), libraries: flags.library },
        createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined, config.logFormat),
      );
    });

  const user = program.command('user').description('manage user accounts');
  addLocationFlags(user.command('add <name>').description('create a user'))
    .option('--password <password>', 'the password (visible in shell history; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--admin', 'give the user administrator rights')
    .option('--email <address>', "the user's email address")
    .action(
      async (
        name: string,
        flags: LocationFlags & {
          password?: string;
          passwordStdin?: boolean;
          admin?: boolean;
          email?: string;
        },
      ) => {
        const password = await readPassword(flags);
        await withDatabase(flags, async (db) => {
          const created = await createUser(db, {
            username: name,
            password,
            isAdmin: Boolean(flags.admin),
            ...(flags.email !== undefined ? { email: flags.email } : {}),
          });
          process.stdout.write(`created user ${created.username}${created.isAdmin ? ' (admin)' : ''}\n`);
        });
      },
    );
  addLocationFlags(user.command('list').description('list users')).action(async (flags: LocationFlags) => {
    await withDatabase(flags, (db) => {
      const users = listUsers(db);
      if (users.length === 0)
        process.stdout.write(
          'no users yet: create one with `tonearm user add NAME --password-stdin --admin`\n',
        );
      printTable(
        users.map((entry) => ({
          username: entry.username,
          admin: entry.isAdmin ? 'yes' : 'no',
          created: new Date(entry.createdAt).toISOString(),
        })),
        ['username', 'admin', 'created'],
      );
    });
  });
  addLocationFlags(user.command('passwd <name>').description("change a user's password"))
    .option('--password <password>', 'the new password')
    .option('--password-stdin', 'read the new password from standard input')
    .action(async (name: string, flags: LocationFlags & { password?: string; passwordStdin?: boolean }) => {
      const password = await readPassword(flags, `new password for ${name}: `);
      await withDatabase(flags, async (db, config) => {
        await changePassword(db, name, password);
        if (name.toLowerCase() === FIRST_ADMIN_NAME) forgetFirstAdminPassword(config.dataDir);
        process.stdout.write(`password of ${name} changed\n`);
      });
    });
  addLocationFlags(user.command('delete <name>').description('delete a user and their personal data')).action(
    async (name: string, flags: LocationFlags) => {
      await withDatabase(flags, (db) => {
        deleteUser(db, name);
        process.stdout.write(`deleted user ${name}\n`);
      });
    },
  );

  addLocationFlags(
    user
      .command('totp-reset <name>')
      .description("turn off a user's two-factor login and remove their recovery codes (a lost phone)"),
  ).action(async (name: string, flags: LocationFlags) => {
    await withDatabase(flags, (db) => {
      const changed = resetTotp(db, name, { id: null, username: 'cli' });
      process.stdout.write(
        changed
          ? `two-factor login of ${name} turned off and recovery codes removed; they log in with their password alone until they set it up again\n`
          : `${name} has no two-factor login; nothing changed\n`,
      );
    });
  });

  // API keys (OpenSubsonic apiKeyAuthentication). A new key is printed once, on stdout only.
  const apikey = program.command('apikey').description('API keys for Subsonic clients');
  addLocationFlags(apikey.command('create <user>').description('create an API key and print it once'))
    .option('--name <name>', 'what the key is for, e.g. the client or device')
    .action(async (username: string, flags: LocationFlags & { name?: string }) => {
      await withDatabase(flags, (db) => {
        const created = createApiKey(db, username, flags.name ?? '');
        process.stdout.write(`${created.key}\n`);
        process.stderr.write(
          `created API key ${created.id} for ${created.username}; it is shown only this once\n`,
        );
      });
    });
  addLocationFlags(
    apikey.command('list [user]').description("list API keys (everyone's, or one user's)"),
  ).action(async (username: string | undefined, flags: LocationFlags) => {
    await withDatabase(flags, (db) => {
      const keys = listApiKeys(db, username);
      if (keys.length === 0) process.stdout.write('no API keys\n');
      printTable(
        keys.map((key) => ({
          id: key.id,
          prefix: `${key.prefix}…`,
          name: key.name,
          user: key.username,
          created: new Date(key.createdAt).toISOString(),
          'last used': key.lastUsedAt === null ? 'never' : new Date(key.lastUsedAt).toISOString(),
        })),
        ['id', 'prefix', 'name', 'user', 'created', 'last used'],
      );
    });
  });
  addLocationFlags(apikey.command('revoke <id>').description('revoke an API key at once')).action(
    async (id: string, flags: LocationFlags) => {
      await withDatabase(flags, (db) => {
        revokeApiKey(db, id);
        process.stdout.write(`revoked API key ${id}\n`);
      });
    },
  );
  addLocationFlags(
    apikey
      .command('password-auth <on|off>')
      .description(
        'allow (on) or refuse (off) Subsonic logins with a password or token; API keys always work',
      ),
  ).action(async (state: string, flags: LocationFlags) => {
    if (state !== 'on' && state !== 'off')
      throw new TonearmError('INVALID_INPUT', `password-auth takes on or off, not "${state}"`);
    await withDatabase(flags, (db) => {
      setPasswordAuthEnabled(db, state === 'on');
      process.stdout.write(
        state === 'on'
          ? 'password and token logins are allowed\n'
          : 'password and token logins are refused; clients must use an API key\n',
      );
    });
  });

  const sessions = program.command('sessions').description('login sessions of the web app and native API');
  addLocationFlags(
    sessions.command('list [user]').description("list live sessions (everyone's, or one user's)"),
  ).action(async (username: string | undefined, flags: LocationFlags) => {
    await withDatabase(flags, (db, config) => {
      const userId = username === undefined ? undefined : getUserByName(db, username).id;
      const live = cliSessions(db, config).list(userId);
      if (live.length === 0) process.stdout.write('no live sessions\n');
      printTable(
        live.map((session) => ({
          id: session.id,
          user: session.username,
          method: session.method,
          device: session.device.length > 40 ? `${session.device.slice(0, 39)}…` : session.device,
          address: session.address,
          'last seen': new Date(session.lastSeenAt).toISOString(),
          expires: new Date(session.expiresAt).toISOString(),
        })),
        ['id', 'user', 'method', 'device', 'address', 'last seen', 'expires'],
      );
    });
  });
  addLocationFlags(
    sessions
      .command('revoke [id]')
      .description('end a session at once (or every session of a user with --user)'),
  )
    .option('--user <name>', "end all of this user's sessions")
    .action(async (id: string | undefined, flags: LocationFlags & { user?: string }) => {
      if ((id === undefined) === (flags.user === undefined))
        throw new TonearmError('INVALID_INPUT', 'name one session id, or --user NAME for all of theirs');
      await withDatabase(flags, (db, config) => {
        const all = cliSessions(db, config);
        if (flags.user !== undefined) {
          const user = getUserByName(db, flags.user);
          const ended = all.revokeAllOf(user.id, 'revoked from the command line');
          recordAudit(db, {
            event: 'session.revoked',
            user: { id: user.id, username: user.username },
            actor: CLI_ACTOR,
            detail: { ended },
          });
          process.stdout.write(`ended ${ended} session${ended === 1 ? '' : 's'} of ${user.username}\n`);
          return;
        }
        const session = all.find(id!);
        if (!session || !all.revoke(id!, 'revoked from the command line'))
          throw new TonearmError('NOT_FOUND', `no live session ${id}`);
        recordAudit(db, {
          event: 'session.revoked',
          user: { id: session.userId, username: session.username },
          actor: CLI_ACTOR,
          detail: { session: session.id },
        });
        process.stdout.write(`ended session ${session.id} of ${session.username}\n`);
      });
    });

  addLocationFlags(
    program.command('audit').description('security events (logins, keys, roles, two-factor), newest first'),
  )
    .option('--since <when>', 'from then on: 30m, 12h, 7d, 2w back, or a date (2026-12-01, UTC) or date-time')
    .option('--until <when>', 'before then (same forms as --since)')
    .option('--user <name>', 'events about or by this user')
    .addOption(new Option('--event <name>', 'one kind of event').choices(AUDIT_EVENTS))
    .option('--limit <n>', 'at most this many events (default 50)')
    .option('--json', 'one JSON object per line instead of a table')
    .action(async (flags: LocationFlags & AuditFlags) => {
      await withDatabase(flags, (db) => runAuditCommand(db, flags));
    });

  addLocationFlags(
    program.command('jobs').description("the server's background jobs, most recently changed first"),
  )
    .addOption(new Option('--state <state>', 'one state only').choices(JOB_STATES))
    .option('--limit <n>', 'at most this many jobs (default 50)')
    .option('--json', 'one JSON object per line instead of a table')
    .action(async (flags: LocationFlags & JobsFlags) => {
      await withDatabase(flags, (db) => runJobsCommand(db, flags));
    });

  const history = program.command('history').description('listening history');
  addLocationFlags(
    history
      .command('import <user> <file>')
      .description("import a ListenBrainz or Last.fm export into a user's listening history"),
  )
    .option('--json', 'print the report as JSON')
    .action(async (username: string, file: string, flags: LocationFlags & { json?: boolean }) => {
      await withDatabase(flags, (db) => runHistoryImport(db, username, file, flags));
    });

  const library = program.command('library').description('music libraries');
  addLocationFlags(library.command('list').description('list the libraries the server knows')).action(
    async (flags: LocationFlags) => {
      await withDatabase(flags, (db) => {
        const rows = listLibraries(db);
        if (rows.length === 0)
          process.stdout.write(
            'no libraries yet: run `tonearm scan --music DIR` or `tonearm serve --music DIR`\n',
          );
        const stats = libraryStats(db);
        printTable(
          rows.map((row) => ({
            id: row.id,
            name: row.name,
            path: row.path,
            tracks: stats.byLibrary.get(row.id) ?? 0,
            'last scan': row.last_scan_at ? new Date(row.last_scan_at).toISOString() : 'never',
            status:
              row.offline_since === null
                ? 'online'
                : `offline since ${new Date(row.offline_since).toISOString()}: ${row.offline_reason ?? 'unavailable'}`,
          })),
          ['id', 'name', 'path', 'tracks', 'last scan', 'status'],
        );
      });
    },
  );

  const db = program.command('db').description('database maintenance');
  addLocationFlags(db.command('migrate').description('apply pending schema migrations')).action(
    async (flags: LocationFlags) => {
      const config = configFromFlags(flags);
      const database = openDatabase(
        config.dataDir,
        createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined, config.logFormat),
      );
      try {
        const { applied } = await migrateToLatest(database, undefined, {
          onStart: (name, index, total) => process.stdout.write(`applying ${name} (${index} of ${total})\n`),
        });
        process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await database.close();
      }
    },
  );
  addLocationFlags(
    db
      .command('backup <file>')
      .description('write a consistent copy of the database (safe while the server runs)'),
  ).action(async (file: string, flags: LocationFlags) => {
    if (fs.existsSync(file))
      throw new TonearmError('INVALID_INPUT', `${file} already exists; choose a new file name`);
    await withDatabase(flags, async (database) => {
      database.backupTo(file);
      process.stdout.write(`backup written to ${file} (${fs.statSync(file).size} bytes)\n`);
    });
  });

  const config = program.command('config').description('configuration');
  addLocationFlags(
    config.command('print').description('print the effective configuration (secrets hidden)'),
    { server: true },
  ).action((flags: LocationFlags) => {
    process.stdout.write(`${JSON.stringify(printableConfig(configFromFlags(flags)), null, 2)}\n`);
  });

  addLocationFlags(program.command('stats').description('library counts')).action(
    async (flags: LocationFlags) => {
      await withDatabase(flags, (database) => {
        const stats = libraryStats(database);
        const hours = stats.durationSeconds / 3600;
        process.stdout.write(
          [
            `libraries ${stats.libraries}`,
            `artists   ${stats.artists}`,
            `albums    ${stats.albums}`,
            `tracks    ${stats.tracks}`,
            `genres    ${stats.genres}`,
            `folders   ${stats.folders}`,
            `covers    ${stats.albumsWithCover} of ${stats.albums} albums`,
            `skipped   ${stats.skippedFiles} unreadable files`,
            `duration  ${hours.toFixed(1)} h`,
            `size      ${(stats.sizeBytes / 1024 ** 3).toFixed(2)} GiB`,
            '',
          ].join('\n'),
        );
      });
    },
  );

  return program;
}
