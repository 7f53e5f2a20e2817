/**
 * The README's two-instance demo, run with the real `prosa` command: a provider and a
 * caller, each `prosa run` on its example settings file, linked through a real
 * nats-server; the caller's injector is served across NATS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/cli/summary.js';
import { prosa, start } from '../cli/command.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('prosa run with transport.nats', () => {
  it('serves the caller of examples/nats-caller.yaml from the provider of examples/nats-provider.yaml', async () => {
    const env = { PROSA__TRANSPORT__NATS__SERVERS: `[${server.url}]`, PROSA__TRANSPORT__NATS__HEARTBEAT_MS: '200' };
    const provider = start(['run', 'examples/nats-provider.yaml', '--json'], { ...env, PROSA__LOG__LEVEL: 'debug' });
    try {
      await provider.waitForStderr(/NATS link connected/);
      const caller = await prosa(['run', 'examples/nats-caller.yaml', '--duration', '2', '--json'], {
        ...env,
        PROSA__PROCESSORS__INJ__SETTINGS__MAX_SPEED: '20',
      });
      expect(caller.code, caller.stderr).toBe(0);
      const summary = JSON.parse(caller.stdout) as RunSummary;
      expect(summary.responses).toBeGreaterThan(10);
      expect(summary.errorCount).toBe(0);
      expect(caller.stderr).toMatch(/"peerName":"provider".*"msg":"instance joined"/);
      // the provider saw each request come from the caller's instance, and answered it
      await provider.waitForStderr(/"origin":"caller-[0-9a-f]+\/inj".*"msg":"remote request taken"/);
      expect(provider.child.exitCode).toBeNull();
    } finally {
      provider.child.kill('SIGTERM');
    }
    const ended = await provider.finished;
    expect(ended.code, ended.stderr).toBe(0);
    expect((JSON.parse(ended.stdout) as RunSummary).responses).toBeGreaterThan(10);
  });

  it('exits 1 with one line naming the servers when NATS cannot be reached', async () => {
    const result = await prosa(['run', 'examples/nats-provider.yaml', '--duration', '1'], {
      PROSA__TRANSPORT__NATS__SERVERS: '[nats://127.0.0.1:1]',
      PROSA__TRANSPORT__NATS__TIMEOUT: '500',
      PROSA__LOG__LEVEL: 'silent',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/prosa: transport 'nats': cannot connect to nats:\/\/127\.0\.0\.1:1/);
  });

  it('validates the transport section with the rest of the settings', async () => {
    const result = await prosa(['validate', 'examples/nats-caller.yaml'], {
      PROSA__TRANSPORT__NATS__HEARTBEAT_MS: '1',
      PROSA__TRANSPORT__NATS__PREFER: 'nearest',
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('transport.nats.heartbeatMs');
    expect(result.stderr).toContain('transport.nats.prefer');
  });
});
