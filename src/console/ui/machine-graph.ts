/**
 * A lifecycle machine as elements cytoscape draws: its states (compound states as parent
 * nodes), its transitions labelled by event, and the classes that highlight the current
 * state and the parents it is in. Pure: no DOM.
 */
import type { MachineGraph } from '../machines.js';

/** A state or a transition, as cytoscape takes it. */
export type MachineElement =
  | { group: 'nodes'; data: { id: string; parent?: string; label: string; type: string; description: string | null } }
  | { group: 'edges'; data: { id: string; source: string; target: string; label: string } };

/**
 * The elements of `graph`: every state but the root, parents before children (a state
 * whose parent is the root has none); every transition that goes somewhere (one that
 * stays in its state only runs actions, and is left out). Transitions on the same event
 * between the same states (guarded alternatives) make one edge.
 */
export function machineElements(graph: MachineGraph): MachineElement[] {
  const root = graph.nodes.find((node) => node.parent === null)?.id;
  const elements: MachineElement[] = [];
  for (const node of graph.nodes) {
    if (node.id === root) continue;
    const data: { id: string; parent?: string; label: string; type: string; description: string | null } = { id: node.id, label: node.key, type: node.type, description: node.description };
    if (node.parent !== null && node.parent !== root) data.parent = node.parent;
    elements.push({ group: 'nodes', data });
  }
  const seen = new Set<string>();
  for (const edge of graph.edges) {
    if (edge.target === null || edge.source === root) continue;
    const id = `${edge.source}->${edge.target}:${edge.event}`;
    if (seen.has(id)) continue;
    seen.add(id);
    elements.push({ group: 'edges', data: { id, source: edge.source, target: edge.target, label: edge.label } });
  }
  return elements;
}

/** The node ids to highlight for the state `stateId`: the state itself and each state it is inside (root excluded), innermost first. */
export function activeStates(graph: MachineGraph, stateId: string | null): string[] {
  if (stateId === null) return [];
  const parents = new Map(graph.nodes.map((node) => [node.id, node.parent] as const));
  const active: string[] = [];
  let current: string | null | undefined = stateId;
  while (current !== null && current !== undefined && parents.has(current)) {
    if (parents.get(current) === null) break; // the root
    active.push(current);
    current = parents.get(current);
  }
  return active;
}
