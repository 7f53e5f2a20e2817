import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApplySettings, LoadProcessor, LoadProcessorError, diffSettings } from '../../src/index.js';
import {
  defineFactory,
  validateSettings,
  type InstanceSettings,
  type KindRegistry,
} from '../../src/config/index.js';
import { createInstance, type Instance } from '../../src/instance/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { record, sleep, valueOf, silentLogger } from '../support/bus.js';

const silent = silentLogger();

/** A kind that counts builds and inits per processor, echoes after `delayMs`, and can be told to fail its build. */
function probeKinds() {
  const builds = new Map<string, number>();
  const inits = new Map<string, number>();
  const kinds: KindRegistry = defaultKinds();
  kinds.register(
    defineFactory({
      kind: 'probe',
      description: 'Counts builds and inits; echoes.',
      version: '1',
      settings: z.strictObject({
        services: z.array(z.string()).default([]).describe('Services.'),
        tag: z.string().default('').describe('Any text; changing it changes the processor.'),
        delayMs: z.number().default(0).describe('Reply delay.'),
        fail: z.boolean().default(false).describe('Throw in create.'),
      }),
      create(settings, context) {
        if (settings.fail) throw new Error(`cannot build ${context.name}`);
        builds.set(context.name, (builds.get(context.name) ?? 0) + 1);
        return {
          services: settings.services,
          adaptor: {
            init: () => void inits.set(context.name, (inits.get(context.name) ?? 0) + 1),
            processRequest: async (_service, request) => {
              if (settings.delayMs > 0) await sleep(settings.delayMs);
              return request;
            },
          },
        };
      },
    }),
  );
  return { kinds, builds, inits };
}

type Entry = { name: string; services?: string[]; tag?: string; delayMs?: number; fail?: boolean; kind?: string };

function settingsOf(kinds: KindRegistry, entries: Entry[], extra: Record<string, unknown> = {}): InstanceSettings {
  return validateSettings(
    {
      name: 'live',
      shutdown: { graceMs: 200, terminateTimeoutMs: 100 },
      ...extra,
      processors: entries.map(({ name, kind, ...settings }) => ({ name, kind: kind ?? 'probe', settings })),
    },
    { kinds, env: {} },
  );
}

let instance: Instance | undefined;
afterEach(async () => {
  await instance?.stop();
  instance = undefined;
});

