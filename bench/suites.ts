/**
 * Finding and loading the suites: every `bench/<stem>.bench.ts`, sorted by file name, whose
 * default export is a {@link BenchSuite}.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchSuite } from './lib.js';

/** The bench/ folder. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

const SUITE_SUFFIX = '.bench.ts';

/** A suite's file, before it is imported. */
export interface SuiteFile {
  /** `bus` for `bench/bus.bench.ts`. */
  stem: string;
  path: string;
}

/** Every suite file in bench/, sorted by file name. */
export function discoverSuiteFiles(): SuiteFile[] {
  return readdirSync(BENCH_DIR)
    .filter((name) => name.endsWith(SUITE_SUFFIX))
    .sort()
    .map((name) => ({ stem: name.slice(0, -SUITE_SUFFIX.length), path: join(BENCH_DIR, name) }));
}

/** Imports a suite file; throws unless it default-exports a `BenchSuite { name, run }`. */
export async function loadSuite(path: string): Promise<BenchSuite> {
  const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  const suite = mod.default as Partial<BenchSuite> | undefined;
  if (typeof suite?.name !== 'string' || typeof suite.run !== 'function') {
    throw new Error(`${relative(process.cwd(), path)} does not default-export a BenchSuite { name, run }`);
  }
  return suite as BenchSuite;
}
