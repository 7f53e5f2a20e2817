import { describe, expect, it } from 'vitest';
import { importOptional, MissingPackageError, requireOptional } from '../../src/observability/optional-package.js';

describe('optional packages', () => {
  it('names the feature and the install command when a package is not installed', () => {
    const error = (() => {
      try {
        requireOptional('pretty logs', 'prosa-no-such-package');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(MissingPackageError);
    expect(error).toMatchObject({ kind: 'MissingPackage', recoverable: false, packages: ['prosa-no-such-package'], feature: 'pretty logs' });
    expect((error as Error).message).toBe('pretty logs needs the optional package prosa-no-such-package: npm install prosa-no-such-package');
  });

  it('loads an installed package', () => {
    expect(requireOptional<{ pino: unknown }>('logs', 'pino').pino).toBeTypeOf('function');
  });

  it('turns a dynamic import that misses one of the packages into a MissingPackageError', async () => {
    await expect(importOptional('the inspector', ['prosa-no-such-a', 'ws'], () => import('prosa-no-such-a' as string))).rejects.toMatchObject({
      kind: 'MissingPackage',
      message: 'the inspector needs the optional packages prosa-no-such-a and ws: npm install prosa-no-such-a ws',
    });
  });

  it('rethrows any other failure of the loading as it is', async () => {
    const own = Object.assign(new Error("Cannot find module './gone.js' imported from 'ws'"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(importOptional('the inspector', ['@statelyai/inspect'], () => Promise.reject(own))).rejects.toBe(own);
    const hostile = { get code(): never { throw new Error('hostile'); } };
    await expect(importOptional('the inspector', ['ws'], () => Promise.reject(hostile))).rejects.toBe(hostile);
  });
});
