import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, parseSettings, SettingsError, validateSettings } from '../../src/config/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { fixture } from '../fixtures/settings.js';

const kinds = defaultKinds();
const demo = readFileSync(fixture('demo.yaml'), 'utf8');
const load = (env: Record<string, string>) => parseSettings(demo, { kinds, env, source: 'demo.yaml' });

function failure(env: Record<string, string>): SettingsError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error('expected a SettingsError');
}

describe('environment overrides (PROSA__...)', () => {
  it('sets a field of a processor named in the variable, whatever the case and punctuation', () => {
    for (const variable of [
      'PROSA__PROCESSORS__INJ_1__SETTINGS__MAX_SPEED',
      'PROSA__PROCESSORS__INJ1__SETTINGS__MAXSPEED',
      'PROSA__processors__inj-1__settings__maxSpeed',
    ]) {
      const settings = load({ [variable]: '500' });
      expect(settings.processors[1]!.settings).toMatchObject({ maxSpeed: 500 });
    }
  });

  it('addresses list items by index too', () => {
    expect(load({ PROSA__PROCESSORS__1__SETTINGS__MAXSPEED: '250' }).processors[1]!.settings).toMatchObject({ maxSpeed: 250 });
  });

  it('sets fields the file leaves out when the schema knows them, creating mappings', () => {
    const settings = load({
      PROSA__LOG__LEVEL: 'debug',
      PROSA__REQUEST_TIMEOUT_MS: '2500',
      PROSA__SHUTDOWN__TERMINATE_TIMEOUT_MS: '300',
      PROSA__PROCESSORS__STUB_1__SETTINGS__JITTER_MS: '2',
      PROSA__PROCESSORS__STUB_1__QUEUE__MAX_IN_FLIGHT: '7',
    });
    expect(settings.log.level).toBe('debug');
    expect(settings.requestTimeoutMs).toBe(2500);
    expect(settings.shutdown).toEqual({ graceMs: 5000, terminateTimeoutMs: 300 });
    expect(settings.processors[0]!.settings).toMatchObject({ jitterMs: 2 });
    expect(settings.processors[0]!.queue.maxInFlight).toBe(7);
  });

  it('reads values as YAML: lists, mappings, booleans, quoted strings', () => {
    const settings = load({
      PROSA__PROCESSORS__STUB_1__SETTINGS__SERVICES: '[ECHO, PING]',
      PROSA__PROCESSORS__INJ_1__SETTINGS__REQUEST: '{1: hello}',
      PROSA__NAME: '"007"',
    });
    expect(settings.processors[0]!.settings).toMatchObject({ services: ['ECHO', 'PING'] });
    expect(settings.processors[1]!.settings).toMatchObject({ request: { 1: 'hello' } });
    expect(settings.name).toBe('007');
  });

  it('ignores other variables, PROSA_LOG_LEVEL (one underscore) included', () => {
    expect(load({ PROSA_LOG_LEVEL: 'trace', HOME: '/x', PROSAX__NAME: 'y' })).toEqual(load({}));
  });

  it('reports a bad overridden value with its path and variable, in the file error', () => {
    const error = failure({ PROSA__PROCESSORS__INJ_1__SETTINGS__MAX_SPEED: 'fast' });
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: 'processors[1].settings.maxSpeed',
        expected: 'a number',
        found: '"fast"',
        env: 'PROSA__PROCESSORS__INJ_1__SETTINGS__MAX_SPEED',
      }),
    ]);
    expect(error.message).toContain('demo.yaml (environment PROSA__PROCESSORS__INJ_1__SETTINGS__MAX_SPEED)');
  });

  it('reports variables that match no field or no processor, with the others, at once', () => {
    const error = failure({
      PROSA__NOPE: '1',
      PROSA__PROCESSORS__INJ_9__SETTINGS__MAXSPEED: '1',
      PROSA__PROCESSORS__STUB_1__SETTINGS__COLOUR: 'red',
      PROSA__LOG__LEVEL: 'loud',
    });
    expect(error.issues).toHaveLength(4);
    const byEnv = Object.fromEntries(error.issues.map((issue) => [issue.env, issue]));
    expect(byEnv['PROSA__NOPE']!.expected).toMatch(/^a known field: .*processors/);
    expect(byEnv['PROSA__PROCESSORS__INJ_9__SETTINGS__MAXSPEED']!.expected).toMatch(/stub-1, inj-1/);
    expect(byEnv['PROSA__PROCESSORS__STUB_1__SETTINGS__COLOUR']!.expected).toMatch(/latencyMs/);
    expect(byEnv['PROSA__LOG__LEVEL']!.path).toBe('log.level');
  });

  it('resolves settings fields with the kind an earlier override gave the processor', () => {
    const input = { name: 'x', processors: [{ name: 'a', kind: 'inj', settings: { service: 'A' } }] };
    const settings = validateSettings(input, {
      kinds,
      env: {
        PROSA__PROCESSORS__A__KIND: 'stub',
        PROSA__PROCESSORS__A__SETTINGS: '{ services: [A] }',
        PROSA__PROCESSORS__A__SETTINGS__JITTER_MS: '4',
      },
    });
    expect(settings.processors[0]!).toMatchObject({ kind: 'stub', settings: { services: ['A'], jitterMs: 4 } });
  });

  it('does not change its input', () => {
    const input = { name: 'x', processors: [{ name: 'a', kind: 'stub', settings: { services: ['A'] } }] };
    const before = structuredClone(input);
    const settings = validateSettings(input, { kinds, env: { PROSA__PROCESSORS__A__SETTINGS__LATENCY_MS: '3' } });
    expect(settings.processors[0]!.settings).toMatchObject({ latencyMs: 3 });
    expect(input).toEqual(before);
    expect(applyEnvOverrides(input, {}, () => undefined).value).toBe(input);
  });
});
