import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createProsa, type Prosa } from '../../src/index.js';
import { Observability } from '../../src/observability/index.js';
import { InspectorServer } from '../../src/observability/inspector.js';
import { record, sleep } from '../support/bus.js';

let observability: Observability | undefined;
let prosa: Prosa | undefined;
afterEach(async () => {
  await prosa?.stop();
  await observability?.close();
  observability = prosa = undefined;
});

function memory(): { destination: Writable & { isTTY: boolean }; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    destination: Object.assign(stream, { isTTY: false }),
    lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const echo = { processRequest: (_service: string, request: ReturnType<typeof record>) => request };

describe('Observability', () => {
  it('wires logs, metrics and inspection into a bus, and closes them all', async () => {
    const out = memory();
    observability = await Observability.start({
      name: 'obs',
      log: { level: 'info' },
      logDestination: out.destination,
      metrics: { port: 0 },
      inspect: { port: 0 },
    });
    const inspector = observability.inspector!;
    const watcher = new WebSocket(inspector.url);
    const seen: Array<{ type: string; name?: string }> = [];
    watcher.on('message', (data) => seen.push(JSON.parse(data.toString()) as { type: string; name?: string }));
    await new Promise((resolve) => watcher.once('open', resolve));

    prosa = createProsa({ name: 'obs', ...observability.busOptions(), shutdown: { graceMs: 100, terminateTimeoutMs: 100 } });
    prosa.processor('e', { services: ['E'], adaptor: echo, logger: observability.processorLogger('e', 'warn') });
    await observability.attach(prosa);
    await expect(observability.attach(prosa)).rejects.toThrow(/already attached/);
    await prosa.start();
    for (let i = 0; i < 5; i++) await prosa.request('E', record(i));
    const endpoint = observability.endpoint!;
    expect(await (await fetch(`${endpoint.url}/metrics`)).text()).toContain('prosa_requests_total{service="E",outcome="response"} 5');
    expect((await fetch(`${endpoint.url}/health`)).status).toBe(200);
    await prosa.stop();
    await observability.close();
    await sleep(10);

    expect(seen.some((e) => e.type === '@xstate.actor' && e.name === 'main:obs')).toBe(true);
    expect(seen.some((e) => e.type === '@xstate.actor' && e.name === 'e')).toBe(true);
    const messages = out.lines().map((l) => String(l['msg']));
    expect(messages).toContain(`Stately inspector: open ${inspector.pageUrl}`);
    expect(messages).toContain(`metrics on ${endpoint.url}/metrics, health on ${endpoint.url}/health`);
    expect(out.lines().some((l) => l['proc'] === 'e')).toBe(false); // its own level: warn
    await expect(fetch(`${endpoint.url}/metrics`)).rejects.toThrow();
    await expect(fetch(inspector.pageUrl)).rejects.toThrow();
    expect(watcher.readyState).not.toBe(WebSocket.OPEN);
  });

  it('measures nothing and serves nothing without a metrics section', async () => {
    observability = await Observability.start({ name: 'bare', log: { level: 'silent' } });
    prosa = createProsa({ name: 'bare', ...observability.busOptions() });
    await observability.attach(prosa);
    expect(observability.metrics).toBeUndefined();
    expect(observability.endpoint).toBeUndefined();
    expect(observability.inspect).toBeUndefined();
  });

  it('fails to start when the inspector port is taken, and to attach when the metrics port is', async () => {
    const taken = await InspectorServer.listen({ port: 0 });
    try {
      await expect(Observability.start({ name: 'x', log: { level: 'silent' }, inspect: { port: taken.port } })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      observability = await Observability.start({ name: 'x', log: { level: 'silent' }, metrics: { port: taken.port } });
      prosa = createProsa({ name: 'x', ...observability.busOptions() });
      await expect(observability.attach(prosa)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(observability.metrics).toBeUndefined();
    } finally {
      await taken.close();
    }
  });
});
