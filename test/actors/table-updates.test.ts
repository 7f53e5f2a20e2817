import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { BusError, type Adaptor, type Prosa, type ServiceTableView } from '../../src/index.js';
import { captureLogs } from '../support/log-capture.js';
import { record, sleep, testBus, until } from '../support/bus.js';
import { EchoRemote, HandTransport } from '../support/remote.js';

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

const echo = { processRequest: (_service: string, request: never) => request };

/** An adaptor that records the table version of each `serviceTableChanged` call. */
function listening(told: number[], extra: Partial<Adaptor> = {}): Adaptor {
  return { ...echo, ...extra, serviceTableChanged: (table: ServiceTableView) => void told.push(table.version) };
}

/**
 * The inspection events (actor events and snapshots, of every actor of the bus) that one
 * table change causes on a running bus of `processors` processors that did not ask to be
 * told of table changes, and one that did.
 */
async function workOfOneChange(processors: number): Promise<{ work: number; told: number[]; version: number }> {
  let events = 0;
  const inspect = (event: InspectionEvent) => {
    if (event.type === '@xstate.event' || event.type === '@xstate.snapshot') events++;
  };
  bus = testBus({ inspect });
  for (let i = 0; i < processors; i++) bus.processor(`p${i}`, { services: [`S${i}`], adaptor: echo });
  const told: number[] = [];
  bus.processor('listener', { adaptor: listening(told) });
  const transport = new HandTransport();
  bus.attachTransport(transport);
  await bus.start();
  await sleep(5); // the start's own table changes are told
  events = 0;
  told.length = 0;
  transport.host!.addRemote('FAR', new EchoRemote());
  await sleep(5); // the change is told, on a later turn
  const result = { work: events, told: [...told], version: bus.serviceTable.version };
  await bus.stop();
  bus = undefined;
  return result;
}

describe('table updates: a change costs O(processors that asked)', () => {
  it('costs the same work on a bus of N and of 4N processors that did not ask', async () => {
    const small = await workOfOneChange(25);
    const large = await workOfOneChange(100);
    expect(large.work).toBe(small.work);
    // The one that asked was told, once, of the new table (the event to its mailbox is the work).
    expect(small.told).toEqual([small.version]);
    expect(large.told).toEqual([large.version]);
    expect(small.work).toBeGreaterThan(0);
  });
});

describe('table updates: serviceTableChanged', () => {
  it('tells a processor of the table once it serves, then once per batch of changes, on a later turn', async () => {
    bus = testBus();
    const told: number[] = [];
    bus.processor('listener', { adaptor: listening(told) });
    await bus.start();
    await until(() => told.length === 1);
    expect(told).toEqual([bus.serviceTable.version]); // no change yet: the table as it is
    const transport = new HandTransport();
    bus.attachTransport(transport);
    await until(() => transport.host !== undefined);
    for (const service of ['A', 'B', 'C']) transport.host!.addRemote(service, new EchoRemote());
    expect(told).toHaveLength(1); // never inside a write
    await until(() => told.length === 2);
    await sleep(5);
    expect(told).toEqual([told[0], bus.serviceTable.version]); // three changes, one call
  });

  it('tells of its own services joining, and stops telling once it stops serving', async () => {
    bus = testBus();
    const told: number[] = [];
    const listener = bus.processor('listener', { services: ['MINE'], adaptor: listening(told) });
    await bus.start();
    await until(() => told.length > 0);
    const seen = told.length;
    expect(told.at(-1)).toBe(bus.serviceTable.version);
    bus.processor('other', { services: ['OTHER'], adaptor: echo });
    await until(() => told.length > seen);
    await bus.remove('listener');
    expect(listener.state).toBe('stopped');
    const after = told.length;
    bus.processor('third', { services: ['THIRD'], adaptor: echo });
    await sleep(10);
    expect(told).toHaveLength(after);
  });

  it('logs a hook that throws or rejects, and the processor keeps serving', async () => {
    const logs = captureLogs({ level: 'warn' });
    bus = testBus({ logger: logs.logger });
    let calls = 0;
    bus.processor('throws', {
      services: ['T'],
      adaptor: {
        ...echo,
        serviceTableChanged: () => {
          calls++;
          throw new Error('no table for me');
        },
      },
    });
    bus.processor('rejects', {
      adaptor: { ...echo, serviceTableChanged: () => Promise.reject(new Error('nor for me')) },
    });
    bus.processor('hostile', {
      adaptor: {
        ...echo,
        serviceTableChanged: () =>
          ({
            get then() {
              throw new Error('a then that throws');
            },
          }) as unknown as Promise<void>,
      },
    });
    await bus.start();
    await until(() => logs.lines().filter((l) => String(l.msg).startsWith('serviceTableChanged failed')).length === 3);
    expect(calls).toBeGreaterThan(0);
    const messages = logs.lines().map((l) => l.msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        'serviceTableChanged failed: no table for me',
        'serviceTableChanged failed: nor for me',
        'serviceTableChanged failed: a then that throws',
      ]),
    );
    expect(await bus.request('T', record(1))).toBeDefined();
    expect(bus.get('throws')!.state).toBe('serving');
  });

  it('refuses a serviceTableChanged that is not a function, naming it', () => {
    bus = testBus();
    expect(() => bus!.processor('bad', { adaptor: { ...echo, serviceTableChanged: 42 as never } })).toThrow(
      expect.objectContaining({ kind: 'InvalidOption', message: expect.stringContaining('adaptor.serviceTableChanged') }),
    );
    expect(() => bus!.processor('bad', { adaptor: { ...echo, serviceTableChanged: 'x' as never } })).toThrow(BusError);
  });
});
