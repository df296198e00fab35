// Builds the effective configuration: defaults < config file < TONEARM_* environment < CLI flags,
// validated once. A wrong value stops start-up with one line naming the key, the value, where it came
// from and what is allowed.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { TonearmError } from '../shared/errors.ts';
import { type Config, type ConfigInput, configSchema, defaultConfig, SECRET_KEYS } from './schema.ts';

type Plain = Record<string, unknown>;

export interface ConfigSources {
  /** Path of a TOML or JSON config file (--config or TONEARM_CONFIG). */
  configFile?: string;
  /** process.env or a stand-in. */
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags, already in config shape (e.g. { port: 8080, music: [...] }). */
  flags?: Plain;
  /** Folder that relative paths from flags and env are resolved against. */
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  /** Where each top-level or nested key got its value: "default", "file", "env TONEARM_X", "flag". */
  origins: Map<string, string>;
  configFile?: string;
}

export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const origins = new Map<string, string>();
  const merged = defaultConfig() as unknown as Plain;
  markOrigins(merged, '', 'default', origins);

  const configFile = sources.configFile ?? env.TONEARM_CONFIG;
  if (configFile) {
    const fromFile = readConfigFile(path.resolve(cwd, configFile));
    resolveFilePaths(fromFile, path.dirname(path.resolve(cwd, configFile)));
    deepMerge(merged, fromFile, '', `file ${configFile}`, origins);
  }

  deepMerge(merged, readEnv(env, merged, cwd), '', 'env', origins);
  if (sources.flags) {
    const flags = structuredClone(sources.flags);
    resolvePaths(flags, cwd);
    deepMerge(merged, flags, '', 'flag', origins);
  }

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const where = [...issue.path, issue.keys[0]].join('.');
      const origin = originOf(origins, [...issue.path.map(String), issue.keys[0]!]);
      throw new TonearmError(
        'CONFIG_INVALID',
        `unknown config key ${where}${origin ? ` (from ${origin})` : ''}: check its spelling in config/tonearm.example.toml`,
      );
    }
    const key = issue.path.join('.');
    const value = valueAt(merged, issue.path as (string | number)[]);
    const origin = originOf(origins, issue.path.map(String));
    const shown = SECRET_KEYS.has(key) ? '(hidden)' : JSON.stringify(value);
    throw new TonearmError(
      'CONFIG_INVALID',
      `invalid config value for ${key || '(root)'}: ${shown}${origin ? ` (from ${origin})` : ''}: ${issue.message}`,
    );
  }
  const config = result.data;
  config.music = uniqueLibraryNames(
    config.music.map((library) => ({ ...library, path: path.resolve(cwd, library.path) })),
  );
  config.dataDir = path.resolve(cwd, config.dataDir);
  return configFile ? { config, origins, configFile } : { config, origins };
}

/** Each music folder given by path becomes a library named after the folder. */
export function librariesFromPaths(
  paths: readonly string[],
  cwd = process.cwd(),
): { name: string; path: string }[] {
  return paths.map((dir) => {
    const resolved = path.resolve(cwd, dir);
    return { name: path.basename(resolved) || resolved, path: resolved };
  });
}

function uniqueLibraryNames(libraries: { name: string; path: string }[]): { name: string; path: string }[] {
  const seenPaths = new Set<string>();
  const seenNames = new Map<string, number>();
  const result: { name: string; path: string }[] = [];
  for (const library of libraries) {
    if (seenPaths.has(library.path)) continue;
    seenPaths.add(library.path);
    const count = seenNames.get(library.name) ?? 0;
    seenNames.set(library.name, count + 1);
    result.push(count === 0 ? library : { ...library, name: `${library.name} (${count + 1})` });
  }
  return result;
}

