/**
 * Starting is linear in processors: the work of building, starting and stopping an
 * instance of 4N processors is about 4 times that of N, not 16. Work is counted, not
 * timed: the values copied out of directive instances (every `entries()` read, item by
 * item) and the reads of a reference's `settled` flag, the two things a per-processor
 * rescan of every processor does.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateSettings } from '../../src/config/index.js';
import { buildInstance, type Instance } from '../../src/instance/index.js';
import { DirectiveInstance } from '../../src/directives/instance.js';
import { DirectiveReference } from '../../src/directives/reference.js';
import { defaultKinds } from '../../src/processors/index.js';
import { silentLogger } from '../support/bus.js';

const silent = silentLogger();

/** Settings of `n` stub processors, each with a service of its own. */
function settingsOf(n: number) {
  const kinds = defaultKinds();
  const settings = validateSettings(
    {
      name: 'scale',
      shutdown: { graceMs: 200, terminateTimeoutMs: 100 },
      processors: Array.from({ length: n }, (_, i) => ({ name: `s${i}`, kind: 'stub', settings: { services: [`S${i}`] } })),
    },
    { kinds, env: {} },
  );
  return { kinds, settings };
}

let instance: Instance | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await instance?.stop();
  instance = undefined;
});

/** The work of building, starting and stopping an instance of `n` processors. */
async function workOf(n: number): Promise<number> {
  const { kinds, settings } = settingsOf(n);
  let work = 0;
  const entries = DirectiveInstance.prototype.entries;
  const entriesSpy = vi.spyOn(DirectiveInstance.prototype, 'entries').mockImplementation(function (this: DirectiveInstance) {
    const out = entries.call(this);
    work += out.length;
    return out;
  });
  const settled = Object.getOwnPropertyDescriptor(DirectiveReference.prototype, 'settled')!.get!;
  const settledSpy = vi.spyOn(DirectiveReference.prototype, 'settled', 'get').mockImplementation(function (this: DirectiveReference<unknown>) {
    work++;
    return settled.call(this) as boolean;
  });
  try {
    instance = buildInstance(settings, { kinds, logger: silent });
    await instance.start();
    expect(instance.processors.size).toBe(n);
    expect(Object.keys(instance.prosa.services())).toHaveLength(n);
    await instance.stop();
    expect([...instance.processors.values()].every((entry) => entry.processor.state === 'stopped')).toBe(true);
  } finally {
    entriesSpy.mockRestore();
    settledSpy.mockRestore();
    instance = undefined;
  }
  return work;
}

describe('starting and stopping an instance', () => {
  it('does work linear in its processors (4N processors: at most 6x the work of N)', async () => {
    const small = await workOf(150);
    const large = await workOf(600);
    expect(small).toBeGreaterThan(0);
    expect(large / small).toBeLessThan(6);
  }, 30_000);
});
