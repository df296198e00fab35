// The server's shape, checked by `npm run check:architecture` (part of `npm run lint`): no import cycles,
// and dependencies pointing one way — cli → app → http → domain → db → shared (docs/architecture.md).
// Type-only imports count: a cycle of types is still a cycle a reader has to untangle.
// Run through .ci/check-architecture.ts, which also checks that no SQL is written outside repositories
// (this tool sees imports, not calls).

/** Domain folders: every folder of src/ that is not one of the named layers (a new folder is domain). */
const DOMAIN = '^src/(?!(?:http|cli|app|db|shared)/)[^/]+/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Part of an import cycle (type-only imports included). Move the shared part down a layer.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'Two folders of src/ import each other (catalog ↔ library): what both need belongs in one of them, ' +
        'or lower.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'native-api-loaded-on-first-use',
      severity: 'error',
      comment:
        'The native API (src/http/api/mount.ts and what it mounts) is loaded by its first request ' +
        '(app.ts, `await import`): ~3 MB an idle or Subsonic-only server does not carry. Only type-only ' +
        'imports of it outside src/http/api (read workers load the routes they run).',
      from: { path: '^src/(?:http/[^/]+[.]ts|cli/|app/(?!read-worker[.]ts))' },
      to: {
        path: '^src/http/api/',
        pathNot: '^src/http/api/read-worker[.]ts$',
        dependencyTypesNot: ['type-only', 'dynamic-import'],
      },
    },
    {
      name: 'libraries-loaded-on-first-use',
      severity: 'error',
      comment:
        'Libraries an idle server does not need are loaded where they are first used (`await import`, or ' +
        'createRequire for synchronous callers): images, tokens, TOTP, QR codes, OIDC, uploads, zip ' +
        'downloads. Static imports of them may only be type-only (docs/benchmarks.md, idle memory).',
      from: { path: '^src/' },
      to: {
        path: 'node_modules/(?:sharp|jose|otpauth|qrcode|openid-client|busboy|yazl)/',
        // `require` is the lazy createRequire of a synchronous caller (inside a function, by convention).
        dependencyTypesNot: ['type-only', 'type-import', 'dynamic-import', 'require'],
      },
    },
    {
      name: 'http-not-to-db',
      severity: 'error',
      comment:
        'src/http asks the domain, never the database layer. Only the Database handle may be named, as a ' +
        'type, to pass it through to the domain.',
      from: { path: '^src/http/' },
      to: { path: '^src/db/', pathNot: '^src/db/database[.]ts$' },
    },
    {
      name: 'http-db-handle-type-only',
      severity: 'error',
      comment: 'src/http may name the Database handle as a type only (`import type`), never open or query it.',
      from: { path: '^src/http/' },
      to: { path: '^src/db/database[.]ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-not-to-outer-layers',
      severity: 'error',
      comment: 'Domain modules are called by http, cli and app; they never import them.',
      from: { path: DOMAIN },
      to: { path: '^src/(?:http|cli|app)/' },
    },
    {
      name: 'db-only-to-db-and-shared',
      severity: 'error',
      comment: 'src/db is the bottom layer above shared: it imports only itself and src/shared.',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: '^src/(?:db|shared)/' },
    },
    {
      name: 'shared-only-to-shared',
      severity: 'error',
      comment: 'src/shared is used by every layer and imports none of them.',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'music-only-to-shared',
      severity: 'error',
      comment:
        'src/music holds the rules about music data (ids, lyrics) that the scanner and the catalog both apply; it depends on neither.',
      from: { path: '^src/music/' },
      to: { path: '^src/', pathNot: '^src/(music|shared)/' },
    },
    {
      name: 'app-not-to-cli',
      severity: 'error',
      comment: 'src/app builds the services the CLI starts; the CLI is the top layer.',
      from: { path: '^src/app/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'subsonic-and-native-api-apart',
      severity: 'error',
      comment:
        'The Subsonic API and the native API are two views over the domain: what both need lives in the ' +
        'domain (or src/http), not in one of them.',
      from: { path: '^src/http/(subsonic|api)/' },
      to: { path: '^src/http/(subsonic|api)/', pathNot: '^src/http/$1/' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nothing imports and that imports nothing: unused, or a file that belongs elsewhere.',
      from: { orphan: true, path: '^src/', pathNot: '[.]d[.]ts$' },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment: 'A package that is not in package.json (it works only while something else installs it).',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment: 'src/ ships: it may use a devDependency for types only.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: 'node_modules/@types/' },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      comment: 'src/ never imports test/ or bench/ code.',
      from: { path: '^src/' },
      to: { path: '^(?:test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too (for cycles and layers alike).
    tsPreCompilationDeps: true,
    parser: 'tsc',
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
