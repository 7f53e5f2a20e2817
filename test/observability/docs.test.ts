import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attachMetrics } from '../../src/observability/index.js';
import { testBus } from '../support/bus.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/observability.md'), 'utf8');

/** Metric names the doc mentions, `a_{x,y}_b` spelled out. */
function namesInDoc(): Set<string> {
  const names = new Set<string>();
  for (const [, name] of doc.matchAll(/`(prosa_[a-z0-9_{},]+)`/g)) {
    const brace = /^(.*)\{([^}]*)\}(.*)$/.exec(name!);
    if (brace === null) names.add(name!);
    else for (const part of brace[2]!.split(',')) names.add(`${brace[1]}${part}${brace[3]}`);
  }
  return names;
}

describe('docs/observability.md', () => {
  it('lists every metric the registry serves, and no other', async () => {
    const bus = testBus();
    const metrics = attachMetrics(bus);
    try {
      const served = metrics.registry.getMetricsAsArray().map((m) => m.name).sort();
      expect([...namesInDoc()].sort()).toEqual(served);
    } finally {
      metrics.close();
      await bus.stop();
    }
  });
});
