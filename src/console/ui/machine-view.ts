/**
 * The selected processor's lifecycle machine, drawn from the machine definition the API
 * gives (`/api/v1/machines/processor`): its states (compound ones around their children)
 * and transitions laid out by ELK, the current state filled, the states it is inside
 * outlined, and the transitions it may take now labelled with their events.
 */
import cytoscape from 'cytoscape';
import { ELK_LAYOUT } from './graph-view.js';
import { activeStates, machineElements } from './machine-graph.js';
import type { MachineGraph } from '../machines.js';

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: { label: 'data(label)', 'font-size': 11, 'text-valign': 'center', 'text-halign': 'center', shape: 'round-rectangle', 'background-color': '#ffffff', 'border-width': 1, 'border-color': '#8c959f', width: 96, height: 30 },
  },
  { selector: 'node[type = "final"]', style: { 'border-width': 3, 'border-style': 'double' } },
  { selector: ':parent', style: { 'text-valign': 'top', 'background-color': '#f6f8fa', 'border-style': 'dashed', 'font-weight': 'bold' } },
  { selector: 'node.inside', style: { 'border-color': '#0969da', 'border-width': 2 } },
  { selector: 'node.current', style: { 'background-color': '#0969da', color: '#ffffff', 'border-color': '#0969da', 'font-weight': 'bold' } },
  {
    selector: 'edge',
    style: { width: 1, 'curve-style': 'bezier', 'line-color': '#d0d7de', 'target-arrow-color': '#d0d7de', 'target-arrow-shape': 'triangle' },
  },
  {
    // The ways out of the current state (and of the states it is inside) are labelled: the events it may take now.
    selector: 'edge.next',
    style: { width: 1.5, label: 'data(label)', 'font-size': 9, color: '#0969da', 'text-background-color': '#ffffff', 'text-background-opacity': 0.9, 'line-color': '#0969da', 'target-arrow-color': '#0969da', 'text-rotation': 'autorotate' },
  },
];

/** The lifecycle machine in `container`. */
export class MachineView {
  private readonly cy: cytoscape.Core;
  private current: string[] = [];

  constructor(container: HTMLElement, private readonly graph: MachineGraph) {
    this.cy = cytoscape({ container, style: STYLE, minZoom: 0.2, maxZoom: 2, autoungrabify: true, elements: machineElements(graph) as cytoscape.ElementDefinition[] });
    // Top down, in the definition's order: the initial state first, cycles (restarts) broken by model order.
    const elk = { ...ELK_LAYOUT.elk, 'elk.direction': 'DOWN', 'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER', 'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES' };
    this.cy.layout({ ...ELK_LAYOUT, elk } as unknown as cytoscape.LayoutOptions).run();
  }

  /** Highlights the state `stateId` (a node id of the graph; none for `null`). */
  highlight(stateId: string | null): void {
    const active = activeStates(this.graph, stateId);
    this.cy.batch(() => {
      this.cy.nodes().removeClass('current inside');
      this.cy.edges().removeClass('next');
      active.forEach((id, i) => {
        const node = this.cy.getElementById(id);
        node.addClass(i === 0 ? 'current' : 'inside');
        node.outgoers('edge').addClass('next');
      });
    });
    this.current = active;
  }

  /** The node id of the highlighted state, if any. */
  get currentState(): string | null {
    return this.current[0] ?? null;
  }
}
