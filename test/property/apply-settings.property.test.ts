/**
 * Live reconfiguration as a diff: applying settings A then B gives the same running set
 * as building B afresh, and the processors equal in A and B are never restarted (same
 * handle, never out of `serving`, built once).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateSettings, type InstanceSettings } from '../../src/config/index.js';
import { createInstance, type Instance } from '../../src/instance/index.js';
import { stableKey } from '../../src/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { silentLogger } from '../support/bus.js';

const silent = silentLogger();
const kinds = defaultKinds();

const entry = fc.record({
  name: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  services: fc.subarray(['S1', 'S2', 'S3'], { minLength: 1 }),
  latencyMs: fc.constantFrom(0, 1),
  restartDelayMs: fc.constantFrom(100, 200),
});
const processors = fc.uniqueArray(entry, { maxLength: 4, selector: (e) => e.name });

/** A and B, where B keeps some of A's entries as they are, changes or drops others, and adds new ones. */
const settingsPair = fc
  .tuple(processors, fc.array(fc.constantFrom('keep', 'change', 'drop'), { minLength: 4, maxLength: 4 }), processors)
  .map(([a, fates, extra]) => {
    const b: Entry[] = [];
    a.forEach((e, i) => {
      const fate = fates[i]!;
      if (fate === 'keep') b.push(e);
      if (fate === 'change') b.push({ ...e, latencyMs: 1 - e.latencyMs });
    });
    for (const e of extra) if (!a.some((x) => x.name === e.name)) b.push(e);
    return [a, b] as const;
  });

interface Entry {
  name: string;
  services: string[];
  latencyMs: number;
  restartDelayMs: number;
}

function settingsOf(list: readonly Entry[]): InstanceSettings {
  return validateSettings(
    {
      name: 'prop',
      shutdown: { graceMs: 50, terminateTimeoutMs: 50 },
      processors: list.map((e) => ({
        name: e.name,
        kind: 'stub',
        settings: { services: e.services, latencyMs: e.latencyMs },
        restart: { delayMs: e.restartDelayMs },
      })),
    },
    { kinds, env: {} },
  );
}

/** What runs: name, entry, state, in settings order; and the service table. */
function runningSet(instance: Instance) {
  return {
    processors: [...instance.processors.values()].map((p) => [p.processor.name, stableKey(p.settings), p.processor.state]),
    onBus: instance.prosa
      .processors()
      .map((p) => [p.name, p.state])
      .sort(),
    services: Object.fromEntries(
      Object.entries(instance.prosa.services())
        .map(([service, names]) => [service, [...names].sort()] as const)
        .sort(([x], [y]) => x.localeCompare(y)),
    ),
  };
}

describe('apply properties', () => {
  it('A then B runs what a fresh B runs; processors equal in A and B are never restarted', async () => {
    await fc.assert(
      fc.asyncProperty(settingsPair, async ([a, b]) => {
        const settingsA = settingsOf(a);
        const settingsB = settingsOf(b);
        const live = createInstance(settingsA, { kinds, logger: silent, env: {} });
        const fresh = createInstance(settingsB, { kinds, logger: silent, env: {} });
        try {
          await live.start();
          const keysA = new Map(settingsA.processors.map((p) => [p.name, stableKey(p)]));
          const equal = settingsB.processors.filter((p) => keysA.get(p.name) === stableKey(p)).map((p) => p.name);
          const handles = new Map(equal.map((name) => [name, live.prosa.get(name)!]));
          const left: string[] = [];
          for (const [name, handle] of handles) handle.subscribe((state) => state !== 'serving' && left.push(`${name}: ${state}`));
          const report = await live.apply(settingsB);
          await fresh.start();
          expect(runningSet(live)).toEqual(runningSet(fresh));
          expect(report.unchanged).toEqual(equal);
          for (const [name, handle] of handles) expect(live.prosa.get(name)).toBe(handle);
          expect(left).toEqual([]);
          expect(report.failed).toEqual([]);
        } finally {
          await Promise.all([live.stop(), fresh.stop()]);
        }
      }),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 30) },
    );
  });
});