describe('LoadProcessor and ApplySettings', () => {
  it('builds every processor of the settings through LoadProcessor directives', async () => {
    const { kinds } = probeKinds();
    const settings = settingsOf(kinds, [{ name: 'a', services: ['A'] }, { name: 'b', services: ['B'] }]);
    instance = createInstance(settings, { kinds, logger: silent, env: {} });
    const names = instance.directives.instances().map((i) => i.directive.kind);
    expect(names).toEqual(['ApplySettings', 'LoadProcessor', 'LoadProcessor']);
    const a = instance.directives.info(LoadProcessor(instance.settings.processors[0]!))!;
    expect(a.state).toBe('full');
    expect(a.references).toBe(1);
    expect(a.values[0]!.value).toBe(instance.processors.get('a'));
    expect(instance.directives.info(ApplySettings({ settings: instance.settings }))!.values).toHaveLength(2);
    await instance.start();
    expect(instance.prosa.services()).toEqual({ A: ['a'], B: ['b'] });
  });

  it('names its actors in at most 80 characters, whatever the size of the settings', async () => {
    const { kinds } = probeKinds();
    const idsFor = (count: number, tagLength: number) => {
      const ids = new Set<string>();
      const entries = Array.from({ length: count }, (_, i) => ({ name: `p${i}`, services: [`S${i}`], tag: 'x'.repeat(tagLength) }));
      const built = createInstance(settingsOf(kinds, entries), {
        kinds,
        logger: silent,
        env: {},
        inspect: (event) => {
          if (event.type === '@xstate.actor') ids.add((event.actorRef as unknown as { id: string }).id);
        },
      });
      return { built, ids: [...ids].filter((id) => id.startsWith('directive:')) };
    };
    for (const [count, tagLength] of [
      [1, 0],
      [40, 2_000],
    ] as const) {
      const { built, ids } = idsFor(count, tagLength);
      instance = built;
      expect(ids).toHaveLength(count + 1); // ApplySettings and one LoadProcessor each
      for (const id of ids) expect(id.length, id).toBeLessThanOrEqual(80);
      expect(ids).toContain('directive:ApplySettings:live#1');
      expect(ids).toContain('directive:LoadProcessor:p0#2');
      await instance.stop();
    }
  });

  it('shares a LoadProcessor between holders; the last release drains and removes the processor', async () => {
    const { kinds, builds } = probeKinds();
    instance = createInstance(settingsOf(kinds, [{ name: 'a', services: ['A'] }]), { kinds, logger: silent, env: {} });
    await instance.start();
    const entry = instance.settings.processors[0]!;
    const extra = instance.directives.add(LoadProcessor(entry));
    expect(extra.values[0]!.processor).toBe(instance.prosa.get('a'));
    expect(builds.get('a')).toBe(1);
    extra.release();
    expect(instance.prosa.get('a')?.state).toBe('serving');
    const other = settingsOf(kinds, [{ name: 'solo', services: ['S'] }]).processors[0]!;
    const solo = instance.directives.add(LoadProcessor(other));
    const processor = (await solo.firstValue({ timeoutMs: 1_000 })).processor;
    await processor.when('serving');
    expect(valueOf(await instance.prosa.request('S', record(3)))).toBe(3);
    const removed = new Promise((resolve) => instance!.prosa.events.on('processor.removed', resolve));
    solo.release();
    await removed;
    expect(instance.prosa.get('solo')).toBeUndefined();
    expect(processor.state).toBe('stopped');
  });

  it('applies a diff: starts new processors, stops removed ones, replaces changed ones, leaves the rest alone', async () => {
    const { kinds, builds, inits } = probeKinds();
    instance = createInstance(
      settingsOf(kinds, [
        { name: 'same', services: ['SAME'] },
        { name: 'changed', services: ['CHANGED'] },
        { name: 'removed', services: ['REMOVED'] },
      ]),
      { kinds, logger: silent, env: {} },
    );
    await instance.start();
    const same = instance.prosa.get('same')!;
    const oldChanged = instance.prosa.get('changed')!;
    const removed = instance.prosa.get('removed')!;
    const report = await instance.apply(
      settingsOf(kinds, [
        { name: 'added', services: ['ADDED'] },
        { name: 'same', services: ['SAME'] },
        { name: 'changed', services: ['CHANGED'], tag: 'v2' },
      ]),
    );
    expect(report).toEqual({
      started: ['added'],
      stopped: ['removed'],
      replaced: ['changed'],
      unchanged: ['same'],
      failed: [],
      restartNeeded: [],
    });
    expect(instance.prosa.get('same')).toBe(same);
    expect(same.state).toBe('serving');
    expect([builds.get('same'), inits.get('same')]).toEqual([1, 1]);
    expect(oldChanged.state).toBe('stopped');
    expect(instance.prosa.get('changed')).not.toBe(oldChanged);
    expect(instance.prosa.get('changed')!.state).toBe('serving');
    expect(removed.state).toBe('stopped');
    expect(instance.prosa.get('removed')).toBeUndefined();
    expect([...instance.processors.keys()]).toEqual(['added', 'same', 'changed']);
    expect(instance.settings.processors.map((p) => p.name)).toEqual(['added', 'same', 'changed']);
    expect(instance.prosa.services()).toEqual({ SAME: ['same'], CHANGED: ['changed'], ADDED: ['added'] });
    expect(instance.directives.instances().filter((i) => i.directive.kind === 'ApplySettings')).toHaveLength(1);
  });

  it('lets a replaced processor finish its in-flight requests before its successor is built', async () => {
    const { kinds, builds } = probeKinds();
    instance = createInstance(settingsOf(kinds, [{ name: 'slow', services: ['SLOW'], delayMs: 60 }]), {
      kinds,
      logger: silent,
      env: {},
    });
    await instance.start();
    const inFlight = instance.prosa.request('SLOW', record(1));
    await sleep(5);
    const applying = instance.apply(settingsOf(kinds, [{ name: 'slow', services: ['SLOW'], delayMs: 1 }]));
    await sleep(20);
    expect(builds.get('slow')).toBe(1);
    expect(valueOf(await inFlight)).toBe(1);
    expect((await applying).replaced).toEqual(['slow']);
    expect(builds.get('slow')).toBe(2);
    expect(valueOf(await instance.prosa.request('SLOW', record(2)))).toBe(2);
  });

  it('reports processors that cannot be built, retries them, and keeps the rest running', async () => {
    const { kinds } = probeKinds();
    instance = createInstance(settingsOf(kinds, [{ name: 'ok', services: ['OK'] }]), { kinds, logger: silent, env: {} });
    await instance.start();
    const report = await instance.apply(settingsOf(kinds, [{ name: 'ok', services: ['OK'] }, { name: 'bad', fail: true }]));
    expect(report.started).toEqual(['bad']);
    expect(report.failed).toEqual([{ processor: 'bad', error: "processor 'bad' (kind 'probe'): cannot build bad" }]);
    expect(instance.prosa.get('ok')!.state).toBe('serving');
    const info = instance.directives.info(LoadProcessor(instance.settings.processors[1]!))!;
    expect(info.errors[0]!.error).toBeInstanceOf(LoadProcessorError);
    expect(info.resolvers[0]!.status).toBe('backoff');
    const fixed = await instance.apply(settingsOf(kinds, [{ name: 'ok', services: ['OK'] }, { name: 'bad', fail: false }]));
    expect(fixed).toMatchObject({ replaced: ['bad'], failed: [], unchanged: ['ok'] });
    expect(instance.prosa.get('bad')!.state).toBe('serving');
  });

  it('names the instance-level sections that need a restart', () => {
    const { kinds } = probeKinds();
    const before = settingsOf(kinds, [{ name: 'a' }]);
    const after = settingsOf(kinds, [{ name: 'a' }], { shutdown: { graceMs: 300, terminateTimeoutMs: 100 }, requestTimeoutMs: 5 });
    expect(diffSettings(before, after)).toEqual({
      started: [],
      stopped: [],
      replaced: [],
      unchanged: ['a'],
      failed: [],
      restartNeeded: ['requestTimeoutMs', 'shutdown'],
    });
  });

  it('runs applies one at a time, in call order, and an unchanged apply touches nothing', async () => {
    const { kinds, builds } = probeKinds();
    instance = createInstance(settingsOf(kinds, [{ name: 'a', services: ['A'] }]), { kinds, logger: silent, env: {} });
    await instance.start();
    const first = instance.apply(settingsOf(kinds, [{ name: 'a', services: ['A'] }, { name: 'b' }]));
    const second = instance.apply(settingsOf(kinds, [{ name: 'a', services: ['A'] }]));
    const third = instance.apply(settingsOf(kinds, [{ name: 'a', services: ['A'] }]));
    expect((await first).started).toEqual(['b']);
    expect((await second).stopped).toEqual(['b']);
    expect(await third).toMatchObject({ started: [], stopped: [], replaced: [], unchanged: ['a'] });
    expect(builds.get('a')).toBe(1);
    expect(instance.prosa.processors().map((p) => p.name)).toEqual(['a']);
  });

  it('keeps the last processors, with their final states, once stopped', async () => {
    const { kinds } = probeKinds();
    instance = createInstance(settingsOf(kinds, [{ name: 'a' }, { name: 'b' }]), { kinds, logger: silent, env: {} });
    await instance.start();
    await instance.stop();
    expect([...instance.processors.values()].map((p) => [p.processor.name, p.processor.state])).toEqual([
      ['a', 'stopped'],
      ['b', 'stopped'],
    ]);
    expect(instance.prosa.processors()).toHaveLength(2);
    await expect(instance.apply(settingsOf(kinds, [{ name: 'a' }]))).rejects.toMatchObject({ kind: 'Closed' });
  });
});
