import { describe, expect, it } from 'vitest';
import { formatSummary, type RunSummary } from '../../src/cli/summary.js';

describe('prosa run summary', () => {
  it('prints a line per http-server and http-client report', () => {
    const summary: RunSummary = {
      instance: 'http-proxy',
      stopReason: 'duration',
      durationS: 2,
      requests: 3,
      responses: 2,
      errors: { timeout: 0, unreachable: 1, protocol: 0, overloaded: 0, shutdown: 0 },
      errorCount: 1,
      late: 0,
      tps: 1,
      latencyMs: { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 },
      processors: {
        front: {
          kind: 'http-server',
          state: 'stopped',
          report: { kind: 'http-server', url: undefined, answers: { '2xx': 2, '3xx': 0, '4xx': 0, '5xx': 1 }, inFlight: 0 },
        },
        'payments-upstream': {
          kind: 'http-client',
          state: 'stopped',
          report: {
            kind: 'http-client',
            upstream: 'http://127.0.0.1:8092',
            requests: 3,
            outcomes: { response: 2, protocol: 0, unreachable: 1, timeout: 0 },
          },
        },
      },
      exitCode: 0,
    };
    const text = formatSummary(summary);
    expect(text).toContain('\n  front: answered 2xx 2, 3xx 0, 4xx 0, 5xx 1');
    expect(text).toContain('\n  payments-upstream -> http://127.0.0.1:8092: 3 requests (response 2, protocol 0, unreachable 1, timeout 0)');
  });
});
