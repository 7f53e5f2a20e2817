import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { validateSettings } from '../../src/config/index.js';
import { buildInstance, type Instance } from '../../src/instance/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { Observability, type LogFormat } from '../../src/observability/index.js';
import { record, sleep, testBus } from '../support/bus.js';
import { captureLogs } from '../support/log-capture.js';
import { SimpleStringTvf, type Prosa } from '../../src/index.js';

const PAN = '4970101234567890';
const CVV = 'cvv737q'; // letters too: a bare 737 could be a pretty line's milliseconds
const EXPIRY = 'exp2912z';

let instance: Instance | undefined;
let observability: Observability | undefined;
let bus: Prosa | undefined;
afterEach(async () => {
  await instance?.stop();
  await bus?.stop();
  await observability?.close();
  instance = observability = bus = undefined;
});

function memory(): { destination: Writable & { isTTY: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { destination: Object.assign(stream, { isTTY: false }), text: () => chunks.join('') };
}

describe('a run never logs a sensitive value', () => {
  it.each<LogFormat>(['json', 'pretty'])('injector to stub at trace level, %s logs', async (format) => {
    const out = memory();
    const settings = validateSettings(
      {
        name: 'masked',
        log: { level: 'trace', format },
        services: { PAYMENT: { sensitive: [2, 14, { 10: [201] }] } },
        metrics: { port: 0 },
        processors: [
          { name: 'acquirer', kind: 'stub', settings: { services: ['PAYMENT'], errorRate: 0.2, seed: 7 } },
          {
            name: 'terminal',
            kind: 'inj',
            settings: { service: 'PAYMENT', maxSpeed: 2_000, request: { 1: 'purchase', 2: PAN, 14: EXPIRY, 10: { 201: CVV, 202: 'VISA' } } },
          },
        ],
      },
      { kinds: defaultKinds(), env: {} },
    );
    observability = await Observability.start({
      name: settings.name,
      log: settings.log,
      logDestination: out.destination,
      services: settings.services,
      metrics: settings.metrics,
    });
    instance = buildInstance(settings, { kinds: defaultKinds(), ...observability.busOptions() });
    await observability.attach(instance.prosa);
    await instance.start();
    const metrics = observability.metrics!;
    const settled = () => {
      const counts = metrics.snapshot().requests['PAYMENT'];
      return counts === undefined ? 0 : counts.response + counts.protocol;
    };
    while (settled() < 60) await sleep(10);
    const scraped = await (await fetch(`${observability.endpoint!.url}/metrics`)).text();
    expect(scraped).toMatch(/prosa_requests_total\{service="PAYMENT",outcome="response"\} [1-9]/);
    await instance.stop();
    await observability.close();

    const text = out.text();
    for (const secret of [PAN, CVV, EXPIRY]) expect(text).not.toContain(secret);
    // The records were logged, masked: requests and replies, each time.
    expect(text).toContain('*'.repeat(PAN.length));
    expect(text).toContain('VISA');
    if (format === 'json') {
      const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      const requests = lines.filter((l) => l['msg'] === 'request' && l['proc'] === 'acquirer');
      const replies = lines.filter((l) => l['msg'] === 'reply' && l['proc'] === 'acquirer');
      const failed = lines.filter((l) => l['msg'] === 'request failed' && l['proc'] === 'acquirer');
      expect(requests.length).toBeGreaterThanOrEqual(60);
      expect(replies.length + failed.length).toBe(requests.length);
      expect(failed.length).toBeGreaterThan(0);
      expect(requests[0]).toMatchObject({ service: 'PAYMENT', origin: 'terminal', payload: `{1: "purchase", 2: "${'*'.repeat(16)}", 10: {201: "*******", 202: "VISA"}, 14: "********"}` });
      expect(lines.some((l) => l['msg'] === 'registered' && l['proc'] === 'acquirer')).toBe(true);
    }
  });

  it('logs no payload at all when the bus has no maskPayload, and no request line below trace', async () => {
    const trace = captureLogs({ level: 'trace' });
    bus = testBus({ logger: trace.logger });
    bus.processor('p', { services: ['S'], adaptor: { processRequest: (_s, r) => r } });
    await bus.start();
    const tvf = new SimpleStringTvf();
    tvf.putString(2, PAN);
    await bus.request('S', tvf);
    await bus.request('S', record(1));
    const requests = trace.lines().filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(2);
    expect(requests.every((l) => !('payload' in l))).toBe(true);
    expect(trace.raw.join('')).not.toContain(PAN);
    await bus.stop();

    const debug = captureLogs({ level: 'debug' });
    bus = testBus({ logger: debug.logger, maskPayload: () => 'shown' });
    bus.processor('p', { services: ['S'], adaptor: { processRequest: (_s, r) => r } });
    await bus.start();
    await bus.request('S', record(1));
    expect(debug.lines().some((l) => l.msg === 'request' || l.msg === 'reply')).toBe(false);
  });
});
