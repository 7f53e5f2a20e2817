/**
 * Optional packages: the dependencies only some users need are optional peers of the
 * package (pino-pretty for pretty logs; @statelyai/inspect and ws for the inspector),
 * loaded only when the feature that needs them is used. When one is not installed, the
 * feature fails with a {@link MissingPackageError} that names it and says how to install
 * it; the rest of prosa never notices. docs/architecture.md lists which entry needs which
 * package.
 */
import { createRequire } from 'node:module';
import { ProsaError } from '../tvf/prosa-error.js';
import { messageOf } from '../tvf/unknown-value.js';

/** Kinds of {@link MissingPackageError}. */
export type MissingPackageErrorKind = 'MissingPackage';

/** A feature was asked for whose optional package is not installed. */
export class MissingPackageError extends ProsaError<MissingPackageErrorKind> {
  override readonly name = 'MissingPackageError';
  declare readonly recoverable: false;
  /** The packages to install. */
  readonly packages: readonly string[];
  /** What needs them, as the message says it (`pretty logs`, `the inspector`). */
  readonly feature: string;

  constructor(feature: string, packages: readonly string[], cause?: unknown) {
    const list = packages.join(' and ');
    super('MissingPackage', `${feature} needs the optional package${packages.length === 1 ? '' : 's'} ${list}: npm install ${packages.join(' ')}`, {
      recoverable: false,
      cause,
    });
    this.packages = Object.freeze([...packages]);
    this.feature = feature;
  }
}

/** Node's "not found" codes: `require` says `MODULE_NOT_FOUND`, `import` says `ERR_MODULE_NOT_FOUND`. */
const NOT_FOUND = new Set(['MODULE_NOT_FOUND', 'ERR_MODULE_NOT_FOUND']);

/** True when `error` says that one of `packages` (not some file inside it, not another package) could not be found. */
function isMissing(error: unknown, packages: readonly string[]): boolean {
  let code: unknown;
  try {
    code = (error as { code?: unknown } | null)?.code;
  } catch {
    return false;
  }
  if (typeof code !== 'string' || !NOT_FOUND.has(code)) return false;
  const message = messageOf(error);
  return packages.some((name) => message.includes(`'${name}'`));
}

const requireHere = createRequire(import.meta.url);

/**
 * The CommonJS package `name`, loaded synchronously on the first call (Node caches it).
 * Throws a {@link MissingPackageError} for `feature` when it is not installed; any other
 * failure of its loading is rethrown as it is.
 */
export function requireOptional<T>(feature: string, name: string): T {
  try {
    return requireHere(name) as T;
  } catch (error) {
    if (isMissing(error, [name])) throw new MissingPackageError(feature, [name], error);
    throw error;
  }
}

/**
 * Runs `load` (a dynamic `import()` of what needs `packages`) and resolves with what it
 * gives. Rejects with a {@link MissingPackageError} for `feature` when the loading failed
 * because one of `packages` is not installed; any other failure is rethrown as it is.
 */
export async function importOptional<T>(feature: string, packages: readonly string[], load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissing(error, packages)) throw new MissingPackageError(feature, packages, error);
    throw error;
  }
}
