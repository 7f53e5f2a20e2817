import { afterEach, describe, expect, it } from 'vitest';
import type { Transport, TransportHost } from '../../src/actors/transport.js';
import {
  describeFields,
  instanceSettingsSchema,
  maskSettings,
  natsSettingsSchema,
  SECRET_FOUND,
  SettingsError,
  validateSettings,
  type NatsSettings,
} from '../../src/config/index.js';
import { SECRET_MASK } from '../../src/observability/index.js';
import { buildInstance, type Instance } from '../../src/instance/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { silentLogger } from '../support/bus.js';

const silent = silentLogger();
let instance: Instance | undefined;
afterEach(async () => {
  await instance?.stop();
  instance = undefined;
});

const base = {
  name: 'linked',
  processors: [{ name: 'stub-1', kind: 'stub', settings: { services: ['ECHO'] } }],
};

describe('settings: transport section', () => {
  it('is optional: without it the instance is purely local', () => {
    const settings = validateSettings(base, { kinds: defaultKinds(), env: {} });
    expect(settings.transport).toBeUndefined();
  });

  it('fills the defaults of transport.nats', () => {
    const settings = validateSettings(
      { ...base, transport: { nats: { servers: ['nats://127.0.0.1:4222'] } } },
      { kinds: defaultKinds(), env: {} },
    );
    expect(settings.transport?.nats).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      prefer: 'local-first',
      subjectPrefix: 'prosa',
      heartbeatMs: 1_000,
      missedHeartbeats: 3,
      maxInFlight: 10_000,
      maxPayloadBytes: 16 * 1024 * 1024,
      maxPeers: 1_000,
      maxRemoteServices: 10_000,
    });
  });

  it('names every bad field of transport.nats by its path, and takes PROSA__ overrides', () => {
    let error: unknown;
    try {
      validateSettings(
        { ...base, transport: { nats: { servers: [], heartbeatMs: 5, subjectPrefix: 'a b', serverz: 1 } } },
        { kinds: defaultKinds(), env: { PROSA__TRANSPORT__NATS__PREFER: 'nearest' } },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const paths = (error as SettingsError).issues.map((issue) => issue.path).sort();
    expect(paths).toEqual([
      'transport.nats.heartbeatMs',
      'transport.nats.prefer',
      'transport.nats.servers',
      'transport.nats.serverz',
      'transport.nats.subjectPrefix',
    ]);
    const overridden = validateSettings(base, {
      kinds: defaultKinds(),
      env: { PROSA__TRANSPORT__NATS__SERVERS: '[nats://10.0.0.1:4222, nats://10.0.0.2:4222]', PROSA__TRANSPORT__NATS__PREFER: 'spread' },
    });
    expect(overridden.transport?.nats).toMatchObject({ servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], prefer: 'spread' });
  });

  it('never shows a secret it refuses: a numeric password or token read from the file or the environment', () => {
    let error: unknown;
    try {
      validateSettings(
        { ...base, transport: { nats: { servers: ['nats://127.0.0.1:4222'], user: 'svc', pass: 918273645 } } },
        { kinds: defaultKinds(), env: { PROSA__TRANSPORT__NATS__TOKEN: '5647382910' } },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const issues = (error as SettingsError).issues;
    expect(issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(['transport.nats.pass', 'transport.nats.token']));
    const shown = `${(error as SettingsError).message}\n${JSON.stringify(issues)}`;
    expect(shown).not.toContain('918273645');
    expect(shown).not.toContain('5647382910');
    expect(shown).toContain(`transport.nats.pass: expected a string, found ${SECRET_FOUND}`);
  });

  it('marks the secrets sensitive in the schema, the docs and masked copies, and nothing else', () => {
    const marked = describeFields(natsSettingsSchema)
      .filter((field) => field.sensitive)
      .map((field) => field.path);
    expect(marked.sort()).toEqual(['nkeySeed', 'pass', 'token']);
    const seed = 'SU' + 'A'.repeat(56);
    const masked = maskSettings({ servers: ['nats://h:4222'], user: 'svc', pass: 'p4ss', tls: { caFile: '/ca.pem' } }, natsSettingsSchema);
    expect(masked).toEqual({ servers: ['nats://h:4222'], user: 'svc', pass: SECRET_MASK, tls: { caFile: '/ca.pem' } });
    expect(maskSettings({ nkeySeed: seed, token: 't' }, natsSettingsSchema)).toEqual({ nkeySeed: SECRET_MASK, token: SECRET_MASK });
    // from the top of the settings too, processors' own settings untouched
    const settings = validateSettings(
      { ...base, transport: { nats: { servers: ['nats://127.0.0.1:4222'], user: 'svc', pass: 'p4ss' } } },
      { kinds: defaultKinds(), env: {} },
    );
    const shown = maskSettings(settings, instanceSettingsSchema) as typeof settings;
    expect(shown.transport?.nats).toMatchObject({ user: 'svc', pass: SECRET_MASK });
    expect(shown.processors).toEqual(settings.processors);
    expect(settings.transport?.nats?.pass).toBe('p4ss');
  });

  it('takes one way to authenticate, and refuses credentials in a server URL without showing them', () => {
    const issuesOf = (nats: Record<string, unknown>) => {
      try {
        validateSettings({ ...base, transport: { nats: { servers: ['nats://127.0.0.1:4222'], ...nats } } }, { kinds: defaultKinds(), env: {} });
      } catch (error) {
        return (error as SettingsError).issues;
      }
      return [];
    };
    expect(issuesOf({ user: 'svc', pass: 'p4ss', token: 's3cr3t' })).toMatchObject([
      { path: 'transport.nats.token', expected: expect.stringContaining('one way to authenticate'), found: SECRET_FOUND },
    ]);
    expect(issuesOf({ nkeySeedFile: '/a.nk', credsFile: '/b.creds' })).toMatchObject([{ path: 'transport.nats.credsFile', found: '`nkeySeedFile` and `credsFile` both set' }]);
    expect(issuesOf({ pass: 'p4ss' })).toMatchObject([{ path: 'transport.nats.user', found: 'nothing (`pass` is set without it)' }]);
    expect(issuesOf({ tls: { certFile: '/c.pem' } })).toMatchObject([{ path: 'transport.nats.tls.keyFile' }]);
    expect(issuesOf({ nkeySeed: 'SUnotaseed' })).toMatchObject([{ path: 'transport.nats.nkeySeed', found: SECRET_FOUND }]);
    const inUrl = issuesOf({ servers: ['nats://svc:hunter22@127.0.0.1:4222'] });
    expect(inUrl).toMatchObject([{ path: 'transport.nats.servers[0]' }]);
    expect(JSON.stringify(inUrl)).not.toContain('hunter22');
    expect(issuesOf({ tls: true, credsFile: '/x.creds' })).toEqual([]);
    expect(issuesOf({ tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem', handshakeFirst: true }, user: 'svc' })).toEqual([]);
  });

  it('builds an instance that attaches the transport its maker makes, started and stopped with the bus', async () => {
    const settings = validateSettings(
      { ...base, transport: { nats: { servers: ['nats://127.0.0.1:4222'], heartbeatMs: 250 } } },
      { kinds: defaultKinds(), env: {} },
    );
    const calls: string[] = [];
    let given: NatsSettings | undefined;
    let host: TransportHost | undefined;
    const fake: Transport = {
      name: 'nats',
      start: async (h) => void ((host = h), calls.push('start')),
      withdraw: () => void calls.push('withdraw'),
      close: async () => void calls.push('close'),
    };
    instance = buildInstance(settings, {
      kinds: defaultKinds(),
      logger: silent,
      transports: { nats: (nats) => ((given = nats), fake) },
    });
    expect(given?.heartbeatMs).toBe(250);
    await instance.start();
    expect(host?.name).toBe('linked');
    await instance.stop();
    expect(calls).toEqual(['start', 'withdraw', 'close']);
  });

  it('refuses to build an instance whose transport section it has no maker for', () => {
    const settings = validateSettings(
      { ...base, transport: { nats: { servers: ['nats://127.0.0.1:4222'] } } },
      { kinds: defaultKinds(), env: {} },
    );
    expect(() => buildInstance(settings, { kinds: defaultKinds(), logger: silent })).toThrow(/transport\.nats/);
  });
});
