import { describe, expect, it } from 'vitest';
import { observabilityOptions, parsePort } from '../../src/observability/index.js';

const base = { name: 'inst', log: { level: 'info' as const, format: 'json' as const }, services: { P: { sensitive: [2] } } };

describe('observabilityOptions', () => {
  it('serves no metrics and starts no inspector by default', () => {
    expect(observabilityOptions(base)).toEqual({ name: 'inst', log: base.log, services: base.services });
  });

  it('takes the metrics section, with --metrics-port over its port, or adds one', () => {
    const metrics = { port: 9464, host: '127.0.0.1', latencyBuckets: [0.1, 1], latencySampleEvery: 4, maxServices: 10 };
    expect(observabilityOptions({ ...base, metrics }).metrics).toEqual(metrics);
    expect(observabilityOptions({ ...base, metrics }, { metricsPort: 9999 }).metrics).toEqual({ ...metrics, port: 9999 });
    expect(observabilityOptions(base, { metricsPort: 0 }).metrics).toEqual({ port: 0 });
  });

  it('starts the inspector on --inspect, at 8080 or the port given', () => {
    expect(observabilityOptions(base, { inspect: true }).inspect).toEqual({ port: 8080, requests: false });
    expect(observabilityOptions(base, { inspect: 9000, inspectRequests: true }).inspect).toEqual({ port: 9000, requests: true });
    expect(observabilityOptions(base, { inspect: false }).inspect).toBeUndefined();
  });
});

describe('parsePort', () => {
  it('reads 0..65535 and names the flag otherwise', () => {
    expect(parsePort('--inspect', '0')).toBe(0);
    expect(parsePort('--inspect', '65535')).toBe(65_535);
    for (const bad of ['65536', '-1', '80.5', 'http', '', ' 80']) {
      expect(() => parsePort('--metrics-port', bad)).toThrow(/--metrics-port takes a port/);
    }
  });
});
