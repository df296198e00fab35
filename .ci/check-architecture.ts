// The server's shape, checked in `npm run lint`: (1) the dependency rules of .dependency-cruiser.cjs (no
// import cycles, layers pointing one way), run with dependency-cruiser; (2) "every SQL statement lives in a
// *.repository.ts (pragmas and migrations in src/db)": fails when a file of src/ outside those builds or
// runs SQL. dependency-cruiser sees imports only, so (2) reads the calls with the TypeScript compiler:
// comments and strings never count, and `.exec(` counts only on a receiver typed as a better-sqlite3 or
// Tonearm Database, so RegExp#exec does not.
//
// What counts as SQL: `.prepare(`, `.pragma(`, `.exec(` on a database, the Kysely handle (`.kysely`), the
// query builders (`selectFrom(`, `insertInto(`, `updateTable(`, `deleteFrom(`, …) and Kysely's `sql`
// tag and helpers. What it cannot see: SQL text in a plain string handed to a repository (a repository
// taking SQL fragments is a review matter), and calls through `any` or element access (`db['prepare']`).
//
// Usage: node .ci/check-architecture.ts [--only=dependencies|sql] [project root, default: the current folder]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface SqlOffence {
  /** Path relative to the project root, with forward slashes. */
  file: string;
  line: number;
  column: number;
  /** What was found, e.g. `.prepare(`. */
  what: string;
}

const SQL_METHODS = new Set(['prepare', 'pragma']);
const QUERY_BUILDERS = new Set([
  'selectFrom',
  'selectNoFrom',
  'insertInto',
  'replaceInto',
  'updateTable',
  'deleteFrom',
  'mergeInto',
]);

/** Files that may hold SQL: repositories, and the database layer itself. */
function mayHoldSql(relativeFile: string): boolean {
  return relativeFile.startsWith('src/db/') || relativeFile.endsWith('.repository.ts');
}

export function findSqlOutsideRepositories(root: string): SqlOffence[] {
  const files = listTypeScript(path.join(root, 'src'));
  const program = ts.createProgram(files, compilerOptions(root));
  const checker = program.getTypeChecker();
  const offences: SqlOffence[] = [];
  for (const file of files) {
    const relative = path.relative(root, file).split(path.sep).join('/');
    if (mayHoldSql(relative)) continue;
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`TypeScript did not load ${file}`);
    const kyselySql = namesBoundToKyselySql(source);
    const report = (node: ts.Node, what: string) => {
      const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
      offences.push({ file: relative, line: line + 1, column: character + 1, what });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node)) {
        const name = node.name.text;
        const called = ts.isCallExpression(node.parent) && node.parent.expression === node;
        if (name === 'kysely') report(node.name, '.kysely');
        else if (called && SQL_METHODS.has(name)) report(node.name, `.${name}(`);
        else if (called && QUERY_BUILDERS.has(name)) report(node.name, `.${name}(`);
        else if (called && name === 'exec' && isDatabase(checker, node.expression))
          report(node.name, '.exec(');
        else if (ts.isIdentifier(node.expression) && kyselySql.has(node.expression.text))
          report(node, `${node.expression.text}.${name}`);
      } else if (ts.isTaggedTemplateExpression(node)) {
        const tag = node.tag;
        if (ts.isIdentifier(tag) && (tag.text === 'sql' || kyselySql.has(tag.text)))
          report(tag, `${tag.text}\``);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return offences.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

function listTypeScript(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(folder, name))
    .sort();
}

function compilerOptions(root: string): ts.CompilerOptions {
  const configFile = path.join(root, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configFile).options;
}

/** Local names of Kysely's `sql` export in this file (`import { sql }`, `import { sql as q }`). */
function namesBoundToKyselySql(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (statement.moduleSpecifier.text !== 'kysely') continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) {
      if ((element.propertyName ?? element.name).text === 'sql' && !element.isTypeOnly)
        names.add(element.name.text);
    }
  }
  return names;
}

/** True when the expression is a better-sqlite3 Database or Tonearm's Database (src/db/database.ts). */
function isDatabase(checker: ts.TypeChecker, expression: ts.Expression): boolean {
  const type = checker.getNonNullableType(checker.getTypeAtLocation(expression));
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  if (symbol?.getName() !== 'Database') return false;
  return (symbol.getDeclarations() ?? []).some((declaration) => {
    const file = declaration.getSourceFile().fileName.split(path.sep).join('/');
    return file.includes('/better-sqlite3/') || file.endsWith('/src/db/database.ts');
  });
}

/** Runs dependency-cruiser on src/ of root with root's config; true when no rule is broken. */
function checkDependencies(root: string): boolean {
  const cli = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
  const result = spawnSync(process.execPath, [cli, 'src', '--config', '.dependency-cruiser.cjs'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  return result.status === 0;
}

function checkSql(root: string): boolean {
  const offences = findSqlOutsideRepositories(root);
  if (offences.length === 0) {
    console.log('no SQL outside repositories and src/db');
    return true;
  }
  for (const offence of offences)
    console.log(
      `  error no-sql-outside-repositories: ${offence.file}:${offence.line}:${offence.column} ${offence.what}`,
    );
  const files = new Set(offences.map((offence) => offence.file));
  console.log(
    `\nx ${offences.length} SQL call(s) outside repositories in ${files.size} file(s): move them into a ` +
      '*.repository.ts of the module that owns the table (pragmas and migrations: src/db).',
  );
  return false;
}

function main(): void {
  const args = process.argv.slice(2);
  const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  if (only !== undefined && only !== 'dependencies' && only !== 'sql')
    throw new Error(`--only takes dependencies or sql, not ${only}`);
  const root = path.resolve(args.find((arg) => !arg.startsWith('--')) ?? '.');
  // Both run even when the first fails, so one run shows everything to fix.
  const dependenciesOk = only === 'sql' || checkDependencies(root);
  const sqlOk = only === 'dependencies' || checkSql(root);
  if (!dependenciesOk || !sqlOk) process.exitCode = 1;
}

// Run as a script, not when a test imports it (import.meta.main would do, but only from Node 24 on).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
