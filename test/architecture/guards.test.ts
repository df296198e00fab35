// The architecture guards (`npm run check:architecture`, part of `npm run lint`) must bite: a planted import
// cycle, an http → db import and a `.prepare(` outside a repository each fail the check, named in its
// output, while a small clean project passes. Each case runs the real script and the real config on a
// temporary project (a copy of src/ or a small fixture) beside a link to this repository's node_modules.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findSqlOutsideRepositories } from '../../.ci/check-architecture.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(REPO, '.ci/check-architecture.ts');
const temporaryRoots: string[] = [];

after(() => {
  for (const root of temporaryRoots) fs.rmSync(root, { recursive: true, force: true });
});

/** A project folder with this repository's configs, a node_modules link, and the given files. */
function makeProject(files: Record<string, string>, options: { copySrc?: boolean } = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-architecture-'));
  temporaryRoots.push(root);
  for (const name of ['package.json', 'tsconfig.json', '.dependency-cruiser.cjs'])
    fs.copyFileSync(path.join(REPO, name), path.join(root, name));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  if (options.copySrc) fs.cpSync(path.join(REPO, 'src'), path.join(root, 'src'), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

async function runCheck(
  root: string,
  only?: 'dependencies' | 'sql',
): Promise<{ failed: boolean; output: string }> {
  const args = [SCRIPT, ...(only ? [`--only=${only}`] : []), root];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ failed: error !== null, output: `${stdout}${stderr}` });
    });
  });
}

/** One line per violation: dependency-cruiser spreads a cycle over several lines. */
function flatten(output: string): string {
  return output.replace(/ →\s*\n\s+/g, ' → ');
}

/** A tiny project in the house shape: cli → http → domain → repository → db → shared. */
const CLEAN: Record<string, string> = {
  'src/shared/errors.ts': 'export class NotFound extends Error {}\n',
  'src/db/database.ts': [
    "import BetterSqlite3 from 'better-sqlite3';",
    'export class Database {',
    '  readonly sqlite: BetterSqlite3.Database;',
    '  constructor(file: string) {',
    '    this.sqlite = new BetterSqlite3(file);',
    "    this.sqlite.pragma('journal_mode = WAL');",
    '  }',
    '}',
    '',
  ].join('\n'),
  'src/catalog/albums.repository.ts': [
    "import type { Database } from '../db/database.ts';",
    'export function albumTitles(db: Database): string[] {',
    "  return db.sqlite.prepare('SELECT title FROM album').pluck().all() as string[];",
    '}',
    '',
  ].join('\n'),
  // Text that only looks like SQL: a comment, a string, and RegExp#exec.
  'src/catalog/albums.ts': [
    "import type { Database } from '../db/database.ts';",
    "import { NotFound } from '../shared/errors.ts';",
    "import { albumTitles } from './albums.repository.ts';",
    "// Not SQL here: db.prepare('SELECT 1'), db.kysely.selectFrom('album').",
    'const NOTE = "db.prepare(\'SELECT 1\') and sql`x` are only text";',
    'export function firstDiscAlbums(db: Database): string[] {',
    '  const titles = albumTitles(db).filter((title) => /\\bCD ?1\\b/.exec(title) !== null);',
    '  if (titles.length === 0) throw new NotFound(NOTE);',
    '  return titles;',
    '}',
    '',
  ].join('\n'),
  'src/http/albums.ts': [
    "import type { Database } from '../db/database.ts';",
    "import { firstDiscAlbums } from '../catalog/albums.ts';",
    'export function albumsHandler(db: Database): string {',
    "  return firstDiscAlbums(db).join('\\n');",
    '}',
    '',
  ].join('\n'),
  'src/cli/main.ts': [
    "import { Database } from '../db/database.ts';",
    "import { albumsHandler } from '../http/albums.ts';",
    "console.log(albumsHandler(new Database(process.argv[2] ?? ':memory:')));",
    '',
  ].join('\n'),
};

function plant(changes: Record<string, string | ((text: string) => string)>): Record<string, string> {
  const files = { ...CLEAN };
  for (const [name, change] of Object.entries(changes)) {
    const text = typeof change === 'string' ? change : change(files[name]!);
    assert.notEqual(text, files[name], `the plant changes ${name}`);
    files[name] = text;
  }
  return files;
}

