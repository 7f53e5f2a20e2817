import { afterEach, describe, expect, it } from 'vitest';
import { ProcessorError, type ProcessorContext, type Prosa } from '../../src/index.js';
import { captureLogs, type LogLine } from '../support/log-capture.js';
import { record, sleep, testBus } from '../support/bus.js';

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

const echo = { processRequest: (_service: string, request: ReturnType<typeof record>) => request };
const INFO = 30;
const WARN = 40;
const ERROR = 50;

/** Lines of processor `proc` at info or above, as `level msg`. */
function lifecycle(lines: LogLine[], proc: string): string[] {
  return lines.filter((l) => l.proc === proc && l.level >= INFO).map((l) => `${l.level} ${l.msg}`);
}

describe('lifecycle logs', () => {
  it('logs registered, crashed with its cause, restarting in N ms, registered, stopped: once each, at their levels', async () => {
    const { logger, lines } = captureLogs({ level: 'info' });
    bus = testBus({ logger });
    let ctx: ProcessorContext | undefined;
    const flaky = bus.processor('flaky', {
      services: ['F'],
      restart: { delayMs: 15 },
      adaptor: { init: (c) => void (ctx = c), processRequest: echo.processRequest },
    });
    await bus.start();
    ctx!.fail(new Error('link lost'));
    await flaky.when('restarting');
    await flaky.when('serving');
    await bus.stop();
    bus = undefined;
    expect(lifecycle(lines(), 'flaky')).toEqual([
      `${INFO} registered`,
      `${WARN} crashed: link lost`,
      `${INFO} restarting in 15 ms`,
      `${INFO} registered`,
      `${INFO} stopped`,
    ]);
    const crashed = lines().find((l) => l.msg === 'crashed: link lost')!;
    expect(crashed).toMatchObject({ from: 'serving', recoverable: true, err: { message: 'link lost' } });
    expect(lines().find((l) => l.msg === 'restarting in 15 ms')).toMatchObject({ delayMs: 15, attempt: 1 });
    expect(lines().find((l) => l.msg === 'registered')).toMatchObject({ services: ['F'] });
  });

  it('logs a fatal crash, then failed with the reason, at error', async () => {
    const { logger, lines } = captureLogs({ level: 'info' });
    bus = testBus({ logger });
    bus.processor('doomed', {
      adaptor: {
        init: () => {
          throw new ProcessorError('bad key file', { recoverable: false });
        },
        processRequest: echo.processRequest,
      },
    });
    await bus.start();
    await bus.get('doomed')!.when('failed');
    expect(lifecycle(lines(), 'doomed')).toEqual([`${WARN} crashed: bad key file`, `${ERROR} failed: fatal error: bad key file`]);
  });

  it('says when the restart budget is spent', async () => {
    const { logger, lines } = captureLogs({ level: 'info' });
    bus = testBus({ logger });
    bus.processor('flapping', {
      restart: { delayMs: 1, maxRestarts: 1 },
      adaptor: {
        init: () => {
          throw new Error('refused');
        },
        processRequest: echo.processRequest,
      },
    });
    await bus.start();
    await bus.get('flapping')!.when('failed');
    const failed = lines().filter((l) => l.level === ERROR);
    expect(failed.map((l) => l.msg)).toEqual(['failed: restart budget spent (2 crashes within 60000 ms): refused']);
  });

  it('logs passing states at debug only', async () => {
    const quiet = captureLogs({ level: 'info' });
    bus = testBus({ logger: quiet.logger });
    bus.processor('a', { adaptor: echo });
    await bus.start();
    expect(quiet.lines().some((l) => l.msg === 'initializing')).toBe(false);
    await bus.stop();
    const verbose = captureLogs({ level: 'debug' });
    bus = testBus({ logger: verbose.logger });
    bus.processor('a', { adaptor: echo });
    await bus.start();
    await sleep(1);
    await bus.stop();
    const debug = verbose.lines().filter((l) => l.proc === 'a' && l.level === 20).map((l) => l.msg);
    expect(debug).toEqual(expect.arrayContaining(['initializing', 'draining', 'terminating']));
  });
});

describe('Prosa.observe', () => {
  it('adds observers after creation, fans out to each, and removes them', async () => {
    bus = testBus();
    bus.processor('e', { services: ['E'], adaptor: echo });
    await bus.start();
    const first: string[] = [];
    const second: string[] = [];
    const offFirst = bus.observe({ requestSettled: (service, outcome) => first.push(`${service}:${outcome}`) });
    await bus.request('E', record(1));
    const offSecond = bus.observe({ requestSettled: (service, outcome) => second.push(`${service}:${outcome}`) });
    await bus.request('E', record(2));
    await bus.request('NOPE', record(3)).catch(() => undefined);
    offFirst();
    offFirst();
    await bus.request('E', record(4));
    offSecond();
    await bus.request('E', record(5));
    expect(first).toEqual(['E:response', 'E:response', 'NOPE:unreachable']);
    expect(second).toEqual(['E:response', 'NOPE:unreachable', 'E:response']);
  });

  it('times about 1 request in latencySampleEvery, as often as the most demanding observer asks', async () => {
    bus = testBus();
    bus.processor('e', { services: ['E'], adaptor: echo });
    await bus.start();
    const sampled: number[] = [];
    const every: number[] = [];
    const send = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => bus!.request('E', record(i + j))));
    };
    const offSampled = bus.observe({ latencySampleEvery: 8, requestSettled: (_s, _o, elapsedMs) => sampled.push(elapsedMs) });
    await send(800);
    const timed = sampled.filter((ms) => !Number.isNaN(ms));
    expect(sampled).toHaveLength(800);
    expect(timed.length).toBeGreaterThan(50); // about 100 (gaps uniform in 1..15)
    expect(timed.length).toBeLessThan(200);
    expect(timed.every((ms) => ms >= 0 && ms < 1_000)).toBe(true);
    const offEvery = bus.observe({ requestSettled: (_s, _o, elapsedMs) => every.push(elapsedMs) });
    sampled.length = 0;
    await send(100);
    expect(every.filter((ms) => ms >= 0)).toHaveLength(100); // no latencySampleEvery: every request timed
    expect(sampled.filter((ms) => ms >= 0)).toHaveLength(100);
    offEvery();
    sampled.length = 0;
    await send(800);
    expect(sampled.filter((ms) => ms >= 0).length).toBeLessThan(200); // sampling again
    await bus.request('NOPE', record(0)).catch(() => undefined);
    expect(sampled.at(-1)).toBe(0); // refused at once: 0, as before
    offSampled();
  });
});
