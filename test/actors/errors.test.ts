import { afterEach, describe, expect, it } from 'vitest';
import { BusError, isServiceErrorKind, ProcessorError, ProsaError, SERVICE_ERROR_KINDS, serviceErrorCounts, ServiceError, type Prosa, type ServiceErrorKind } from '../../src/index.js';
import { HOSTILE_VALUES } from '../support/hostile.js';
import { record, testBus } from '../support/bus.js';

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

describe('the service-error kinds, listed once', () => {
  it('are the five kinds, frozen, and the counters derive from them', () => {
    expect(SERVICE_ERROR_KINDS).toEqual(['timeout', 'unreachable', 'protocol', 'overloaded', 'shutdown']);
    expect(Object.isFrozen(SERVICE_ERROR_KINDS)).toBe(true);
    const counts = serviceErrorCounts();
    expect(Object.keys(counts)).toEqual([...SERVICE_ERROR_KINDS]);
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    counts.timeout++;
    expect(serviceErrorCounts().timeout).toBe(0); // a new object each time
  });

  it("are the keys of a bus's error counters", () => {
    bus = testBus();
    expect(Object.keys(bus.stats().errors)).toEqual([...SERVICE_ERROR_KINDS]);
  });

  it('recognises a kind, and nothing else, whatever the value', () => {
    for (const kind of SERVICE_ERROR_KINDS) expect(isServiceErrorKind(kind)).toBe(true);
    for (const value of ['Timeout', 'NotFound', '', 'timeout ', 0, null, undefined, {}, ['timeout'], ...HOSTILE_VALUES.map((h) => h.make())]) {
      expect(isServiceErrorKind(value)).toBe(false);
    }
  });

  it('type: ServiceErrorKind is exactly the array', () => {
    const kind: ServiceErrorKind = SERVICE_ERROR_KINDS[0];
    // @ts-expect-error a kind outside the list does not compile
    const wrong: ServiceErrorKind = 'NotFound';
    expect([kind, wrong]).toHaveLength(2);
  });
});

describe('ProsaError: the one base of the bus errors', () => {
  const cause = new Error('underneath');

  it.each<[string, ProsaError, string, string, boolean]>([
    ['ServiceError', new ServiceError('timeout', 'S', 'p', 'no reply within 5 ms', cause), 'ServiceError', 'timeout', true],
    ['ServiceError of kind protocol', new ServiceError('protocol', 'S', undefined, 'bad'), 'ServiceError', 'protocol', false],
    ['ProcessorError', new ProcessorError('lost', { cause }), 'ProcessorError', 'AdaptorFailed', true],
    ['a fatal ProcessorError', new ProcessorError('bad config', { recoverable: false }), 'ProcessorError', 'AdaptorFailed', false],
    ['BusError', new BusError('InvalidOption', 'wrong'), 'BusError', 'InvalidOption', false],
  ])('%s has a name, a kind and a recoverable flag', (_, error, name, kind, recoverable) => {
    expect(error).toBeInstanceOf(ProsaError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.kind).toBe(kind);
    expect(error.recoverable).toBe(recoverable);
  });

  it('keeps the cause when there is one, and has none otherwise', () => {
    expect(new ServiceError('timeout', 'S', 'p', 'late', cause).cause).toBe(cause);
    expect('cause' in new ServiceError('timeout', 'S', 'p', 'late')).toBe(false);
    expect(new ProcessorError('lost', { cause }).cause).toBe(cause);
    expect('cause' in new BusError('InvalidOption', 'wrong')).toBe(false);
  });

  it('keeps ServiceError instanceof and its fields', () => {
    const error = new ServiceError('unreachable', 'PAY', 'gw', 'no provider');
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).not.toBeInstanceOf(BusError);
    expect(error.message).toBe("unreachable: service 'PAY' at processor 'gw': no provider");
    expect({ service: error.service, processor: error.processor, detail: error.detail }).toEqual({
      service: 'PAY',
      processor: 'gw',
      detail: 'no provider',
    });
  });

  it('says InitTimeout for an init that outlives initTimeoutMs, as a recoverable crash', async () => {
    bus = testBus();
    const p = bus.processor('slow', {
      initTimeoutMs: 10,
      restart: { delayMs: 10_000 },
      adaptor: { init: () => new Promise<void>(() => {}), processRequest: (_s, r) => r },
    });
    await bus.start();
    expect(await p.when('restarting')).toBe('restarting');
    expect(p.lastError).toBeInstanceOf(ProcessorError);
    expect(p.lastError).toMatchObject({ kind: 'InitTimeout', recoverable: true, message: 'init did not finish within 10 ms' });
    await expect(bus.request('X', record(1))).rejects.toMatchObject({ kind: 'unreachable' });
  });
});
