/**
 * Secrets of the settings never reach an inspector, a log line (at trace) or an error: an
 * instance with an http-client sending `authorization: Bearer SECRET123` to a real
 * upstream, and a kind whose settings schema marks a field sensitive, run, reloaded and
 * broken, with everything they tell the world captured.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import { defineFactory, SettingsError, validateSettings, type KindRegistry } from '../../src/config/index.js';
import { buildInstance, type Instance } from '../../src/instance/index.js';
import { Observability } from '../../src/observability/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { record, sleep } from '../support/bus.js';

const SECRETS = ['SECRET123', 'SECRET789', 'vault-pass-1', 'vault-pass-2', 'vault-pass-3', 'SECRET-KEY-42'];

/** A kind whose schema marks `password` sensitive; it can be told to fail its build quoting it. */
function kindsWithVault(): KindRegistry {
  const kinds = defaultKinds();
  kinds.register(
    defineFactory({
      kind: 'vault',
      description: 'Echoes; holds a password.',
      version: '1',
      settings: z.strictObject({
        password: z.string().meta({ sensitive: true }).describe('The password.'),
        services: z.array(z.string()).default([]),
        fail: z.boolean().default(false),
      }),
      create(settings) {
        if (settings.fail) throw new Error(`cannot unlock the vault with password ${settings.password}`);
        return { services: settings.services, adaptor: { processRequest: (_service, request) => request } };
      },
    }),
  );
  return kinds;
}

function entries(upstream: string, authorization: string, password: string, fail = false) {
  return {
    name: 'secretive',
    log: { level: 'trace' },
    shutdown: { graceMs: 200, terminateTimeoutMs: 100 },
    processors: [
      {
        name: 'client',
        kind: 'http-client',
        settings: {
          url: upstream,
          headers: { authorization, 'x-api-key': 'SECRET-KEY-42' },
          services: [{ name: 'CALL', path: '/call' }],
          downAfterMs: 0,
        },
      },
      { name: 'vault', kind: 'vault', settings: { password, services: ['VAULT'], fail } },
    ],
  };
}

let upstream: Server | undefined;
let instance: Instance | undefined;
let observability: Observability | undefined;
afterEach(async () => {
  await instance?.stop();
  await observability?.close();
  await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
  upstream = instance = observability = undefined;
});

async function startUpstream(seen: IncomingHttpHeaders[]): Promise<string> {
  upstream = createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"1": 7}'));
  });
  await new Promise<void>((resolve) => upstream!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}

function expectNoSecret(what: string, text: string): void {
  for (const secret of SECRETS) expect(text.includes(secret), `${what} carries ${secret}: ${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 50)}`).toBe(false);
}

describe('secrets of the settings', () => {
  it('reach no inspector message, no log line at trace, no error and no reload report', async () => {
    const kinds = kindsWithVault();
    const seen: IncomingHttpHeaders[] = [];
    const url = await startUpstream(seen);
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    observability = await Observability.start({
      name: 'secretive',
      log: { level: 'trace', format: 'json' },
      logDestination: destination,
      inspect: { port: 0, requests: true },
    });
    const messages: string[] = [];
    const viewer = new WebSocket(observability.inspector!.url);
    viewer.on('message', (data) => messages.push(data.toString()));
    await new Promise((resolve, reject) => viewer.once('open', resolve).once('error', reject));

    const settings = validateSettings(entries(url, 'Bearer SECRET123', 'vault-pass-1'), { kinds, env: {} });
    instance = buildInstance(settings, { kinds, ...observability.busOptions() });
    await instance.start();
    for (let i = 0; i < 3; i++) await instance.prosa.request('CALL', record(i));
    await instance.prosa.request('VAULT', record(9));
    expect(seen.map((headers) => headers.authorization)).toContain('Bearer SECRET123'); // the secret did go out, where it belongs

    const errors: string[] = [];
    const replaced = await instance.apply(validateSettings(entries(url, 'Bearer SECRET789', 'vault-pass-2'), { kinds, env: {} }));
    expect(replaced.replaced).toEqual(['client', 'vault']);
    const broken = await instance.apply(validateSettings(entries(url, 'Bearer SECRET789', 'vault-pass-3', true), { kinds, env: {} }), {
      timeoutMs: 500,
    });
    expect(broken.failed.map((f) => f.processor)).toContain('vault');
    errors.push(JSON.stringify(replaced), JSON.stringify(broken), ...broken.failed.map((f) => f.error));
    for (const info of instance.directives.instances()) {
      for (const failure of info.errors) {
        const error = failure.error as Error & { cause?: Error };
        errors.push(info.name, error.message, String(error.stack), String(error.cause?.message), String(error.cause?.stack));
      }
    }
    await instance.stop();
    await observability.close();
    await sleep(20);
    viewer.close();

    expect(messages.length).toBeGreaterThan(50);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.some((line) => line.includes('"msg":"request"'))).toBe(true); // trace lines were on
    expectNoSecret('an inspector message', messages.join('\n'));
    expectNoSecret('a log line', lines.join(''));
    expectNoSecret('an error', errors.join('\n'));
    // Every actor has a short name, whatever the settings hold.
    const names = messages.map((m) => JSON.parse(m) as { type: string; name?: string }).filter((m) => m.type === '@xstate.actor');
    for (const { name } of names) expect(name!.length, name).toBeLessThanOrEqual(80);
  });

  it('reach no error when a factory quotes them, nor the issues of the build', async () => {
    const kinds = kindsWithVault();
    const url = await startUpstream([]);
    const settings = validateSettings(entries(url, 'Bearer SECRET123', 'vault-pass-3', true), { kinds, env: {} });
    const lines: string[] = [];
    const { createLogger } = await import('../../src/observability/index.js');
    const logger = createLogger({
      name: 'x',
      level: 'trace',
      format: 'json',
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    let thrown: unknown;
    try {
      buildInstance(settings, { kinds, logger });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SettingsError);
    const error = thrown as SettingsError;
    expect(error.message).toContain("processors[1].settings: expected settings kind 'vault' can build a processor from");
    expectNoSecret('the build error', `${error.message}\n${JSON.stringify(error.issues)}`);
    await sleep(10);
    expectNoSecret('a log line', lines.join(''));
  });
});
