/**
 * The instance graph as elements cytoscape draws: this instance (a compound node) holding
 * its processors, the services of the table, each remote instance (per NATS instance)
 * that provides one, and the links processor -> service. Pure: no DOM, so it is tested
 * apart from the page.
 */
import type { ProcessorView, ServicesView } from '../model.js';
import { processorColor, serviceColor, type NodeColor } from './colors.js';

/** What each node of the instance graph carries. */
export interface InstanceNodeData {
  /** Its id: `instance:<name>`, `processor:<name>`, `service:<name>` or `remote:<instance>`. */
  id: string;
  /** Compound node holding it (the local instance, for a processor). */
  parent?: string;
  /** What it stands for. */
  kind: 'instance' | 'processor' | 'service' | 'remote';
  /** The name it stands for (processor, service or instance name). */
  name: string;
  /** Its text on the graph. */
  label: string;
  /** Its color, for processors, services and remote instances. */
  color?: NodeColor;
}

/** What each edge of the instance graph carries. */
export interface InstanceEdgeData {
  /** `<source>-><target>`. */
  id: string;
  source: string;
  target: string;
  /** Green while that provider serves the service, grey otherwise. */
  color: NodeColor;
}

/** One element, as cytoscape's `add` and `json` take it. */
export type InstanceElement = { group: 'nodes'; data: InstanceNodeData } | { group: 'edges'; data: InstanceEdgeData };

/** Node id of a processor. */
export const processorNodeId = (name: string): string => `processor:${name}`;

/**
 * The elements of the instance graph. Local processors link to the services they
 * declare (`declaredBy`: a crashed one keeps its link, grey, so one sees what it would provide); a
 * remote provider links from the instances behind it (the transport's own name when it
 * does not say which).
 */
export function instanceElements(instance: string, processors: readonly ProcessorView[], services: ServicesView): InstanceElement[] {
  const elements: InstanceElement[] = [];
  const instanceId = `instance:${instance}`;
  elements.push({ group: 'nodes', data: { id: instanceId, kind: 'instance', name: instance, label: instance } });
  const serving = new Set<string>();
  for (const processor of processors) {
    const color = processorColor(processor);
    if (processor.state === 'serving') serving.add(processor.name);
    const label = `${processor.name}\n${processor.kind} · ${processor.state}${processor.restarts > 0 ? ` · ${processor.restarts}↻` : ''}`;
    elements.push({ group: 'nodes', data: { id: processorNodeId(processor.name), parent: instanceId, kind: 'processor', name: processor.name, label, color } });
  }
  const remotes = new Set<string>();
  const edges = new Map<string, InstanceEdgeData>();
  const link = (source: string, target: string, color: NodeColor) => {
    const id = `${source}->${target}`;
    const known = edges.get(id);
    if (known === undefined || (known.color === 'grey' && color === 'green')) edges.set(id, { id, source, target, color });
  };
  const declared = new Set(processors.map((processor) => processor.name));
  for (const service of services.services) {
    const serviceId = `service:${service.name}`;
    elements.push({ group: 'nodes', data: { id: serviceId, kind: 'service', name: service.name, label: service.name, color: serviceColor(service) } });
    for (const name of service.declaredBy) {
      if (declared.has(name)) link(processorNodeId(name), serviceId, serving.has(name) ? 'green' : 'grey');
    }
    for (const provider of service.providers) {
      if (!provider.remote) {
        if (declared.has(provider.processor)) link(processorNodeId(provider.processor), serviceId, 'green');
        continue;
      }
      const behind = provider.instances !== undefined && provider.instances.length > 0 ? provider.instances : [provider.processor];
      for (const remote of behind) {
        remotes.add(remote);
        link(`remote:${remote}`, serviceId, 'green');
      }
    }
  }
  for (const remote of remotes) {
    elements.push({ group: 'nodes', data: { id: `remote:${remote}`, kind: 'remote', name: remote, label: `${remote}\n(NATS)`, color: 'green' } });
  }
  for (const edge of edges.values()) elements.push({ group: 'edges', data: edge });
  return elements;
}

/** A key that changes exactly when the graph's nodes or edges (not their colors or labels) change: when to lay it out again. */
export function shapeKey(elements: readonly InstanceElement[]): string {
  return elements.map((element) => element.data.id).join('|');
}
