import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from '../../src/observability/latency-recorder.js';

/** Exact nearest-rank percentile of sorted values. */
function exact(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('LatencyRecorder', () => {
  it('reports zeros when empty', () => {
    expect(new LatencyRecorder().summary()).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it('gives percentiles within 0.5% of the exact nearest-rank values, and exact min, max, mean', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.002, max: 100_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(1, 10, 50, 90, 99, 99.9),
        (values, p) => {
          const recorder = new LatencyRecorder();
          for (const value of values) recorder.record(value);
          const sorted = [...values].sort((a, b) => a - b);
          const want = exact(sorted, p);
          expect(Math.abs(recorder.percentile(p) - want) / want).toBeLessThanOrEqual(0.005 + 1e-12);
          const summary = recorder.summary();
          expect(summary.min).toBe(sorted[0]);
          expect(summary.max).toBe(sorted[sorted.length - 1]);
          expect(summary.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
        },
      ),
    );
  });

  it('tells a tail from the body', () => {
    const recorder = new LatencyRecorder();
    for (let i = 0; i < 990; i++) recorder.record(1);
    for (let i = 0; i < 10; i++) recorder.record(100);
    const near = (value: number, want: number) => expect(Math.abs(value - want) / want).toBeLessThanOrEqual(0.005);
    near(recorder.percentile(50), 1);
    near(recorder.percentile(99), 1);
    near(recorder.percentile(99.5), 100);
    expect(recorder.summary().max).toBe(100);
  });

  it('merges and resets', () => {
    const a = new LatencyRecorder();
    const b = new LatencyRecorder();
    a.record(1);
    b.record(3);
    b.record(5);
    a.merge(b);
    expect(a.summary()).toMatchObject({ count: 3, min: 1, max: 5, mean: 3 });
    a.reset();
    expect(a.count).toBe(0);
  });

  it('counts negative, NaN and huge values without failing', () => {
    const recorder = new LatencyRecorder();
    recorder.record(-1);
    recorder.record(Number.NaN);
    recorder.record(1e12);
    expect(recorder.summary()).toMatchObject({ count: 3, min: 0, max: 1e12 });
  });
});
