// A migrated database in a temporary data folder, a config pointing at a music folder, and a scanner.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRuntime, type Runtime } from '../../src/app/runtime.ts';
import { ensureSearchIndex } from '../../src/catalog/search.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { Scanner } from '../../src/library/scanner.ts';
import { silentLogger } from '../../src/shared/logger.ts';

export interface ScanHarness {
  runtime: Runtime;
  config: Config;
  scanner: Scanner;
  dataDir: string;
  close(): Promise<void>;
}

export async function openScanHarness(
  musicDirs: string[],
  options: { dataDir?: string; overrides?: Record<string, unknown>; batchFiles?: number } = {},
): Promise<ScanHarness> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-data-'));
  const { config } = loadConfig({
    env: {},
    flags: {
      music: musicDirs.map((dir) => ({ name: path.basename(dir), path: dir })),
      dataDir,
      logLevel: 'silent',
      ...options.overrides,
    },
  });
  const runtime = await openRuntime(config, { logger: silentLogger, registerLibraries: true });
  ensureSearchIndex(runtime.db);
  const scanner = new Scanner({
    db: runtime.db,
    config,
    logger: silentLogger,
    ...(options.batchFiles ? { batchFiles: options.batchFiles } : {}),
  });
  return { runtime, config, scanner, dataDir, close: () => runtime.close() };
}

/** Every catalog id, sorted: the fingerprint of a library's identity. */
export function allIds(runtime: Runtime): string[] {
  return runtime.db
    .prepare(
      'SELECT id FROM track UNION ALL SELECT id FROM album UNION ALL SELECT id FROM artist UNION ALL SELECT id FROM genre UNION ALL SELECT id FROM folder ORDER BY 1',
    )
    .pluck()
    .all() as string[];
}
