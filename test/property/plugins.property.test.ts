/**
 * Plugins that export hostile values: whatever a plugin's `kinds` (or default) export
 * holds (Proxies whose traps throw, revoked Proxies, getters that throw, cycles, frozen
 * objects, factories mixed with junk, kinds that clash), loading it either registers
 * exactly its factories or rejects with a PluginError naming it, and leaves the registry
 * as it was. Nothing else escapes.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFactory, loadPlugins, PluginError } from '../../src/config/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { tempDir } from '../fixtures/settings.js';
import { hostileValue, type Hostile } from '../support/hostile.js';

const dir = tempDir();
afterAll(() => dir.remove());
const SETTINGS = join(dir.dir, 'prosa.yaml');
// The plugin hands over whatever the test put on globalThis; each load evaluates it anew.
dir.write('hostile.mjs', 'export const kinds = globalThis.__prosaPluginKinds;\nexport default globalThis.__prosaPluginDefault;\n');
const holder = globalThis as { __prosaPluginKinds?: unknown; __prosaPluginDefault?: unknown };
afterAll(() => {
  delete holder.__prosaPluginKinds;
  delete holder.__prosaPluginDefault;
});

const factory = (kind: string) =>
  defineFactory({ kind, description: 'A kind.', version: '1', settings: z.strictObject({}), create: () => ({ services: [], adaptor: { processRequest: (_s, r) => r } }) });

/** A factory whose `kind` is read through a getter: a name, a throw, or a different name each time. */
const trickyFactory = fc.constantFrom('throws', 'changes').map((trick) => ({
  name: `factory whose kind getter ${trick}`,
  make: () => {
    let reads = 0;
    return {
      ...factory('tricky'),
      get kind() {
        reads++;
        if (trick === 'throws') throw new Error('kind getter threw');
        return reads === 1 ? 'tricky' : `tricky-${reads}`;
      },
    };
  },
}));

const item: fc.Arbitrary<Hostile> = fc.oneof(
  hostileValue(),
  trickyFactory,
  fc.constantFrom('alpha', 'beta', 'stub').map((kind) => ({ name: `factory ${kind}`, make: () => factory(kind) })),
);

const exported = fc.oneof(
  fc.array(item, { maxLength: 4 }).map((items) => ({ name: `[${items.map((i) => i.name).join(', ')}]`, make: () => items.map((i) => i.make()) })),
  hostileValue(),
);

describe('plugins, property', () => {
  it('a plugin exporting anything loads its factories exactly or is refused with a PluginError, the registry unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(exported, fc.boolean(), async (value, asDefault) => {
        const kinds = defaultKinds();
        const before = kinds.kinds();
        const made = value.make();
        holder.__prosaPluginKinds = asDefault ? undefined : made;
        holder.__prosaPluginDefault = asDefault ? made : undefined;
        let loaded: Awaited<ReturnType<typeof loadPlugins>> | undefined;
        try {
          loaded = await loadPlugins(['./hostile.mjs'], kinds, { from: SETTINGS });
        } catch (error) {
          expect(error, value.name).toBeInstanceOf(PluginError);
          expect((error as PluginError).plugin).toBe('./hostile.mjs');
          expect((error as PluginError).message).toContain("plugin './hostile.mjs'");
          expect(kinds.kinds(), value.name).toEqual(before);
          return;
        }
        const added = loaded.plugins[0]!.kinds;
        expect(added.length, value.name).toBeGreaterThan(0);
        expect(kinds.kinds()).toEqual([...before, ...added].sort());
        for (const kind of added) expect(loaded.plugins[0]!.factories).toContain(kinds.get(kind));
        loaded.dispose();
        expect(kinds.kinds()).toEqual(before);
      }),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60) },
    );
  }, 60_000);
});
