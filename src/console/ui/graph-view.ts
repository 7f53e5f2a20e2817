/**
 * The instance graph on the page: cytoscape draws {@link instanceElements}, laid out by
 * ELK (layered, left to right). A change of colors or labels updates the elements in
 * place; a change of the graph's shape (a processor or service added or removed) lays it
 * out again.
 */
import cytoscape from 'cytoscape';
import elk from 'cytoscape-elk';
import { COLOR_VALUES } from './colors.js';
import { instanceElements, shapeKey, type InstanceElement } from './instance-graph.js';
import type { ProcessorView, ServicesView } from '../model.js';

cytoscape.use(elk);

/** ELK's options for both graphs: layered, compound nodes laid out with their children. */
export const ELK_LAYOUT = {
  name: 'elk',
  fit: true,
  padding: 16,
  nodeDimensionsIncludeLabels: true,
  elk: { algorithm: 'layered', 'elk.direction': 'RIGHT', 'elk.hierarchyHandling': 'INCLUDE_CHILDREN', 'elk.layered.spacing.nodeNodeBetweenLayers': 60, 'elk.spacing.nodeNode': 24 },
} as const;

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'text-wrap': 'wrap',
      'text-valign': 'center',
      'text-halign': 'center',
      'font-size': 11,
      color: '#ffffff',
      'background-color': 'data(colorValue)',
      width: 150,
      height: 42,
    },
  },
  { selector: 'node[kind = "processor"]', style: { shape: 'round-rectangle' } },
  { selector: 'node[kind = "service"]', style: { shape: 'ellipse', width: 110 } },
  { selector: 'node[kind = "remote"]', style: { shape: 'hexagon', width: 120 } },
  {
    selector: 'node[kind = "instance"]',
    style: { 'background-color': '#eef2f6', 'border-color': '#8c959f', 'border-style': 'dashed', 'border-width': 1, color: '#1f2328', 'text-valign': 'top', 'text-halign': 'center', 'font-weight': 'bold', shape: 'round-rectangle' },
  },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#0969da' } },
  {
    selector: 'edge',
    style: { width: 2, 'curve-style': 'bezier', 'line-color': 'data(colorValue)', 'target-arrow-color': 'data(colorValue)', 'target-arrow-shape': 'triangle' },
  },
];

/** What the test hook and the curious read of a node. */
export interface GraphNode {
  id: string;
  kind: string;
  name: string;
  color: string | undefined;
}

/** The instance graph in `container`. */
export class InstanceGraphView {
  private readonly cy: cytoscape.Core;
  private shape = '';

  /** `select` is called with a processor's name when it is clicked. */
  constructor(container: HTMLElement, select: (processor: string) => void) {
    this.cy = cytoscape({ container, style: STYLE, minZoom: 0.3, maxZoom: 2, autoungrabify: false });
    this.cy.on('tap', 'node[kind = "processor"]', (event) => select(String(event.target.data('name'))));
  }

  /** Shows `processors` and `services` of `instance`. */
  update(instance: string, processors: readonly ProcessorView[], services: ServicesView): void {
    const elements = instanceElements(instance, processors, services).map(withColorValue);
    const shape = shapeKey(elements);
    if (shape !== this.shape) {
      this.shape = shape;
      this.cy.elements().remove();
      this.cy.add(elements as cytoscape.ElementDefinition[]);
      this.cy.layout(ELK_LAYOUT as unknown as cytoscape.LayoutOptions).run();
      return;
    }
    this.cy.batch(() => {
      for (const element of elements) this.cy.getElementById(element.data.id).data(element.data);
    });
  }

  /** Marks the node of `processor` as selected (none for `null`). */
  select(processor: string | null): void {
    this.cy.nodes().unselect();
    if (processor !== null) this.cy.getElementById(`processor:${processor}`).select();
  }

  /** Every node as drawn now: its id, kind, name and color. */
  nodes(): GraphNode[] {
    return this.cy.nodes().map((node) => ({ id: node.id(), kind: String(node.data('kind')), name: String(node.data('name')), color: node.data('color') as string | undefined }));
  }
}

function withColorValue(element: InstanceElement): InstanceElement & { data: { colorValue: string } } {
  const color = element.data.color;
  return { ...element, data: { ...element.data, colorValue: color === undefined ? COLOR_VALUES.grey : COLOR_VALUES[color] } } as InstanceElement & { data: { colorValue: string } };
}
