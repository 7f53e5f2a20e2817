import { describe, expect, it } from 'vitest';
import { CONSOLE_MACHINES, machineGraph } from '../../src/console/machines.js';
import { mainMachine } from '../../src/machines/main.machine.js';
import { processorMachine } from '../../src/machines/processor.machine.js';

describe('machineGraph', () => {
  it('gives every state of a machine once, parents first, and each edge between known states', () => {
    for (const machine of Object.values(CONSOLE_MACHINES)) {
      const graph = machineGraph(machine);
      const ids = graph.nodes.map((node) => node.id);
      expect(new Set(ids).size).toBe(ids.length);
      graph.nodes.forEach((node, index) => {
        if (node.parent !== null) expect(ids.indexOf(node.parent)).toBeLessThan(index);
      });
      for (const edge of graph.edges) {
        expect(ids).toContain(edge.source);
        if (edge.target !== null) expect(ids).toContain(edge.target);
      }
      for (const id of Object.values(graph.stateIds)) expect(ids).toContain(id);
    }
  });

  it('draws the lifecycle the docs name: a crash, its restart, the backoff delay', () => {
    const graph = machineGraph(processorMachine);
    const edge = (from: string, to: string) => graph.edges.find((e) => e.source === graph.stateIds[from] && e.target === graph.stateIds[to]);
    expect(edge('serving', 'draining')).toMatchObject({ event: 'proc.stopRequested', actions: ['markStopRequested'] });
    expect(graph.edges.find((e) => e.event === 'proc.crashed')).toMatchObject({ target: graph.stateIds['crashed'], actions: ['recordCrash'] });
    const restart = graph.edges.find((e) => e.source === graph.stateIds['restarting'] && e.target === 'processor.active');
    expect(restart?.label).toBe('after restartBackoff');
    expect(graph.nodes.find((n) => n.id === 'processor.active')?.initial).toBe(graph.stateIds['initializing']);
    expect(edge('initializing', 'serving')?.label).toBe('done: init');
  });

  it('draws eventless transitions too: Main goes from starting to running once all started', () => {
    const graph = machineGraph(mainMachine);
    const always = graph.edges.find((e) => e.source === graph.stateIds['starting'] && e.target === graph.stateIds['running']);
    expect(always).toMatchObject({ label: 'always', guard: 'allStarted' });
    expect(graph.edges.find((e) => e.source === 'main.stopping' && e.label === 'always')).toMatchObject({ event: '', target: graph.stateIds['stopped'], guard: 'noneLive' });
  });

  it('carries XState’s own definition', () => {
    expect(JSON.stringify(machineGraph(mainMachine).definition)).toBe(JSON.stringify(mainMachine.toJSON()));
  });
});
