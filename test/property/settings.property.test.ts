import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildInstance, checkSettings, LOG_LEVELS, parseSettings } from '../../src/config/index.js';
import { defaultKinds, isInjectorReport } from '../../src/processors/index.js';

const kinds = defaultKinds();
const silent = pino({ level: 'silent' });
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** A few service names, so that injectors often find a stub and sometimes do not. */
const service = fc.constantFrom('ECHO', 'PING', 'QUOTE');
const name = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}$/);

/** TVF templates: the id-mapping form and the text form. */
const template = fc.oneof(
  fc.dictionary(fc.integer({ min: 0, max: 999 }).map(String), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxKeys: 4 }),
  fc.string({ maxLength: 8 }).map((text) => `1;${Buffer.byteLength(text)};${text};`),
);

// Latencies, graces and timeouts stay small so that a run takes milliseconds; every
// other field ranges over (and a little past) what the schemas accept.
const stubSettings = fc.record(
  {
    services: fc.uniqueArray(service, { minLength: 1, maxLength: 3 }),
    reply: template,
    latencyMs: fc.integer({ min: 0, max: 20 }),
    jitterMs: fc.double({ min: 0, max: 10, noNaN: true }),
    errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer(),
  },
  { requiredKeys: ['services'] },
);

const injectorSettings = fc.record(
  {
    service,
    maxSpeed: fc.double({ min: 0, max: 5000, noNaN: true }),
    maxConcurrent: fc.integer({ min: 0, max: 64 }),
    timeoutMs: fc.integer({ min: 1, max: 200 }),
    request: template,
    backoffFactor: fc.double({ min: 0, max: 1, noNaN: true }),
    rampMs: fc.integer({ min: 1, max: 5000 }),
    retryDelayMs: fc.integer({ min: 1, max: 100 }),
  },
  { requiredKeys: ['service'] },
);

const processorCommon = {
  name,
  restart: optional(
    fc.record(
      {
        delayMs: fc.integer({ min: 0, max: 200 }),
        maxDelayMs: fc.integer({ min: 0, max: 1000 }),
        maxRestarts: fc.integer({ min: 0, max: 5 }),
        windowMs: fc.integer({ min: 1, max: 60_000 }),
        resetAfterMs: fc.integer({ min: 1, max: 5000 }),
      },
      { requiredKeys: [] },
    ),
  ),
  queue: optional(fc.record({ maxInFlight: fc.integer({ min: 1, max: 20_000 }) })),
  initTimeoutMs: optional(fc.integer({ min: 1, max: 60_000 })),
  log: optional(fc.record({ level: fc.constantFrom(...LOG_LEVELS) }, { requiredKeys: [] })),
};

const processor = fc.oneof(
  fc.record({ ...processorCommon, kind: fc.constant('stub'), settings: stubSettings }, { requiredKeys: ['name', 'kind', 'settings'] }),
  fc.record({ ...processorCommon, kind: fc.constant('inj'), settings: injectorSettings }, { requiredKeys: ['name', 'kind', 'settings'] }),
);

const settings = fc.record(
  {
    name,
    shutdown: fc.record({ graceMs: fc.integer({ min: 1, max: 300 }), terminateTimeoutMs: fc.integer({ min: 1, max: 300 }) }, { requiredKeys: [] }),
    log: fc.record({ level: fc.constantFrom(...LOG_LEVELS) }, { requiredKeys: [] }),
    requestTimeoutMs: fc.integer({ min: 1, max: 10_000 }),
    processors: fc.array(processor, { maxLength: 4 }),
  },
  { requiredKeys: ['name'] },
);

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('settings, property', () => {
  it('any settings object the schema accepts builds an instance that starts and stops cleanly', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(settings, fc.integer({ min: 0, max: 40 }), async (input, runMs) => {
        const check = checkSettings(input, { kinds, env: {} });
        fc.pre(check.ok);
        if (!check.ok) return;
        accepted++;
        const instance = buildInstance(check.settings, { kinds, logger: silent });
        await instance.start();
        await new Promise((resolve) => setTimeout(resolve, runMs));
        const stopStarted = performance.now();
        await instance.stop();
        const { graceMs, terminateTimeoutMs } = check.settings.shutdown;
        expect(performance.now() - stopStarted).toBeLessThan(2 * graceMs + terminateTimeoutMs + 500);
        expect(instance.prosa.state).toBe('stopped');
        for (const entry of instance.processors.values()) expect(entry.processor.state).toBe('stopped');
        const stats = instance.prosa.stats();
        expect(stats.inFlight).toBe(0);
        expect(stats.requests).toBe(stats.responses + sum(stats.errors));
        for (const report of Object.values(instance.reports())) {
          if (!isInjectorReport(report)) continue;
          expect(report.inFlight).toBe(0);
          expect(report.sent).toBe(report.responses + sum(report.errors) + report.startupMisses);
        }
      }),
      { numRuns: 40 },
    );
    expect(accepted).toBeGreaterThanOrEqual(40);
  });

  it('valid settings read back the same from their YAML and JSON text', () => {
    fc.assert(
      fc.property(settings, (input) => {
        const check = checkSettings(input, { kinds, env: {} });
        fc.pre(check.ok);
        if (!check.ok) return;
        expect(parseSettings(stringify(input), { kinds, env: {} })).toEqual(check.settings);
        expect(parseSettings(JSON.stringify(input), { kinds, env: {} })).toEqual(check.settings);
      }),
      { numRuns: 200 },
    );
  });
});
