/**
 * The lifecycle machines as a page draws them: XState's own definition (`toJSON()`), and
 * the same flattened into nodes and edges a graph layout takes as they are, with the
 * state ids of the states the API names (`serving` -> `processor.active.serving`).
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { mainMachine } from '../machines/main.machine.js';
import { processorMachine } from '../machines/processor.machine.js';

/** One state of a machine graph. */
export interface MachineNode {
  /** Its id (`processor.active.serving`). */
  id: string;
  /** Its key in its parent (`serving`). */
  key: string;
  /** Id of the parent state, `null` for the root. */
  parent: string | null;
  /** `atomic`, `compound`, `parallel`, `final` or `history`. */
  type: string;
  /** Its description (what the Stately inspector shows). */
  description: string | null;
  /** Id of its initial child, for a compound state. */
  initial: string | null;
}

/** One transition of a machine graph. */
export interface MachineEdge {
  /** Id of the state it leaves. */
  source: string;
  /** Id of the state it enters; `null` for a transition that stays (actions only). */
  target: string | null;
  /** The event, as XState names it (`proc.crashed`, `xstate.after.restartBackoff.processor.restarting`); `''` for an eventless (`always`) transition. */
  event: string;
  /** A short label: the event, `after <delay>`, `done: <actor>`, `error: <actor>` or `always`. */
  label: string;
  /** Its guard's name, when it has one. */
  guard: string | null;
  /** Its actions' names. */
  actions: string[];
}

/** A machine as `/api/v1/machines/<name>` gives it. */
export interface MachineGraph {
  /** The machine id (`processor`, `main`). */
  id: string;
  /** Every state, parents before children. */
  nodes: MachineNode[];
  /** Every transition, in document order. */
  edges: MachineEdge[];
  /** State name as the API reports it (`serving`, the leaf key) -> its node id. */
  stateIds: Record<string, string>;
  /** XState's own definition (`machine.toJSON()`). */
  definition: unknown;
}

/** The machines the console serves, by name. */
export const CONSOLE_MACHINES: Readonly<Record<string, AnyStateMachine>> = Object.freeze({
  processor: processorMachine,
  main: mainMachine,
});

function nameOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') return value.name.length > 0 ? value.name : 'inline';
  if (value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') return (value as { type: string }).type;
  return null;
}

function labelOf(event: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after !== null) return `after ${after[1]}`;
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event);
  if (done !== null) return `${done[1]}: ${done[2]}`;
  return event;
}

/** The graph of `machine`: its nodes and edges, and its definition. */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const nodes: MachineNode[] = [];
  const edges: MachineEdge[] = [];
  const stateIds: Record<string, string> = {};
  const visit = (node: AnyStateNode, parent: string | null) => {
    const initial = node.initial?.target?.[0]?.id ?? null;
    nodes.push({ id: node.id, key: node.key, parent, type: node.type, description: node.description ?? null, initial });
    if (parent !== null && (node.type === 'atomic' || node.type === 'final')) stateIds[node.key] = node.id;
    const add = (event: string, label: string, transition: AnyTransitionDefinition) => {
      const targets = transition.target ?? [];
      const actions = (transition.actions ?? []).map(nameOf).filter((name): name is string => name !== null);
      const base = { source: node.id, event, label, guard: nameOf(transition.guard), actions };
      if (targets.length === 0) edges.push({ ...base, target: null });
      for (const target of targets) edges.push({ ...base, target: target.id });
    };
    for (const [event, transitions] of node.transitions) {
      for (const transition of transitions) add(event, labelOf(event), transition);
    }
    // Eventless transitions (`always`) are not among `transitions`: taken as soon as their guard holds.
    for (const transition of node.always ?? []) add('', 'always', transition);
    for (const child of Object.values(node.states)) visit(child, node.id);
  };
  visit(machine.root, null);
  return { id: machine.id, nodes, edges, stateIds, definition: machine.toJSON() };
}
