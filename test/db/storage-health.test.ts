// How the database connection and /health treat storage faults (src/db/storage-faults.ts,
// src/http/health.ts): which errors are the database's, which faults the probes may clear and which only
// a successful write clears, the short lock wait while another program holds the lock, and a database
// file replaced under the running server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSY_TIMEOUT_MS, type Database } from '../../src/db/database.ts';
import { HealthMonitor } from '../../src/system/health.ts';
import { TonearmError } from '../../src/shared/errors.ts';
import { makeTempDatabase } from '../helpers/http.ts';

function sqliteError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('storage faults of a database connection', () => {
  let db: Database;
  let dir: string;
  let cleanup: () => Promise<void>;
  let health: HealthMonitor;
  let clock = 0;

  before(async () => {
    ({ db, dir, cleanup } = await makeTempDatabase());
    health = new HealthMonitor({ db, dataDir: dir, minFreeBytes: 0 });
  });
  after(() => cleanup());

  /** A fresh report (each call is past the second a report is kept). */
  const check = () => {
    clock += 5000;
    return health.check(clock);
  };

  it('leaves errors that are not the database alone: a music file on a flaky share is not a disk fault', () => {
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    assert.equal(db.failed(eio), eio);
    const constraint = sqliteError('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed');
    assert.equal(db.failed(constraint), constraint);
    assert.equal(db.storage.current(), undefined);
    assert.equal(check().status, 'ok');
  });

  it('a disk error stands until a write succeeds, even when the probes look fine', () => {
    const error = db.failed(sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'));
    assert.ok(error instanceof TonearmError);
    assert.equal(error.code, 'STORAGE_FAILED');
    assert.equal(error.httpStatus, 503);
    assert.equal(check().status, 'degraded');
    assert.equal(check().checks.writes.status, 'failing');
    db.run(db.kysely.insertInto('setting').values({ key: 'test.write', value: 'x' }));
    assert.equal(check().status, 'ok');
  });

  it('a full disk is cleared by the probes once there is room again', () => {
    assert.equal(
      (db.failed(sqliteError('SQLITE_FULL', 'database or disk is full')) as TonearmError).code,
      'STORAGE_FULL',
    );
    assert.equal(check().status, 'ok', 'the probe write and the free space say the disk has room');
    assert.equal(db.storage.current(), undefined);
  });

  it('waits only briefly for the lock while another program holds it, and 5 s again once it is free', () => {
    assert.equal(db.sqlite.pragma('busy_timeout', { simple: true }), BUSY_TIMEOUT_MS);
    const error = db.failed(sqliteError('SQLITE_BUSY', 'database is locked'));
    assert.equal((error as TonearmError).code, 'DATABASE_BUSY');
    const short = db.sqlite.pragma('busy_timeout', { simple: true }) as number;
    assert.ok(short < 1000, `a short wait while the fault stands (${short} ms)`);
    // bestEffort restores what it found, not the usual value.
    db.bestEffort(() =>
      db.run(db.kysely.updateTable('setting').set({ value: 'y' }).where('key', '=', 'none')),
    );
    assert.equal(check().status, 'ok', 'nobody holds the lock now: the probe clears the fault');
    assert.equal(db.sqlite.pragma('busy_timeout', { simple: true }), BUSY_TIMEOUT_MS);
  });

  it('a damaged database is an error, not degraded', () => {
    const error = db.failed(sqliteError('SQLITE_CORRUPT', 'database disk image is malformed'));
    assert.equal((error as TonearmError).code, 'DATABASE_DAMAGED');
    const report = check();
    assert.equal(report.status, 'error');
    assert.equal(report.checks.database.status, 'failing');
    db.storage.clear();
  });

  it('a database file replaced under the running server is an error', () => {
    assert.equal(check().status, 'ok');
    // An admin restores a backup over the live file.
    const copy = path.join(dir, 'restored.db');
    fs.copyFileSync(db.file, copy);
    const original = path.join(dir, 'original.db');
    fs.renameSync(db.file, original);
    fs.renameSync(copy, db.file);
    try {
      const report = check();
      assert.equal(report.status, 'error');
      assert.match(report.checks.database.detail ?? '', /replaced or deleted while the server ran/);
    } finally {
      fs.renameSync(db.file, copy);
      fs.renameSync(original, db.file);
    }
    assert.equal(check().status, 'ok');
  });

  it('keeps its report for a second: anyone may ask, and the probes write a file', () => {
    const first = health.check(1_000_000);
    db.failed(sqliteError('SQLITE_IOERR', 'disk I/O error'));
    assert.equal(health.check(1_000_500), first, 'the same report within the second');
    assert.equal(health.check(1_001_001).status, 'degraded');
    db.storage.clear();
  });
});
