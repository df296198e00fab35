// A Tonearm server over an existing database file, in its own process, for load benchmarks: the load
// generator and the server then compete for the cores the way a client and a NAS would not, which
// makes the figures conservative. Prints one line, the base URL, when it listens.
import fs from 'node:fs';
import { createUser, findUserByName } from '../src/accounts/users.service.ts';
import { createServices } from '../src/app/services.ts';
import { ensureSearchIndex } from '../src/catalog/search.ts';
import { configSchema, defaultConfig } from '../src/config/schema.ts';
import { Database } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createApp } from '../src/http/app.ts';
import { startServer } from '../src/http/server.ts';
import { syncLibraries } from '../src/library/library.repository.ts';
import { Scanner } from '../src/library/scanner.ts';
import { createLogger } from '../src/shared/logger.ts';

const [file, username, password, musicDir] = process.argv.slice(2);
if (!file || !username || !password) {
  process.stderr.write('usage: node bench/server-child.ts DB_FILE USER PASSWORD [MUSIC_DIR]\n');
  process.exit(2);
}
const db = Database.open(file);
await migrateToLatest(db);
ensureSearchIndex(db);
if (!findUserByName(db, username)) await createUser(db, { username, password, isAdmin: true });
fs.mkdirSync(`${file}.data`, { recursive: true });
const config = configSchema.parse({
  ...defaultConfig(),
  readWorkers: process.env.TONEARM_READ_WORKERS ?? 'auto',
  // TONEARM_ANSWER_CACHE=0: every read computed (the "uncached" cases of bench/api.bench.ts).
  http: {
    ...defaultConfig().http,
    answerCache: process.env.TONEARM_ANSWER_CACHE ?? defaultConfig().http.answerCache,
  },
  dataDir: `${file}.data`,
  music: musicDir ? [{ name: 'bench', path: musicDir }] : [],
  host: '127.0.0.1',
  port: 0,
  logLevel: 'silent',
});
const logger = createLogger('silent');
if (musicDir) {
  // A real library (the streaming bench): registered and scanned before the server listens.
  syncLibraries(db, config.music, Date.now());
  await new Scanner({ db, config, logger }).scan();
}
// As `tonearm serve` does: read-only endpoints in worker threads (TONEARM_READ_WORKERS=0 turns them off).
const services = createServices({ config, db, logger, startReadWorkers: true });
const app = createApp(services);
const server = await startServer(app, {
  host: '127.0.0.1',
  port: 0,
  logger,
});
process.stdout.write(`${server.url}\n`);
process.once('SIGTERM', () => {
  services.stopStreams();
  void server
    .close()
    .then(() => services.close())
    .then(() => db.close())
    .then(() => process.exit(0));
});