describe('on a small clean project', () => {
  it('passes both checks', async () => {
    const { failed, output } = await runCheck(makeProject(CLEAN));
    assert.equal(failed, false, output);
    assert.match(output, /no dependency violations found/);
    assert.match(output, /no SQL outside repositories/);
  });

  const dependencyPlants: { name: string; files: Record<string, string>; offence: RegExp }[] = [
    {
      name: 'a cycle of type-only imports',
      files: plant({
        'src/catalog/albums.ts': (text) => `import type { CoverSize } from './covers.ts';\n${text}`,
        'src/catalog/covers.ts': [
          "import type { firstDiscAlbums } from './albums.ts';",
          'export type CoverSize = number;',
          'export type AlbumLister = typeof firstDiscAlbums;',
          '',
        ].join('\n'),
      }),
      offence: /no-circular: src\/catalog\/(albums|covers)\.ts → src\/catalog\/(covers|albums)\.ts/,
    },
    {
      name: 'a value import of the database handle in src/http',
      files: plant({
        'src/http/albums.ts': (text) =>
          text
            .replace(
              "import type { Database } from '../db/database.ts';",
              "import { Database } from '../db/database.ts';",
            )
            .concat('export const open = (file: string) => new Database(file);\n'),
      }),
      offence: /http-db-handle-type-only: src\/http\/albums\.ts → src\/db\/database\.ts/,
    },
    {
      name: 'a type import of another database module in src/http',
      files: plant({
        'src/db/schema.ts': 'export interface AlbumRow {\n  title: string;\n}\n',
        'src/http/albums.ts': (text) =>
          `import type { AlbumRow } from '../db/schema.ts';\n${text}export type Row = AlbumRow;\n`,
      }),
      offence: /http-not-to-db: src\/http\/albums\.ts → src\/db\/schema\.ts/,
    },
    {
      name: 'a domain module importing src/http',
      files: plant({
        'src/http/paging.ts': 'export const PAGE_SIZE = 50;\n',
        'src/catalog/albums.ts': (text) =>
          `import { PAGE_SIZE } from '../http/paging.ts';\n${text}export const size = PAGE_SIZE;\n`,
      }),
      offence: /domain-not-to-outer-layers: src\/catalog\/albums\.ts → src\/http\/paging\.ts/,
    },
    {
      name: 'two domain folders importing each other (no module cycle)',
      files: plant({
        'src/library/scan.ts':
          "import { firstDiscAlbums } from '../catalog/albums.ts';\nexport const scan = firstDiscAlbums;\n",
        'src/library/identity.ts': "export const albumId = (title: string) => 'al-' + title;\n",
        'src/catalog/albums.ts': (text) =>
          `import { albumId } from '../library/identity.ts';\n${text}export const id = albumId;\n`,
      }),
      offence: /no-folder-cycle: src\/(catalog|library) → src\/(library|catalog)/,
    },
  ];
  for (const { name, files, offence } of dependencyPlants) {
    it(`fails on ${name}`, async () => {
      const { failed, output } = await runCheck(makeProject(files), 'dependencies');
      assert.equal(failed, true, output);
      assert.match(flatten(output), offence);
    });
  }

  const sqlPlants: { name: string; line: string; what: string }[] = [
    { name: '.prepare(', line: "  db.sqlite.prepare('DELETE FROM album').run();", what: '.prepare(' },
    { name: '.exec( on a database', line: "  db.sqlite.exec('VACUUM');", what: '.exec(' },
    { name: '.pragma(', line: "  db.sqlite.pragma('optimize');", what: '.pragma(' },
  ];
  for (const { name, line, what } of sqlPlants) {
    it(`finds ${name} in a domain file that is not a repository`, () => {
      const root = makeProject(
        plant({
          'src/catalog/albums.ts': (text) =>
            `${text}export function forget(db: Database): void {\n${line}\n}\n`,
        }),
      );
      assert.deepEqual(findSqlOutsideRepositories(root), [
        { file: 'src/catalog/albums.ts', line: 12, column: line.indexOf(what) + 2, what },
      ]);
    });
  }

  it('finds the Kysely handle, its query builders and its sql tag', () => {
    const root = makeProject(
      plant({
        'src/db/database.ts': (text) =>
          text
            .replace(
              "import BetterSqlite3 from 'better-sqlite3';",
              "import BetterSqlite3 from 'better-sqlite3';\nimport { Kysely } from 'kysely';",
            )
            .replace(
              '  readonly sqlite',
              '  readonly kysely!: Kysely<{ album: { title: string } }>;\n  readonly sqlite',
            ),
        'src/activity/stars.ts': [
          "import { sql } from 'kysely';",
          "import type { Database } from '../db/database.ts';",
          'export function titles(db: Database) {',
          "  return db.kysely.selectFrom('album').select(sql<string>`upper(title)`.as('t')).compile();",
          '}',
          '',
        ].join('\n'),
      }),
    );
    assert.deepEqual(
      findSqlOutsideRepositories(root).map(({ file, line, what }) => `${file}:${line} ${what}`),
      [
        'src/activity/stars.ts:4 .kysely',
        'src/activity/stars.ts:4 .selectFrom(',
        'src/activity/stars.ts:4 sql`',
      ],
    );
  });
});

describe('on a copy of src/', () => {
  it('fails on a planted cycle, a planted http → db import and a planted .prepare(, naming each', async () => {
    const root = makeProject(
      {
        'src/catalog/planted-a.ts': "import { b } from './planted-b.ts';\nexport const a = () => b;\n",
        'src/catalog/planted-b.ts': "import { a } from './planted-a.ts';\nexport const b = () => a;\n",
        'src/http/planted-handler.ts':
          "import { Database } from '../db/database.ts';\nexport const open = (file: string) => Database.open(file);\n",
        'src/catalog/planted-query.ts': [
          "import type { Database } from '../db/database.ts';",
          'export function count(db: Database): number {',
          "  return db.prepare('SELECT count(*) FROM track').pluck().get() as number;",
          '}',
          '',
        ].join('\n'),
      },
      { copySrc: true },
    );
    const { failed, output } = await runCheck(root);
    assert.equal(failed, true, output);
    const lines = flatten(output);
    assert.match(lines, /no-circular: src\/catalog\/planted-(a|b)\.ts → src\/catalog\/planted-(b|a)\.ts/);
    assert.match(lines, /http-db-handle-type-only: src\/http\/planted-handler\.ts → src\/db\/database\.ts/);
    assert.match(lines, /no-sql-outside-repositories: src\/catalog\/planted-query\.ts:3:\d+ \.prepare\(/);
  });
});

describe('on this repository', () => {
  it('passes both checks', async () => {
    const { failed, output } = await runCheck(REPO);
    assert.equal(failed, false, output);
  });
});
