import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  defineFactory,
  loadSettings,
  SettingsError,
  validateSettings,
  type FactoryContext,
  type FactoryProduct,
} from '../../src/config/index.js';
import { buildInstance, checkBuild, createInstance, type Instance } from '../../src/instance/index.js';
import { serviceErrorCounts } from '../../src/actors/errors.js';
import { LookupService } from '../../src/directives/lookup-service.js';
import { defaultKinds, isInjectorReport } from '../../src/processors/index.js';
import { fixture } from '../fixtures/settings.js';
import { silentLogger } from '../support/bus.js';

const silent = silentLogger();
let instance: Instance | undefined;
afterEach(async () => {
  await instance?.stop();
  instance = undefined;
});

describe('buildInstance', () => {
  it('builds the bus and its processors from a settings file, runs and stops them cleanly', async () => {
    const settings = await loadSettings(fixture('demo.yaml'), { kinds: defaultKinds(), env: {} });
    instance = buildInstance(settings, { kinds: defaultKinds(), logger: silent });
    expect([...instance.processors.keys()]).toEqual(['stub-1', 'inj-1']);
    expect(instance.prosa.name).toBe('demo');
    await instance.start();
    expect(instance.prosa.services()).toEqual({ ECHO: ['stub-1'] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await instance.stop();
    expect(instance.prosa.state).toBe('stopped');
    for (const entry of instance.processors.values()) expect(entry.processor.state).toBe('stopped');
    const stats = instance.prosa.stats();
    expect(stats.responses).toBeGreaterThan(100);
    expect(stats.inFlight).toBe(0);
    // The injector is quiesced before the bus stops: nothing ends in `shutdown`.
    expect(stats.errors).toEqual(serviceErrorCounts());
    const report = instance.reports()['inj-1'];
    expect(isInjectorReport(report) && report.responses).toBe(stats.responses);
    expect(Object.keys(instance.reports())).toEqual(['inj-1']);
  });

  it('gives each factory its validated settings and a context (names, logger, service directory)', async () => {
    let seen: { settings: unknown; context: FactoryContext } | undefined;
    const kinds = defaultKinds();
    kinds.register(
      defineFactory({
        kind: 'probe',
        description: 'Records what it is given.',
        version: '1',
        settings: z.strictObject({ size: z.number().default(3).describe('A size.') }),
        create(settings, context) {
          seen = { settings, context };
          return { services: ['PROBE'], adaptor: { processRequest: (_service, request) => request } };
        },
      }),
    );
    instance = createInstance(
      { name: 'inst', processors: [{ name: 'p-1', kind: 'probe', log: { level: 'debug' } }] },
      { kinds, logger: silent, env: {} },
    );
    expect(seen!.settings).toEqual({ size: 3 });
    expect(seen!.context).toMatchObject({ name: 'p-1', instance: 'inst' });
    expect(seen!.context.logger.level).toBe('debug');
    expect(seen!.context.directives).toBe(instance.directives);
    const lookup = seen!.context.directives!.add(LookupService({ service: 'PROBE' }));
    expect(lookup.values).toEqual([]);
    await instance.start();
    expect(await lookup.firstValue({ timeoutMs: 1_000 })).toEqual({ service: 'PROBE', processor: 'p-1', remote: false });
    lookup.release();
  });

  it('reports factories that fail as settings errors, all at once, and leaves no bus running', () => {
    const kinds = defaultKinds();
    kinds.register(
      defineFactory({
        kind: 'broken',
        description: 'Cannot be built.',
        version: '1',
        settings: z.strictObject({}),
        create() {
          throw new Error('no backend configured');
        },
      }),
    );
    try {
      createInstance(
        {
          name: 'inst',
          processors: [
            { name: 'a', kind: 'broken' },
            { name: 'b', kind: 'stub', settings: { services: ['A'] } },
            { name: 'c', kind: 'broken' },
          ],
        },
        { kinds, logger: silent, env: {} },
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SettingsError);
      const issues = (error as SettingsError).issues;
      expect(issues.map((issue) => issue.path)).toEqual(['processors[0].settings', 'processors[2].settings']);
      expect(issues[0]!.found).toBe('an error: no backend configured');
    }
  });

  it('logs through the given logger at the instance level, per-processor levels apart', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    instance = createInstance(
      {
        name: 'inst',
        log: { level: 'warn' },
        processors: [
          { name: 'loud', kind: 'stub', settings: { services: ['A'] }, log: { level: 'info' } },
          { name: 'quiet', kind: 'stub', settings: { services: ['B'] } },
        ],
      },
      { kinds: defaultKinds(), env: {}, logger: pino({ level: 'warn' }, sink) },
    );
    await instance.start();
    const serving = lines.map((line) => JSON.parse(line) as { proc?: string; msg: string }).filter((line) => line.msg === 'registered');
    expect(serving.map((line) => line.proc)).toEqual(['loud']);
  });
});

/** The built-in kinds and one more, `kind`, with no settings, built by `create` (given its context). */
function kindsWith(kind: string, description: string, create: (context: FactoryContext) => FactoryProduct) {
  const kinds = defaultKinds();
  kinds.register(defineFactory({ kind, description, version: '1', settings: z.strictObject({}), create: (_settings, context) => create(context) }));
  return kinds;
}

describe('quieting processors', () => {
  /** Kinds with `hostile`, a processor whose `quiesce` throws as it is called (not a rejection). */
  const hostileKinds = () =>
    kindsWith('hostile', 'A processor whose quiesce throws synchronously.', () => ({
      services: ['HOSTILE'],
      adaptor: { processRequest: (_service, request) => request },
      quiesce: () => {
        throw new Error('quiesce bug');
      },
    }));
  const settingsOf = (processors: unknown[]) => ({ name: 'inst', shutdown: { graceMs: 50, terminateTimeoutMs: 50 }, processors });

  it('stops the bus even when a processor quiesce throws', async () => {
    const kinds = hostileKinds();
    instance = createInstance(settingsOf([{ name: 'h', kind: 'hostile', settings: {} }]), { kinds, env: {}, logger: silent });
    await instance.start();
    await instance.stop();
    expect(instance.prosa.state).toBe('stopped');
  });

  it('removes a processor dropped from the settings even when its quiesce throws', async () => {
    const kinds = hostileKinds();
    const first = settingsOf([
      { name: 'h', kind: 'hostile', settings: {} },
      { name: 's', kind: 'stub', settings: { services: ['ECHO'] } },
    ]);
    instance = createInstance(first, { kinds, env: {}, logger: silent });
    await instance.start();
    const next = validateSettings(settingsOf([{ name: 's', kind: 'stub', settings: { services: ['ECHO'] } }]), { kinds, env: {} });
    const report = await instance.apply(next, { timeoutMs: 2_000 });
    expect(report.stopped).toEqual(['h']);
    expect(instance.prosa.get('h')).toBeUndefined();
  });
});

describe('checkBuild', () => {
  it('logs nothing, not even through a processor that asks for a level of its own', async () => {
    const kinds = kindsWith('chatty', 'Logs as it is built.', (context) => {
      context.logger.info('building a chatty processor');
      return { services: ['CHATTY'], adaptor: { processRequest: (_service, request) => request } };
    });
    const settings = validateSettings(
      { name: 'check', processors: [{ name: 'c', kind: 'chatty', settings: {}, log: { level: 'trace' } }] },
      { kinds, env: {} },
    );
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(await checkBuild(settings, { kinds })).toEqual([]);
    } finally {
      write.mockRestore();
    }
    expect(written).toEqual([]);
  });
});