function readConfigFile(file: string): Plain {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new TonearmError('CONFIG_FILE', `cannot read config file ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed = file.endsWith('.json') ? JSON.parse(text) : parseToml(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('expected a table of keys');
    const plain = parsed as Plain;
    // A bare path names a library after its folder; it is resolved against the file's folder later.
    if (Array.isArray(plain.music))
      plain.music = plain.music.map((entry) =>
        typeof entry === 'string'
          ? { name: path.basename(entry.replace(/\/+$/, '')) || entry, path: entry }
          : entry,
      );
    return plain;
  } catch (error) {
    const firstLine = (error as Error).message.split('\n')[0];
    throw new TonearmError('CONFIG_FILE', `cannot parse config file ${file}: ${firstLine}`);
  }
}

function resolveFilePaths(values: Plain, baseDir: string): void {
  resolvePaths(values, baseDir);
}

function resolvePaths(values: Plain, baseDir: string): void {
  if (typeof values.dataDir === 'string') values.dataDir = path.resolve(baseDir, values.dataDir);
  if (Array.isArray(values.music)) {
    values.music = values.music.map((entry) =>
      entry && typeof entry === 'object' && typeof (entry as Plain).path === 'string'
        ? { ...(entry as Plain), path: path.resolve(baseDir, (entry as Plain).path as string) }
        : entry,
    );
  }
}

/** TONEARM_SCANNER_WATCH_POLLING for scanner.watchPolling. */
export function envName(keyPath: readonly string[]): string {
  return `TONEARM_${keyPath.map((key) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
}

function readEnv(env: NodeJS.ProcessEnv, shape: Plain, cwd: string, prefix: string[] = []): Plain {
  const out: Plain = {};
  for (const [key, template] of Object.entries(shape)) {
    const keyPath = [...prefix, key];
    if (key === 'music' && prefix.length === 0) {
      const raw = env.TONEARM_MUSIC;
      if (raw !== undefined && raw.trim() !== '') {
        out.music = librariesFromPaths(raw.split(path.delimiter).filter(Boolean), cwd);
      }
      continue;
    }
    if (template && typeof template === 'object' && !Array.isArray(template)) {
      const nested = readEnv(env, template as Plain, cwd, keyPath);
      if (Object.keys(nested).length > 0) out[key] = nested;
      continue;
    }
    const name = envName(keyPath);
    const raw = env[name];
    if (raw === undefined) continue;
    out[key] = coerceEnv(raw, template);
    out[`__origin_${key}`] = name;
  }
  return out;
}

function coerceEnv(raw: string, template: unknown): unknown {
  if (typeof template === 'boolean') {
    const lowered = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lowered)) return true;
    if (['false', '0', 'no', 'off'].includes(lowered)) return false;
    return raw;
  }
  if (typeof template === 'number') {
    const trimmed = raw.trim();
    return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : raw;
  }
  if (Array.isArray(template)) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('[')) {
      try {
        return JSON.parse(trimmed);
      } catch {
        return raw;
      }
    }
    return trimmed === '' ? [] : trimmed.split(',').map((part) => part.trim());
  }
  return raw;
}

function deepMerge(
  target: Plain,
  source: Plain,
  prefix: string,
  origin: string,
  origins: Map<string, string>,
): void {
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith('__origin_')) continue;
    const keyPath = prefix ? `${prefix}.${key}` : key;
    const sourceOrigin =
      typeof source[`__origin_${key}`] === 'string' ? `env ${source[`__origin_${key}`]}` : origin;
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      target[key] &&
      typeof target[key] === 'object' &&
      !Array.isArray(target[key])
    ) {
      deepMerge(target[key] as Plain, value as Plain, keyPath, origin, origins);
    } else if (value !== undefined) {
      target[key] = value;
      origins.set(keyPath, key === 'music' && origin === 'env' ? 'env TONEARM_MUSIC' : sourceOrigin);
    }
  }
}

function markOrigins(values: Plain, prefix: string, origin: string, origins: Map<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    const keyPath = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value))
      markOrigins(value as Plain, keyPath, origin, origins);
    else origins.set(keyPath, origin);
  }
}

function originOf(origins: Map<string, string>, keyPath: string[]): string | undefined {
  for (let length = keyPath.length; length > 0; length--) {
    const origin = origins.get(keyPath.slice(0, length).join('.'));
    if (origin) return origin;
  }
  return undefined;
}

function valueAt(values: unknown, keyPath: (string | number)[]): unknown {
  let current = values;
  for (const key of keyPath) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** The effective config as printable text, secrets replaced. */
export function printableConfig(config: Config): Plain {
  const copy = structuredClone(config) as unknown as Plain;
  for (const key of SECRET_KEYS) {
    const parts = key.split('.');
    let node: Plain | undefined = copy;
    for (const part of parts.slice(0, -1)) node = node?.[part] as Plain | undefined;
    if (node && parts.at(-1)! in node) node[parts.at(-1)!] = '(hidden)';
  }
  return copy;
}

export type { Config, ConfigInput };
