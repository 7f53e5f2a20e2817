/**
 * The console page's pure parts, apart from any browser: the colors of ProSA's graph, the
 * instance graph's elements (whatever the names, the providers and their order), the
 * machine drawn from its definition, the figures history behind the charts, and the
 * event filter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SERVICE_ERROR_KINDS, serviceErrorCounts } from '../../src/actors/errors.js';
import type { FiguresTick } from '../../src/console/figures.js';
import { CONSOLE_MACHINES, machineGraph } from '../../src/console/machines.js';
import type { ConsoleEvent, ProcessorView, ServicesView } from '../../src/console/model.js';
import { PROCESSOR_STATES, type ProcessorState } from '../../src/machines/processor.machine.js';
import { processorColor, serviceColor } from '../../src/console/ui/colors.js';
import { describeEvent, eventMatches } from '../../src/console/ui/event-filter.js';
import { ALL_SERVICES, FiguresHistory } from '../../src/console/ui/figures-history.js';
import { instanceElements, shapeKey, type InstanceElement } from '../../src/console/ui/instance-graph.js';
import { activeStates, machineElements } from '../../src/console/ui/machine-graph.js';

const RUNS = Number(process.env.PROSA_PROPERTY_RUNS ?? 60);

function processor(name: string, state: ProcessorState, restarts = 0, services: string[] = []): ProcessorView {
  return { name, kind: 'stub', state, stateId: null, since: '2026-12-01T00:00:00.000Z', services, restarts, crashes: restarts, threads: 0, inFlight: 0, lastError: null };
}

const nodes = (elements: InstanceElement[]) => elements.filter((element) => element.group === 'nodes').map((element) => element.data);
const edges = (elements: InstanceElement[]) => elements.filter((element) => element.group === 'edges').map((element) => element.data as { id: string; source: string; target: string; color: string });

describe('console page: colors', () => {
  it('colors processors as ProSA does: green serving, orange serving once restarted, red crashed/restarting/failed, grey otherwise', () => {
    const expected: Record<ProcessorState, [string, string]> = {
      created: ['grey', 'grey'],
      initializing: ['grey', 'grey'],
      serving: ['green', 'orange'],
      draining: ['grey', 'grey'],
      terminating: ['grey', 'grey'],
      stopped: ['grey', 'grey'],
      crashed: ['red', 'red'],
      restarting: ['red', 'red'],
      failed: ['red', 'red'],
    } as Record<ProcessorState, [string, string]>;
    for (const state of PROCESSOR_STATES) {
      expect([processorColor({ state, restarts: 0 }), processorColor({ state, restarts: 2 })], state).toEqual(expected[state]);
    }
    expect(serviceColor({ provided: true })).toBe('green');
    expect(serviceColor({ provided: false })).toBe('grey');
  });
});

describe('console page: the instance graph', () => {
  it('puts processors in their instance, links each to the services it declares, and remote providers per NATS instance', () => {
    const services: ServicesView = {
      version: 3,
      services: [
        { name: 'ECHO', provided: true, providers: [{ processor: 'stub-1', remote: false }, { processor: 'nats', remote: true, instances: ['east', 'west'] }], declaredBy: ['stub-1'] },
        { name: 'QUOTE', provided: false, providers: [], declaredBy: ['flaky'] },
        { name: 'FAR', provided: true, providers: [{ processor: 'nats', remote: true }], declaredBy: [] },
      ],
    };
    const elements = instanceElements('here', [processor('stub-1', 'serving', 0, ['ECHO']), processor('flaky', 'crashed', 1, ['QUOTE']), processor('nats', 'serving')], services);
    expect(nodes(elements).map((node) => [node.id, node.kind, node.parent ?? null, node.color ?? null])).toEqual([
      ['instance:here', 'instance', null, null],
      ['processor:stub-1', 'processor', 'instance:here', 'green'],
      ['processor:flaky', 'processor', 'instance:here', 'red'],
      ['processor:nats', 'processor', 'instance:here', 'green'],
      ['service:ECHO', 'service', null, 'green'],
      ['service:QUOTE', 'service', null, 'grey'],
      ['service:FAR', 'service', null, 'green'],
      ['remote:east', 'remote', null, 'green'],
      ['remote:west', 'remote', null, 'green'],
      ['remote:nats', 'remote', null, 'green'],
    ]);
    expect(edges(elements).map((edge) => [edge.source, edge.target, edge.color])).toEqual([
      ['processor:stub-1', 'service:ECHO', 'green'],
      ['remote:east', 'service:ECHO', 'green'],
      ['remote:west', 'service:ECHO', 'green'],
      ['processor:flaky', 'service:QUOTE', 'grey'],
      ['remote:nats', 'service:FAR', 'green'],
    ]);
  });

  it('whatever the names, states and providers: ids unique, every edge between drawn nodes, one node per processor in its color, shape stable across state changes', () => {
    const name = fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('a:b', 'x->y', 'processor:p', 'service:s', '<b>', '💥'));
    const state = fc.constantFrom(...PROCESSOR_STATES);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name, state, restarts: fc.nat(3) }), { selector: (p) => p.name, maxLength: 6 }),
        fc.uniqueArray(name, { maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(20), fc.nat(20), fc.boolean(), fc.array(name, { maxLength: 3 })), { maxLength: 12 }),
        fc.array(state, { minLength: 6, maxLength: 6 }),
        (procs, serviceNames, links, later) => {
          const views = procs.map((p) => processor(p.name, p.state, p.restarts));
          // Providers and declarers in any order, some naming processors that are not here.
          const services: ServicesView = {
            version: 1,
            services: serviceNames.map((service) => ({ name: service, provided: false, providers: [], declaredBy: [] })),
          };
          for (const [s, p, remote, instances] of links) {
            const service = services.services[s % Math.max(1, services.services.length)];
            if (service === undefined) continue;
            const who = views[p % Math.max(1, views.length)]?.name ?? 'elsewhere';
            service.providers.push(remote ? { processor: who, remote: true, instances } : { processor: who, remote: false });
            service.provided = true;
            if (!remote) service.declaredBy.push(who);
          }
          const elements = instanceElements('me', views, services);
          const ids = elements.map((element) => element.data.id);
          expect(new Set(ids).size).toBe(ids.length);
          const nodeIds = new Set(nodes(elements).map((node) => node.id));
          for (const edge of edges(elements)) {
            expect(nodeIds.has(edge.source) && nodeIds.has(edge.target)).toBe(true);
            expect(edge.id).toBe(`${edge.source}->${edge.target}`);
          }
          for (const view of views) {
            const drawn = nodes(elements).filter((node) => node.kind === 'processor' && node.name === view.name);
            expect(drawn.map((node) => node.color)).toEqual([processorColor(view)]);
          }
          // States changing (colors, labels) keep the shape: no new layout.
          const moved = views.map((view, i) => ({ ...view, state: later[i]!, restarts: view.restarts + 1 }));
          expect(shapeKey(instanceElements('me', moved, services))).toBe(shapeKey(elements));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('console page: the lifecycle machine', () => {
  const graph = machineGraph(CONSOLE_MACHINES['processor']!);

  it('draws every state but the root, compound states as parents, and transitions that go somewhere, once each', () => {
    const elements = machineElements(graph);
    const states = elements.filter((element) => element.group === 'nodes').map((element) => element.data);
    expect(states.map((state) => state.id).sort()).toEqual(graph.nodes.filter((node) => node.parent !== null).map((node) => node.id).sort());
    expect(states.find((state) => state.id === 'processor.active.serving')).toMatchObject({ parent: 'processor.active', label: 'serving' });
    expect(states.find((state) => state.id === 'processor.crashed')?.parent).toBeUndefined();
    const ids = new Set(states.map((state) => state.id));
    const transitions = elements.filter((element) => element.group === 'edges').map((element) => element.data as { id: string; source: string; target: string });
    expect(transitions.length).toBeGreaterThan(5);
    expect(new Set(transitions.map((edge) => edge.id)).size).toBe(transitions.length);
    for (const edge of transitions) expect(ids.has(edge.source) && ids.has(edge.target)).toBe(true);
    expect(transitions.some((edge) => edge.target === 'processor.crashed')).toBe(true);
  });

  it('highlights a state and the states it is inside, innermost first; nothing for no state', () => {
    expect(activeStates(graph, 'processor.active.serving')).toEqual(['processor.active.serving', 'processor.active']);
    expect(activeStates(graph, 'processor.crashed')).toEqual(['processor.crashed']);
    expect(activeStates(graph, null)).toEqual([]);
    expect(activeStates(graph, 'no.such.state')).toEqual([]);
  });
});

function tick(second: number, services: Record<string, { requests: number; errors?: Partial<Record<string, number>>; p50?: number }>): FiguresTick {
  const out: FiguresTick['services'] = {};
  const totals = { requests: 0, perSecond: 0, responses: 0, errors: serviceErrorCounts() };
  for (const [name, figures] of Object.entries(services)) {
    const errors = { ...serviceErrorCounts(), ...figures.errors };
    const failed = Object.values(errors).reduce((a, b) => a + b, 0);
    out[name] = { requests: figures.requests, perSecond: figures.requests * 2, responses: figures.requests - failed, errors, latencyMs: { count: figures.p50 === undefined ? 0 : 4, p50: figures.p50 ?? 0, p90: (figures.p50 ?? 0) * 2, p99: (figures.p50 ?? 0) * 3, max: 9 } };
    totals.requests += figures.requests;
    totals.perSecond += figures.requests * 2;
    for (const kind of SERVICE_ERROR_KINDS) totals.errors[kind] += errors[kind];
  }
  return { at: new Date(Date.UTC(2026, 11, 1, 0, 0, second)).toISOString(), intervalMs: 500, inFlight: 0, totals, services: out, process: {} as FiguresTick['process'] };
}

describe('console page: the figures behind the charts', () => {
  it('keeps the last ticks only, and gives rates per service, errors per second by kind, and latency where timed', () => {
    const history = new FiguresHistory(3);
    history.reset([tick(0, { A: { requests: 1 } })]);
    history.push(tick(1, { A: { requests: 10, errors: { timeout: 2 }, p50: 1 }, B: { requests: 4 } }));
    history.push(tick(2, { B: { requests: 6, errors: { protocol: 1 } } }));
    history.push(tick(3, { A: { requests: 8, p50: 2 } }));
    expect(history.size).toBe(3);
    expect(history.last?.at).toBe('2026-12-01T00:00:03.000Z');
    const t0 = Date.UTC(2026, 11, 1) / 1000;
    expect(history.requestRates()).toEqual({ labels: ['A', 'B', 'total'], data: [[t0 + 1, t0 + 2, t0 + 3], [20, null, 16], [8, 12, null], [28, 12, 16]] });
    expect(history.requestRates(1).labels).toEqual(['A', 'total']);
    const errors = history.errorRates('A');
    expect(errors.labels).toEqual([...SERVICE_ERROR_KINDS]);
    expect(errors.data[1 + SERVICE_ERROR_KINDS.indexOf('timeout')]).toEqual([4, null, 0]);
    expect(history.errorRates(ALL_SERVICES).data[1 + SERVICE_ERROR_KINDS.indexOf('protocol')]).toEqual([0, 2, 0]);
    expect(history.latency('A')).toEqual({ labels: ['A p50', 'A p90', 'A p99'], data: [[t0 + 1, t0 + 2, t0 + 3], [1, null, 2], [2, null, 4], [3, null, 6]] });
    history.reset(Array.from({ length: 10 }, (_, i) => tick(i, {})));
    expect(history.size).toBe(3);
    expect(history.services()).toEqual([]);
  });
});

describe('console page: the event filter', () => {
  const events: ConsoleEvent[] = [
    { id: 1, at: '2026-12-01T00:00:00.000Z', type: 'processor.state', processor: 'flaky', state: 'crashed', previous: 'serving', cause: 'lost the link' },
    { id: 2, at: '2026-12-01T00:00:01.000Z', type: 'main.state', state: 'running' },
    { id: 3, at: '2026-12-01T00:00:02.000Z', type: 'settings.applied', changes: { started: ['new-1'], stopped: [], replaced: ['stub-1'], unchanged: ['x'], failed: [{ processor: 'bad', error: 'no port' }], restartNeeded: [] } },
    { id: 4, at: '2026-12-01T00:00:03.000Z', type: 'settings.refused', cause: 'processors[0].kind: unknown' },
    { id: 5, at: '2026-12-01T00:00:04.000Z', type: 'processor.removed', processor: 'old', state: 'stopped' },
  ];

  it('describes each event type in one line', () => {
    expect(events.map(describeEvent)).toEqual([
      'flaky: serving → crashed (lost the link)',
      'instance running',
      'settings applied: started: new-1; replaced: stub-1; failed: bad (no port)',
      'settings refused: processors[0].kind: unknown',
      'old removed (stopped)',
    ]);
  });

  it('filters by type and by words that must all appear, in any case', () => {
    const ids = (type: string, text: string) => events.filter((event) => eventMatches(event, { type, text })).map((event) => event.id);
    expect(ids('', '')).toEqual([1, 2, 3, 4, 5]);
    expect(ids('processor.state', '')).toEqual([1]);
    expect(ids('', 'FLAKY crashed')).toEqual([1]);
    expect(ids('', 'flaky running')).toEqual([]);
    expect(ids('', 'settings')).toEqual([3, 4]);
    expect(ids('main.state', 'stub-1')).toEqual([]);
    expect(ids('', '   ')).toEqual([1, 2, 3, 4, 5]);
  });
});
